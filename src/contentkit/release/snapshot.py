"""What a release contains, object by object: id, version, date, status and a digest of what
the build writes for it. Made from a built app (folder or package), from a content repository
(built into a temporary folder), or from a version lock file committed in the repository.

The digest leaves out what only records a release (the version and date keys themselves,
the story's list of searches, a lookup file's dated name), so that it changes exactly when the
object's built content does.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from contentkit.conf.conffile import ConfError, read_conf

LOCK_VERSION = 1
# Keys left out of the digest: those that only record a release, and those that contentctl and
# contentkit derive differently from the same YAML (so that a previous release built by
# contentctl compares equal to the same content built by contentkit).
_DERIVED = {
    "action.escu.providing_technologies",
    "providing_technologies",
    "action.escu.data_models",
}
_DROP = {
    "detection": {"action.escu.creation_date", "action.escu.modification_date", *_DERIVED},
    "story": {"version", "last_updated", "searches", "category", *_DERIVED},
    "lookup": {"filename"},
}


class SnapshotError(Exception):
    """The previous release cannot be read."""


@dataclass(frozen=True)
class Entry:
    kind: str  # detection | story | macro | lookup
    name: str
    digest: str
    id: str | None = None
    version: int | None = None
    date: str | None = None
    status: str = "production"


@dataclass
class Snapshot:
    app_version: str | None
    entries: dict[str, Entry] = field(default_factory=dict)  # "kind:name" -> entry

    def add(self, entry: Entry) -> None:
        self.entries[f"{entry.kind}:{entry.name}"] = entry

    def to_lock(self) -> dict[str, Any]:
        return {
            "lock_version": LOCK_VERSION,
            "app_version": self.app_version,
            "objects": {key: asdict(e) for key, e in sorted(self.entries.items())},
        }


def _url(text: str) -> str:
    """A URL as contentctl's validator writes it: blanks escaped, `/` for an empty path."""
    from urllib.parse import urlsplit

    text = text.strip().replace(" ", "%20")
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.scheme in {"http", "https"} and parts.netloc and not parts.path:
        return parts._replace(path="/").geturl()
    return text


def _normal(value: str) -> str:
    """A conf value with the differences that mean nothing taken out: blanks at line ends,
    JSON layout, the order of JSON lists of strings, URL spelling."""
    text = value.strip()
    if text[:1] in "[{":
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
                parsed = sorted(_url(x) if x.startswith("http") else x for x in parsed)
            return json.dumps(parsed, sort_keys=True)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _digest(values: dict[str, str], drop: set[str], extra: bytes = b"") -> str:
    kept = {k: _normal(v) for k, v in sorted(values.items()) if k not in drop}
    if "action.correlationsearch.metadata" in kept:
        try:
            meta = json.loads(kept["action.correlationsearch.metadata"])
            meta.pop("detection_version", None)
            meta.pop("publish_time", None)
            kept["action.correlationsearch.metadata"] = json.dumps(meta, sort_keys=True)
        except ValueError:
            pass
    text = json.dumps(kept, sort_keys=True).encode("utf-8") + extra
    return hashlib.sha256(text).hexdigest()[:16]


