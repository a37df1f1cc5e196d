"""Checks that follow rules of Splunk's contentctl: name lengths, the deprecation mapping, and
tell-tale search mistakes its users ask it to catch (tstats without the summariesonly macro).

Facts carried over (not code): Enterprise Security keeps a saved search name to 99 characters,
and a correlation search cloned in ES is renamed `<security_domain> - <stanza> - Rule`; so a
detection's, baseline's or investigation's name may have at most 67 characters, other names 99.
`removed/deprecation_mapping.YML` lists, under `detections:`, `baselines:`, `investigations:`
and `stories:`, entries `{content, removed_in_version, reason, replacement_content}`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from contentkit.content import searchscan
from contentkit.content.model import Content

ES_MAX_STANZA = 99
SEARCH_NAME_MAX = 67  # detections, baselines, investigations
NAME_MAX = 99  # every other object
DEPRECATION_KINDS = {
    "detections": "detection",
    "baselines": "baseline",
    "investigations": "investigation",
    "stories": "story",
}
_TSTATS = re.compile(r"(?:^|\|)\s*tstats\b", re.I)
_SUMMARIES_MACRO = re.compile(r"`[A-Za-z0-9_]*summariesonly[A-Za-z0-9_]*(?:\([^`]*\))?`")


def _finding(file: str, path: tuple[str | int, ...], message: str, severity: str = "error") -> Any:
    from contentkit.content.crossref import Finding

    return Finding(file, path, message, "warning" if severity == "warning" else "error")


def _searches(content: Content) -> list[Any]:
    """The objects that become saved searches."""
    return [*content.detections, *content.baselines, *content.investigations]


def _others(content: Content) -> list[Any]:
    """Every other named object."""
    return [
        *content.stories,
        *content.macros,
        *content.lookups,
        *content.data_sources,
        *content.deployments,
        *content.dashboards,
    ]


def name_lengths(content: Content) -> list[Any]:
    out = []
    label = content.config.label if content.config is not None else ""
    for obj in _searches(content):
        if len(obj.name) > SEARCH_NAME_MAX:
            out.append(
                _finding(
                    obj.file,
                    ("name",),
                    f"name has {len(obj.name)} characters; at most {SEARCH_NAME_MAX} "
                    f"(Enterprise Security keeps saved search names to {ES_MAX_STANZA})",
                )
            )
    for det in content.detections:
        cloned = f"{det.security_domain} - {label} - {det.name} - Rule - Rule"
        if len(det.name) <= SEARCH_NAME_MAX and len(cloned) > ES_MAX_STANZA:
            out.append(
                _finding(
                    det.file,
                    ("name",),
                    f"with the app label '{label}' the search is named '{cloned}' once ES "
                    f"clones it: {len(cloned)} characters, more than {ES_MAX_STANZA}",
                )
            )
    for obj in _others(content):
        if len(obj.name) > NAME_MAX:
            out.append(
                _finding(
                    obj.file,
                    ("name",),
                    f"name has {len(obj.name)} characters; at most {NAME_MAX}",
                )
            )
    return out


def control_character(text: str) -> str | None:
    """The first C0 or C1 control character of ``text`` (tab and newline included), if any."""
    return next((ch for ch in text if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0), None)


def name_characters(content: Content) -> list[Any]:
    """A name becomes a .conf stanza name and a page title: a control character (a tab, an
    escape byte pasted from a terminal) in it is an error."""
    out = []
    for obj in [*_searches(content), *_others(content)]:
        bad = control_character(obj.name)
        if bad is not None:
            out.append(
                _finding(
                    obj.file,
                    ("name",),
                    f"name holds the control character U+{ord(bad):04X}; a name becomes a "
                    ".conf stanza name, which must be plain text",
                )
            )
    return out


def tstats_without_summariesonly(file: str, search: str) -> list[Any]:
    """A `tstats` search should take its summariesonly setting from the
    `security_content_summariesonly` macro, so that one macro switches every search between
    accelerated summaries and raw events."""
    if "tstats" not in search or "datamodel" not in search or "summariesonly`" in search:
        return []  # tstats over an index reads no data model summaries
    text = searchscan.strip_comments(search)
    if not _TSTATS.search(text) or _SUMMARIES_MACRO.search(text):
        return []
    hard = re.search(r"summariesonly\s*=\s*\S+", text, re.I)
    detail = f" (it sets `{hard.group(0)}` itself)" if hard else ""
    return [
        _finding(
            file,
            ("search",),
            "tstats search without the `security_content_summariesonly` macro" + detail,
            "warning",
        )
    ]


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(text).split("-", 1)[0]))


def _mapping_file(root: Path) -> Path | None:
    folder = root / "removed"
    if not folder.is_dir():
        return None
    for path in sorted(folder.iterdir()):
        if path.name.lower().startswith("deprecation_mapping") and path.suffix.lower() in {
            ".yml",
            ".yaml",
        }:
            return path
    return None


def _removed_objects(root: Path) -> list[tuple[str, str, str, str]]:
    """(kind, name, status, file) of every object under removed/."""
    import yaml

    out = []
    for folder, kind in DEPRECATION_KINDS.items():
        base = root / "removed" / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix.lower() not in {".yml", ".yaml"}:
                continue
            try:
                doc = yaml.load(
                    path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
                )
            except (OSError, yaml.YAMLError):
                continue  # reported by validation itself
            if isinstance(doc, dict) and isinstance(doc.get("name"), str):
                rel = path.relative_to(root).as_posix()
                out.append((kind, doc["name"], str(doc.get("status", "")), rel))
    return out


def deprecation_mapping(content: Content) -> list[Any]:
    """With `enforce_deprecation_mapping_requirement: true`: every deprecated or removed
    detection, baseline, investigation and story has one entry in the mapping, under its kind;
    every entry names such an object; an object is `removed` from the entry's
    `removed_in_version` on and `deprecated` before it."""
    import yaml

    config = content.config
    if config is None or not config.enforce_deprecation_mapping:
        return []
    root = content.root
    mapping_path = _mapping_file(root)
    objects: list[tuple[str, str, str, str]] = [
        ("detection", d.name, d.status, d.file) for d in content.detections
    ]
    objects += [("baseline", b.name, b.status, b.file) for b in content.baselines]
    objects += [("story", s.name, s.status, s.file) for s in content.stories]
    objects += _removed_objects(root)
    entries: dict[str, tuple[str, dict[str, Any], int]] = {}
    out = []
    rel = "removed/deprecation_mapping.YML"
    if mapping_path is not None:
        rel = mapping_path.relative_to(root).as_posix()
        try:
            doc = yaml.safe_load(mapping_path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            return [_finding(rel, (), f"cannot read the deprecation mapping: {exc}")]
        if not isinstance(doc, dict):
            return [_finding(rel, (), "the deprecation mapping must be a mapping of kinds")]
        for heading, items in doc.items():
            kind = DEPRECATION_KINDS.get(str(heading))
            if kind is None:
                if items:
                    out.append(
                        _finding(rel, (heading,), f"'{heading}' cannot be deprecated this way")
                    )
                continue
            for index, item in enumerate(items or []):
                if not isinstance(item, dict) or not isinstance(item.get("content"), str):
                    out.append(_finding(rel, (heading, index), "entry without 'content'"))
                    continue
                for key in ("removed_in_version", "reason"):
                    if not item.get(key):
                        out.append(_finding(rel, (heading, index), f"entry without '{key}'"))
                name = item["content"]
                if name in entries:
                    out.append(
                        _finding(rel, (heading, index, "content"), f"'{name}' is mapped twice")
                    )
                entries[name] = (kind, item, index)
    app_version = _version_tuple(config.version)
    mapped: set[str] = set()
    for kind, name, status, file in objects:
        entry = entries.get(name)
        if entry is None:
            if status in {"deprecated", "removed"}:
                out.append(
                    _finding(
                        file,
                        ("status",),
                        f"{kind} is {status} but has no entry in {rel} "
                        "(enforce_deprecation_mapping_requirement is set)",
                    )
                )
            continue
        mapped.add(name)
        entry_kind, item, index = entry
        heading = next(h for h, k in DEPRECATION_KINDS.items() if k == entry_kind)
        if entry_kind != kind:
            out.append(
                _finding(
                    rel,
                    (heading, index, "content"),
                    f"'{name}' is a {kind}, but is listed under '{heading}'",
                )
            )
            continue
        if status not in {"deprecated", "removed"}:
            out.append(
                _finding(
                    file,
                    ("status",),
                    f"{kind} is in {rel} but its status is '{status}' "
                    "(deprecated or removed expected)",
                )
            )
            continue
        removed_in = _version_tuple(item.get("removed_in_version", ""))
        expected = "removed" if removed_in and app_version >= removed_in else "deprecated"
        if status != expected:
            out.append(
                _finding(
                    file,
                    ("status",),
                    f"status should be '{expected}': app version {config.version}, removed in "
                    f"{item.get('removed_in_version')} per {rel}",
                )
            )
    for name, (kind, _item, index) in entries.items():
        if name not in mapped:
            heading = next(h for h, k in DEPRECATION_KINDS.items() if k == kind)
            out.append(
                _finding(
                    rel,
                    (heading, index, "content"),
                    f"no {kind} named '{name}' (in the content or under removed/)",
                )
            )
    return out
