"""Why a search finds what it finds: command by command, how many events or rows went in and came
out, which search terms removed events, which ``by`` fields were missing (the events ``stats``
drops without a word), and which fields ``where``/``eval`` saw as null.

It runs the pipeline stage by stage over the whole data (no raw-text prefilter: every event is
read, so that each term's effect can be counted), keeping each stage's output in memory; it is
meant for test datasets, not for a day of production logs.

Each command also lists the fields it produced (``eval``, ``rex``, ``lookup``, ``stats`` ...).
With loaded apps, the events carry their search-time knowledge and each field the first command
reads says which knowledge object (extraction, alias, calculated field, lookup, event type, tag)
sets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .ast import And, Command, Expr, Pipeline, SearchExpr, expr_fields, search_fields
from .errors import SplError, engine_failure

Event = dict[str, Any]


@dataclass
class TermEffect:
    """One top-level term of a ``search``, applied in order."""

    term: str
    before: int
    after: int
    #: events of the command's input that this term alone keeps
    alone: int

    @property
    def removed(self) -> int:
        return self.before - self.after


@dataclass
class Step:
    index: int
    command: str
    spl: str
    rows_in: int
    rows_out: int
    terms: list[TermEffect] = field(default_factory=list)
    #: ``by`` field -> input events without it (their rows are dropped)
    missing_by: dict[str, int] = field(default_factory=dict)
    #: field an expression reads -> input events where it is null
    null_fields: dict[str, int] = field(default_factory=dict)
    #: fields of the output that no input event had (what this command produced)
    fields_added: list[str] = field(default_factory=list)
    #: field the command reads -> the search-time knowledge that sets it (apps' confs)
    knowledge: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class Explanation:
    search: str
    events_read: int
    steps: list[Step]
    results: int

    @property
    def lost_at(self) -> Step | None:
        """The first step that had input and gave no output (``None`` when results remain)."""
        for s in self.steps:
            if s.error or (s.rows_in > 0 and s.rows_out == 0):
                return s
        return None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        lost = self.lost_at
        data["lost_at"] = None if lost is None else lost.index
        for step, raw in zip(self.steps, data["steps"], strict=True):
            for term, t in zip(step.terms, raw["terms"], strict=True):
                t["removed"] = term.removed
        return data


def _exprs(value: Any) -> Iterable[Expr]:
    """Eval expressions held by a command (any depth of tuples)."""
    if isinstance(value, Expr):
        yield value
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _exprs(v)


def _read_fields(cmd: Command) -> set[str]:
    names: set[str] = set()
    for value in vars(cmd).values():
        for expr in _exprs(value):
            names |= expr_fields(expr)
    return names


def _is_null(v: Any) -> bool:
    return v is None or v == "" or v == []


def _by_fields(cmd: Command) -> tuple[str, ...]:
    """Fields without which an event is dropped by ``cmd`` (its rows silently missing)."""
    name = cmd.command_name
    by = getattr(cmd, "by", None)
    by = by if isinstance(by, tuple) else ()
    fields = getattr(cmd, "fields", None)
    fields = fields if isinstance(fields, tuple) else ()
    if name in ("top", "rare"):
        return (*fields, *by)
    if name == "chart":
        return fields
    if name == "dedup":
        keep = dict(getattr(cmd, "options", ())).get("keepempty", "f").lower()
        return () if keep in ("t", "true", "1") else fields
    return by


def _dm_fields(cmd: Command) -> set[str]:
    """Event fields behind the ``<Dataset>.<field>`` names a data-model command reads."""
    names = set(getattr(cmd, "by", ()) or ())
    names |= search_fields(getattr(cmd, "where", None)) or set()
    for agg in getattr(cmd, "aggregations", ()) or ():
        if getattr(agg, "field", None):
            names.add(agg.field)
    return {n.rsplit(".", 1)[-1] for n in names}


def _terms(expr: SearchExpr | None) -> list[SearchExpr]:
    if expr is None:
        return []
    return list(expr.items) if isinstance(expr, And) else [expr]


def explain(
    pipeline: Pipeline,
    events: Sequence[Event] | None = None,
    *,
    datasets: Sequence[Any] | None = None,
    lookups: Mapping[str, Any] | None = None,
    macros: Mapping[str, Any] | None = None,
    now: float | None = None,
    knowledge: Any = None,
) -> Explanation:
    """Run ``pipeline`` step by step over ``events`` (dicts) or ``datasets`` (all their events);
    ``knowledge``: the loaded apps' search-time knowledge (``spl.knowledge.Knowledge``), applied
    to every event, each field it sets named in the steps that read it."""
    from .events import scan_dataset
    from .executor import ListSource, make_context, run_subsearch  # noqa: F401
    from .matching import compile_search

    text = pipeline.text or pipeline.to_spl()
    origin: dict[str, str] = {}
    if datasets is not None:
        read: list[Event] = []
        for ds in datasets:
            enrich = None
            if knowledge is not None:
                meta = (ds.sourcetype, ds.meta["source"], ds.host)
                enrich = knowledge.enricher(*meta, None)[0]
                origin.update(knowledge.provenance(*meta))
            read.extend(scan_dataset(ds, now=now, enrich=enrich))
        read.sort(key=lambda e: float(e.get("_time") or 0), reverse=True)
    else:
        read = [dict(e) for e in events or ()]
    ctx = make_context(
        text,
        lookups=dict(lookups or {}),
        now=now,
        source=ListSource(read, enriched=datasets is not None),
        knowledge=knowledge,
    )
    ctx.macros = macros
    steps: list[Step] = []
    current: list[Event] = []
    for i, cmd in enumerate(pipeline.commands, 1):
        first = i == 1
        inp = read if first and cmd.command_name == "search" else current
        step = Step(i, cmd.command_name, cmd.to_spl(), len(inp), 0)
        steps.append(step)
        try:
            if cmd.command_name == "search":
                remaining = inp
                for term in _terms(getattr(cmd, "expr", None)):
                    pred = compile_search(term, ctx)
                    kept = [e for e in remaining if pred(e)]
                    alone = len(kept) if remaining is inp else sum(1 for e in inp if pred(e))
                    step.terms.append(TermEffect(term.to_spl(), len(remaining), len(kept), alone))
                    remaining = kept
            for f in _by_fields(cmd):
                missing = sum(1 for e in inp if _is_null(e.get(f)))
                if missing:
                    step.missing_by[f] = missing
            read_fields = _read_fields(cmd)
            if cmd.command_name == "search":
                read_fields |= {
                    f for f in (search_fields(getattr(cmd, "expr", None)) or set()) if f
                }
            for f in sorted(read_fields):
                nulls = sum(1 for e in inp if _is_null(e.get(f)))
                if nulls:
                    step.null_fields[f] = nulls
                if first and f in origin:
                    step.knowledge[f] = origin[f]
            if first and callable(getattr(cmd, "datamodels", None)):
                # a data-model command reads the events: the fields its data-model fields are
                step.rows_in = len(read)
                for f in sorted(_dm_fields(cmd)):
                    if f in origin:
                        step.knowledge[f] = origin[f]
                    nulls = sum(1 for e in read if _is_null(e.get(f)))
                    if nulls and f not in ("_time", "nodename"):
                        step.null_fields[f] = nulls
            if first and cmd.command_name != "search":
                out = list(cmd.execute(iter(()), ctx))
            else:
                out = list(cmd.execute(iter([dict(e) for e in inp]), ctx))
        except SplError as exc:
            step.error = exc.message
            current = []
            break
        except (RecursionError, MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug in the engine: one line naming the command, as in run()
            step.error = engine_failure(exc, cmd.command_name)
            current = []
            break
        step.rows_out = len(out)
        if not first or cmd.command_name != "search":
            before = {k for e in inp for k in e}
            step.fields_added = sorted({k for e in out for k in e} - before)
        current = out
    return Explanation(text, len(read), steps, len(current))


def format_text(expl: Explanation, *, title: str = "") -> str:
    """The explanation for people: one block per command, then where the events were lost."""
    lines: list[str] = []
    if title:
        lines.append(title)
    lines.append(f"events read: {expl.events_read}")
    for s in expl.steps:
        lines.append(f"{s.index:>2}. {s.spl}")
        lines.append(f"      in {s.rows_in}, out {s.rows_out}")
        for t in s.terms:
            note = ""
            if t.after == 0 and t.before > 0:
                note = "  <- no event left"
            lines.append(
                f"      term {t.term}: {t.before} -> {t.after} (removed {t.removed}; "
                f"matches {t.alone} of the input alone){note}"
            )
        for f, n in s.missing_by.items():
            lines.append(
                f"      field {f} missing on {n} of {s.rows_in} events (this command drops them)"
            )
        for f, n in s.null_fields.items():
            lines.append(f"      field {f} is null on {n} of {s.rows_in} events")
        for f, source in sorted(s.knowledge.items()):
            lines.append(f"      field {f} comes from {source}")
        if s.fields_added:
            shown = ", ".join(s.fields_added[:12])
            more = f" and {len(s.fields_added) - 12} more" if len(s.fields_added) > 12 else ""
            lines.append(f"      adds fields: {shown}{more}")
        if s.error:
            lines.append(f"      error: {s.error}")
    lost = expl.lost_at
    if lost is None:
        lines.append(f"results: {expl.results}")
    elif lost.error:
        lines.append(f"stopped at command {lost.index} ({lost.command}): {lost.error}")
    else:
        lines.append(
            f"results: {expl.results}; the events were lost at command {lost.index} "
            f"({lost.command}): {lost.rows_in} in, 0 out"
        )
    return "\n".join(lines)