def _conf(files: dict[str, bytes], rel: str) -> Any:
    data = files.get(rel)
    if data is None:
        return []
    try:
        return read_conf(data.decode("utf-8"), source=rel, strict=False)
    except (ConfError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{rel}: {exc}") from None


def _app_version(files: dict[str, bytes]) -> str | None:
    for stanza in _conf(files, "default/app.conf"):
        if stanza.name in {"launcher", "id"} and "version" in stanza.values:
            return str(stanza.values["version"])
    return None


def from_app_files(files: dict[str, bytes]) -> Snapshot:
    """A snapshot of a built app: `{path inside the app: bytes}`."""
    snap = Snapshot(_app_version(files))
    explanations = {
        s.name.removeprefix("savedsearch://"): s.values
        for s in _conf(files, "default/analyticstories.conf")
        if s.name.startswith("savedsearch://")
    }
    for stanza in _conf(files, "default/savedsearches.conf"):
        values = stanza.values
        meta_text = values.get("action.correlationsearch.metadata")
        if not meta_text or not stanza.name.endswith(" - Rule"):
            continue
        try:
            meta = json.loads(meta_text)
        except ValueError:
            continue
        name = values.get("action.correlationsearch.label") or stanza.name
        extra = _digest(explanations.get(stanza.name, {}), _DROP["detection"]).encode()
        version = meta.get("detection_version")
        snap.add(
            Entry(
                "detection",
                _detection_name(name),
                _digest(values, _DROP["detection"], extra),
                id=meta.get("detection_id"),
                version=int(version) if str(version).isdigit() else None,
                date=values.get("action.escu.modification_date"),
                status="deprecated" if str(meta.get("deprecated")) == "1" else "production",
            )
        )
    for stanza in _conf(files, "default/analyticstories.conf"):
        if not stanza.name.startswith("analytic_story://"):
            continue
        values = stanza.values
        version = values.get("version", "")
        snap.add(
            Entry(
                "story",
                stanza.name.removeprefix("analytic_story://"),
                _digest(values, _DROP["story"]),
                version=int(version) if version.isdigit() else None,
                date=values.get("last_updated"),
            )
        )
    for stanza in _conf(files, "default/macros.conf"):
        snap.add(Entry("macro", stanza.name, _digest(stanza.values, set())))
    for stanza in _conf(files, "default/transforms.conf"):
        filename = stanza.values.get("filename", "")
        data = files.get(f"lookups/{filename}", b"") if filename else b""
        snap.add(
            Entry(
                "lookup",
                stanza.name,
                _digest(stanza.values, _DROP["lookup"], hashlib.sha256(data).digest()),
                date=_lookup_date(filename),
            )
        )
    return snap


def _detection_name(label: str) -> str:
    """`<prefix> - <name> - Rule` -> `<name>`."""
    parts = label.split(" - ")
    if len(parts) >= 3 and parts[-1] == "Rule":
        return " - ".join(parts[1:-1])
    return label


def _lookup_date(filename: str) -> str | None:
    stem = Path(filename).stem
    tail = stem.rsplit("_", 1)[-1]
    if len(tail) == 8 and tail.isdigit():
        return f"{tail[:4]}-{tail[4:6]}-{tail[6:]}"
    return None


def from_repository(root: Path) -> Snapshot:
    """Validate and build the repository at `root` into a temporary folder, then snapshot it;
    versions and dates of macros and lookups come from their YAML."""
    from contentkit.content.validate import RepositoryError, validate
    from contentkit.render.appdiff import load_app
    from contentkit.render.build import assemble

    try:
        report = validate(root)
    except RepositoryError as exc:
        raise SnapshotError(str(exc)) from None
    if report.errors or report.content.config is None:
        first = report.errors[0].format() if report.errors else "contentctl.yml is missing"
        raise SnapshotError(f"{root}: does not validate ({len(report.errors)} errors): {first}")
    content = report.content
    with tempfile.TemporaryDirectory(prefix="contentkit-release-") as temp:
        app_dir = Path(temp) / "app"
        app_dir.mkdir()
        assemble(content, app_dir, source_date_epoch=0, progress=lambda _m: None)
        snap = from_app_files(load_app(app_dir))
    detections = {d.name: d for d in content.detections}
    for key, entry in list(snap.entries.items()):
        if entry.kind == "detection" and entry.name in detections:
            det = detections[entry.name]
            snap.entries[key] = Entry(
                entry.kind, entry.name, entry.digest, det.id, det.version, det.date, det.status
            )
    for story in content.stories:
        found = snap.entries.get(f"story:{story.name}")
        if found is not None:
            snap.add(
                Entry(
                    "story",
                    story.name,
                    found.digest,
                    story.id,
                    story.version,
                    story.date,
                    story.status,
                )
            )
    for macro in content.macros:
        in_app = snap.entries.get(f"macro:{macro.key}")
        if in_app is not None:
            version, date = _macro_version(root, macro.file)
            snap.add(Entry("macro", macro.key, in_app.digest, None, version, date))
    for lookup in content.lookups:
        listed = snap.entries.get(f"lookup:{lookup.name}")
        if listed is not None:
            snap.add(
                Entry(
                    "lookup",
                    lookup.name,
                    listed.digest,
                    lookup.id or None,
                    lookup.version,
                    lookup.date or None,
                )
            )
    # lookups the build makes itself (data_sources, mitre_enrichment) carry no release date
    own = {lk.name for lk in content.lookups}
    for key, entry in list(snap.entries.items()):
        if entry.kind == "lookup" and entry.name not in own:
            snap.entries[key] = Entry(entry.kind, entry.name, entry.digest)
    return snap


def _macro_version(root: Path, rel: str) -> tuple[int | None, str | None]:
    """A macro's `version` and `date`: optional in its YAML (contentctl 5 accepts them); a
    missing version is 1, as contentctl takes it, so a changed macro must say version 2."""
    import yaml

    try:
        doc = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    version = doc.get("version", 1)
    date = doc.get("date")
    return (
        int(str(version)) if str(version).isdigit() else None,
        str(date) if date is not None else None,
    )


def from_lock(path: Path) -> Snapshot:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path}: not a readable version lock ({exc})") from None
    if not isinstance(doc, dict) or "objects" not in doc:
        raise SnapshotError(f"{path}: not a contentkit version lock (no 'objects')")
    if not isinstance(doc["objects"], dict):
        raise SnapshotError(f"{path}: 'objects' must map each object to its entry")
    app_version = doc.get("app_version")
    if app_version is not None and not isinstance(app_version, str):
        raise SnapshotError(f"{path}: 'app_version' must be text, not {json.dumps(app_version)}")
    snap = Snapshot(app_version)
    for key, raw in doc["objects"].items():
        if not isinstance(raw, dict):
            raise SnapshotError(f"{path}: entry {key!r} must be an object")
        problem = _entry_problem(raw)
        if problem:
            raise SnapshotError(f"{path}: entry {key!r}: {problem}")
        try:
            snap.entries[key] = Entry(**raw)
        except TypeError as exc:
            raise SnapshotError(f"{path}: entry {key!r}: {exc}") from None
    return snap


