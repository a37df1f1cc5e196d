"""stats / eventstats / streamstats / top / rare."""

from __future__ import annotations

from typing import Any

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {
        "_raw": "1",
        "_time": 100,
        "user": "bob",
        "src": ["10.0.0.1", "10.0.0.2"],
        "bytes": "10",
        "g": ["b", "a"],
    },
    {"_raw": "2", "_time": 300, "user": "alice", "src": "10.0.0.1", "bytes": "30", "g": "c"},
    {"_raw": "3", "_time": 200, "user": "bob", "src": "10.0.0.3", "bytes": "20", "g": "a"},
    {"_raw": "4", "_time": 400, "src": "10.0.0.9", "bytes": "x"},
]


def test_stats_count_no_by_on_no_input_gives_one_row() -> None:
    assert spl.run("search * | stats count", []) == [{"count": 0}]
    assert spl.run("search * | stats count dc(x) values(x) as v", []) == [{"count": 0, "dc(x)": 0}]


def test_stats_by_drops_events_without_the_by_field() -> None:
    rows = spl.run("search * | stats count by user", EVENTS)
    assert rows == [{"user": "alice", "count": 1}, {"user": "bob", "count": 2}]


def test_stats_by_multivalue_counts_once_per_value() -> None:
    rows = spl.run("search * | stats count by src", EVENTS)
    assert {r["src"]: r["count"] for r in rows} == {
        "10.0.0.1": 2,
        "10.0.0.2": 1,
        "10.0.0.3": 1,
        "10.0.0.9": 1,
    }


def test_stats_by_several_multivalue_fields_is_the_cartesian_product() -> None:
    rows = spl.run("search * | stats count by src g", EVENTS[:1])
    assert sorted((r["src"], r["g"]) for r in rows) == [
        ("10.0.0.1", "a"),
        ("10.0.0.1", "b"),
        ("10.0.0.2", "a"),
        ("10.0.0.2", "b"),
    ]


def test_values_is_distinct_and_in_byte_order() -> None:
    events = [{"_raw": "", "v": x} for x in ["b", "B", "a", "b", "_", "10", "9"]]
    assert spl.run("search * | stats values(v) as v", events) == [
        {"v": ["10", "9", "B", "_", "a", "b"]}
    ]


def test_list_keeps_event_order_and_caps_at_100() -> None:
    events = [{"_raw": "", "v": str(i)} for i in range(150)]
    row = spl.run("search * | stats list(v) as v", events)[0]
    assert row["v"] == [str(i) for i in range(100)]


def test_aggregations() -> None:
    row = spl.run(
        "search * | stats count count(user) as cu dc(user) as du min(bytes) as mn max(bytes) as mx "
        "avg(bytes) as av sum(bytes) as sm earliest(user) as e latest(user) as l "
        "first(user) as f last(user) as la median(bytes) as md perc50(bytes) as p stdev(bytes) as sd "
        "range(bytes) as rg",
        EVENTS,
    )[0]
    assert row == {
        "count": 4,
        "cu": 3,
        "du": 2,
        "mn": 10,
        "mx": 30,
        "av": 20.0,
        "sm": 60,
        "e": "bob",
        "l": "alice",
        "f": "bob",
        "la": "bob",
        "md": 20,
        "p": 20,
        "sd": 10.0,
        "rg": 20,
    }


def test_min_max_strings_when_not_numeric() -> None:
    row = spl.run("search * | stats min(user) as a max(user) as b", EVENTS)[0]
    assert row == {"a": "alice", "b": "bob"}


def test_count_eval() -> None:
    row = spl.run('search * | stats count(eval(user="bob")) as bobs', EVENTS)[0]
    assert row == {"bobs": 2}


def test_eventstats_adds_group_aggregates() -> None:
    rows = spl.run("search * | eventstats count as n by user | table user n", EVENTS)
    assert rows == [{"user": "bob", "n": 2}, {"user": "alice", "n": 1}, {"user": "bob", "n": 2}, {}]


def test_streamstats_running_count() -> None:
    rows = spl.run("search * | streamstats count as n by user | table user n", EVENTS)
    assert rows == [{"user": "bob", "n": 1}, {"user": "alice", "n": 1}, {"user": "bob", "n": 2}, {}]


def test_top_and_rare() -> None:
    top = spl.run("search * | top limit=1 user", EVENTS)
    assert top == [{"user": "bob", "count": 2, "percent": 66.666667}]
    rare = spl.run("search * | rare user", EVENTS)
    assert [r["user"] for r in rare] == ["alice", "bob"]


def test_stats_rows_sort_numbers_first_and_keep_first_seen_order_on_ties() -> None:
    events = [
        {"_raw": "", "k": k, "u": u}
        for k, u in [
            ("b", "x"),
            ("01", "x"),
            ("1", "x"),
            ("10", "x"),
            ("2", "x"),
            ("a", "y"),
            ("a", "x"),
            ("-1", "x"),
        ]
    ]
    rows = spl.run("search * | stats count by k u", events)
    assert [(r["k"], r["u"]) for r in rows] == [
        ("-1", "x"),
        ("01", "x"),  # 01 and 1 are the same number: first seen first
        ("1", "x"),
        ("2", "x"),
        ("10", "x"),
        ("a", "x"),
        ("a", "y"),
        ("b", "x"),
    ]


def test_stats_by_non_string_values() -> None:
    events: list[dict[str, Any]] = [
        {"_raw": "", "k": 2, "v": "a"},
        {"_raw": "", "k": "2", "v": "b"},
        {"_raw": "", "k": 1.5, "v": ["c", "é"]},
        {"_raw": "", "k": "", "v": "d"},
    ]
    rows = spl.run("search * | stats count values(v) as v by k", events)
    assert rows == [
        {"k": 1.5, "count": 1, "v": ["c", "é"]},
        {"k": 2, "count": 2, "v": ["a", "b"]},
        {"k": "", "count": 1, "v": "d"},
    ]
