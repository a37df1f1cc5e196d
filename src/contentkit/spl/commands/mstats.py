"""``mstats``: statistics over metric data points (Search Reference, "mstats").

Locally there is no metrics index: the events of the search's datasets are read as metric data
points (see :mod:`contentkit.spl.metrics`), the WHERE clause selects points by ``index``,
``metric_name`` and dimensions, and the aggregation reuses ``stats`` (and ``tstats``'s span
bucketing).  Time terms in WHERE (``earliest=-1h``, ``latest=``) select nothing here, as in the
engine's ``search``: a local run has no time range.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import And, Command, Compare, SearchExpr
from ..errors import SplError
from ..lexer import Token, search_word
from ..values import option_flag, wildcard_regex
from . import register
from .stats import Aggregation, StatsCommand, parse_aggregations, wildcard_aggregations

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]

#: the functions of the page's <stats-func> table (perc<N>/upperperc<N> below), run by stats
_FUNCS = frozenset(
    {
        "avg",
        "count",
        "max",
        "min",
        "median",
        "range",
        "stdev",
        "stdevp",
        "sum",
        "sumsq",
        "var",
        "varp",
        "rate",
        "earliest",
        "latest",
        "earliest_time",
        "latest_time",
    }
)
_PERC = re.compile(r"^(?:perc|upperperc)\d+(?:\.\d+)?$")
#: mstats functions of the page the engine does not compute
_NOT_SUPPORTED_FUNCS = frozenset({"rate_avg", "rate_sum"})
#: options with no effect on a local run (no real-time search, no chunked index reads)
_NO_EFFECT = frozenset({"backfill", "update_period", "chunk_size"})

#: the internal name of a metric's values in the rows mstats aggregates (never a dimension)
_VALUE_PREFIX = "\x00metric:"


def _take_spans(expr: SearchExpr | None) -> tuple[SearchExpr | None, list[Compare]]:
    """``expr`` without its top-level ``span=``/``every=`` terms (``WHERE ... span=10s`` is
    allowed), and those terms."""
    if expr is None:
        return None, []
    items = expr.items if isinstance(expr, And) else (expr,)
    spans = [i for i in items if isinstance(i, Compare) and i.field.lower() in ("span", "every")]
    if not spans:
        return expr, []
    rest = tuple(i for i in items if i not in spans)
    if not rest:
        return None, spans
    return (rest[0] if len(rest) == 1 else And(rest)), spans


@register("mstats")
@dataclass(frozen=True)
class MstatsCommand(Command):
    """``mstats [options] <func>(<metric_name>|_value) [AS <name>] ... WHERE <logical-expression>
    [BY|GROUPBY <dimensions>] [span=<time>]``."""

    name = "mstats"
    generating = True
    options: tuple[tuple[str, str], ...] = ()
    aggregations: tuple[Aggregation, ...] = ()
    where: SearchExpr | None = None
    by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MstatsCommand:
        from .tstats import parse_by_clause, span_seconds

        options = p.parse_options()
        try:
            aggs = parse_aggregations(p, "mstats", stop=("where", "by", "groupby"))
        except SplError:
            tok = p.peek()  # stats does not know mstats's own rate_avg/rate_sum
            if tok.value.lower() in _NOT_SUPPORTED_FUNCS:
                raise p.error(f"mstats: {tok.value.lower()} is not supported", tok.pos) from None
            raise
        if not aggs:
            raise p.error("mstats needs at least one statistical function", p.peek().pos)
        for a in aggs:
            _check_aggregation(p, a)
        named = [a for a in aggs if a.field != "_value"]
        if named and len(named) != len(aggs):
            raise p.error(
                "mstats cannot mix <func>(_value) with <func>(<metric_name>) in one search",
                aggs[0].pos,
            )
        options.update(p.parse_options())
        if not p.accept_word("where"):
            raise p.error(
                "mstats needs a WHERE clause (at least the index, as in WHERE index=<metrics>)",
                p.peek().pos,
            )
        where, spans = _take_spans(p.parse_search_expr(stop_words=("by", "groupby")))
        for s in spans:
            options[s.field.lower()] = s.value
        by = parse_by_clause(
            p, options, ("by", "groupby"), "mstats BY needs at least one dimension"
        )
        options.update(p.parse_options())
        p.end_of_command("mstats")
        for key, value in options.items():
            low = key.lower()
            if low == "span":
                try:
                    span_seconds(value)
                except SplError as exc:
                    raise p.error(f"mstats: {exc.message}", name.pos) from None
            elif low in ("prestats", "chart") and option_flag(value.strip(), False):
                raise p.error(f"mstats: {low}=true is not supported", name.pos)
            elif low.startswith("chart.") or low == "every":
                raise p.error(f"mstats: {key} is not supported", name.pos)
            elif low not in {"prestats", "chart", "append", "fillnull_value"} | _NO_EFFECT:
                raise p.error(f"mstats: unknown option {key!r}", name.pos)
        append, prestats = (options.get(k, "f").strip() for k in ("append", "prestats"))
        if option_flag(append, False) and not option_flag(prestats, False):
            raise p.error(
                "mstats: append=true is not supported (it is valid only with prestats=true)",
                name.pos,
            )
        opts = tuple((k.lower(), v) for k, v in options.items())
        return cls(opts, tuple(aggs), where, tuple(by), pos=name.pos)

    def args_spl(self) -> str:
        opts = dict(self.options)
        span = opts.pop("span", None)
        parts = [f"{k}={search_word(v)}" for k, v in opts.items()]
        parts.extend(a.to_spl() for a in self.aggregations)
        parts.append("WHERE " + (self.where.to_spl() if self.where is not None else ""))
        if self.by:
            parts.append("BY " + " ".join(search_word(b) for b in self.by))
        if span is not None:
            parts.append(f"span={search_word(span)}")
        return " ".join(p.strip() for p in parts)

    def starts_pipeline(self) -> bool:
        return True

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if any("*" in (a.field or "") for a in self.aggregations):
            return None  # one field per metric the wildcard matches: known from the data only
        return self._group_by() + [a.output_name for a in self.aggregations]

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return None

    def _group_by(self) -> list[str]:
        by = list(self.by)
        if "span" in dict(self.options) and "_time" not in by:
            by.insert(0, "_time")  # a span groups by time buckets
        return by

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..matching import compile_search
        from ..metrics import data_points
        from .tstats import _bin_time, _fill_by, span_seconds

        opts = {k.lower(): v for k, v in self.options}
        keep = compile_search(self.where, ctx) if self.where is not None else None
        # <func>(<metric_name>) reads the data points of the metrics it names only
        fields = [a.field or "" for a in self.aggregations]
        named = (
            None
            if "_value" in fields
            else [wildcard_regex(f, case_sensitive=True).fullmatch for f in fields]
        )
        rows: list[Event] = []
        names: set[str] = set()
        for point in data_points(self._events(ctx)):
            if named is not None and not any(m(point["metric_name"]) for m in named):
                continue
            if keep is not None and not keep(point):
                continue
            metric = point["metric_name"]
            point[_VALUE_PREFIX + metric] = point["_value"]
            names.add(metric)
            rows.append(point)
        aggregations = tuple(a for agg in self.aggregations for a in _concrete(agg, names))
        by = tuple(self._group_by())
        stream: Iterator[Event] = iter(rows)
        span = opts.get("span")
        if span is not None:
            stream = _bin_time(stream, span_seconds(span))
        fill = opts.get("fillnull_value")
        if fill is not None and by:
            stream = _fill_by(stream, by, fill)
        if not aggregations:  # a wildcard that matched no metric
            return
        yield from StatsCommand((), aggregations, by, pos=self.pos).execute(stream, ctx)

    def _events(self, ctx: Context) -> Iterator[Event]:
        """The events of the datasets the WHERE clause's index/source/sourcetype terms select
        (``host`` may be a dimension of the data point, so it selects no file)."""
        from ..executor import DatasetSource
        from ..matching import metadata_filter

        source = ctx.source
        if source is None:
            return
        saved = ctx.needed_fields
        ctx.needed_fields = None
        try:
            if isinstance(source, DatasetSource):
                terms = [t for t in metadata_filter(self.where) if t.field.lower() != "host"]
                expr: SearchExpr | None = None
                if terms:
                    expr = terms[0] if len(terms) == 1 else And(tuple(terms))
                yield from source.events(expr, ctx)
            else:
                yield from source.events(None, ctx)
        finally:
            ctx.needed_fields = saved


def _check_aggregation(p: Parser, a: Aggregation) -> None:
    func = a.func
    if func in _NOT_SUPPORTED_FUNCS:
        raise p.error(f"mstats: {func} is not supported", a.pos)
    if func not in _FUNCS and not _PERC.match(func):
        raise p.error(f"unknown mstats function {func!r}", a.pos)
    if a.expr is not None or not a.field:
        raise p.error(
            f"mstats: {func} needs a metric name or _value, as in {func}(cpu.util)", a.pos
        )
    wild = "*" in a.field
    if wild and a.alias is not None and a.alias.count("*") != 1:
        raise p.error(
            f"mstats: the name after AS for the wildcard metric {a.field} needs one '*'", a.pos
        )
    if not wild and a.alias is not None and "*" in a.alias:
        raise p.error("mstats: '*' in the name after AS needs a wildcard metric name", a.pos)


def _concrete(agg: Aggregation, names: set[str]) -> list[Aggregation]:
    """The stats aggregations of one mstats function: over ``_value`` as it is, over one metric,
    or one per metric a wildcard matches (see :func:`.stats.wildcard_aggregations`)."""
    field = agg.field or ""
    if field == "_value":
        return [agg]
    if "*" not in field:
        return [dataclasses.replace(agg, field=_VALUE_PREFIX + field, alias=agg.output_name)]
    return wildcard_aggregations(agg, names, lambda metric: _VALUE_PREFIX + metric)