#: the type each field of a lock entry must have (``None`` allowed where the Entry allows it)
_ENTRY_TYPES: dict[str, tuple[type, bool]] = {
    "kind": (str, False),
    "name": (str, False),
    "digest": (str, False),
    "id": (str, True),
    "version": (int, True),
    "date": (str, True),
    "status": (str, False),
}


def _entry_problem(raw: dict[str, Any]) -> str | None:
    """What is wrong with the types of a lock entry's fields (``None``: nothing)."""
    for name, value in raw.items():
        expected = _ENTRY_TYPES.get(name)
        if expected is None:
            continue  # an unknown field: Entry(**raw) names it
        kind, nullable = expected
        if value is None and nullable:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            wanted = "a whole number" if kind is int else "text"
            return f"'{name}' must be {wanted}, not {json.dumps(value)}"
    return None


def load_previous(path: Path) -> Snapshot:
    """A snapshot of PACKAGE_OR_DIR: a version lock (.json), a content repository (a folder
    with contentctl.yml), or a built app (folder or .tar.gz/.tgz/.spl)."""
    from contentkit.render.appdiff import AppDiffError, load_app

    if not path.exists():
        raise SnapshotError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix == ".json":
        return from_lock(path)
    if path.is_dir() and (path / "contentctl.yml").is_file():
        return from_repository(path)
    try:
        return from_app_files(load_app(path))
    except AppDiffError as exc:
        raise SnapshotError(str(exc)) from None


def write_lock(snapshot: Snapshot, path: Path) -> None:
    from contentkit.atomicfile import write_text_atomic

    write_text_atomic(path, json.dumps(snapshot.to_lock(), indent=2) + "\n")
