"""Cron schedules and time windows of `contentkit test --scheduled`, against a known timeline.

2024-01-01 was a Monday; every expected time below was worked out by hand from a calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from contentkit.testing.schedule import CronError, next_run, utc, window


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _runs(cron: str, start: str, n: int) -> list[str]:
    """The next `n` run times of `cron` after `start`, as 'YYYY-MM-DD HH:MM'."""
    out: list[str] = []
    t = _t(start)
    for _ in range(n):
        t = next_run(cron, t)
        out.append(t.strftime("%Y-%m-%d %H:%M"))
    return out


@pytest.mark.parametrize(
    ("cron", "start", "expected"),
    [
        # steps: */15 fires four times an hour, not every minute
        (
            "*/15 * * * *",
            "2024-01-01 00:00",
            ["2024-01-01 00:15", "2024-01-01 00:30", "2024-01-01 00:45", "2024-01-01 01:00"],
        ),
        # a step from a start value runs to the end of the field
        (
            "5/20 * * * *",
            "2024-01-01 00:00",
            ["2024-01-01 00:05", "2024-01-01 00:25", "2024-01-01 00:45", "2024-01-01 01:05"],
        ),
        # a stepped range
        (
            "10-20/5 3 * * *",
            "2024-01-01 00:00",
            ["2024-01-01 03:10", "2024-01-01 03:15", "2024-01-01 03:20", "2024-01-02 03:10"],
        ),
        # Splunk's most common detection schedule
        ("0 * * * *", "2024-01-01 00:00", ["2024-01-01 01:00", "2024-01-01 02:00"]),
        # lists of minutes and hours
        (
            "0,30 9,17 * * *",
            "2024-01-01 10:00",
            ["2024-01-01 17:00", "2024-01-01 17:30", "2024-01-02 09:00", "2024-01-02 09:30"],
        ),
        # weekdays only (2024-01-05 is a Friday: the next run skips the weekend)
        ("30 2 * * 1-5", "2024-01-05 03:00", ["2024-01-08 02:30", "2024-01-09 02:30"]),
        # Sunday is 0 and also 7
        ("0 0 * * 0", "2024-01-01 00:00", ["2024-01-07 00:00", "2024-01-14 00:00"]),
        ("0 0 * * 7", "2024-01-01 00:00", ["2024-01-07 00:00", "2024-01-14 00:00"]),
        ("0 0 * * 5-7", "2024-01-01 00:00", ["2024-01-05 00:00", "2024-01-06 00:00"]),
        # day of month and month
        ("15 6 29 2 *", "2024-01-01 00:00", ["2024-02-29 06:15"]),
        ("0 12 1 */3 *", "2024-01-01 12:00", ["2024-04-01 12:00", "2024-07-01 12:00"]),
        # both day of month and day of week restricted: either one fires (cron's OR rule)
        (
            "0 0 1 * 1",
            "2024-01-02 00:00",
            [
                "2024-01-08 00:00",
                "2024-01-15 00:00",
                "2024-01-22 00:00",
                "2024-01-29 00:00",
                "2024-02-01 00:00",
                "2024-02-05 00:00",
            ],
        ),
        ("0 0 13 * 5", "2024-01-01 00:00", ["2024-01-05 00:00", "2024-01-12 00:00"]),
        ("0 0 13 * 5", "2024-01-12 00:00", ["2024-01-13 00:00", "2024-01-19 00:00"]),
        # only one of them restricted: that one alone decides
        ("0 0 1 * *", "2024-01-02 00:00", ["2024-02-01 00:00", "2024-03-01 00:00"]),
        ("0 0 * * 1", "2024-01-02 00:00", ["2024-01-08 00:00", "2024-01-15 00:00"]),
    ],
)
def test_next_runs(cron: str, start: str, expected: list[str]) -> None:
    assert _runs(cron, start, len(expected)) == expected


def test_next_run_is_strictly_after_and_on_a_whole_minute() -> None:
    assert next_run("*/15 * * * *", _t("2024-01-01 00:15")) == _t("2024-01-01 00:30")
    assert next_run("*/15 * * * *", _t("2024-01-01 00:14:59.5")) == _t("2024-01-01 00:15")
    assert next_run("* * * * *", _t("2024-01-01 00:00:30")) == _t("2024-01-01 00:01")
    assert next_run("59 23 31 12 *", _t("2024-01-01 00:00")) == _t("2024-12-31 23:59")


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 * * *", "'0 * * *': a cron schedule has five fields"),
        ("0 * * * * *", "a cron schedule has five fields"),
        ("*/0 * * * *", "bad step in '*/0'"),
        ("*/x * * * *", "bad step in '*/x'"),
        ("60 * * * *", "'60' is out of range 0-59"),
        ("0 24 * * *", "'24' is out of range 0-23"),
        ("0 0 0 * *", "'0' is out of range 1-31"),
        ("0 0 * 13 *", "'13' is out of range 1-12"),
        ("0 0 * * 8", "'8' is out of range 0-6"),
        ("5-1 * * * *", "'5-1' is out of range 0-59"),
        ("a-5 * * * *", "bad range in 'a-5'"),
        ("mon * * * *", "bad value 'mon'"),
        ("0 0 30 2 *", "'0 0 30 2 *' never fires"),
    ],
)
def test_bad_cron_is_refused(cron: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        next_run(cron, _t("2024-01-01 00:00"))
    assert message in str(caught.value)


def test_window_of_a_run() -> None:
    run_at = _t("2024-01-01 01:00")
    epoch = run_at.timestamp()
    assert epoch == 1704070800
    assert window(run_at, "-70m@m", "-10m@m") == (epoch - 70 * 60, epoch - 10 * 60)
    assert window(run_at, "-1d@d", "now") == (epoch - 3600 - 86400, epoch)
    assert window(run_at, "0", "") == (0.0, epoch)
    assert window(run_at, " ", "now ") == (0.0, epoch)
    with pytest.raises(CronError, match="cannot read the time window 'yesterday' to 'now'"):
        window(run_at, "yesterday", "now")
    with pytest.raises(CronError, match="cannot read the time window '-1h' to 'soon'"):
        window(run_at, "-1h", "soon")


def test_utc() -> None:
    assert utc(1704070800) == _t("2024-01-01 01:00")
    assert utc(0).tzinfo is UTC


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("*/5/2 * * * *", "bad step in '*/5/2'"),
        ("1-2-3 * * * *", "bad range in '1-2-3'"),
    ],
)
def test_one_step_and_one_range_per_part(cron: str, message: str) -> None:
    with pytest.raises(CronError, match=re.escape(message)):
        next_run(cron, _t("2024-01-01 00:00"))


def test_a_step_of_two_from_a_start_value() -> None:
    assert _runs("5/2 * * * *", "2024-01-01 00:00", 3) == [
        "2024-01-01 00:05",
        "2024-01-01 00:07",
        "2024-01-01 00:09",
    ]


def test_the_search_looks_366_days_ahead() -> None:
    # 2024 is a leap year: 2024-02-29 00:00 is exactly 366 days after 2023-02-28 00:00
    assert next_run("0 0 29 2 *", _t("2023-02-28 00:00")) == _t("2024-02-29 00:00")
    with pytest.raises(CronError, match="never fires"):
        next_run("1 0 29 2 *", _t("2023-02-28 00:00"))
