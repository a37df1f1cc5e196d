"""Partial aggregation: the processes scanning parts of a dataset compute ``stats`` over their
part, the parts are merged; the results must be those of the plain path, row for row."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from contentkit import spl
from contentkit.spl import events as events_mod
from contentkit.spl import executor
from contentkit.spl.commands.stats import StatsCommand

SEARCHES = [
    "verb=create | stats count by user",
    "verb=create | stats count values(groups{}) as g dc(ip{}) by user ip{} ns",
    "verb=create | fillnull | stats count values(groups{}) as g by user ip{} ns code kind",
    "verb=create | fillnull value=NULL | stats c count(ip{}) values(code) by ns code",
    "verb=create | fillnull | stats count by missing_everywhere",
    "verb=create | fillnull | stats count by rare",
    "verb=create | stats count by rare",
    "verb=create | fillnull rare code | stats count by rare code",
    "verb=create ns=web* | search user!=bob | stats dc(user) distinct_count(ip{}) by num",
    "verb=create | stats count values(num) as nums dc(num) estdc(user)",
    "verb=create | stats count by num user | rename num as n | search count>1",
    "verb=nothing-matches | stats count",
    "verb=nothing-matches | stats count by user",
    "verb=create | stats values(user) by _time",
    # a following rename done by the stats itself, or not (when it moves or drops fields)
    "verb=create | stats count values(groups{}) as g by ip{} user | rename ip{} as ip, g as grp",
    "verb=create | stats count values(kind) as k by user | rename user as u, u as v | search *",
    "verb=create | stats count values(kind) as k by user | rename user as k",
    "verb=create | stats count values(kind) as k by user | rename count as user",
    "verb=create | stats count values(kind) as k by user ns | rename *s* as *S* | table *",
    "verb=create | stats count by user | rename nothing as x",
]


def _event(rng: random.Random, i: int) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "i": i,
        "verb": rng.choice(["create", "create", "get", "CREATE"]),
        "user": rng.choice(["alice", "bob", "carol", "Dave", "eve"]),
        "groups": rng.sample(["dev", "ops", "sre", "auth", "a"], rng.randrange(0, 4)),
        "ip": [f"10.0.0.{rng.randrange(4)}" for _ in range(rng.randrange(0, 3))],
        "ns": rng.choice(["web", "web-2", "", "kube-system"]),
        # numbers equal as numbers but not as strings: their order is the order of appearance
        "num": rng.choice(["1", "01", "1.0", "2", "x", " 3"]),
        # few distinct times: many ties, which keep file order
        "ts": 1_700_000_000 + rng.randrange(40),
    }
    if rng.random() < 0.7:
        ev["code"] = rng.choice([200, 201, 403])
    if rng.random() < 0.2:
        ev["kind"] = rng.choice(["DaemonSet", "Pod"])
    if i == 1999:  # in one part only
        ev["rare"], ev["verb"] = "r", "create"
    return ev


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(11)
    path = tmp_path_factory.mktemp("partial") / "events.json"
    path.write_text("".join(json.dumps(_event(rng, i)) + "\n" for i in range(3000)))
    return path


def _run(
    search: str, datasets: list[spl.Dataset], partial: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[list[tuple[str, Any]]], int]:
    merges = []
    original = StatsCommand.merge

    def merge(self: StatsCommand, parts: Any, ctx: Any, rename: Any = None) -> Any:
        merges.append(self)
        return original(self, parts, ctx, rename)

    with monkeypatch.context() as m:
        m.setattr(executor, "PARTIAL_STATS", partial)
        m.setattr(StatsCommand, "merge", merge)
        rows = spl.run(search, datasets=datasets)
    # field order too
    return [list(r.items()) for r in rows], len(merges)


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("search", SEARCHES)
def test_partial_stats_gives_the_plain_results(
    dataset: Path, search: str, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_mod, "_workers_for", lambda size: workers)
    datasets = [spl.Dataset(dataset, "_json", "s")]
    plain, plain_merges = _run(search, datasets, False, monkeypatch)
    partial, partial_merges = _run(search, datasets, True, monkeypatch)
    assert (plain_merges, partial_merges) == (0, 1)
    assert partial == plain
    assert partial or "nothing" in search or "missing" in search


def test_partial_stats_over_several_datasets(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_mod, "_workers_for", lambda size: 2)
    rng = random.Random(5)
    other = tmp_path / "other.json"
    other.write_text("".join(json.dumps(_event(rng, i)) + "\n" for i in range(500)))
    datasets = [spl.Dataset(other, "_json", "s"), spl.Dataset(dataset, "_json", "s")]
    for search in SEARCHES:
        plain, _ = _run(search, datasets, False, monkeypatch)
        partial, merges = _run(search, datasets, True, monkeypatch)
        assert merges == 1
        assert partial == plain, search


def test_a_field_missing_from_one_part_is_still_filled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_mod, "_workers_for", lambda size: 2)
    path = tmp_path / "e.json"
    lines = [{"verb": "create", "u": f"u{i % 3}", "t": 1000 + i} for i in range(40)]
    lines[-1]["extra"] = "x"  # only in the second half: fillnull fills it in the first half too
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    search = "verb=create | fillnull | stats count by u extra"
    plain, _ = _run(search, [spl.Dataset(path, "_json", "s")], False, monkeypatch)
    partial, merges = _run(search, [spl.Dataset(path, "_json", "s")], True, monkeypatch)
    assert merges == 1
    assert partial == plain
    assert sorted(dict(r)["extra"] for r in partial) == ["0", "0", "0", "x"]


def test_times_without_an_order_fall_back_to_the_plain_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nan.json"
    path.write_text(
        '{"ts": NaN, "verb": "create", "n": "1"}\n{"ts": 5, "verb": "create", "n": "01"}\n'
    )
    stats = spl.ScanStats()
    rows = spl.run(
        "verb=create | stats count by n", datasets=[spl.Dataset(path, "_json", "s")], stats=stats
    )
    with monkeypatch.context() as m:
        m.setattr(executor, "PARTIAL_STATS", False)
        plain = spl.run(
            "verb=create | stats count by n", datasets=[spl.Dataset(path, "_json", "s")]
        )
    assert rows == plain
    assert (stats.files, stats.events_parsed, stats.events_scanned) == (1, 2, 2)


@pytest.mark.parametrize(
    ("search", "index"),
    [
        ("verb=create | stats count by user", 1),
        ("verb=create | search user=bob | fillnull | stats count by user", 3),
        ("verb=create | fillnull user | search user=0 | stats count by user", 3),
        ("verb=create | fillnull | search user=0 | stats count by user", None),
        ("verb=create | stats list(user) by ns", None),
        ("verb=create | stats sum(num) by ns", None),
        ('verb=create | stats count(eval(user="bob")) by ns', None),
        ("verb=create | eval x=1 | stats count by x", None),
        ("verb=create [search verb=get | fields user] | stats count by user", None),
        ("verb=create | search [search verb=get | fields user] | stats count by user", None),
        ("verb=create | eventstats count by user", None),
        ("| makeresults | stats count", None),
    ],
)
def test_which_pipelines_aggregate_partially(search: str, index: int | None) -> None:
    assert executor.partial_stats_split(spl.parse(search)) == index


@pytest.mark.parametrize("workers", [1, 2])
def test_errors_are_those_of_the_plain_path(
    dataset: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_mod, "_workers_for", lambda size: workers)
    messages = []
    for partial in (False, True):
        monkeypatch.setattr(executor, "PARTIAL_STATS", partial)
        with pytest.raises(spl.SplError) as info:
            spl.run("verb=create | stats values by user", datasets=[spl.Dataset(dataset)])
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "values() needs a field" in messages[0]
