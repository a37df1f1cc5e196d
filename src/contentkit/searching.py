"""Support for `contentkit search`: the macros and lookups of a content repository in the form the
embedded engine takes, and output of results as JSON lines, a table or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from contentkit.content.model import Content


def load_search_context(
    content: Content, knowledge_base: Any = None
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(macros, lookups, search-time knowledge or None) of a repository, with the generated
    `search *` filter macros and the macros and lookups of the apps in ``knowledge_base``."""
    from contentkit.replay.datasets import DatasetResolver
    from contentkit.testing.runner import Engine

    engine = Engine.for_content(
        content,
        DatasetResolver.for_content(content.root, offline=True),
        knowledge_base=knowledge_base,
    )
    return engine.macros, engine.lookups, engine.knowledge


def load_apps_for(
    root: Any,
    config: Any,
    app_paths: Sequence[Any],
    *,
    cache_dir: Any = None,
    offline: bool = False,
) -> tuple[Any, list[Any]]:
    """The knowledge base of the apps a repository lists (contentctl.yml ``apps:``) and of the
    ``--app`` paths, and the apps that could not be had; (None, []) when there are none."""
    from contentkit.apps.load import load_apps
    from contentkit.apps.sources import specs_from_config

    specs = specs_from_config(config)
    if not specs and not app_paths:
        return None, []
    mirrors = tuple(config.test_data_caches) if config is not None else ()
    return load_apps(root, specs, app_paths, cache_dir=cache_dir, offline=offline, mirrors=mirrors)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(_cell(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def format_results(rows: Sequence[dict[str, Any]], fmt: str) -> Iterator[str]:
    if fmt == "json":
        from contentkit.spl.limits import finite

        for row in rows:
            shown = {k: finite(v) if isinstance(v, float | int) else v for k, v in row.items()}
            yield json.dumps(shown, default=str, ensure_ascii=False)
        return
    columns = _columns(rows)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        yield out.getvalue().rstrip("\n")
        return
    cells = [[_cell(row.get(c)).replace("\n", ", ") for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    yield "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
    yield "  ".join("-" * w for w in widths)
    for r in cells:
        yield "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
    yield f"({len(rows)} result{'s' if len(rows) != 1 else ''})"
