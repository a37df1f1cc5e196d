"""The embedded SPL engine: macro expansion, parsing and local execution of Splunk searches.

Public API (submodules are imported lazily, so ``import contentkit.spl`` stays cheap)::

    expand(search, macros) -> str
    macro_calls(search) -> list[MacroCall]
    parse(search, *, strict=False) -> Pipeline
    run(search_or_pipeline, events=None, *, datasets=None, macros=None, lookups=None,
        now=None, strict=False, stats=None) -> list[dict]
    read_events(path_or_lines, *, sourcetype, source, host, index="main") -> Iterator[dict]
    output_fields(pipeline) / unsupported_commands(pipeline) / required_terms(search)

Types: SplError, MacroDef, MacroCall, LookupTable, Dataset, Pipeline, ScanStats.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import SplError, engine_failure

if TYPE_CHECKING:
    from pathlib import Path

    from .ast import Pipeline
    from .events import Dataset, ScanStats
    from .knowledge import Knowledge
    from .lookups import LookupTable
    from .macros import MacroCall, MacroDef

__all__ = [
    "Dataset",
    "LookupTable",
    "MacroCall",
    "MacroDef",
    "Pipeline",
    "ScanStats",
    "SplError",
    "datamodels_used",
    "expand",
    "iter_results",
    "macro_calls",
    "output_fields",
    "parse",
    "read_events",
    "required_terms",
    "run",
    "unsupported_commands",
]

_LAZY = {
    "Dataset": ("events", "Dataset"),
    "ScanStats": ("events", "ScanStats"),
    "LookupTable": ("lookups", "LookupTable"),
    "MacroDef": ("macros", "MacroDef"),
    "MacroCall": ("macros", "MacroCall"),
    "Pipeline": ("ast", "Pipeline"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def expand(search: str, macros: Mapping[str, MacroDef] | Sequence[MacroDef]) -> str:
    """Expand all macro calls (recursively); unknown macro or wrong arity -> :class:`SplError`."""
    from .macros import expand as _expand

    return _expand(search, macros)  # type: ignore[arg-type]


def macro_calls(search: str) -> list[MacroCall]:
    """The macro calls of a search (name, args, arity, position) without expanding them."""
    from .macros import find_macro_calls

    return find_macro_calls(search)


def parse(search: str, *, strict: bool = False) -> Pipeline:
    """Parse an expanded search.  ``strict``: commands unknown to Splunk are errors."""
    from .parser import parse as _parse

    try:
        return _parse(search, strict=strict)
    except RecursionError:
        raise SplError("search is nested too deeply", 0, search) from None


def _prepare(
    search: str | Pipeline, macros: Mapping[str, MacroDef] | Sequence[MacroDef] | None, strict: bool
) -> tuple[Pipeline, str]:
    from .ast import Pipeline as _Pipeline

    if isinstance(search, _Pipeline):
        return search, search.text or search.to_spl()
    text = search
    if "`" in text:
        text = expand(text, macros or {})
    return parse(text, strict=strict), text


def iter_results(
    search: str | Pipeline,
    events: Iterable[dict[str, Any]] | None = None,
    *,
    datasets: Sequence[Dataset] | None = None,
    macros: Mapping[str, MacroDef] | Sequence[MacroDef] | None = None,
    lookups: Mapping[str, LookupTable] | None = None,
    now: float | None = None,
    strict: bool = False,
    stats: ScanStats | None = None,
    knowledge: Knowledge | None = None,
) -> Iterator[dict[str, Any]]:
    """Like :func:`run` but streams the results."""
    from .executor import DatasetSource, EventSource, ListSource, execute, make_context

    pipeline, text = _prepare(search, macros, strict)
    source: EventSource | None = None
    if datasets is not None:
        source = DatasetSource(list(datasets))
    elif events is not None:
        ev = events if isinstance(events, list | tuple) else list(events)
        from .events import Dataset as _Dataset

        if ev and isinstance(ev[0], _Dataset):
            source = DatasetSource(list(ev))  # type: ignore[arg-type]
        else:
            source = ListSource(ev)
    ctx = make_context(text, lookups=lookups, now=now, source=source, knowledge=knowledge)
    ctx.macros = macros
    if stats is not None:
        ctx.stats = stats
    try:
        yield from execute(pipeline, ctx)
    except SplError as exc:
        if exc.text is None:
            exc.text = text
        raise
    except RecursionError:
        raise SplError("search is nested too deeply", 0, text) from None
    except (OSError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug in the engine: still one clear line for the user
        cmd = _failing_command(exc)
        raise SplError(
            engine_failure(exc, cmd.command_name if cmd is not None else None),
            cmd.pos if cmd is not None else None,
            text,
        ) from exc


def _failing_command(exc: BaseException) -> Any:
    """The innermost command whose method raised ``exc`` (from the traceback's frames)."""
    from .ast import Command

    found = None
    tb = exc.__traceback__
    while tb is not None:
        obj = tb.tb_frame.f_locals.get("self")
        if isinstance(obj, Command):
            found = obj
        tb = tb.tb_next
    return found


def run(
    search: str | Pipeline,
    events: Iterable[dict[str, Any]] | None = None,
    *,
    datasets: Sequence[Dataset] | None = None,
    macros: Mapping[str, MacroDef] | Sequence[MacroDef] | None = None,
    lookups: Mapping[str, LookupTable] | None = None,
    now: float | None = None,
    strict: bool = False,
    stats: ScanStats | None = None,
    knowledge: Knowledge | None = None,
) -> list[dict[str, Any]]:
    """Run a search (text, expanded with ``macros`` when it has macro calls, or a parsed
    :class:`Pipeline`) over ``events`` (dicts, or :class:`Dataset` objects) or ``datasets``
    (files read with search-time extraction and raw-text prefiltering) and return the results.
    ``knowledge``: search-time knowledge of loaded apps (see :mod:`contentkit.spl.knowledge`)."""
    import gc

    # The engine builds many small acyclic containers (events, groups): cyclic garbage
    # collections during a run would repeatedly traverse all of them for nothing.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return list(
            iter_results(
                search,
                events,
                datasets=datasets,
                macros=macros,
                lookups=lookups,
                now=now,
                strict=strict,
                stats=stats,
                knowledge=knowledge,
            )
        )
    finally:
        if paused:
            gc.enable()


