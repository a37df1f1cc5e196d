"""The ``sparkline`` aggregation of ``stats``/``chart`` (Search Reference "Statistical and charting
functions": ``sparkline([<agg>(<field>)], [<span>])``).

Its value is a multivalue field: the marker ``##__SPARKLINE__##`` then the aggregation (``count``
by default; ``count``, ``dc``, ``sum``, ``avg``, ``min``, ``max`` of a field) per time bucket,
oldest first. Buckets span from the group's first to its last event (Splunk spans the whole
search time range, which a local run does not have); the default span makes about 20 buckets.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..values import as_list, to_number, to_str

Event = dict[str, Any]
MARKER = "##__SPARKLINE__##"
_SPEC = re.compile(r"^\s*(?:(\w+)\s*(?:\(\s*([^)]*?)\s*\))?)?\s*(?:,\s*(\S+))?\s*$")


def parse_spec(spec: str | None) -> tuple[str, str | None, float | None] | None:
    """(function, field, span seconds) of the argument text, ``None`` when malformed."""
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
    return func, m.group(2) or None, span


class Sparkline:
    """An aggregation state (the interface of :class:`contentkit.spl.commands.stats.Agg`)."""

    def __init__(self, spec: tuple[str, str | None, float | None]) -> None:
        self.func, self.field, self.span = spec
        self.points: list[tuple[float, list[Any]]] = []

    def add(self, values: list[Any], event: Event) -> None:
        t = to_number(event.get("_time"))
        if t is None:
            return
        vals = [1] if self.field is None else as_list(event.get(self.field))
        self.points.append((float(t), vals))

    def result(self) -> Any:
        if not self.points:
            return [MARKER]
        lo = min(t for t, _ in self.points)
        hi = max(t for t, _ in self.points)
        span = self.span or max(1.0, math.ceil((hi - lo) / 20) or 1.0)
        n = int((hi - lo) // span) + 1
        buckets: list[list[Any]] = [[] for _ in range(n)]
        for t, vals in self.points:
            buckets[int((t - lo) // span)].extend(vals)
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
