"""Where each kind of object lives in a security_content-style repository."""

from __future__ import annotations

import os
import stat
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
    """All content YAML files under `root`, sorted by relative path; `removed/` included."""
    found: list[SourceFile] = []
    for folder, kind in FOLDERS.items():
        base = root / folder
        if not base.is_dir():
            continue
        prefix = len(str(root)) + 1
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel_dir = dirpath[prefix:].replace(os.sep, "/")
            for name in filenames:
                if name.startswith(".") or not name.lower().endswith(YAML_SUFFIXES):
                    continue
                file_kind = kind
                if kind == "removed" and name.lower() == "deprecation_mapping.yml":
                    file_kind = "deprecation_mapping"
                path = Path(dirpath, name)
                if not _regular(path):
                    file_kind = SPECIAL  # a FIFO would block the reader forever
                found.append(SourceFile(path, f"{rel_dir}/{name}", file_kind))
    found.sort(key=lambda f: f.rel)
    return found


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # unreadable or gone: the reader reports it
