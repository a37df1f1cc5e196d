"""``tstats`` (over data models and over indexes), ``from datamodel:...`` and ``datamodel``.

Locally nothing is accelerated: these commands read the raw events of the search's datasets,
apply the loaded apps' search-time knowledge and the data model's constraints and calculations
(see ``spl.datamodels``), and aggregate like ``stats``.  ``summariesonly``,
``allow_old_summaries``, ``chunk_size``, ``local`` and ``include_reduced_buckets`` therefore do
not change the results; ``fillnull_value`` fills ``by`` fields that are null instead of dropping
the row, as Splunk documents.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import And, Command, Compare, InList, Not, Or, SearchExpr
from ..errors import SplError
from ..lexer import Kind, Token, search_word
from . import register
from .stats import Aggregation, StatsCommand, parse_aggregations

if TYPE_CHECKING:
    from ..datamodels import DataModel, Dataset
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]

#: the indexed fields every event has (what ``tstats`` without a data model can see)
INDEXED_FIELDS = ("_time", "host", "source", "sourcetype", "index", "_raw")


def _model_of(ctx: Context, ref: str, pos: int) -> tuple[DataModel, list[Dataset]]:
    """The model and dataset(s) that ``Model[.Dataset]`` names (every root without a dataset)."""
    from ..datamodels import split_datamodel_ref

    model_name, ds_name = split_datamodel_ref(ref)
    if ctx.knowledge is None:
        raise SplError(
            f"app_unavailable: data model {model_name} needs the app that defines it "
            "(Splunk_SA_CIM for the CIM models); no app is loaded (use --app)",
            pos,
            ctx.text,
        )
    try:
        model = ctx.knowledge.datamodel(model_name)
    except KeyError:
        raise SplError(
            f"app_unavailable: no loaded app defines the data model {model_name}", pos, ctx.text
        ) from None
    try:
        datasets = [model.dataset(ds_name)] if ds_name else model.roots()
    except SplError as exc:
        raise SplError(exc.message, pos, ctx.text) from None
    return model, datasets


def _rename_fields(expr: SearchExpr | None, names: dict[str, str]) -> SearchExpr | None:
    """``expr`` over event fields instead of data-model fields, for the raw-text prefilter only:
    a term whose field is not a plain event field is dropped from a conjunction (weaker is
    safe), and makes an alternative or a negation unusable (``None``)."""
    if expr is None:
        return None
    if isinstance(expr, Compare | InList):
        target = names.get(expr.field)
        if target is None:
            return None
        return (
            Compare(target, expr.op, expr.value, value_quoted=True)
            if isinstance(expr, Compare)
            else InList(target, expr.values)
        )
    if isinstance(expr, And):
        items = [r for r in (_rename_fields(i, names) for i in expr.items) if r is not None]
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))
    if isinstance(expr, Or):
        alts = [_rename_fields(i, names) for i in expr.items]
        if any(a is None for a in alts):
            return None
        return Or(tuple(a for a in alts if a is not None))
    if isinstance(expr, Not):
        return None
    return expr  # free terms: matched against the raw text as they are


def datamodel_rows(
    ctx: Context,
    ref: str,
    pos: int,
    *,
    where: SearchExpr | None = None,
    wanted: set[str] | None = None,
    prefixed: bool = True,
    keep_event: bool = False,
) -> Iterator[Event]:
    """The events of a data model dataset as rows of its fields.

    ``prefixed``: fields named ``<lineage>.<field>`` (tstats, ``datamodel``) or by their own
    names (``from datamodel``); ``wanted``: only these (prefixed) fields, ``None`` all;
    ``keep_event``: the event's own fields too (``from``/``datamodel`` return events)."""
    from ..ast import search_fields
    from ..events import DEFAULT_FIELDS
    from ..executor import DatasetSource
    from ..matching import compile_search

    model, datasets = _model_of(ctx, ref, pos)
    for ds in datasets:
        names = model.field_names(ds)  # prefixed -> event field
        if not prefixed:
            names = {v: v for v in names.values()}
        calculated = model.calculated(ds)
        where_fields = search_fields(where) or set()
        nodename = wanted is None or "nodename" in wanted or "nodename" in where_fields
        fields = set(names) if wanted is None else set(wanted) | where_fields
        out_fields = [(p, names[p]) for p in sorted(fields) if p in names]
        constraint = model.constraint(ds)
        # events: every field the constraint, the calculations and the wanted fields read
        event_fields: set[str] | None = None  # all: `from` and `datamodel` return the events
        if not keep_event:
            event_fields = {e for _, e in out_fields} | set(DEFAULT_FIELDS)
            event_fields |= search_fields(constraint) or set()
            event_fields |= model.calculation_inputs(ds)
        plain = {p: e for p, e in names.items() if e not in calculated}
        prefilter = _rename_fields(where, plain)
        expr: SearchExpr | None = constraint
        if prefilter is not None:
            expr = prefilter if expr is None else And((expr, prefilter))
        saved = ctx.needed_fields
        ctx.needed_fields = None if event_fields is None else frozenset(event_fields)
        try:
            source = ctx.source
            if source is None:
                continue
            if isinstance(source, DatasetSource):
                events: Iterator[Event] = source.events(expr, ctx)
            else:
                events = source.events(None, ctx)
            matches = compile_search(constraint, ctx) if constraint is not None else None
            compute = model.calculator(ds, None if wanted is None else {e for _, e in out_fields})
            nodes = model.descendants(ds) if nodename else []
            node_preds = [
                (d.lineage, compile_search(c, ctx) if (c := model.constraint(d)) else None)
                for d in nodes
            ]
            keep = compile_search(where, ctx) if where is not None else None
            for event in events:
                if matches is not None and not matches(event):
                    continue
                compute(event)
                row: Event = dict(event) if keep_event else {}
                for p, e in out_fields:
                    value = event.get(e)
                    if value is not None:
                        row[p] = value
                for base in ("_time", "host", "source", "sourcetype", "index"):
                    if base in event:
                        row.setdefault(base, event[base])
                if node_preds:
                    hits = [lin for lin, pred in node_preds if pred is None or pred(event)]
                    row["nodename"] = hits if len(hits) > 1 else hits[0] if hits else None
                    if row["nodename"] is None:
                        del row["nodename"]
                if keep is not None and not keep(row):
                    continue
                yield row
        finally:
            ctx.needed_fields = saved


