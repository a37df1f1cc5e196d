"""Load a content repository and validate it: YAML, JSON Schema, then cross references.

Every file is read and checked even when others are broken; all problems come back together,
each with `file:line:col`, the field path and a message.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contentkit.content import crossref, layout, model, safety, schema, searchscan, splcheck
from contentkit.content.problems import Problem, field_path
from contentkit.content.yamlio import SourceMap, YamlSyntaxError, load_yaml, top_level_position


class RepositoryError(Exception):
    """The path given is not a content repository at all (a usage error, exit 2)."""


@dataclass
class Report:
    """The outcome of validation: the model (valid objects only) and every problem found."""

    content: model.Content
    problems: list[Problem] = field(default_factory=list)
    files_read: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Doc:
    source: layout.SourceFile
    data: Any = None


@dataclass
class _FileResult:
    """What reading one file produced. Small and cheap to send back from a worker process:
    the parsed document travels as `marshal` bytes, which load far faster than pickled objects."""

    source: layout.SourceFile
    packed: bytes | None = None  # marshal of the document (from a worker), when it is a mapping
    data: Any = None  # the document itself, when read in this process
    valid: bool = False  # passed its schema
    # a detection's search output fields, worked out in the worker (see crossref._rba_fields)
    output_fields: tuple[str, ...] | None = None
    has_output_fields: bool = False
    token_misses: tuple[str, ...] = ()  # risk message $tokens$ that are not output fields
    name: str | None = None
    id: str | None = None
    problems: list[Problem] = field(default_factory=list)


_BUILDERS: dict[str, Callable[[_Doc], Any]] = {
    "detection": lambda d: model.detection_from(d.source.rel, d.data),
    "baseline": lambda d: model.baseline_from(d.source.rel, d.data),
    "investigation": lambda d: model.investigation_from(d.source.rel, d.data),
    "story": lambda d: model.story_from(d.source.rel, d.data),
    "macro": lambda d: model.macro_from(d.source.rel, d.data),
    "lookup": lambda d: model.lookup_from(d.source.path, d.source.rel, d.data),
    "data_source": lambda d: model.data_source_from(d.source.rel, d.data),
    "deployment": lambda d: model.deployment_from(d.source.rel, d.data),
    "dashboard": lambda d: model.dashboard_from(d.source.path, d.source.rel, d.data),
    "contentctl": lambda d: model.config_from(d.data),
}
_TARGET = {
    "detection": "detections",
    "baseline": "baselines",
    "investigation": "investigations",
    "story": "stories",
    "macro": "macros",
    "lookup": "lookups",
    "data_source": "data_sources",
    "deployment": "deployments",
    "dashboard": "dashboards",
}
# Below this many files, worker processes cost more than they save.
_PARALLEL_MIN_FILES = 400


def _name_of(kind: str, data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    name: str = data["name"]
    if kind == "macro" and isinstance(data.get("arguments"), list) and data["arguments"]:
        return f"{name}({len(data['arguments'])})"
    return name


def _read_one(source: layout.SourceFile, pack: bool = True) -> _FileResult:
    """Read, parse and schema-check one file. Never raises. With `pack`, the document travels
    as marshal bytes (for a worker process); otherwise it stays as it is."""
    result = _FileResult(source)
    if source.kind == layout.SPECIAL:
        message = "not a regular file (FIFO, socket or device): skipped"
        result.problems.append(Problem(source.rel, message=message, severity="warning"))
        return result
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        result.problems.append(Problem(source.rel, message=f"cannot read file: {exc.strerror}"))
        return result
    duplicates: list[str] = []
    try:
        data = load_yaml(raw, duplicates)
    except YamlSyntaxError as exc:
        result.problems.append(Problem(source.rel, exc.line, exc.column, "", exc.message))
        return result
    kind = source.kind
    result.name = _name_of(kind, data)
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        result.id = data["id"]
    for key, line, column in SourceMap(raw).duplicate_keys() if duplicates else ():
        result.problems.append(
            Problem(
                source.rel,
                line,
                column,
                key,
                f"key '{key}' appears twice in one mapping; the last value wins",
                "warning",
            )
        )
    findings: list[crossref.Finding] = []
    if kind == "deprecation_mapping":
        if not isinstance(data, dict):
            findings.append(crossref.Finding(source.rel, (), "expected a mapping"))
    else:
        result.valid = _schema_findings(source.rel, data, kind, findings)
        if isinstance(data, dict):
            if pack:
                result.packed = marshal.dumps(data)
            else:
                result.data = data
        if result.valid and isinstance(data, dict):
            findings += safety.file_findings(source.rel, source.path, kind, data)
        if kind in {"detection", "baseline"} and result.valid:
            for offset, message in splcheck.check(data["search"]):
                findings.append(crossref.Finding(source.rel, ("search",), message, offset=offset))
        has_risk = isinstance(data, dict) and (
            "rba" in data or "observable" in (data.get("tags") or {})
        )
        if kind == "detection" and result.valid and has_risk and _MACROS is not None:
            fields = searchscan.output_fields(data["search"], _MACROS)
            result.output_fields = None if fields is None else tuple(sorted(fields))
            result.has_output_fields = True
            risk_message = (data.get("rba") or {}).get("message") or (data.get("tags") or {}).get(
                "message"
            )
            if isinstance(risk_message, str):
                result.token_misses = crossref.message_misses(risk_message, data["search"], fields)
    result.problems += _locate(findings, {source.rel: raw})
    return result


def _model(result: _FileResult) -> tuple[Any, list[Problem]]:
    """Build the model object of a schema-valid document."""
    source = result.source
    data = result.data if result.data is not None else marshal.loads(result.packed or b"N")
    doc = _Doc(source, data)
    try:
        return _BUILDERS[source.kind](doc), []
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # a schema gap
        return None, [Problem(source.rel, message=f"cannot read object: {exc!r}")]


# Macro definitions, read before the workers start so that they can analyse searches.
_MACROS: dict[str, tuple[tuple[str, ...], str]] | None = None


def _preload_macros(sources: list[layout.SourceFile]) -> dict[str, tuple[tuple[str, ...], str]]:
    table: dict[str, tuple[tuple[str, ...], str]] = {}
    for source in sources:
        if source.kind != "macro":
            continue
        try:
            data = load_yaml(source.path.read_bytes())
        except (OSError, YamlSyntaxError):
            continue
        if isinstance(data, dict) and isinstance(data.get("definition"), str):
            arguments = data.get("arguments") or []
            if isinstance(arguments, list) and all(isinstance(a, str) for a in arguments):
                key = _name_of("macro", data)
                if key is not None:
                    table[key] = (tuple(arguments), data["definition"])
    return table


def _read_all(sources: list[layout.SourceFile]) -> list[_FileResult]:
    """Read every file, on all cores when there are many. (Measured: letting this process take a
    share too is slower than leaving it to receive the workers' results.)"""
    cores = os.cpu_count() or 1
    if len(sources) < _PARALLEL_MIN_FILES or cores < 2:
        return [_read_one(s, pack=False) for s in sources]
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        return [_read_one(s, pack=False) for s in sources]
    workers = min(cores, 4)
    with context.Pool(workers) as pool:
        return pool.map(_read_one, sources, chunksize=max(16, len(sources) // (workers * 8)))


@dataclass
class Loaded:
    """The first half of validation: every file read, schema-checked and modelled. Cross
    references are still to be checked (`check`)."""

    content: model.Content
    checked: model.Content
    names: dict[str, list[tuple[str, str]]]
    ids: list[tuple[str, str, str]]
    output_fields: dict[str, set[str] | None]
    problems: list[Problem]
    files_read: int
    token_misses: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def validate(root: Path) -> Report:
    """Validate the repository at `root`; raise RepositoryError if it is not one."""
    return check(load(root))


def load(root: Path) -> Loaded:
    """Read, schema-check and model every file of the repository at `root` (RepositoryError if
    it is not one)."""
    root = root.resolve()
    if not root.exists():
        raise RepositoryError(f"{root}: no such directory")
    if not root.is_dir():
        raise RepositoryError(f"{root}: not a directory")
    files = layout.discover(root)
    config_path = root / layout.CONFIG_FILE
    if not files and not config_path.is_file():
        raise RepositoryError(
            f"{root}: not a content repository (no {layout.CONFIG_FILE} and none of "
            f"{', '.join(layout.FOLDERS)})"
        )
    content = model.Content(root=root)
    # Objects whose schema failed but that still read as objects: cross references are checked
    # on them too (so every problem shows up in one run), but they never reach the build.
    checked = model.Content(root=root)
    problems: list[Problem] = []
    sources = list(files)
    if config_path.is_file():
        sources.insert(0, layout.SourceFile(config_path, layout.CONFIG_FILE, "contentctl"))
    else:
        problems.append(Problem(layout.CONFIG_FILE, message="missing: the app's settings file"))

    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    ids: list[tuple[str, str, str]] = []
    global _MACROS
    _MACROS = _preload_macros(sources)
    splcheck.prepare()  # load the command registry once, before any worker starts
    try:
        results = _read_all(sources)
    finally:
        _MACROS = None
    output_fields: dict[str, set[str] | None] = {}
    token_misses: dict[str, tuple[str, ...]] = {}
    for result in results:
        if result.has_output_fields:
            fields = result.output_fields
            output_fields[result.source.rel] = None if fields is None else set(fields)
            token_misses[result.source.rel] = result.token_misses
        kind = result.source.kind
        problems += result.problems
        if result.name is not None:
            names[kind].append((result.name, result.source.rel))
        if result.id is not None and kind not in {"removed", "deprecation_mapping", "contentctl"}:
            ids.append((result.id, kind, result.source.rel))
        if (result.packed is None and result.data is None) or kind == "deprecation_mapping":
            continue
        if kind == "removed":
            content.removed += result.valid
            continue
        obj, trouble = _model(result)
        result.packed = result.data = None  # no longer needed: keep peak memory down
        if result.valid:
            problems += trouble
        if obj is None:
            continue
        if kind == "contentctl":
            checked.config = obj
            content.config = obj if result.valid else None
        else:
            getattr(checked, _TARGET[kind]).append(obj)
            if result.valid:
                getattr(content, _TARGET[kind]).append(obj)

    return Loaded(content, checked, names, ids, output_fields, problems, len(sources), token_misses)


def check(loaded: Loaded) -> Report:
    """The second half of validation: cross references; every problem, located and sorted."""
    root = loaded.content.root
    findings = crossref.unique_ids(loaded.ids)
    try:
        findings += crossref.check(
            loaded.checked, loaded.names, loaded.output_fields, loaded.token_misses
        )
        findings += safety.check(loaded.checked)
    except (TypeError, AttributeError, ValueError, KeyError):
        # an object whose schema failed holds a value of the wrong type (already reported):
        # check the cross references of the valid objects only
        findings += crossref.check(
            loaded.content, loaded.names, loaded.output_fields, loaded.token_misses
        )
        findings += safety.check(loaded.content)
    raws = {}
    for rel in {f.file for f in findings}:
        path = root / rel
        with contextlib.suppress(OSError):
            if path.is_file():  # never a FIFO: reading one would block
                raws[rel] = path.read_bytes()
    problems = loaded.problems + _locate(findings, raws)
    problems.sort(key=lambda p: (p.file, p.line, p.column, p.field, p.message))
    return Report(loaded.content, problems, files_read=loaded.files_read)


def _schema_findings(rel: str, data: Any, kind: str, findings: list[crossref.Finding]) -> bool:
    """Append schema findings of a document; True when it is valid."""
    if not isinstance(data, dict):
        what = "empty file" if data is None else f"a {type(data).__name__}"
        findings.append(crossref.Finding(rel, (), f"expected a mapping, found {what}"))
        return False
    found = schema.check(kind, data)
    for f in found:
        findings.append(crossref.Finding(rel, f.path, f.message, at_key=f.at_key))
    return not found


def _locate(findings: list[crossref.Finding], raws: dict[str, bytes]) -> list[Problem]:
    """Turn findings into problems with line and column, composing each file at most once."""
    out = []
    maps: dict[str, SourceMap] = {}
    for finding in findings:
        raw = raws.get(finding.file)
        line = column = 0
        quick = None
        if raw is not None and len(finding.path) == 1 and isinstance(finding.path[0], str):
            quick = top_level_position(raw, finding.path[0], at_key=finding.at_key)
        if quick is not None:
            line, column = quick
        elif raw is not None:
            source_map = maps.get(finding.file)
            if source_map is None:
                source_map = maps[finding.file] = SourceMap(raw)
            line, column = source_map.position(finding.path, key=finding.at_key)
        message = finding.message
        if finding.offset is not None:
            message += f" (at character {finding.offset + 1} of the {finding.path[-1]})"
        out.append(
            Problem(
                finding.file,
                line,
                column,
                field_path(finding.path),
                message,
                finding.severity,
            )
        )
    return out
