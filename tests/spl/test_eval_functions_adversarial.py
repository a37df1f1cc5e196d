"""Every eval function, called with awkward arguments (empty strings, infinities, huge integers,
format strings, regexes, CIDRs, JSON and non-JSON, multivalue and empty fields), returns a value
or null, or stops with an SPL error of its own: never an engine failure, never a hang.

Fuzzing like this found ``round(x, <huge>)`` never finishing and ``log(x, -1)`` failing with
"math domain error"; this keeps every function honest against such input."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from contentkit import spl
from contentkit.spl import functions, limits

ARGS = [
    '""',
    '"abc"',
    '"a,b"',
    "0",
    "-1",
    "1",
    "2.5",
    "1e309",
    "-1e309",
    "1e15",
    "-99999999999",
    "99999999999999999999999",
    '"1e309"',
    '"NaN"',
    "null()",
    "x",
    "mv",
    "empty",
    "big",
    '"%Y-%m-%d %H:%M:%S"',
    '"%s%N%Q%z%Z%j%U%V%+"',
    '"%999999999d"',
    '"%.99999999f"',
    '"[a-z]+"',
    '"(a|a?)+$"',
    '"(.*)*x"',
    '"*"',
    '"10.0.0.0/8"',
    '"10.0.0.1"',
    '"::1"',
    '"{\\"a\\": [1, {\\"b\\": 2}]}"',
    '"[1,2"',
    '"a{}.b"',
    '"-1d@d"',
    '"+1mon@y"',
    '"@w7"',
    '"%"',
    '"\\\\"',
    "true()",
    '"<a>1</a>"',
    '"0x1F"',
]
SETUP = (
    '| makeresults | eval x="5", mv=split("b,a,1e309,", ","), big="' + "9" * 400 + '"'
    ' | eval empty=mvfilter(mv=="no such value")'
)


def _names() -> list[str]:
    spl.parse("| makeresults")  # every function module registered
    return sorted(functions.FUNCTIONS)


@pytest.mark.parametrize("name", _names())
def test_awkward_arguments_never_break_the_engine(name: str, tmp_path: Path) -> None:
    csv = tmp_path / "hosts.csv"
    csv.write_text("ip,name\n10.0.0.1,dc01\n")
    hosts = spl.LookupTable("hosts", csv)
    spec = functions.FUNCTIONS[name]
    rng = random.Random(name)
    top = spec.max_args if spec.max_args is not None else spec.min_args + 3
    calls = []
    for position in range(min(max(top, 1), 3)):  # each awkward value in each place
        count = max(spec.min_args, position + 1)
        for arg in ARGS:
            args = [arg if i == position else rng.choice(("1", "x", '"a"')) for i in range(count)]
            calls.append(f"{name}({', '.join(args)})")
    if name == "lookup":  # a call that can run needs a lookup the test has
        calls.append('lookup("hosts", json_object("ip", "10.0.0.1"), json_array("name"))')
    for _ in range(20):  # and mixtures
        count = rng.randint(spec.min_args, max(spec.min_args, min(top, 4)))
        calls.append(f"{name}({', '.join(rng.choice(ARGS) for _ in range(count))})")
    failures = []
    ran = 0
    for call in calls if top > 0 else [f"{name}()"]:
        try:
            with limits.bounded(timeout=5, max_rows=1000):
                ran += len(spl.run(f"{SETUP} | eval r={call}", lookups={"hosts": hosts}))
        except spl.SplError as exc:
            if "error in the SPL engine" in exc.message or "time limit" in exc.message:
                failures.append(f"{call}: {exc.message}")
    assert failures == []
    assert ran > 0  # some calls ran to the end (others may be SPL errors of the function's own)


def test_the_setup_makes_the_fields_the_calls_read() -> None:
    (row,) = spl.run(SETUP)
    assert row["x"] == "5" and row["mv"] == ["b", "a", "1e309", ""] and len(row["big"]) == 400
    assert "empty" not in row  # a multivalue field with no value
