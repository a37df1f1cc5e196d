"""When a scheduled search runs and which events its time window sees.

Cron expressions (five fields, with `*`, lists, ranges and steps, and Splunk's use of them) and
Splunk relative time modifiers (`-70m@m`, `-1d@d`, `now`, `0`) — enough to place a test's events
where the detection's own schedule would look for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contentkit.spl.functions import relative_time

_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


class CronError(ValueError):
    pass


def _parse_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"bad step in {text!r}")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            if not (a.isdigit() and b.isdigit()):
                raise CronError(f"bad range in {text!r}")
            start, end = int(a), int(b)
        elif part.isdigit():
            start = int(part)
            end = high if step > 1 else start
        else:
            raise CronError(f"bad value {part!r}")
        sunday_as_seven = high == 6 and end == 7
        if (start < low or end > high or start > end) and not sunday_as_seven:
            raise CronError(f"{text!r} is out of range {low}-{high}")
        values.update(v % 7 if high == 6 else v for v in range(start, end + 1, step))
    return values


def next_run(cron: str, after: datetime) -> datetime:
    """The first time strictly after `after` (UTC, whole minutes) that `cron` fires."""
    fields = cron.split()
    if len(fields) != 5:
        raise CronError(f"{cron!r}: a cron schedule has five fields")
    minutes, hours, days, months, weekdays = (
        _parse_field(f, lo, hi) for f, (lo, hi) in zip(fields, _FIELDS, strict=True)
    )
    day_restricted, weekday_restricted = fields[2] != "*", fields[4] != "*"
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(366 * 24 * 60):
        weekday = (t.weekday() + 1) % 7  # cron: 0 is Sunday
        if day_restricted and weekday_restricted:
            day_ok = t.day in days or weekday in weekdays
        else:
            day_ok = t.day in days and weekday in weekdays
        if t.month in months and day_ok and t.hour in hours and t.minute in minutes:
            return t
        t += timedelta(minutes=1)
    raise CronError(f"{cron!r} never fires")


def window(run_at: datetime, earliest: str, latest: str) -> tuple[float, float]:
    """(earliest, latest) epoch seconds of a search dispatched at `run_at`."""
    base = run_at.timestamp()
    start = 0.0 if earliest.strip() in {"0", ""} else relative_time(base, earliest)
    end = base if latest.strip() in {"now", ""} else relative_time(base, latest)
    if start is None or end is None:
        raise CronError(f"cannot read the time window {earliest!r} to {latest!r}")
    return start, end


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
