"""Run a search of the REST API over the event store with the embedded SPL engine.

The first `search` command's top-level `index=`, `host=`, `source=` and `sourcetype=` terms
(and the time range) are pushed down into SQL; everything else is the engine's job over the
events re-extracted from their `_raw` by sourcetype. A search without `index=` reads `main`, as
Splunk's default search index. `... | delete` deletes the events the search before it returns.
`search <metadata terms> | stats count` is counted in SQL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contentkit import spl
from contentkit.server.store import EventStore, Filter
from contentkit.spl.events import detect_format, make_event
from contentkit.spl.functions import relative_time

_ID = "_ck_id"  # the store id of an event, carried through the search (never shown)
_DELETE = re.compile(r"\|\s*delete\s*$", re.IGNORECASE)
_META = ("host", "source", "sourcetype")


class SearchFailed(Exception):
    """The search does not parse or cannot run; the message is Splunk-style and one line."""


@dataclass
class SearchOutcome:
    rows: list[dict[str, Any]]
    fields: list[str]
    event_count: int = 0  # events the search read
    messages: list[tuple[str, str]] = field(default_factory=list)  # (type, text)


# ------------------------------------------------------------------------------- time range
def parse_time_bound(value: str | None, now: float) -> float | None:
    """Epoch seconds of an `earliest_time`/`latest_time` value; None: unbounded."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("", "0", "rt", "all"):
        return None
    if text == "now":
        return now
    try:
        return float(text)
    except ValueError:
        pass
    if text[:1] in "+-@":
        moved = relative_time(now, text)  # the engine's reading of -70m@m, @d, -1d, ...
        if moved is None:
            raise SearchFailed(f"Invalid time bound '{value}'")
        return moved
    try:
        dt = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise SearchFailed(f"Invalid time bound '{value}'") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# ------------------------------------------------------------------------------- pushdown
def _plan(pipeline: Any) -> tuple[Filter, bool]:
    """The SQL filter of the first search command and whether it says everything that search
    does (every top-level term went into the filter)."""
    from contentkit.spl import ast

    flt = Filter()
    expr = pipeline.search
    if expr is None:
        return flt, False
    items = expr.items if isinstance(expr, ast.And) else (expr,)
    complete = True
    indexes: list[str] | None = None
    for item in items:
        if (
            isinstance(item, ast.Compare)
            and item.op == "="
            and "*" not in item.value
            and item.field.lower() in ("index", *_META)
        ):
            name = item.field.lower()
            if name == "index":
                indexes = [item.value.lower()]
            elif name not in flt.equals:
                flt.equals[name] = item.value
            else:
                complete = False
        elif (
            isinstance(item, ast.InList)
            and item.field.lower() == "index"
            and not any("*" in v for v in item.values)
        ):
            indexes = [v.lower() for v in item.values]
            complete = False
        else:
            complete = False
    if indexes is None:
        fields = ast.search_fields(expr)
        if fields is not None and not any(f.lower() == "index" for f in fields):
            indexes = ["main"]
    flt.indexes = indexes
    return flt, complete


def _is_plain_count(pipeline: Any) -> bool:
    commands = pipeline.commands
    if len(commands) != 2 or commands[1].command_name != "stats":
        return False
    stats = commands[1]
    aggs: Any = getattr(stats, "aggregations", ())
    return (
        not getattr(stats, "by", ())
        and not getattr(stats, "options", ())
        and len(aggs) == 1
        and aggs[0].func == "count"
        and aggs[0].field is None
        and aggs[0].expr is None
        and aggs[0].alias is None
    )


