"""Run a parsed pipeline over events: sources (event lists or datasets with raw prefiltering),
the execution context, subsearches, and static information about a pipeline's output."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ast import And, Command, Compare, Or, Pipeline, SearchExpr, Subsearch
from .errors import SplError
from .events import DEFAULT_FIELDS, Dataset, Reducer, ScanStats, reduce_dataset, scan_dataset
from .lookups import LookupResolver, LookupTable
from .matching import compile_search, metadata_filter, required_fragments

if TYPE_CHECKING:
    from .knowledge import Knowledge

Event = dict[str, Any]

#: let the processes scanning datasets compute a following ``stats`` partially (see
#: :func:`partial_stats_split`); the results are the same either way
PARTIAL_STATS = True


class EventSource:
    """Where the first ``search`` reads events from."""

    def events(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:  # pragma: no cover
        raise NotImplementedError


class ListSource(EventSource):
    """Events given as dicts (copied, so commands may modify them)."""

    def __init__(self, events: Iterable[Event], *, enriched: bool = False) -> None:
        self._events = events if isinstance(events, list | tuple) else list(events)
        #: the events already carry their search-time knowledge (do not apply it again)
        self.enriched = enriched

    def events(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:
        knowledge = None if self.enriched else ctx.knowledge
        enrichers: dict[tuple[str, str, str], Any] = {}
        for e in self._events:
            ctx.stats.events_scanned += 1
            event = dict(e)
            if knowledge is not None:
                meta = _meta_key(event)
                if meta not in enrichers:
                    enrichers[meta] = knowledge.enricher(*meta, ctx.needed_fields)[0]
                enrich = enrichers[meta]
                if enrich is not None:
                    enrich(event)
            yield event


def _meta_key(event: Event) -> tuple[str, str, str]:
    return (
        str(event.get("sourcetype") or ""),
        str(event.get("source") or ""),
        str(event.get("host") or ""),
    )


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

    def _selected(
        self, expr: SearchExpr | None, ctx: Context
    ) -> Iterator[tuple[Dataset, list[tuple[str, ...]], dict[str, Any]]]:
        """The datasets the search's metadata terms select, with the raw-text fragment groups
        and the keyword arguments (fields to extract, search-time knowledge) to scan each."""
        fields = ctx.needed_fields
        meta_preds = [compile_search(t, ctx) for t in metadata_filter(expr)]
        chosen = [ds for ds in self.datasets if all(p(ds.meta) for p in meta_preds)]
        knowledge = ctx.knowledge
        if knowledge is None:
            groups = required_fragments(expr)
            early = _early_test(expr, ctx)
            for ds in chosen:
                yield ds, groups, {"fields": fields, "early": early}
            return
        metas = [(ds.sourcetype, ds.meta["source"], ds.host) for ds in chosen]
        groups = required_fragments(expr, knowledge.raw_unsafe(metas))
        for ds, meta in zip(chosen, metas, strict=True):
            enrich, reads = knowledge.enricher(*meta, fields)
            wanted = None if fields is None else fields | reads
            early = _early_test(expr, ctx)
            if early is not None:  # the test sees the knowledge its fields come from
                early_enrich, early_reads = knowledge.enricher(*meta, early[0])
                early = (early[0] | early_reads, early[1], early_enrich)
            yield ds, groups, {"fields": wanted, "enrich": enrich, "early": early}

    def _scan(self, expr: SearchExpr | None, ctx: Context) -> Iterator[Event]:
        for ds, groups, kwargs in self._selected(expr, ctx):
            yield from scan_dataset(ds, groups, now=ctx.now, stats=ctx.stats, **kwargs)

    def reduce(self, expr: SearchExpr | None, ctx: Context, reduce: Reducer) -> list[Any]:
        """``reduce`` of the events (in file order) of each part of the datasets the search
        selects, parts in the order :meth:`events` reads them (see :func:`reduce_dataset`)."""
        parts: list[Any] = []
        for ds, groups, kwargs in self._selected(expr, ctx):
            parts.extend(reduce_dataset(ds, reduce, groups, now=ctx.now, stats=ctx.stats, **kwargs))
        return parts


def _early_test(expr: SearchExpr | None, ctx: Context) -> tuple[frozenset[str], Any, Any] | None:
    """The conjuncts of ``expr`` whose fields are known (no subsearch), as (fields, predicate,
    enrichment): an event failing them fails the search, so a scan may test them on an event
    made with just those fields (see ``scan_dataset``)."""
    from .ast import search_fields

    if expr is None:
        return None
    items = expr.items if isinstance(expr, And) else (expr,)
    kept: list[SearchExpr] = []
    names: set[str] = set()
    for item in items:
        used = search_fields(item)
        if used is None:
            continue
        kept.append(item)
        names |= used
    if not kept:
        return None
    test = kept[0] if len(kept) == 1 else And(tuple(kept))
    metadata = DEFAULT_FIELDS - {"_time"}  # the light event's time is parsed only if tested
    return frozenset(names | metadata), compile_search(test, ctx), None


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
    #: search-time knowledge of loaded apps (field extractions, event types, tags, data models)
    knowledge: Knowledge | None = None
    #: macros for search text built at run time (``map``, ``foreach``)
    macros: Any = None


def execute(pipeline: Pipeline, ctx: Context) -> Iterator[Event]:
    """Stream the results of ``pipeline``."""
    if not pipeline.commands:
        return iter(())
    first = pipeline.commands[0]
    stream: Iterator[Event] | None = None
    rest = pipeline.commands[1:]
    if first.command_name == "search":
        if ctx.knowledge is not None:
            pipeline, first = _expand_knowledge_terms(pipeline, ctx)
            rest = pipeline.commands[1:]
        expr = getattr(first, "expr", None)
        ctx.needed_fields = needed_fields(pipeline)
        if PARTIAL_STATS and isinstance(ctx.source, DatasetSource):
            split = partial_stats_split(pipeline)
            if split is not None:
                stats_cmd, after = pipeline.commands[split], pipeline.commands[split + 1 :]
                rename = _rename_in_place(stats_cmd, after[0]) if after else None
                stream = _partial_stats(pipeline.commands[:split], stats_cmd, ctx, rename)
                if stream is not None:
                    rest = after[1:] if rename is not None else after
        if stream is None:
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
    from .limits import guard  # the time and row limits of the search

    stream = guard(stream)
    for cmd in rest:
        stream = guard(cmd.execute(stream, ctx))
    return stream


def _expand_knowledge_terms(pipeline: Pipeline, ctx: Context) -> tuple[Pipeline, Command]:
    """The pipeline with ``tag=``/``eventtype=`` terms of its first search rewritten into the
    searches they stand for (see :meth:`Knowledge.expand_search`)."""
    import dataclasses

    first = pipeline.commands[0]
    expr = getattr(first, "expr", None)
    assert ctx.knowledge is not None
    new = ctx.knowledge.expand_search(expr)
    if new is expr:
        return pipeline, first
    first = dataclasses.replace(first, expr=new)  # type: ignore[call-arg]
    commands = (first, *pipeline.commands[1:])
    return dataclasses.replace(pipeline, commands=commands), first


# ----------------------------------------------------------------------------- partial stats
def partial_stats_split(pipeline: Pipeline) -> int | None:
    """The index of the ``stats`` that the processes scanning a dataset can partially compute
    (each over its part of the events, the parts then merged), or ``None``.

    The commands before it must give the same results for each event whatever the other
    events (``search`` without subsearches, ``fillnull`` of named fields), except that a
    ``fillnull`` of all fields may come last; the ``stats`` must merge exactly (see
    :meth:`StatsCommand.mergeable`)."""
    from .commands.fields import FillnullCommand
    from .commands.search import SearchCommand
    from .commands.stats import StatsCommand

    commands = pipeline.commands
    for i, cmd in enumerate(commands):
        if type(cmd) is StatsCommand:
            return i if i > 0 and cmd.mergeable() else None
        if type(cmd) is SearchCommand and not _has_subsearch(cmd.expr):
            continue
        if type(cmd) is FillnullCommand and i > 0:
            nxt = commands[i + 1] if i + 1 < len(commands) else None
            if cmd.fields or type(nxt) is StatsCommand:
                continue
        return None
    return None


def _fill(events: list[Event], fields: Iterable[str], value: str) -> None:
    """Fill ``fields`` of the events like ``fillnull`` does (when missing, null or empty)."""
    names = tuple(fields)
    for e in events:
        if all(map(e.get, names)):  # the usual case: all set
            continue
        for f in names:
            v = e.get(f)
            if v is None or (not v and (v == "" or v == [])):
                e[f] = value


def _has_subsearch(value: Any) -> bool:
    if isinstance(value, Subsearch):
        return True
    if isinstance(value, tuple | list):
        return any(_has_subsearch(v) for v in value)
    if isinstance(value, SearchExpr):
        return any(_has_subsearch(v) for v in vars(value).values())
    return False


def _rename_in_place(stats_cmd: Command, cmd: Command) -> dict[str, str] | None:
    """Old name -> new name when ``cmd`` is a ``rename`` that ``stats_cmd`` can do itself by
    naming its fields so (see :meth:`RenameCommand.in_place`)."""
    from .commands.fields import RenameCommand
    from .commands.stats import StatsCommand

    if type(cmd) is not RenameCommand or not isinstance(stats_cmd, StatsCommand):
        return None
    layouts = stats_cmd.layouts()
    return None if layouts is None else cmd.in_place(layouts)


def _partial_stats(
    before: Sequence[Command],
    stats_cmd: Command,
    ctx: Context,
    rename: dict[str, str] | None = None,
) -> Iterator[Event] | None:
    """The results of ``stats_cmd`` over the events of ``before`` (the first search, of a
    :class:`DatasetSource`, and commands allowed by :func:`partial_stats_split`), aggregated
    part by part by the processes scanning the datasets; ``None`` when this cannot give the
    results of the whole pipeline exactly (the caller then runs it as usual).  ``rename``: name
    the result fields so (see :func:`_rename_in_place`)."""
    from .commands.fields import FillnullCommand
    from .commands.stats import StatsCommand
    from .limits import guard

    source = ctx.source
    if not isinstance(source, DatasetSource) or not isinstance(stats_cmd, StatsCommand):
        return None
    last = before[-1]
    fill = last if isinstance(last, FillnullCommand) and not last.fields else None
    streaming = before[:-1] if fill is not None else before
    needed = stats_cmd.input_fields(None) or set()  # the only fields the stats reads
    ordered = source.newest_first

    def reduce(events: list[Event]) -> tuple[Any, ...]:
        if ordered:
            if any(t != t for t in map(_time_key, events)):  # NaN: no order to merge by
                return ("rescan",)
            events.sort(key=_time_key, reverse=True)  # this part's events in search order
        stream: Iterator[Event] = iter(events)
        for cmd in streaming:
            stream = guard(cmd.execute(stream, ctx))
        if fill is None:
            return ("groups", stats_cmd.partial(stream, ctx, ordered, rename))
        kept = list(stream)
        present = {f for f in needed if any(f in e for e in kept)}
        if present == needed:
            # every field the stats reads is filled (when empty) in all parts, as here; the
            # other fields of the events do not matter
            _fill(kept, needed, fill.value)
            return ("groups", stats_cmd.partial(kept, ctx, ordered, rename))
        return ("events", kept, present)

    stats = ctx.stats
    counters = (stats.events_scanned, stats.events_parsed, stats.bytes_read, stats.files)
    parts = source.reduce(getattr(before[0], "expr", None), ctx, reduce)
    if any(p[0] == "rescan" for p in parts):
        (stats.events_scanned, stats.events_parsed, stats.bytes_read, stats.files) = counters
        return None
    # fillnull fills the needed fields that some event has: all of them when a part could
    # aggregate (it had them all), else those of the parts that shipped their events
    filled = set(needed) if any(p[0] == "groups" for p in parts) else set()
    for p in parts:
        if p[0] == "events":
            filled |= p[2]
    partials: list[list[Any]] = []
    for p in parts:
        if p[0] == "groups":
            partials.append(p[1])
            continue
        assert fill is not None
        _fill(p[1], filled, fill.value)
        partials.append(stats_cmd.partial(p[1], ctx, ordered, rename))
    return stats_cmd.merge(partials, ctx, rename)


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
    knowledge: Knowledge | None = None,
) -> Context:
    if knowledge is not None and not isinstance(lookups, LookupResolver):
        lookups = {**knowledge.lookups(), **(lookups or {})}  # the repository's own win
    resolver = lookups if isinstance(lookups, LookupResolver) else LookupResolver(lookups)
    return Context(
        text=text,
        now=time.time() if now is None else float(now),
        lookups=resolver,
        source=source,
        knowledge=knowledge,
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
