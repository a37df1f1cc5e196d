"""chart, timechart, xyseries, untable and makecontinuous.

Doc pages: Search Reference > "chart", "timechart", "xyseries", "untable", "makecontinuous".
"""

from __future__ import annotations

from typing import Any

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {"_time": 1000 + i * 100, "host": f"h{i % 3}", "user": f"u{i % 2}", "bytes": str(i)}
    for i in range(20)
]


def run(search: str) -> list[dict[str, Any]]:
    return spl.run(search, EVENTS)


def test_chart_over_by_makes_one_column_per_value() -> None:
    assert run("search * | chart count over host by user") == [
        {"host": "h0", "u0": 4, "u1": 3},
        {"host": "h1", "u0": 3, "u1": 4},
        {"host": "h2", "u0": 3, "u1": 3},
    ]
    # "chart count by host user" is the same as "chart count over host by user"
    assert run("search * | chart count by host user") == run(
        "search * | chart count over host by user"
    )


def test_chart_with_several_aggregations_names_columns_func_colon_value() -> None:
    first = run("search * | chart count sum(bytes) over host by user")[0]
    assert first == {
        "host": "h0",
        "count: u0": 4,
        "count: u1": 3,
        "sum(bytes): u0": 36,
        "sum(bytes): u1": 27,
    }


def test_chart_limit_folds_the_rest_into_other() -> None:
    rows = run("search * | chart count over host by user limit=1")
    assert rows[0] == {"host": "h0", "u0": 4, "OTHER": 3}
    rows = run("search * | chart count over host by user limit=1 useother=f")
    assert rows[0] == {"host": "h0", "u0": 4}


def test_chart_without_split_is_like_stats() -> None:
    assert run("search * | chart count by host") == [
        {"host": "h0", "count": 7},
        {"host": "h1", "count": 7},
        {"host": "h2", "count": 6},
    ]


def test_timechart_buckets_time_and_fills_empty_buckets_with_zero() -> None:
    events = [{"_time": t, "_raw": "x"} for t in (0, 10, 700, 710, 720)]
    rows = spl.run("search * | timechart span=5m count", events)
    assert rows == [
        {"_time": 0, "count": 2, "_span": 300},
        {"_time": 300, "count": 0, "_span": 300},
        {"_time": 600, "count": 3, "_span": 300},
    ]


def test_timechart_by_field() -> None:
    rows = run("search * | timechart span=10m count by user")
    assert rows[0] == {"_time": 600, "u0": 1, "u1": 1, "_span": 600}
    assert len(rows) == 4


def test_xyseries_and_untable_are_inverse() -> None:
    pivot = run("search * | stats count by host user | xyseries host user count")
    assert pivot[0] == {"host": "h0", "u0": 4, "u1": 3}
    back = run(
        "search * | stats count by host user | xyseries host user count | untable host user count"
    )
    assert back == run("search * | stats count by host user | table host user count")


def test_makecontinuous_adds_the_missing_buckets() -> None:
    rows = spl.run(
        "search * | makecontinuous span=1h _time",
        [{"_time": 0, "n": 1}, {"_time": 3 * 3600, "n": 2}],
    )
    assert [r["_time"] for r in rows] == [0, 3600, 7200, 10800]
    assert [r.get("n") for r in rows] == [1, None, None, 2]


def test_charting_commands_print_back() -> None:
    for text in (
        "search * | chart count sum(bytes) OVER host BY user",
        "search * | timechart limit=0 span=5m count BY user",
        "search * | xyseries host user count",
        "search * | untable host user count",
        "search * | makecontinuous span=1h _time",
    ):
        p = spl.parse(text, strict=True)
        assert spl.parse(p.to_spl(), strict=True) == p


def _day(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).date().isoformat()


def _ts(month: int, day: int, hour: int = 0) -> float:
    from datetime import UTC, datetime

    return datetime(2024, month, day, hour, tzinfo=UTC).timestamp()


def test_bin_calendar_spans() -> None:
    # Search Reference "bin": span units s, m, h, d, w, mon, q, y
    events = [
        {"_time": _ts(m, d, h), "_raw": "x"} for m, d, h in [(1, 15, 3), (2, 20, 5), (5, 31, 23)]
    ]

    def days(q: str) -> list[str]:
        return [_day(r["_time"]) for r in spl.run(f"search * | {q}", [dict(e) for e in events])]

    assert days("bin _time span=1mon") == ["2024-01-01", "2024-02-01", "2024-05-01"]
    assert days("bin _time span=1q") == ["2024-01-01", "2024-01-01", "2024-04-01"]
    assert days("bin _time span=1y") == ["2024-01-01"] * 3
    assert days("bin _time span=1d") == ["2024-01-15", "2024-02-20", "2024-05-31"]
    assert days("bucket _time bins=10") == ["2024-01-01", "2024-02-01", "2024-05-01"]


def test_bin_aligntime_and_numeric_bins() -> None:
    rows = spl.run("search * | bin _time span=1h aligntime=1800", [{"_time": 7000, "_raw": "x"}])
    assert rows[0]["_time"] == 5400
    events = [{"n": str(v), "_raw": "x"} for v in (0, 37, 74, 111)]
    assert [r["n"] for r in spl.run("search * | bin n span=50", events)] == [
        "0-50",
        "0-50",
        "50-100",
        "100-150",
    ]


def test_timechart_monthly_span() -> None:
    events = [{"_time": _ts(m, 10), "_raw": "x"} for m in (1, 1, 3)]
    rows = spl.run("search * | timechart span=1mon count", events)
    assert [(_day(r["_time"]), r["count"]) for r in rows] == [
        ("2024-01-01", 2),
        ("2024-02-01", 0),
        ("2024-03-01", 1),
    ]
