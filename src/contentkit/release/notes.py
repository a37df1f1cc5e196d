"""`contentkit release notes --old REF --new REF`: Markdown release notes from git history.

Both revisions are exported from git into temporary folders and loaded; objects are matched by
name. Detections are new, updated (anything about them changed), deprecated (their status became
deprecated) or removed, listed by detection type and again by analytic story; then stories,
macros and lookups (added, updated, removed).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from contentkit import gitrepo
from contentkit.content.model import Content, Detection, Lookup

TYPE_ORDER = ("TTP", "Anomaly", "Hunting", "Correlation")


class NotesError(Exception):
    """A revision cannot be read or loaded."""


@dataclass
class Changes:
    old_version: str | None
    new_version: str | None
    new: list[Detection] = field(default_factory=list)
    updated: list[Detection] = field(default_factory=list)
    deprecated: list[Detection] = field(default_factory=list)
    removed: list[Detection] = field(default_factory=list)
    stories: dict[str, list[str]] = field(default_factory=dict)  # added/updated/removed
    macros: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)


def _load(root: Path) -> Content:
    from contentkit.content.validate import RepositoryError, load

    try:
        return load(root).content
    except RepositoryError as exc:
        raise NotesError(str(exc)) from None


def _same_detection(a: Detection, b: Detection) -> bool:
    return replace(a, file="") == replace(b, file="")


def _lookup_key(lookup: Lookup) -> tuple[Any, ...]:
    data = b""
    if lookup.data_file is not None and lookup.data_file.is_file():
        data = lookup.data_file.read_bytes()
    return (replace(lookup, file="", data_file=None), hashlib.sha256(data).hexdigest())


def _three_way(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(new) - set(old)),
        "updated": sorted(n for n in set(new) & set(old) if new[n] != old[n]),
        "removed": sorted(set(old) - set(new)),
    }


def compare(old: Content, new: Content) -> Changes:
    changes = Changes(
        old.config.version if old.config else None, new.config.version if new.config else None
    )
    before = {d.name: d for d in old.detections}
    for det in sorted(new.detections, key=lambda d: d.name):
        previous = before.get(det.name)
        if previous is None:
            changes.new.append(det)
        elif det.status == "deprecated" and previous.status != "deprecated":
            changes.deprecated.append(det)
        elif not _same_detection(det, previous):
            changes.updated.append(det)
    now = {d.name for d in new.detections}
    changes.removed = [d for d in sorted(old.detections, key=lambda d: d.name) if d.name not in now]

    def story_key(s: Any) -> Any:
        return replace(s, file="")

    changes.stories = _three_way(
        {s.name: story_key(s) for s in old.stories}, {s.name: story_key(s) for s in new.stories}
    )
    changes.macros = _three_way(
        {m.key: replace(m, file="") for m in old.macros},
        {m.key: replace(m, file="") for m in new.macros},
    )
    changes.lookups = _three_way(
        {lk.name: _lookup_key(lk) for lk in old.lookups},
        {lk.name: _lookup_key(lk) for lk in new.lookups},
    )
    return changes


def _by_type(detections: Iterable[Detection]) -> list[tuple[str, list[Detection]]]:
    groups: dict[str, list[Detection]] = {}
    for det in detections:
        groups.setdefault(det.type, []).append(det)
    order = [t for t in TYPE_ORDER if t in groups] + sorted(set(groups) - set(TYPE_ORDER))
    return [(t, groups[t]) for t in order]


def _line(det: Detection) -> str:
    stories = f" ({', '.join(det.analytic_stories)})" if det.analytic_stories else ""
    return f"- {det.name}{stories}"


def render(changes: Changes, old_ref: str, new_ref: str) -> str:
    lines = [f"# Release notes: {old_ref} → {new_ref}", ""]
    if changes.old_version or changes.new_version:
        lines += [f"App version {changes.old_version or '?'} → {changes.new_version or '?'}.", ""]
    counts = (
        f"{len(changes.new)} new, {len(changes.updated)} updated, "
        f"{len(changes.deprecated)} deprecated and {len(changes.removed)} removed detections"
    )
    lines += [counts + ".", ""]

    def names(title: str, items: list[str]) -> None:
        if items:
            lines.extend([f"### {title}", ""] + [f"- {n}" for n in items] + [""])

    story_added = changes.stories.get("added", [])
    story_updated = changes.stories.get("updated", [])
    if story_added or story_updated:
        lines += ["## Analytic Stories", ""]
        names("New", story_added)
        names("Updated", story_updated)
        names("Removed", changes.stories.get("removed", []))
    for title, group in (
        ("New Detections", changes.new),
        ("Updated Detections", changes.updated),
        ("Deprecated Detections", changes.deprecated),
        ("Removed Detections", changes.removed),
    ):
        if not group:
            continue
        lines += [f"## {title}", ""]
        for type_, dets in _by_type(group):
            lines += [f"### {type_}", ""] + [_line(d) for d in dets] + [""]
    touched = changes.new + changes.updated + changes.deprecated
    if touched:
        lines += ["## By Analytic Story", ""]
        per_story: dict[str, list[str]] = {}
        for det in touched:
            for story in det.analytic_stories or ("(no story)",):
                state = (
                    "new"
                    if det in changes.new
                    else "deprecated"
                    if det in changes.deprecated
                    else "updated"
                )
                per_story.setdefault(story, []).append(f"- {det.name} ({state})")
        for story in sorted(per_story):
            lines += [f"### {story}", "", *sorted(per_story[story]), ""]
    for title, table in (("Macros", changes.macros), ("Lookups", changes.lookups)):
        if any(table.values()):
            lines += [f"## {title}", ""]
            names("Added", table.get("added", []))
            names("Updated", table.get("updated", []))
            names("Removed", table.get("removed", []))
    return "\n".join(lines).rstrip("\n") + "\n"


def release_notes(root: Path, old_ref: str, new_ref: str) -> str:
    """Markdown notes for what changed in the repository at `root` from `old_ref` to `new_ref`
    (`new_ref` may be `WORKTREE` for the files as they are now)."""
    with tempfile.TemporaryDirectory(prefix="contentkit-notes-") as temp:
        try:
            old_root = gitrepo.export_tree(root, old_ref, Path(temp) / "old")
            if new_ref == "WORKTREE":
                new_root = root
            else:
                new_root = gitrepo.export_tree(root, new_ref, Path(temp) / "new")
        except gitrepo.GitError as exc:
            raise NotesError(str(exc)) from None
        changes = compare(_load(old_root), _load(new_root))
    return render(changes, old_ref, new_ref)