def read_events(
    path_or_lines: str | Path | Iterable[str],
    *,
    sourcetype: str = "",
    source: str = "",
    host: str = "contentkit",
    index: str = "main",
    now: float | None = None,
) -> Iterator[dict[str, Any]]:
    """Read raw events (a file path or raw lines) into events with extracted fields."""
    from .events import read_events as _read

    return _read(
        path_or_lines, sourcetype=sourcetype, source=source, host=host, index=index, now=now
    )


def output_fields(pipeline: Pipeline) -> list[str] | None:
    """Result field names when known statically (e.g. after ``stats``/``table``), else None."""
    from .executor import output_fields as _of

    return _of(pipeline)


def datamodels_used(pipeline: Pipeline) -> list[str]:
    """``Model[.Dataset]`` of every data model the pipeline (and its subsearches) reads."""
    from .executor import iter_commands

    out: list[str] = []
    for cmd in iter_commands(pipeline):
        method = getattr(cmd, "datamodels", None)
        if callable(method):
            out.extend(m for m in method() if m not in out)
    return out


def unsupported_commands(pipeline: Pipeline) -> list[tuple[str, int]]:
    """(name, position) of the commands that parse but cannot run in the embedded engine."""
    from .executor import unsupported_commands as _uc

    return _uc(pipeline)


def required_terms(search: str | Pipeline) -> list[tuple[str, ...]]:
    """Raw-text fragments the first search requires (each tuple: at least one must occur)."""
    from .matching import required_fragments

    pipeline = parse(search) if isinstance(search, str) else search
    return required_fragments(pipeline.search)
