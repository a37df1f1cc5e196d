"""Charting and table pivots: ``chart``, ``timechart``, ``xyseries``, ``untable`` and
``makecontinuous`` (Search Reference pages of the same names).

``chart`` and ``timechart`` aggregate with the same functions as ``stats``; with a split-by
field each of its values becomes a column (``<func>: <value>`` when there are several
aggregations), the ``limit`` most important columns (by the sum of the first aggregation) are
kept and the rest fold into ``OTHER`` (``useother=f`` drops them); events without the split-by
field go to ``NULL`` (``usenull=f`` drops them). ``timechart`` buckets ``_time`` by ``span`` and
returns one row per bucket in between the first and last one (counts of empty buckets are 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..errors import SplError
from ..lexer import search_word
from ..resultorder import sorted_keys
from ..timebins import parse_span
from ..values import as_list, option_flag, to_number, to_str
from . import register
from .stats import (
    Aggregation,
    _agg_spl,
    _Grouper,
    expand_wildcards,
    parse_aggregations,
)
from .text import span_seconds

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]


def _key_str(v: Any) -> str:
    return to_str(v)


def _pivot(
    events: list[Event],
    aggs: tuple[Aggregation, ...],
    row_of: Any,
    col_field: str | None,
    opts: dict[str, str],
    ctx: Context,
    pos: int,
) -> tuple[dict[Any, dict[str, Any]], list[str]]:
    """Rows (row key -> cells) and the ordered column names of a chart."""
    g = _Grouper(aggs, (), ctx, pos)
    multi = len(aggs) > 1
    limit_text = opts.get("limit", "10")
    limit = int(to_number(limit_text) or 0) if limit_text.lower() != "none" else 0
    useother = option_flag(opts.get("useother"), True)
    usenull = option_flag(opts.get("usenull"), True)
    otherstr = opts.get("otherstr", "OTHER")
    nullstr = opts.get("nullstr", "NULL")

    def cols_of(e: Event) -> list[str]:
        if col_field is None:
            return [""]
        vals = as_list(e.get(col_field))
        if not vals:
            return [nullstr] if usenull else []
        return [_key_str(v) for v in vals]

    # which split-by values become columns
    rename: dict[str, str] = {}
    if col_field is not None and limit > 0:
        first = _Grouper(aggs[:1], (), ctx, pos)
        totals: dict[str, list[Any]] = {}
        for e in events:
            for c in cols_of(e):
                state = totals.setdefault(c, first.new_state())
                first.add(state, e)
        score = {c: to_number(s[0].result()) or 0 for c, s in totals.items()}
        ranked = sorted(score, key=lambda c: -score[c])
        for c in ranked[limit:]:
            rename[c] = otherstr if useother else ""
    groups: dict[tuple[Any, str], list[Any]] = {}
    rows_seen: dict[Any, None] = {}
    cols_seen: dict[str, None] = {}
    for e in events:
        r = row_of(e)
        if r is None:
            continue
        for c in cols_of(e):
            c = rename.get(c, c)
            if col_field is not None and c == "" and rename:
                continue  # folded away with useother=f
            cell = groups.get((r, c))
            if cell is None:
                cell = groups[(r, c)] = g.new_state()
            g.add(cell, e)
            rows_seen.setdefault(r)
            cols_seen.setdefault(c)
    rows: dict[Any, dict[str, Any]] = {r: {} for r in rows_seen}
    for (r, c), state in groups.items():
        for a, agg in zip(aggs, state, strict=True):
            v = agg.result()
            name = a.output_name if col_field is None else (f"{a.output_name}: {c}" if multi else c)
            if v is not None:
                rows[r][name] = v
    if col_field is None:
        columns = [a.output_name for a in aggs]
    else:
        ordered = [
            k[0] for k in sorted_keys((c,) for c in cols_seen if c not in (otherstr, nullstr))
        ]
        ordered += [c for c in (nullstr, otherstr) if c in cols_seen]
        columns = [f"{a.output_name}: {c}" for a in aggs for c in ordered] if multi else ordered
    return rows, columns


def _fill_counts(row: dict[str, Any], columns: list[str], aggs: tuple[Aggregation, ...]) -> None:
    """Counts are 0 (not empty) where a column has no events (as chart/timechart show them)."""
    if all(a.func in ("count", "c", "dc", "distinct_count") for a in aggs):
        for c in columns:
            row.setdefault(c, 0)


def _parse_chart_args(
    p: Parser, command: str
) -> tuple[dict[str, str], tuple[Aggregation, ...], list[str]]:
    opts = p.parse_options()
    aggs = parse_aggregations(p, command, stop=("by", "over"))
    if not aggs:
        raise p.error(f"{command} needs at least one aggregation function", p.peek().pos)
    fields: list[str] = []
    if p.accept_word("over"):
        fields.append(p.field_name("a field after OVER"))
    if p.accept_word("by"):
        fields.extend(p.parse_field_list())
    opts.update(p.parse_options())
    p.end_of_command(command)
    return opts, tuple(aggs), fields


@register("chart")
@dataclass(frozen=True)
class ChartCommand(Command):
    """``chart <aggs> [OVER <row>] [BY <column>]`` or ``chart <aggs> BY <row> [<column>]``."""

    name = "chart"
    options: tuple[tuple[str, str], ...] = ()
    aggregations: tuple[Aggregation, ...] = ()
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ChartCommand:
        opts, aggs, fields = _parse_chart_args(p, "chart")
        if len(fields) > 2:
            raise p.error("chart takes at most two fields (OVER <row> BY <column>)", name.pos)
        return cls(tuple(opts.items()), aggs, tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        parts = [_agg_spl(self.options, self.aggregations, ())]
        if self.fields:
            parts.append(f"OVER {search_word(self.fields[0])}")
        if len(self.fields) > 1:
            parts.append(f"BY {search_word(self.fields[1])}")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        row_field = self.fields[0] if self.fields else None
        col_field = self.fields[1] if len(self.fields) > 1 else None
        evs = list(events)
        if row_field is None:

            def row_of(e: Event) -> Any:
                return ""

        else:

            def row_of(e: Event) -> Any:
                v = as_list(e.get(row_field))
                return _key_str(v[0]) if v else None  # events without the row field drop out

        aggregations = expand_wildcards(self.aggregations, evs)
        if not aggregations:  # wildcards that matched no field
            return
        rows, columns = _pivot(evs, aggregations, row_of, col_field, opts, ctx, self.pos)
        if row_field is None:
            row = rows.get("", {})
            _fill_counts(row, columns, aggregations)
            yield row
            return
        for (k,) in sorted_keys((r,) for r in rows):
            out: Event = {row_field: k}
            out.update(rows[k])
            _fill_counts(out, columns, aggregations)
            yield {c: out[c] for c in [row_field, *columns] if c in out}


_DEFAULT_SPANS = ((3600, 60), (86400, 1800), (7 * 86400, 86400))


def _auto_span(lo: float, hi: float) -> float:
    width = hi - lo
    for limit, span in _DEFAULT_SPANS:
        if width <= limit:
            return span
    return 86400.0


@register("timechart")
@dataclass(frozen=True)
class TimechartCommand(Command):
    """``timechart [span=<span>] [limit=N] [useother=] [usenull=] <aggs> [BY <field>]``."""

    name = "timechart"
    options: tuple[tuple[str, str], ...] = ()
    aggregations: tuple[Aggregation, ...] = ()
    by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> TimechartCommand:
        opts, aggs, fields = _parse_chart_args(p, "timechart")
        if len(fields) > 1:
            raise p.error("timechart takes one BY field", name.pos)
        span = opts.get("span")
        if span is not None and parse_span(span.split("@")[0]) is None:
            raise p.error(f"timechart: invalid span {span!r}", name.pos)
        return cls(tuple(opts.items()), aggs, tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        return _agg_spl(self.options, self.aggregations, self.by)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..timebins import bucketer, in_date_range, next_bucket, parse_span

        opts = dict(self.options)
        evs = []  # the events whose _time is a time (an infinite one or year 10000 is not)
        times = []
        for e in events:
            t = to_number(e.get("_time"))
            if t is not None and in_date_range(t):
                evs.append(e)
                times.append(float(t))
        span_text = opts.get("span")
        if span_text is not None:
            span = parse_span(span_text.split("@")[0])
            if span is None:
                raise SplError(f"timechart: invalid span {span_text!r}", self.pos, ctx.text)
        elif times:
            span = (_auto_span(min(times), max(times)), 0)
        else:
            span = (1800.0, 0)
        to_bucket = bucketer(span)

        def bucket(e: Event) -> Any:
            return to_bucket(float(to_number(e.get("_time")) or 0))

        col = self.by[0] if self.by else None
        aggregations = expand_wildcards(self.aggregations, evs)
        if not aggregations:  # wildcards that matched no field
            return
        rows, columns = _pivot(evs, aggregations, bucket, col, opts, ctx, self.pos)
        if not rows:
            return
        t, last = min(rows), max(rows)
        span_field = span[0] if not span[1] else None
        while t <= last:
            out: Event = {"_time": t}
            out.update(rows.get(t, {}))
            _fill_counts(out, columns, aggregations)
            row = {c: out[c] for c in ["_time", *columns] if c in out}
            nxt = next_bucket(t, span)
            width = span_field if span_field is not None else nxt - t
            row["_span"] = int(width) if float(width).is_integer() else width
            yield row
            t = nxt


@register("xyseries")
@dataclass(frozen=True)
class XyseriesCommand(Command):
    """``xyseries [grouped=<bool>] [sep=<str>] <x-field> <y-name-field> <y-data-field>...``:
    one row per x value, one column per y name (``<data>: <name>`` with several data fields)."""

    name = "xyseries"
    options: tuple[tuple[str, str], ...] = ()
    x: str = ""
    y: str = ""
    data: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> XyseriesCommand:
        opts = p.parse_options()
        fields = p.parse_field_list()
        opts.update(p.parse_options())
        p.end_of_command("xyseries")
        if len(fields) < 3:
            raise p.error("xyseries needs <x-field> <y-name-field> <y-data-field>", name.pos)
        return cls(tuple(opts.items()), fields[0], fields[1], tuple(fields[2:]), pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.extend(search_word(f) for f in (self.x, self.y, *self.data))
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        sep = dict(self.options).get("sep", ": ")
        rows: dict[str, Event] = {}
        for e in events:
            xv = e.get(self.x)
            yv = e.get(self.y)
            if xv is None or yv is None:
                continue
            key = to_str(xv)
            row = rows.setdefault(key, {self.x: xv})
            for d in self.data:
                v = e.get(d)
                if v is None:
                    continue
                col = to_str(yv) if len(self.data) == 1 else f"{d}{sep}{to_str(yv)}"
                row[col] = v
        yield from rows.values()


@register("untable")
@dataclass(frozen=True)
class UntableCommand(Command):
    """``untable <x-field> <y-name-field> <y-data-field>``: the inverse of ``xyseries``."""

    name = "untable"
    x: str = ""
    y: str = ""
    data: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> UntableCommand:
        fields = p.parse_field_list()
        p.end_of_command("untable")
        if len(fields) != 3:
            raise p.error("untable needs <x-field> <y-name-field> <y-data-field>", name.pos)
        return cls(fields[0], fields[1], fields[2], pos=name.pos)

    def args_spl(self) -> str:
        return " ".join(search_word(f) for f in (self.x, self.y, self.data))

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        for e in events:
            xv = e.get(self.x)
            for k, v in e.items():
                if k == self.x or k.startswith("_") or v is None:
                    continue
                yield {self.x: xv, self.y: k, self.data: v}


@register("makecontinuous")
@dataclass(frozen=True)
class MakecontinuousCommand(Command):
    """``makecontinuous [<field>] span=<span> [start=] [end=]``: rows for the missing buckets."""

    name = "makecontinuous"
    options: tuple[tuple[str, str], ...] = ()
    field: str = "_time"

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MakecontinuousCommand:
        opts = p.parse_options()
        fields = p.parse_field_list()
        opts.update(p.parse_options())
        p.end_of_command("makecontinuous")
        if len(fields) > 1:
            raise p.error("makecontinuous takes one field", name.pos)
        span = opts.get("span")
        if span is not None and span_seconds(span) is None:
            raise p.error(f"makecontinuous: invalid span {span!r}", name.pos)
        return cls(tuple(opts.items()), fields[0] if fields else "_time", pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.append(search_word(self.field))
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        span = span_seconds(opts.get("span", "1")) or 1.0
        evs = list(events)
        by_bucket: dict[float, list[Event]] = {}
        others: list[Event] = []
        for e in evs:
            n = to_number(e.get(self.field))
            if n is None:
                others.append(e)
                continue
            by_bucket.setdefault(math.floor(n / span) * span, []).append(e)
        if not by_bucket:
            yield from evs
            return
        lo = min(by_bucket)
        hi = max(by_bucket)
        if "start" in opts and to_number(opts["start"]) is not None:
            lo = min(lo, math.floor(float(to_number(opts["start"]) or 0) / span) * span)
        if "end" in opts and to_number(opts["end"]) is not None:
            hi = max(hi, math.floor(float(to_number(opts["end"]) or 0) / span) * span)
        for i in range(round((hi - lo) / span) + 1):
            b = lo + i * span
            found = by_bucket.get(b)
            if found:
                yield from found
            else:
                yield {self.field: int(b) if float(b).is_integer() else b}
        yield from others
