"""Percentiles, median and sparkline buckets as the Search Reference documents them: the
"Aggregate functions" page of "Statistical and charting functions" (perc/p/percentile,
exactperc, upperperc, median) and its "sparkline" entry."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl


def stats(agg: str, values: list[Any]) -> Any:
    events = [{"_raw": str(v), "Y": v} for v in values]
    (row,) = spl.run(f"search * | stats {agg} as out", events)
    return row["out"]


Y = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("func", ["perc", "p", "percentile", "exactperc", "upperperc"])
def test_basic_examples_of_perc(func: str) -> None:
    # "Consider this list of values Y = {10,9,8,7,6,5,4,3,2,1}": perc50 5.5, perc95 9.55
    # (exactperc is exact; upperperc equals perc below 1,000 values)
    assert stats(f"{func}50(Y)", Y) == 5.5
    assert stats(f"{func}95(Y)", Y) == pytest.approx(9.55)


def test_extended_example_of_perc() -> None:
    # the visitors total of the store example: perc50 1996.5, perc95 3858.35
    totals = [0, 212, 579, 1068, 1692, 2301, 2793, 3306, 3673, 4010]
    assert stats("perc50(Y)", totals) == 1996.5
    assert stats("perc95(Y)", totals) == pytest.approx(3858.35)


def test_fractional_percentiles() -> None:
    # "Valid percentile values are floating point numbers between 0 and 100, such as 99.95"
    assert stats("perc99.5(Y)", Y) == pytest.approx(9.955)


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    # median's example: 37 of 8, 13, 34, 37, 38, 58, 74
    assert stats("median(Y)", [37, 58, 8, 34, 13, 74, 38]) == 37


def test_median_of_an_even_count_is_the_higher_middle_value() -> None:
    # "If you have an even number of events, by default the median calculation is approximated
    # to the higher of the two values"
    assert stats("median(Y)", [1, 2, 3, 4]) == 3
    assert stats("median(Y)", Y) == 6


EVENTS = [
    {"_time": 0, "user": "a"},
    {"_time": 100, "user": "a"},
    {"_time": 7300, "user": "b"},
    {"_time": 10800, "user": "b"},
    {"_time": 10900, "user": "a"},
]


def test_sparklines_of_all_groups_share_one_time_axis() -> None:
    # every row's sparkline spans the same range (Splunk: the search's time range), so a group
    # seen only late starts with empty buckets
    rows = spl.run("search * | stats sparkline(count, 1h) as s by user", [dict(e) for e in EVENTS])
    assert rows == [
        {"user": "a", "s": ["##__SPARKLINE__##", 2, 0, 0, 1]},
        {"user": "b", "s": ["##__SPARKLINE__##", 0, 0, 1, 1]},
    ]


def test_sparkline_buckets_align_to_the_span() -> None:
    # buckets start at multiples of the span, as bin's do: 3599 and 3600 fall in two buckets
    events = [{"_time": 3599, "k": "x"}, {"_time": 3600, "k": "x"}]
    rows = spl.run("search * | stats sparkline(count, 1h) as s", events)
    assert rows == [{"s": ["##__SPARKLINE__##", 1, 1]}]