# ----------------------------------------------------------------------------- tstats
def parse_by_clause(
    p: Parser, options: dict[str, str], words: tuple[str, ...], empty: str
) -> list[str]:
    """The fields after one of ``words`` (none when absent), with the options that may stand
    between them (`by _time span=1h a b`) added to ``options``; ``empty``: the error when the
    word has no field after it."""
    by: list[str] = []
    if p.accept_word(*words):
        while True:
            more_by = p.parse_field_list()
            more_opts = p.parse_options()
            by += more_by
            options.update(more_opts)
            if not more_by and not more_opts:
                break
        if not by:
            raise p.error(empty, p.peek().pos)
    return by


def span_seconds(span: str) -> float:
    """Seconds of a ``span=`` (as ``bin`` reads it); a bad span is an error."""
    from .text import span_seconds as bin_span

    seconds = bin_span(span)
    if seconds is None or seconds <= 0:
        raise SplError(f"invalid span {span!r}")
    return seconds


@register("tstats")
@dataclass(frozen=True)
class TstatsCommand(Command):
    """``tstats [options] <aggregations> [FROM datamodel=<Model>[.<Dataset>]] [WHERE <search>]
    [BY <fields> [span=<span>]]``."""

    name = "tstats"
    generating = True
    options: tuple[tuple[str, str], ...] = ()
    aggregations: tuple[Aggregation, ...] = ()
    datamodel: str | None = None
    where: SearchExpr | None = None
    by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> TstatsCommand:
        options = p.parse_options()
        aggs = parse_aggregations(p, "tstats", stop=("from", "where", "by"))
        if not aggs:
            raise p.error("tstats needs at least one aggregation function", p.peek().pos)
        datamodel = None
        if p.accept_word("from"):
            tok = p.peek()
            if tok.is_word("datamodel"):
                more = p.parse_options()
                datamodel = more.pop("datamodel", None)
                if datamodel is None:
                    p.pos = tok.end
                    datamodel = p.field_name("a data model after FROM datamodel")
                options.update(more)
            elif tok.kind is Kind.WORD and tok.value.lower().startswith("datamodel:"):
                p.pos = tok.end
                datamodel = tok.value[10:]
            else:
                raise p.error("tstats FROM needs datamodel=<name>", tok.pos)
            if not datamodel:
                raise p.error("tstats FROM datamodel= needs a data model name", tok.pos)
        options.update(p.parse_options())
        where = None
        if p.accept_word("where"):
            where = p.parse_search_expr(stop_words=("by",))
        by = parse_by_clause(p, options, ("by",), "tstats BY needs at least one field")
        p.end_of_command("tstats")
        for key, value in options.items():
            if key == "span":
                try:
                    span_seconds(value)
                except SplError as exc:
                    raise p.error(exc.message, name.pos) from None
        return cls(tuple(options.items()), tuple(aggs), datamodel, where, tuple(by), pos=name.pos)

    def args_spl(self) -> str:
        opts = dict(self.options)
        span = opts.pop("span", None)
        parts = [f"{k}={search_word(v)}" for k, v in opts.items()]
        parts.extend(a.to_spl() for a in self.aggregations)
        if self.datamodel:
            parts.append(f"FROM datamodel={search_word(self.datamodel)}")
        if self.where is not None:
            parts.append("WHERE " + self.where.to_spl())
        if self.by:
            parts.append("BY " + ", ".join(search_word(b) for b in self.by))
        if span is not None:
            parts.append(f"span={search_word(span)}")
        return " ".join(parts)

    def starts_pipeline(self) -> bool:
        return True

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        return list(self.by) + [a.output_name for a in self.aggregations]

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return None

    def datamodels(self) -> list[str]:
        return [self.datamodel] if self.datamodel else []

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        if opts.get("prestats", "f").lower() in ("t", "true", "1"):
            raise SplError("unsupported: tstats prestats=true", self.pos, ctx.text)
        wanted = set(self.by)
        for a in self.aggregations:
            if a.field is not None:
                wanted.add(a.field)
        if self.datamodel:
            rows = datamodel_rows(ctx, self.datamodel, self.pos, where=self.where, wanted=wanted)
        else:
            rows = self._index_rows(ctx)
        aggregations = self.aggregations
        span = opts.get("span")
        if span is not None:
            # `_time` is bucketed for BY; the functions still see each event's own time
            rows = _bin_time(rows, span_seconds(span))
            aggregations = tuple(
                dataclasses.replace(a, field=_RAW_TIME) if a.field == "_time" else a
                for a in aggregations
            )
        fill = opts.get("fillnull_value")
        if fill is not None and self.by:
            rows = _fill_by(rows, self.by, fill)
        stats = StatsCommand((), aggregations, self.by, pos=self.pos)
        results = stats.execute(rows, ctx)
        if opts.get("append", "f").lower() in ("t", "true", "1"):
            yield from events
        yield from results

    def _index_rows(self, ctx: Context) -> Iterator[Event]:
        """Rows of the indexed fields of the events the WHERE clause selects."""
        from ..executor import DatasetSource
        from ..matching import compile_search

        source = ctx.source
        if source is None:
            return
        saved = ctx.needed_fields
        ctx.needed_fields = frozenset(INDEXED_FIELDS)
        try:
            if isinstance(source, DatasetSource):
                stream = source.events(self.where, ctx)
            else:
                stream = source.events(None, ctx)
            keep = compile_search(self.where, ctx) if self.where is not None else None
            for event in stream:
                row = {k: event[k] for k in INDEXED_FIELDS if k in event}
                if keep is not None and not keep(row):
                    continue
                row.pop("_raw", None)
                yield row
        finally:
            ctx.needed_fields = saved


