"""Numbers no time or bucket exists for (``1e309`` reads as infinity, ``1e23`` seconds is past
year 9999) in ``bin``, ``convert ctime()``, ``timechart`` and ``strftime()``: the value is left
as it is (or the event has no time bucket) instead of the search failing. Found by running every
security_content search over events with such values."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl


def run(search: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return spl.run("search * | " + search, events, now=1_700_000_000)


@pytest.mark.parametrize("span", ["span=10", "span=1h", "span=1mon", "bins=10"])
def test_bin_leaves_values_it_cannot_place(span: str) -> None:
    rows = run(f"bin x {span}", [{"x": "1e309"}, {"x": "-1e309"}, {"x": "1e23"}, {"x": "25"}])
    assert [r["x"] for r in rows[:2]] == ["1e309", "-1e309"]
    assert rows[3]["x"] != "25"  # a finite value is binned as usual
    if span == "span=1mon":
        assert rows[2]["x"] == "1e23"  # no calendar month that far away


def test_bin_of_time_with_an_infinite_time() -> None:
    assert run("bin _time span=1h", [{"_time": float("inf")}, {"_time": 7300}]) == [
        {"_time": float("inf")},
        {"_time": 7200},
    ]


@pytest.mark.parametrize("value", ["1e309", "99999999999999999999999", "-99999999999999"])
def test_convert_ctime_keeps_a_value_that_is_no_time(value: str) -> None:
    assert run("convert ctime(x)", [{"x": value}]) == [{"x": value}]


def test_convert_ctime_still_converts_times() -> None:
    assert run('convert timeformat="%Y-%m-%d" ctime(x)', [{"x": "86400"}]) == [{"x": "1970-01-02"}]


def test_strftime_of_a_value_that_is_no_time_is_null() -> None:
    assert run('eval y=strftime(x, "%Y")', [{"x": "1e309"}]) == [{"x": "1e309"}]


@pytest.mark.parametrize("span", ["1h", "1mon"])
def test_timechart_skips_events_without_a_real_time(span: str) -> None:
    events = [{"_time": float("inf")}, {"_time": "1e20"}, {"_time": 3600}, {"_time": 3700}]
    rows = run(f"timechart span={span} count", events)
    assert [r["count"] for r in rows] == [2]
