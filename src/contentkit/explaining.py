"""Support for `contentkit explain` and `contentkit test --explain`: find the search and the data
(a detection of a content repository with its test datasets, or SPL text with log files), run
:func:`contentkit.spl.explain.explain` and render it as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contentkit import spl
from contentkit.content.model import Content, Detection, DetectionTest
from contentkit.spl.explain import Explanation, explain, format_text


class ExplainError(Exception):
    """A problem with the user's input (one line, no traceback)."""


@dataclass
class Target:
    """What to explain: a title, the search text (macros expanded) and the datasets."""

    title: str
    search: str
    datasets: list[spl.Dataset]


def _engine(content: Content, app_paths: Sequence[Any] = ()) -> Any:
    from contentkit.replay.datasets import DatasetResolver
    from contentkit.searching import load_apps_for
    from contentkit.testing.runner import Engine

    caches = content.config.test_data_caches if content.config else ()
    kb, _ = load_apps_for(content.root, content.config, app_paths, offline=True)
    return Engine.for_content(
        content, DatasetResolver.for_content(content.root, caches), knowledge_base=kb
    )


def test_datasets(engine: Any, test: DetectionTest) -> list[spl.Dataset]:
    """The datasets of a detection test (downloaded into the cache when they are URLs)."""
    from contentkit.replay.datasets import DatasetUnavailable

    try:
        datasets: list[spl.Dataset] = engine.datasets_of(test)
    except DatasetUnavailable as exc:
        raise ExplainError(str(exc)) from None
    return datasets


def detection_targets(
    content: Content, det: Detection, data: Sequence[spl.Dataset] = ()
) -> list[Target]:
    """One target per test of ``det`` (or one over ``data`` when given)."""
    engine = _engine(content)
    try:
        text = spl.expand(det.search, engine.macros)
    except spl.SplError as exc:
        raise ExplainError(f"{det.file}: search does not expand: {exc}") from None
    if data:
        return [Target(det.name, text, list(data))]
    if not det.tests:
        raise ExplainError(f"{det.file}: the detection has no tests; give the data with --data")
    return [Target(f"{det.name} / {t.name}", text, test_datasets(engine, t)) for t in det.tests]


def run_target(target: Target, content: Content | None) -> Explanation:
    macros: dict[str, Any] = {}
    lookups: dict[str, Any] = {}
    knowledge = None
    if content is not None:
        engine = _engine(content)
        macros, lookups, knowledge = engine.macros, engine.lookups, engine.knowledge
    try:
        pipeline = spl.parse(target.search, strict=True)
    except spl.SplError as exc:
        raise ExplainError(f"bad search: {exc}") from None
    return explain(
        pipeline, datasets=target.datasets, lookups=lookups, macros=macros, knowledge=knowledge
    )


def render(results: list[tuple[Target, Explanation]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [{"title": t.title, **e.as_dict()} for t, e in results], indent=2, default=str
        )
    return "\n\n".join(format_text(e, title=f"== {t.title}") for t, e in results)


def explain_outcome(content: Content, detection: Detection, test_name: str) -> str:
    """Text explanation of one test of a detection (for `contentkit test --explain`)."""
    for target in detection_targets(content, detection):
        if target.title.endswith(f" / {test_name}"):
            return format_text(run_target(target, content), title=f"== {target.title}")
    return f"== {detection.name} / {test_name}: no such test"