# ------------------------------------------------------------------------------- running
def _events(
    store: EventStore, flt: Filter, groups: list[tuple[str, ...]], counter: list[int]
) -> Iterator[dict[str, Any]]:
    formats: dict[str, str] = {}
    for stored in store.select(flt):
        counter[0] += 1
        raw = stored.raw
        if groups and not stored.fields:  # indexed fields are not in _raw
            low = raw.lower()
            if not all(any(f in low for f in g) for g in groups):
                continue
        fmt = formats.get(stored.sourcetype)
        if fmt is None:
            fmt = formats[stored.sourcetype] = detect_format(stored.sourcetype, raw)
        meta = {
            "host": stored.host,
            "source": stored.source,
            "sourcetype": stored.sourcetype,
            "index": stored.index,
        }
        event = make_event(raw, fmt, meta, stored.time)
        event["_time"] = stored.time
        if stored.fields:
            for key, value in stored.fields.items():
                event.setdefault(key, value)
        event[_ID] = stored.id
        yield event


def run_search(
    store: EventStore,
    text: str,
    *,
    earliest: str | None = None,
    latest: str | None = None,
    now: float | None = None,
    max_rows: int | None = None,
) -> SearchOutcome:
    """Run one search; SearchFailed with a Splunk-style message if it cannot run. `max_rows`
    bounds the rows any command of the search may produce."""
    from contentkit.spl.limits import DEFAULT_MAX_ROWS, bounded

    with bounded(max_rows=max_rows or DEFAULT_MAX_ROWS):
        return _run_search(store, text, earliest=earliest, latest=latest, now=now)


def _run_search(
    store: EventStore,
    text: str,
    *,
    earliest: str | None,
    latest: str | None,
    now: float | None,
) -> SearchOutcome:
    now = time.time() if now is None else now
    query = text.strip()
    if not query:
        raise SearchFailed("Search string is empty")
    delete = bool(_DELETE.search(query))
    if delete:
        query = _DELETE.sub("", query).rstrip()
    try:
        pipeline = spl.parse(query)
    except spl.SplError as exc:
        raise SearchFailed(f"Error in search: {exc}") from None
    flt, complete = _plan(pipeline)
    flt.earliest = parse_time_bound(earliest, now)
    flt.latest = parse_time_bound(latest, now)
    if not delete and complete and _is_plain_count(pipeline):
        n = store.count(flt)
        return SearchOutcome([{"count": n}], ["count"], n)
    counter = [0]
    try:
        if pipeline.search is None and pipeline.commands and pipeline.commands[0].generating:
            rows = spl.run(pipeline, [], now=now)
        else:
            groups = spl.required_terms(pipeline)
            rows = spl.run(pipeline, _events(store, flt, groups, counter), now=now)
    except spl.SplError as exc:
        raise SearchFailed(f"Error in search: {exc}") from None
    if delete:
        ids = [int(r[_ID]) for r in rows if isinstance(r.get(_ID), int)]
        deleted = store.delete_events(ids)
        out = [{"index": idx, "deleted": n, "errors": 0} for idx, n in sorted(deleted.items())]
        if not out:
            out = [{"index": "__ALL__", "deleted": 0, "errors": 0}]
        return SearchOutcome(out, ["index", "deleted", "errors"], counter[0])
    names: dict[str, None] = {}
    for row in rows:
        row.pop(_ID, None)
        for key in row:
            names.setdefault(key, None)
    return SearchOutcome(rows, list(names), counter[0])


# ------------------------------------------------------------------------------- rendering
def render_value(name: str, value: Any) -> str | list[str] | None:
    """A result value as Splunk's REST API returns it: strings, lists of strings for
    multivalue fields, `_time` as ISO 8601 with milliseconds."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        items = [render_value(name, v) for v in value]
        flat = [v for v in items if isinstance(v, str)]
        return flat[0] if len(flat) == 1 else flat
    if name == "_time" and isinstance(value, int | float) and not isinstance(value, bool):
        dt = datetime.fromtimestamp(float(value), UTC)
        return dt.isoformat(timespec="milliseconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def render_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        shown: dict[str, Any] = {}
        for key, value in row.items():
            rendered = render_value(key, value)
            if rendered is not None and rendered != []:
                shown[key] = rendered
        out.append(shown)
    return out
