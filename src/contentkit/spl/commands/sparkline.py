"""The ``sparkline`` aggregation of ``stats``/``chart`` (Search Reference "Statistical and charting
functions": ``sparkline([<agg>(<field>)], [<span>])``).

Its value is a multivalue field: the marker ``##__SPARKLINE__##`` then the aggregation (``count``
by default; ``count``, ``dc``, ``sum``, ``avg``, ``min``, ``max`` of a field) per time bucket,
oldest first. Every group's sparkline spans the same time axis, as in Splunk where they all span
the search's time range so that they can be compared row by row: here the range from the first
to the last event the command saw (a local run has no search time range), in buckets aligned to
multiples of the span (as ``bin`` aligns them); without a span, about 20 buckets of whole
seconds.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..values import as_list, to_number, to_str

Event = dict[str, Any]
MARKER = "##__SPARKLINE__##"
_SPEC = re.compile(r"^\s*(?:(\w+)\s*(?:\(\s*([^)]*?)\s*\))?)?\s*(?:,\s*(\S+))?\s*$")


class SparklineSpec:
    """What one ``sparkline(...)`` computes, and the time range shared by all of its groups."""

    def __init__(self, func: str, field: str | None, span: float | None) -> None:
        self.func, self.field, self.span = func, field, span
        self.lo: float | None = None
        self.hi: float | None = None

    def see(self, t: float) -> None:
        if self.lo is None or t < self.lo:
            self.lo = t
        if self.hi is None or t > self.hi:
            self.hi = t


def parse_spec(spec: str | None) -> SparklineSpec | None:
    """The function, field and span (seconds) of the argument text, ``None`` when malformed."""
    from .text import span_seconds

    m = _SPEC.match(spec or "")
    if not m:
        return None
    func = (m.group(1) or "count").lower()
    if func not in ("count", "c", "dc", "sum", "avg", "min", "max"):
        return None
    span = span_seconds(m.group(3)) if m.group(3) else None
    if m.group(3) and not span:
        return None
    return SparklineSpec(func, m.group(2) or None, span)


class Sparkline:
    """An aggregation state (the interface of :class:`contentkit.spl.commands.stats.Agg`)."""

    def __init__(self, spec: SparklineSpec) -> None:
        self.spec = spec
        self.func, self.field = spec.func, spec.field
        self.points: list[tuple[float, list[Any]]] = []

    def add(self, values: list[Any], event: Event) -> None:
        t = to_number(event.get("_time"))
        if t is None:
            return
        vals = [1] if self.field is None else as_list(event.get(self.field))
        self.points.append((float(t), vals))
        self.spec.see(float(t))

    def result(self) -> Any:
        lo, hi = self.spec.lo, self.spec.hi
        if lo is None or hi is None:
            return [MARKER]
        span = self.spec.span or max(1.0, math.ceil((hi - lo) / 20) or 1.0)
        first = math.floor(lo / span)
        n = math.floor(hi / span) - first + 1
        buckets: list[list[Any]] = [[] for _ in range(n)]
        for t, vals in self.points:
            buckets[math.floor(t / span) - first].extend(vals)
        out: list[Any] = [MARKER]
        for b in buckets:
            out.append(_apply(self.func, b))
        return out


def _apply(func: str, vals: list[Any]) -> Any:
    if func in ("count", "c"):
        return len(vals)
    if func == "dc":
        return len({to_str(v) for v in vals})
    nums = [n for n in (to_number(v) for v in vals) if n is not None]
    if not nums:
        return 0 if func == "sum" else ""
    if func == "sum":
        return sum(nums)
    if func == "avg":
        return sum(nums) / len(nums)
    return min(nums) if func == "min" else max(nums)