_RAW_TIME = "\x00time"


def _bin_time(rows: Iterator[Event], seconds: float) -> Iterator[Event]:
    for row in rows:
        t = row.get("_time")
        if isinstance(t, int | float) and not math.isnan(t):
            row[_RAW_TIME] = t
            start = math.floor(t / seconds) * seconds
            row["_time"] = int(start) if float(start).is_integer() else start
        yield row


def _fill_by(rows: Iterator[Event], by: tuple[str, ...], value: str) -> Iterator[Event]:
    for row in rows:
        for f in by:
            if row.get(f) in (None, "", []):
                row[f] = value
        yield row


# ----------------------------------------------------------------------------- from / datamodel
@register("from")
@dataclass(frozen=True)
class FromCommand(Command):
    """``from datamodel:<Model>[.<Dataset>]`` (also ``from datamodel <Model>.<Dataset>``): the
    dataset's events with its fields under their own names."""

    name = "from"
    generating = True
    dataset: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> Command:
        tok = p.peek()
        if tok.kind is Kind.WORD and tok.value.lower().startswith("datamodel:"):
            p.pos = tok.end
            ref = tok.value[10:].strip('"')
        elif tok.is_word("datamodel"):
            p.pos = tok.end
            nxt = p.peek()
            if nxt.kind is Kind.OP and nxt.value in (":", "="):
                p.pos = nxt.end
            ref = p.field_name("a data model after datamodel")
        else:
            from . import parse_generic

            return parse_generic(p, name)
        if not ref:
            raise p.error("from datamodel needs a data model name", tok.pos)
        p.end_of_command("from")
        return cls(ref, pos=name.pos)

    def args_spl(self) -> str:
        return f"datamodel:{search_word(self.dataset)}"

    def starts_pipeline(self) -> bool:
        return True

    def datamodels(self) -> list[str]:
        return [self.dataset]

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        yield from datamodel_rows(ctx, self.dataset, self.pos, prefixed=False, keep_event=True)


