"""Where each kind of object lives in a security_content-style repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# folder -> object kind; the schema file of a kind is `schemas/<kind>.schema.json`
FOLDERS: dict[str, str] = {
    "detections": "detection",
    "baselines": "baseline",
    "investigations": "investigation",
    "stories": "story",
    "macros": "macro",
    "lookups": "lookup",
    "data_sources": "data_source",
    "deployments": "deployment",
    "dashboards": "dashboard",
    "removed": "removed",
}
CONFIG_FILE = "contentctl.yml"
SPECIAL = "special"  # the kind of a FIFO, socket or device named like a content file
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class SourceFile:
    """One YAML file of the repository and the kind of object it holds."""

    path: Path  # absolute
    rel: str  # relative to the repository root, with forward slashes
    kind: str


def discover(root: Path) -> list[SourceFile]:
    """All content YAML files under `root`, sorted by relative path; `removed/` included. A
    FIFO, socket or device named like one is listed with the kind SPECIAL (never read)."""
    found: list[SourceFile] = []
    prefix = len(str(root)) + 1
    for folder, kind in FOLDERS.items():
        base = root / folder
        if not base.is_dir():
            continue
        pending = [str(base)]
        while pending:
            dirpath = pending.pop()
            try:
                entries = list(os.scandir(dirpath))
            except OSError:
                continue
            rel_dir = dirpath[prefix:].replace(os.sep, "/")
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                if not name.lower().endswith(YAML_SUFFIXES):
                    continue
                file_kind = kind
                if kind == "removed" and name.lower() == "deprecation_mapping.yml":
                    file_kind = "deprecation_mapping"
                if not entry.is_file():  # from the directory entry: no stat for a plain file
                    file_kind = SPECIAL if entry.path and _exists(entry.path) else file_kind
                found.append(SourceFile(Path(entry.path), f"{rel_dir}/{name}", file_kind))
    found.sort(key=lambda f: f.rel)
    return found


def _exists(path: str) -> bool:
    try:
        os.stat(path)
    except OSError:
        return False  # a dangling symlink: the reader reports it
    return True
