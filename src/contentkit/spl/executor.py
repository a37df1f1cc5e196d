"""Run a parsed pipeline over events: sources (event lists or datasets with raw prefiltering),
the execution context, subsearches, and static information about a pipeline's output."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .ast import And, Command, Compare, Or, Pipeline, SearchExpr, Subsearch
from .errors import SplError
from .events import DEFAULT_FIELDS, Dataset, ScanStats, scan_dataset
from .lookups import LookupResolver, LookupTable
from .matching import compile_search, metadata_filter, required_fragments

Event = dict[str, Any]


class EventSource:
    """Where the first ``search`` reads events from."""

    def events(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:  # pragma: no cover
        raise NotImplementedError


class ListSource(EventSource):
    """Events given as dicts (copied, so commands may modify them)."""

    def __init__(self, events: Iterable[Event]) -> None:
        self._events = events if isinstance(events, list | tuple) else list(events)

    def events(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:
        for e in self._events:
            ctx.stats.events_scanned += 1
            yield dict(e)


class DatasetSource(EventSource):
    """Files of raw events; metadata terms select files, literal terms prefilter raw lines.

    Like Splunk's index, the events come newest first (by ``_time``; ties keep file order).
    """

    def __init__(self, datasets: Sequence[Dataset], *, newest_first: bool = True) -> None:
        self.datasets = list(datasets)
        self.newest_first = newest_first

    def events(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:
        stream = self._scan(expr, ctx)
        if not self.newest_first:
            return stream
        events = list(stream)
        events.sort(key=_time_key, reverse=True)
        return iter(events)

    def _scan(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:
        fields = ctx.needed_fields
        meta_terms = metadata_filter(expr)
        meta_preds = [compile_search(t, ctx) for t in meta_terms]
        groups = required_fragments(expr)
        for ds in self.datasets:
            meta = ds.meta
            if not all(p(meta) for p in meta_preds):
                continue
            yield from scan_dataset(ds, groups, now=ctx.now, stats=ctx.stats, fields=fields)


def _time_key(event: Event) -> float:
    t = event.get("_time")
    return float(t) if isinstance(t, int | float) else 0.0


@dataclass
class Context:
    """State shared by the commands of one run."""

    text: str = ""
    now: float = field(default_factory=time.time)
    lookups: LookupResolver = field(default_factory=LookupResolver)
    source: EventSource | None = None
    stats: ScanStats = field(default_factory=ScanStats)
    subsearch_cache: dict[int, list[Event]] = field(default_factory=dict)
    #: fields the source must extract (``None``: all); set by :func:`execute`
    needed_fields: frozenset[str] | None = None


def execute(pipeline: Pipeline, ctx: Context) -> Iterator[Event]:
    """Stream the results of ``pipeline``."""
    if not pipeline.commands:
        return iter(())
    first = pipeline.commands[0]
    stream: Iterator[Event]
    if first.command_name == "search":
        expr = getattr(first, "expr", None)
        ctx.needed_fields = needed_fields(pipeline)
        stream = ctx.source.events(expr, ctx) if ctx.source is not None else iter(())
        stream = first.execute(stream, ctx)
    elif _starts_pipeline(first):
        stream = first.execute(iter(()), ctx)
    else:
        raise SplError(
            f"{first.command_name} cannot start a search (it needs input events)",
            first.pos,
            ctx.text,
        )
    for cmd in pipeline.commands[1:]:
        stream = cmd.execute(stream, ctx)
    return stream


def _starts_pipeline(cmd: Command) -> bool:
    method = getattr(cmd, "starts_pipeline", None)
    if callable(method):
        return bool(method())
    return cmd.generating


def needed_fields(pipeline: Pipeline) -> frozenset[str] | None:
    """Fields the events of the first search must carry for the pipeline's results to be
    complete (``None``: all, e.g. when the pipeline does not end in a projecting command)."""
    needed: set[str] | None = None
    for cmd in reversed(pipeline.commands):
        needed = cmd.input_fields(needed)
    if needed is None:
        return None
    return frozenset(needed | DEFAULT_FIELDS)


def run_subsearch(sub: Subsearch, ctx: Context) -> list[Event]:
    key = id(sub)
    cached = ctx.subsearch_cache.get(key)
    if cached is None:
        saved = ctx.needed_fields
        cached = list(execute(sub.pipeline, ctx))[:10000]
        ctx.needed_fields = saved
        ctx.subsearch_cache[key] = cached
    return cached


def subsearch_filter(sub: Subsearch, ctx: Context) -> SearchExpr:
    """The results of a subsearch as a search expression (``(f1=v1 f2=v2) OR (...)``)."""
    from .parser import Parser
    from .values import as_list, to_str

    rows = run_subsearch(sub, ctx)
    alternatives: list[SearchExpr] = []
    for row in rows:
        if "search" in row or "query" in row:
            text = to_str(row.get("search", row.get("query")))
            parsed = Parser(text).parse_search_expr()
            if parsed is not None:
                alternatives.append(parsed)
            continue
        terms: list[SearchExpr] = []
        for k, v in row.items():
            if k.startswith("_"):
                continue
            vals = as_list(v)
            if len(vals) == 1:
                terms.append(Compare(k, "=", to_str(vals[0]), value_quoted=True))
            elif vals:
                terms.append(Or(tuple(Compare(k, "=", to_str(x), value_quoted=True) for x in vals)))
        if terms:
            alternatives.append(terms[0] if len(terms) == 1 else And(tuple(terms)))
    return Or(tuple(alternatives))


def make_context(
    text: str,
    *,
    lookups: Mapping[str, LookupTable] | LookupResolver | None = None,
    now: float | None = None,
    source: EventSource | None = None,
) -> Context:
    resolver = lookups if isinstance(lookups, LookupResolver) else LookupResolver(lookups)
    return Context(
        text=text,
        now=time.time() if now is None else float(now),
        lookups=resolver,
        source=source,
    )


# ----------------------------------------------------------------------------- static analysis
def iter_commands(pipeline: Pipeline) -> Iterator[Command]:
    """All commands, including those of subsearches (depth first)."""
    for cmd in pipeline.commands:
        yield cmd
        for value in vars(cmd).values():
            yield from _nested(value)


def _nested(value: Any) -> Iterator[Command]:
    if isinstance(value, Subsearch):
        yield from iter_commands(value.pipeline)
    elif isinstance(value, Pipeline):
        yield from iter_commands(value)
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _nested(v)
    elif isinstance(value, SearchExpr):
        for v in vars(value).values():
            yield from _nested(v)


def unsupported_commands(pipeline: Pipeline) -> list[tuple[str, int]]:
    """(name, position) of commands that parse but that the embedded engine cannot run."""
    from .commands import GenericCommand

    return [
        (c.command_name, c.pos) for c in iter_commands(pipeline) if isinstance(c, GenericCommand)
    ]


def output_fields(pipeline: Pipeline) -> list[str] | None:
    """Field names of the results when they can be known statically (else ``None``)."""
    fields: list[str] | None = None
    for cmd in pipeline.commands:
        fields = cmd.output_fields(fields)
    return fields
