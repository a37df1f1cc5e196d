"""Time buckets of ``bin``/``bucket`` and ``timechart`` (Search Reference "bin": span forms).

A span is ``<int><unit>`` with units ``s`` (sec, secs, second, seconds), ``m`` (min, mins,
minute, minutes), ``h`` (hr, hrs, hour, hours), ``d`` (day, days), ``w`` (week, weeks), ``mon``
(month, months), ``q`` (qtr, qtrs, quarter, quarters) and ``y`` (yr, yrs, year, years), or
subseconds ``ms``/``us``/``cs``/``ds``. Seconds to weeks bucket by epoch arithmetic (UTC);
months, quarters and years by the calendar (first day of the month, of the quarter, of the
year). ``aligntime`` shifts the buckets to start at a given time; ``bins=N`` picks the smallest
span of a fixed ladder that makes at most N buckets over the data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_SECONDS = {
    "": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
    "ms": 0.001,
    "cs": 0.01,
    "ds": 0.1,
    "us": 0.000001,
}
_MONTHS = {
    "mon": 1,
    "month": 1,
    "months": 1,
    "q": 3,
    "qtr": 3,
    "qtrs": 3,
    "quarter": 3,
    "quarters": 3,
    "y": 12,
    "yr": 12,
    "yrs": 12,
    "year": 12,
    "years": 12,
}
#: spans tried by ``bins=N`` on time, smallest first
LADDER = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 86400, 7 * 86400)


def parse_span(text: str) -> tuple[float, int] | None:
    """(seconds, 0) or (0, months) of a span; ``None`` when it is not one."""
    m = _SPAN.match(text)
    if not m:
        return None
    n = float(m.group(1))
    unit = m.group(2).lower()
    if n <= 0:
        return None
    if unit in _SECONDS:
        return n * _SECONDS[unit], 0
    if unit in _MONTHS and n.is_integer():
        return 0.0, int(n) * _MONTHS[unit]
    return None


def _number(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


#: the times a calendar date exists for (years 1 to 9999), in epoch seconds
DATE_RANGE = (-62135596800.0, 253402300800.0)


def in_date_range(t: float) -> bool:
    """Whether a calendar date exists for the epoch time ``t`` (not for ``inf``, year 10000)."""
    return DATE_RANGE[0] <= t < DATE_RANGE[1]


def bucketer(span: tuple[float, int], align: float = 0.0) -> Callable[[float], float | int | None]:
    """The start of the bucket of a time, for a parsed span (``align``: a bucket starts there);
    ``None`` for a time a calendar span cannot place (outside :data:`DATE_RANGE`)."""
    seconds, months = span
    if months:

        def by_month(t: float) -> float | int | None:
            if not in_date_range(t):
                return None
            dt = datetime.fromtimestamp(t, UTC)
            index = (dt.year * 12 + dt.month - 1) // months * months
            year, month = divmod(index, 12)
            return _number(datetime(year, month + 1, 1, tzinfo=UTC).timestamp())

        return by_month

    def by_seconds(t: float) -> float | int:
        return _number(math.floor((t - align) / seconds) * seconds + align)

    return by_seconds


def next_bucket(start: float, span: tuple[float, int]) -> float | int:
    """The start of the bucket after the one starting at ``start``."""
    seconds, months = span
    if not months:
        return _number(start + seconds)
    dt = datetime.fromtimestamp(start, UTC)
    index = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(index, 12)
    return _number(datetime(year, month + 1, 1, tzinfo=UTC).timestamp())


def span_for_bins(lo: float, hi: float, bins: int) -> tuple[float, int]:
    """The smallest span of :data:`LADDER` giving at most ``bins`` buckets over [lo, hi]."""
    width = max(hi - lo, 0.0)
    for s in LADDER:
        if width / s < bins:
            return float(s), 0
    return 0.0, 1 if width / (31 * 86400) < bins else 12
