"""Numbers out of the ordinary range (``1e309`` reads as infinity, ``1e23`` seconds is past year
9999, a digit count of ``round`` in the sextillions) in ``bin``, ``convert ctime()``,
``timechart``, ``strftime()`` and ``round()``: the value is left as it is (or the event has no
time bucket) instead of the search failing or never finishing. Found by running every
security_content search over events with such values, and every eval function over them."""

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


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("round(1234.5678, 99999999999999999999999)", 1234.5678),  # took forever (10**d)
        ("round(1234.5678, 300)", 1234.5678),  # was null (overflow)
        ("round(1234, -99999999999999999999)", 0),
        ("round(123456789012345678, 2)", 123456789012345678),  # whole at that many decimals
        ("round(1e-20, 25)", 1e-20),
        ("round(1234.5678, 2)", 1234.57),
        ("round(2.5)", 3),
    ],
)
def test_round_with_any_number_of_digits(expr: str, expected: float) -> None:
    """Found by calling every eval function with awkward arguments: the digits of ``round``
    were used as an exponent of 10 in integers, so a huge count never finished."""
    assert spl.run(f"| makeresults | eval r={expr} | table r") == [{"r": expected}]


@pytest.mark.parametrize("base", ["-1", "0", "1", '"-2.5"'])
def test_log_to_a_base_no_logarithm_has_is_null(base: str) -> None:
    """log(X, -1) failed with "math domain error" (found by the eval function fuzzing)."""
    rows = spl.run(f"| makeresults | eval r=log(8, {base}), ok=log(8, 2) | table r ok")
    assert rows == [{"ok": 3.0}]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("bit_shift_left(1, 99999999999999999999999)", None),  # filled memory
        ("bit_shift_left(1, 52)", 2**52),
        ("bit_shift_left(1, 53)", None),  # past 2^53 - 1
        ("bit_shift_right(16, 99999999999999999999999)", None),
        ("bit_and(-1, 5)", None),  # "each argument must be in the range of 0 to 2^53 - 1"
        ("bit_or(9007199254740991, 1)", 9007199254740991),
        ("bit_and(12, 9)", 8),  # the page's example
    ],
)
def test_bitwise_arguments_in_the_documented_range(expr: str, expected: int | None) -> None:
    rows = spl.run(f"| makeresults | eval r={expr} | table r")
    assert rows == ([{"r": expected}] if expected is not None else [{}])
