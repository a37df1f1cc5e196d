"""The embedded engine's bounds: wall-clock limits, row limits, regexes that cannot backtrack
catastrophically, arithmetic overflow as null; through the CLI and the API."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from contentkit import spl
from contentkit.spl.limits import (
    RowLimitExceeded,
    SearchTimeout,
    bounded,
    compile_regex,
    may_backtrack,
)

from .common import assert_clean_failure, contentkit

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"


@pytest.fixture
def one_event(tmp_path: Path) -> Path:
    path = tmp_path / "one.json"
    path.write_text('{"a": 1}\n')
    return path


def test_search_timeout_through_the_cli(one_event: Path) -> None:
    started = time.monotonic()
    result = contentkit(
        "search",
        "| makeresults count=100000000 | eval x=1 | stats count",
        "--data",
        str(one_event),
        "--timeout",
        "1",
    )
    assert time.monotonic() - started < 20
    assert_clean_failure(result, 1, "search stopped at its time limit of 1 s")
    assert result.stdout == ""


def test_time_and_row_limits_in_the_api() -> None:
    with bounded(timeout=0.5), pytest.raises(SearchTimeout):
        spl.run("| makeresults count=100000000 | eval x=1 | stats count")
    with bounded(max_rows=5000), pytest.raises(RowLimitExceeded):
        spl.run("| makeresults count=20000 | eval x=1")
    with bounded(max_rows=5000):
        assert len(spl.run("| makeresults count=4000 | eval x=1")) == 4000
    assert spl.run("| makeresults count=3 | stats count") == [{"count": 3}]  # no limits outside


@pytest.mark.parametrize(
    "pattern",
    [r"^(a+)+$", r"^(a|aa)*$", r"^(a|a?)+$", r"(x+x+)+y", r"^(\w+\s?)*$", r".*a.*a.*a.*a.*b"],
)
def test_catastrophic_patterns_run_in_linear_time(pattern: str) -> None:
    assert may_backtrack(pattern)
    text = "a" * 50_000 + "!"
    started = time.monotonic()
    compile_regex(pattern).search(text)
    assert time.monotonic() - started < 2


def test_a_pattern_re2_cannot_run_is_bounded_in_time() -> None:
    from contentkit.spl.limits import GuardedPattern, RegexTimeout

    rx = compile_regex(r"(?<!x)a*a*a*a*a*!$")  # lookbehind: not for RE2
    assert isinstance(rx, GuardedPattern)
    assert rx.search("xx aaa!") is not None
    started = time.monotonic()
    with bounded(timeout=1), pytest.raises(RegexTimeout, match="ran out of time"):
        rx.search("a" * 3000 + "!b")
    assert time.monotonic() - started < 15


def test_a_pattern_only_a_backtracking_engine_runs_is_refused_when_nested() -> None:
    with pytest.raises(re.error, match="catastrophic backtracking"):
        compile_regex(r"^((a+))+\1$")
    assert compile_regex(r"(\w)\1").search("xaay") is not None  # backreference, not nested


def test_catastrophic_regex_through_the_cli(one_event: Path) -> None:
    started = time.monotonic()
    result = contentkit(
        "search",
        '| makeresults | eval s="' + "a" * 5000 + '!" | regex s="^(a|aa)*$" | stats count',
        "--data",
        str(one_event),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"count": 0}
    assert time.monotonic() - started < 20
    refused = contentkit(
        "search",
        '| makeresults | eval s="aa" | rex field=s "^(?<x>(a+)+)\\2$"',
        "--data",
        str(one_event),
    )
    assert_clean_failure(refused, 1, "catastrophic backtracking")


@pytest.mark.parametrize(
    "expr",
    [
        "pow(10,400)",
        "pow(2,100000000)",
        "exp(100000)",
        "99999999999999999999999999999*9999999999999999999999999999999999999999e300",
        'tonumber("1e400")*2',
        'round(tonumber("1e400"),2)',
        'floor(tonumber("1e400"))',
        "1e308+1e308",
        'printf("%999999999d",1)',
        "10/0",
        "10%0",
    ],
)
def test_overflow_is_null(expr: str, one_event: Path) -> None:
    result = contentkit(
        "search", f"| makeresults | eval x={expr} | table x", "--data", str(one_event)
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {}


def test_a_timed_out_test_is_an_error_and_the_run_goes_on(seed_pack: Path) -> None:
    path = seed_pack / DET
    text = path.read_text()
    slow = "| append [| makeresults count=100000000 | eval x=1] | where isnull(x) "
    path.write_text(text.replace("| fillnull", slow + "| fillnull", 1))
    report = seed_pack / "report.json"
    started = time.monotonic()
    result = contentkit(
        "test", str(seed_pack), "--json", str(report), "-q", "--timeout", "1", cwd=seed_pack
    )
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    data = json.loads(report.read_text())
    units = [r["unit"] for r in data["results"]]
    assert len(units) == 2  # both tests ran
    assert all(u["status"] == "error" for u in units)
    assert all("time limit of 1 s" in u["message"] for u in units)


MANY_BY = " ".join(f"f{i}" for i in range(30))


@pytest.mark.parametrize(
    "search",
    [
        f"| stats count by {MANY_BY}",
        f"| eventstats count by {MANY_BY}",
        f"| top f0 by {MANY_BY}",
        "| lookup wide " + " ".join(f"f{i}" for i in range(30)) + " OUTPUT out",
    ],
)
def test_one_event_cannot_make_more_groups_than_the_row_limit(search: str, tmp_path: Path) -> None:
    """30 BY fields with two values each are 2^30 combinations: the row limit stops the
    command before it builds them (it ran out of memory before)."""
    event = {f"f{i}": ["a", "b"] for i in range(30)}
    csv = tmp_path / "wide.csv"
    csv.write_text(",".join([*(f"f{i}" for i in range(30)), "out"]) + "\n" + "a," * 30 + "x\n")
    wide = spl.LookupTable("wide", csv)
    with bounded(max_rows=1000), pytest.raises(RowLimitExceeded, match="more than 1000 rows"):
        spl.run("search * " + search, [event], lookups={"wide": wide})


def test_stats_stops_when_its_groups_pass_the_row_limit() -> None:
    # 1,500 events (under the limit between commands), three groups each
    events = [{"x": [f"{i}a", f"{i}b", f"{i}c"]} for i in range(1500)]
    with bounded(max_rows=2000), pytest.raises(RowLimitExceeded, match="stats would produce"):
        spl.run("search * | stats count by x", [dict(e) for e in events])
    with bounded(max_rows=5000):
        assert len(spl.run("search * | stats count by x", [dict(e) for e in events])) == 4500
