"""stats functions added for the corpus: sumsq and sparkline.

Doc page: Search Reference > "Statistical and charting functions" (sumsq, sparkline).
"""

from __future__ import annotations

from contentkit import spl

EVENTS = [{"_time": t, "user": "a", "b": str(t)} for t in (0, 10, 100, 3600, 3700)]


def test_sumsq() -> None:
    rows = spl.run("| makeresults count=3 | streamstats count as n | stats sumsq(n)", [])
    assert rows == [{"sumsq(n)": 14}]


def test_sparkline_counts_per_span_oldest_first() -> None:
    rows = spl.run("search * | stats sparkline(count, 1h) as s by user", EVENTS)
    assert rows == [{"user": "a", "s": ["##__SPARKLINE__##", 3, 2]}]


def test_sparkline_of_a_field_aggregation() -> None:
    rows = spl.run("search * | stats sparkline(sum(b), 30m) as s", EVENTS)
    assert rows == [{"s": ["##__SPARKLINE__##", 110, 0, 7300]}]


def test_sparkline_bad_arguments_are_an_error() -> None:
    try:
        spl.run("search * | stats sparkline(median(b), 1h)", EVENTS)
    except spl.SplError as exc:
        assert "sparkline(median(b), 1h): unsupported arguments" in exc.message
    else:  # pragma: no cover - the assertion above must run
        raise AssertionError("no error")


def test_mode_is_the_most_frequent_value_strings_too() -> None:
    events = [{"u": u} for u in ("bob", "alice", "bob", "carol", "alice")]
    assert spl.run("search * | stats mode(u)", events) == [{"mode(u)": "bob"}]


def test_rate_of_a_counter() -> None:
    events = [{"_time": 0, "c": "100"}, {"_time": 10, "c": "150"}, {"_time": 20, "c": "300"}]
    assert spl.run("search * | stats rate(c)", events) == [{"rate(c)": 10.0}]
