"""Every search of security_content 5.13.0, run past its base search over events whose fields hold
awkward values (empty strings, empty multivalues, infinities, numbers too large for a time,
huge integers, stray brackets and backslashes, non-ASCII text), never fails inside the engine:
a command gets a value it cannot use and goes on, or reports an SPL error of its own, but no
Python exception reaches the user as "error in the SPL engine".

The base search (the first ``search``) is dropped so that every later command sees the events;
``tstats``/``datamodel``/``from`` searches run as they are, over the same events with this
repository's stand-in CIM app as their knowledge (the events carry random CIM tags)."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path
from typing import Any

import pytest

from contentkit import spl
from contentkit.content.validate import validate
from contentkit.searching import load_apps_for, load_search_context
from contentkit.spl import limits
from tests.conftest import REPO

from .test_corpus import CORPUS, _load

pytestmark = pytest.mark.corpus

AWKWARD = [
    "",
    "0",
    "-0",
    "1",
    "-3",
    "2.5",
    "1e309",
    "-1e309",
    "inf",
    "NaN",
    "99999999999999999999999",
    "1700000000",
    "0x1F",
    "2024-01-01T00:00:00Z",
    "01/02/2024 10:00:00",
    "abc",
    "a b c",
    "C:\\Windows\\System32\\cmd.exe",
    "10.0.0.1",
    "user@example.com",
    "*",
    "[",
    "(",
    "\\",
    "$",
    "%s",
    "1,2",
    " 5 ",
    "-",
    ".",
    "<a><b>1</b></a>",
    '{"a": [1, {"b": null}]}',
    "\u00e9t\u00e9",
    "x" * 300,
]


def _searches() -> list[tuple[str, str]]:
    found = []
    for folder in ("detections", "baselines"):
        for path in sorted((CORPUS / folder).rglob("*.yml")):
            search = _load(path).get("search")
            if search:
                found.append((str(Path(path).relative_to(CORPUS)), search))
    return found


def _field_names(search: str) -> list[str]:
    """The field names a search compares or groups by (a rough reading of its text)."""
    names: set[str] = set()
    names.update(re.findall(r"\b([A-Za-z_][\w.{}]*)\s*!?=", search))
    for group in re.findall(r"\bby\s+([\w.{}, ]+)", search):
        names.update(n for n in re.split(r"[ ,]+", group) if n)
    names.update(re.findall(r"\(([A-Za-z_][\w.{}]*)\)", search))  # count(x), values(x)
    return sorted(n for n in names if n.lower() not in ("by", "as", "span", "_time"))


CIM_TAGS = [
    "process",
    "report",
    "network",
    "communicate",
    "authentication",
    "change",
    "web",
    "dns",
    "resolution",
    "endpoint",
    "filesystem",
    "registry",
    "service",
    "alert",
    "ids",
    "attack",
    "email",
    "vulnerability",
    "update",
    "risk",
    "certificate",
]


def _events(names: list[str], seed: int) -> list[dict[str, Any]]:
    """One event per awkward value with every field set to it (so that each field meets each
    value), then events with multivalue fields and random mixtures (``seed``)."""
    rng = random.Random(seed)
    values: list[Any] = [*AWKWARD, [], ["", ""], ["1", "1e309"], ["abc", "["]]
    events = []
    for i, value in enumerate(values):
        e: dict[str, Any] = dict.fromkeys(names, value)
        e.update(
            _time=1_700_000_000 + rng.randint(-86_400, 86_400),
            _raw=f"raw event {i} {rng.choice(AWKWARD)}",
            host=rng.choice(["h1", "h2"]),
            source="s",
            sourcetype="st",
            index="main",
            tag=rng.sample(CIM_TAGS, 8),
        )
        events.append(e)
    for i in range(10):
        e = {name: rng.choice(values) for name in names if rng.random() < 0.7}
        e.update(_time=1_700_000_000 + rng.randint(-86_400, 86_400), _raw=f"mixed {i}")
        e.update(host="h1", source="s", sourcetype="st", index="main")
        e["tag"] = rng.sample(CIM_TAGS, 8)
        events.append(e)
    return events


def _past_the_base_search(pipeline: Any) -> Any:
    first = pipeline.commands[0] if pipeline.commands else None
    if first is None or first.command_name != "search":
        return pipeline
    commands = (dataclasses.replace(first, expr=None), *pipeline.commands[1:])
    return dataclasses.replace(pipeline, commands=commands)


@pytest.fixture(scope="module")
def corpus_context() -> tuple[Any, Any, Any]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    kb, failures = load_apps_for(REPO, None, [REPO / "apps/contentkit_SA_CIM"])
    assert failures == []
    return load_search_context(validate(CORPUS).content, kb)


@pytest.mark.parametrize("seed", [1])
def test_no_corpus_search_fails_inside_the_engine_on_awkward_values(
    seed: int, corpus_context: tuple[Any, Any, Any]
) -> None:
    macros, lookups, knowledge = corpus_context
    internal: list[str] = []
    ran = 0
    for where, search in _searches():
        try:
            text = spl.expand(search, macros)
            pipeline = _past_the_base_search(spl.parse(text))
            with limits.bounded(timeout=5, max_rows=10_000):
                spl.run(
                    pipeline,
                    _events(_field_names(text), seed),
                    lookups=lookups,
                    knowledge=knowledge,
                    now=1_700_000_000,
                )
            ran += 1
        except spl.SplError as exc:
            if "error in the SPL engine" in exc.message:
                internal.append(f"{where}: {exc.message}")
    assert internal == []
    # most searches ran to the end; the rest stopped with an SPL error of their own (a data
    # model the stand-in CIM app lacks, a lookup a baseline makes, the row limit)
    assert ran > 1_400