@register("datamodel")
@dataclass(frozen=True)
class DatamodelCommand(Command):
    """``datamodel <Model> <Dataset> search``: the dataset's events with its fields named
    ``<lineage>.<field>``."""

    name = "datamodel"
    generating = True
    model: str = ""
    dataset: str = ""
    mode: str = "search"

    @classmethod
    def parse(cls, p: Parser, name: Token) -> Command:
        words: list[str] = []
        while not p.at_command_end():
            tok = p.next()
            if tok.kind is not Kind.WORD:
                raise p.error(f"unexpected {tok.value!r} in datamodel arguments", tok.pos)
            words.append(tok.value)
        if len(words) != 3 or words[2].lower() not in ("search", "flat"):
            from . import GenericCommand

            return GenericCommand(command=name.value, args=" ".join(words), pos=name.pos)
        return cls(words[0], words[1], words[2].lower(), pos=name.pos)

    def args_spl(self) -> str:
        return f"{search_word(self.model)} {search_word(self.dataset)} {self.mode}"

    def starts_pipeline(self) -> bool:
        return True

    def datamodels(self) -> list[str]:
        return [f"{self.model}.{self.dataset}"]

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        yield from datamodel_rows(
            ctx,
            f"{self.model}.{self.dataset}",
            self.pos,
            prefixed=self.mode == "search",
            keep_event=True,
        )
