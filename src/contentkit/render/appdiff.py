"""Semantic diff of two Splunk app builds (folders or ``.tar.gz``/``.tgz``/``.spl`` packages).

Paths are compared relative to the app root (a package's single top-level folder is removed).
``.conf`` files under ``default/`` and ``.meta`` files under ``metadata/`` are parsed (lenient
reader: duplicates tolerated, last wins) and compared stanza by stanza and key by key; comments
and layout are ignored. Two values that both start with ``{`` or ``[`` and parse as JSON are
compared as JSON (object key order and spacing ignored). Every other file is compared by SHA-256.

JSON output (:func:`render_json`) is one object::

    {"old": str, "new": str,
     "summary": {"files_added": n, "files_removed": n, "files_changed": n,
                 "stanzas_added": n, "stanzas_removed": n, "stanzas_changed": n},
     "files": [{"path": str, "kind": "conf" | "file", "status": "added" | "removed" | "changed",
                "old_sha256": str | null, "new_sha256": str | null,
                "stanzas": [{"name": str, "status": "added" | "removed" | "changed",
                             "keys": [{"key": str, "status": "added" | "removed" | "changed",
                                       "old": str | null, "new": str | null, "json": bool}]}]}]}

``stanzas`` is filled for changed conf files only (added/removed files list no stanzas); an
added or removed stanza lists no keys. Files, stanzas and keys are sorted by name.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
import tarfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from contentkit.conf.conffile import ConfError, ConfFile, read_conf

__all__ = [
    "AppDiff",
    "AppDiffError",
    "FileDiff",
    "KeyDiff",
    "StanzaDiff",
    "diff_apps",
    "load_app",
    "render_json",
    "render_text",
]

Status = Literal["added", "removed", "changed"]
PACKAGE_SUFFIXES = (".tar.gz", ".tgz", ".spl", ".tar")


class AppDiffError(Exception):
    """An input could not be read; the one-line message names the file (and line)."""


@dataclass
class KeyDiff:
    """One key added, removed or changed in a stanza."""

    key: str
    status: Status
    old: str | None = None
    new: str | None = None
    json: bool = False


@dataclass
class StanzaDiff:
    """One stanza added, removed or with changed keys."""

    name: str
    status: Status
    keys: list[KeyDiff] = field(default_factory=list)


@dataclass
class FileDiff:
    """One file added, removed or changed; conf files carry stanza differences."""

    path: str
    kind: Literal["conf", "file"]
    status: Status
    old_sha256: str | None = None
    new_sha256: str | None = None
    stanzas: list[StanzaDiff] = field(default_factory=list)


@dataclass
class AppDiff:
    """Everything that differs between two builds (``files`` empty: semantically identical)."""

    old: str
    new: str
    files: list[FileDiff] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """True when anything differs."""
        return bool(self.files)

    def summary(self) -> dict[str, int]:
        """Counts of added/removed/changed files and stanzas."""
        counts = {
            f"{what}_{status}": 0
            for what in ("files", "stanzas")
            for status in ("added", "removed", "changed")
        }
        for f in self.files:
            counts[f"files_{f.status}"] += 1
            for s in f.stanzas:
                counts[f"stanzas_{s.status}"] += 1
        return counts


# --------------------------------------------------------------------------- loading


def _is_conf(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    if len(parts) >= 2 and parts[0] == "default" and rel.endswith(".conf"):
        return True
    return len(parts) >= 2 and parts[0] == "metadata" and rel.endswith(".meta")


def load_app(path: Path) -> dict[str, bytes]:
    """``{relative posix path: bytes}`` of every regular file in an app folder or package."""
    path = Path(path)
    if not path.exists():
        raise AppDiffError(f"{path}: no such file or folder")
    if path.is_dir():
        files: dict[str, bytes] = {}
        for item in sorted(path.rglob("*")):
            if item.is_file() and not item.is_symlink():
                files[item.relative_to(path).as_posix()] = item.read_bytes()
        return files
    if not path.name.lower().endswith(PACKAGE_SUFFIXES):
        raise AppDiffError(f"{path}: not an app folder or .tar.gz/.tgz/.spl package")
    return _load_tar(path)


#: bound on what one package may unpack to (env CONTENTKIT_MAX_UNPACKED_MB): a small
#: compressed file can expand to gigabytes
MAX_UNPACKED_BYTES = 1 << 30
MAX_MEMBERS = 100_000


def _max_unpacked() -> int:
    import os

    try:
        mb = float(os.environ.get("CONTENTKIT_MAX_UNPACKED_MB", ""))
    except ValueError:
        return MAX_UNPACKED_BYTES
    return int(mb * (1 << 20)) if mb > 0 else MAX_UNPACKED_BYTES


def _load_tar(path: Path) -> dict[str, bytes]:
    from contentkit.apps.unpack import UnsafePackage, member_path

    raw: dict[str, bytes] = {}
    limit = _max_unpacked()
    total = members = 0
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:
                members += 1
                if members > MAX_MEMBERS:
                    raise AppDiffError(f"{path}: more than {MAX_MEMBERS} entries in the package")
                if not member.isfile():
                    continue
                total += member.size
                if total > limit:
                    raise AppDiffError(
                        f"{path}: unpacks to more than {limit >> 20} MB "
                        "(CONTENTKIT_MAX_UNPACKED_MB raises the limit)"
                    )
                rel = member_path(member)  # refuses '..' and absolute names, as unpacking does
                if rel is None:
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                raw[rel.as_posix()] = fh.read()
    except UnsafePackage as exc:
        raise AppDiffError(f"{path}: {exc}") from None
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AppDiffError(f"{path}: not a readable tar package ({reason})") from None
    roots = {name.split("/", 1)[0] for name in raw}
    if len(roots) == 1 and all("/" in name for name in raw):
        return {name.split("/", 1)[1]: data for name, data in raw.items()}
    if not raw:
        raise AppDiffError(f"{path}: package contains no files")
    raise AppDiffError(f"{path}: package must contain exactly one top-level app folder")


def _parse(side: Path, rel: str, data: bytes) -> ConfFile:
    source = f"{side}!{rel}" if side.is_file() else str(side / rel)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AppDiffError(f"{source}:{line}: invalid UTF-8") from None
    try:
        return read_conf(text, source=source, strict=False)
    except ConfError as exc:
        raise AppDiffError(str(exc)) from None


# --------------------------------------------------------------------------- comparing


def _json_form(value: str) -> Any:
    stripped = value.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def _canonical(parsed: Any) -> str:
    return json.dumps(parsed, sort_keys=True, ensure_ascii=False)


def _compare_values(old: str, new: str) -> tuple[bool, bool]:
    """(equal, compared_as_json)."""
    if old == new:
        return True, False
    old_json, new_json = _json_form(old), _json_form(new)
    if old_json is not None and new_json is not None:
        return _canonical(old_json) == _canonical(new_json), True
    return False, False


def _diff_conf(old: ConfFile, new: ConfFile) -> list[StanzaDiff]:
    old_map = {s.name: s.values for s in old.stanzas}
    new_map = {s.name: s.values for s in new.stanzas}
    result: list[StanzaDiff] = []
    for name in sorted(old_map.keys() | new_map.keys()):
        if name not in new_map:
            result.append(StanzaDiff(name, "removed"))
            continue
        if name not in old_map:
            result.append(StanzaDiff(name, "added"))
            continue
        before, after = old_map[name], new_map[name]
        keys: list[KeyDiff] = []
        for key in sorted(before.keys() | after.keys()):
            if key not in after:
                keys.append(KeyDiff(key, "removed", old=before[key]))
            elif key not in before:
                keys.append(KeyDiff(key, "added", new=after[key]))
            else:
                equal, as_json = _compare_values(before[key], after[key])
                if not equal:
                    keys.append(KeyDiff(key, "changed", before[key], after[key], as_json))
        if keys:
            result.append(StanzaDiff(name, "changed", keys))
    return result


def diff_apps(old: Path, new: Path) -> AppDiff:
    """Compare two builds; raise :class:`AppDiffError` on unreadable input."""
    old, new = Path(old), Path(new)
    old_files, new_files = load_app(old), load_app(new)
    diff = AppDiff(str(old), str(new))
    for rel in sorted(old_files.keys() | new_files.keys()):
        before, after = old_files.get(rel), new_files.get(rel)
        kind: Literal["conf", "file"] = "conf" if _is_conf(rel) else "file"
        old_hash = hashlib.sha256(before).hexdigest() if before is not None else None
        new_hash = hashlib.sha256(after).hexdigest() if after is not None else None
        if before is None:
            if kind == "conf":
                _parse(new, rel, after or b"")
            diff.files.append(FileDiff(rel, kind, "added", None, new_hash))
        elif after is None:
            if kind == "conf":
                _parse(old, rel, before)
            diff.files.append(FileDiff(rel, kind, "removed", old_hash, None))
        elif kind == "conf":
            stanzas = _diff_conf(_parse(old, rel, before), _parse(new, rel, after))
            if stanzas:
                diff.files.append(FileDiff(rel, kind, "changed", old_hash, new_hash, stanzas))
        elif old_hash != new_hash:
            diff.files.append(FileDiff(rel, kind, "changed", old_hash, new_hash))
    return diff


# --------------------------------------------------------------------------- rendering

_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _value_lines(value: str, prefix: str) -> list[str]:
    lines = value.split("\n")
    return [f"{prefix}{line}" for line in lines]


def render_text(diff: AppDiff) -> str:
    """Human-readable report grouped by file, then stanza; ends with a summary line."""
    out: list[str] = [f"--- {diff.old}", f"+++ {diff.new}"]
    if not diff.files:
        out.append("no differences")
        return "\n".join(out) + "\n"
    for f in diff.files:
        if f.status == "changed" and f.kind == "file":
            out.append(
                f"~ {f.path} (content changed, sha256 {(f.old_sha256 or '')[:12]} -> "
                f"{(f.new_sha256 or '')[:12]})"
            )
            continue
        if f.status != "changed":
            out.append(f"{_MARK[f.status]} {f.path} ({f.status})")
            continue
        out.append(f"~ {f.path}")
        for s in f.stanzas:
            out.append(f"  {_MARK[s.status]} [{s.name}]")
            for k in s.keys:
                label = " (JSON)" if k.json else ""
                if k.status == "added":
                    out.extend(_value_lines(k.new or "", f"      + {k.key} = ")[:1])
                    out.extend(_value_lines(k.new or "", "      +   ")[1:])
                elif k.status == "removed":
                    out.extend(_value_lines(k.old or "", f"      - {k.key} = ")[:1])
                    out.extend(_value_lines(k.old or "", "      -   ")[1:])
                else:
                    out.append(f"      ~ {k.key}{label}")
                    out.extend(_changed_lines(k))
    counts = diff.summary()
    out.append(
        "files: {files_added} added, {files_removed} removed, {files_changed} changed; "
        "stanzas: {stanzas_added} added, {stanzas_removed} removed, "
        "{stanzas_changed} changed".format(**counts)
    )
    return "\n".join(out) + "\n"


def _changed_lines(k: KeyDiff) -> list[str]:
    old, new = k.old or "", k.new or ""
    if k.json:
        old = json.dumps(_json_form(old), sort_keys=True, indent=1, ensure_ascii=False)
        new = json.dumps(_json_form(new), sort_keys=True, indent=1, ensure_ascii=False)
    if "\n" not in old and "\n" not in new:
        return [f"          - {old}", f"          + {new}"]
    lines = difflib.unified_diff(old.split("\n"), new.split("\n"), lineterm="", n=1)
    return [f"          {line}" for line in list(lines)[2:]]


def render_json(diff: AppDiff) -> str:
    """The JSON document described in the module docstring (sorted, indented, final newline)."""
    doc = {
        "old": diff.old,
        "new": diff.new,
        "summary": diff.summary(),
        "files": [asdict(f) for f in diff.files],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
