"""New content: `contentkit init` (a whole repository) and `contentkit new` (one object).

`init` copies the skeleton shipped in `contentkit/content/skeleton/` (the layout of Splunk's
security_content: one detection with its datasets, a macro, a story, a data source, deployments
for every detection type) with fresh ids and today's date, and writes a `contentctl.yml` for
the app. `new` writes one YAML file that validates: a fresh UUID, today's date, version 1 and,
for detections, the `<file_stem>_filter` macro at the end of the search.

Files are written with `O_EXCL`: nothing that exists is ever overwritten.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from contentkit.content.layout import CONFIG_FILE, FOLDERS

SKELETON = "skeleton"
DETECTION_TYPES = ("TTP", "Anomaly", "Hunting", "Correlation")
SECURITY_DOMAINS = ("endpoint", "network", "threat", "identity", "access", "audit")
DETECTION_FOLDERS = ("endpoint", "network", "cloud", "web", "application")
PRODUCTS = ["Splunk Enterprise", "Splunk Enterprise Security", "Splunk Cloud"]
_ID_LINE = re.compile(r"^id: .*$", re.M)
_DATE_LINE = re.compile(r"^date: .*$", re.M)


class ScaffoldError(Exception):
    """The new content cannot be written (exists already, bad option value, not writable)."""


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def file_stem(name: str) -> str:
    """`Suspicious 7zip Usage` -> `suspicious_7zip_usage`: the file name and filter macro stem."""
    from contentkit.content.contentctl_rules import control_character

    bad = control_character(name)
    if bad is not None:  # validate refuses it too: a name becomes a .conf stanza name
        raise ScaffoldError(f"name {name!r} holds the control character U+{ord(bad):04X}")
    stem = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not stem:
        raise ScaffoldError(f"name {name!r} has no letters or digits to make a file name from")
    return stem


def _write_new(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("xb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
    except FileExistsError:
        raise ScaffoldError(f"{path}: already exists (nothing was overwritten)") from None
    except OSError as exc:
        raise ScaffoldError(f"{path}: cannot write: {exc.strerror}") from None


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


# ---------------------------------------------------------------------------------------------
# init


@dataclass
class AppSettings:
    appid: str = "DA-ESS-MyContent"
    title: str = "My Detections"
    prefix: str = "MYCO"
    version: str = "0.1.0"
    author_name: str = "Detection Engineering"
    author_email: str = "detections@example.com"
    author_company: str = "Example Corp"
    description: str = "Detections built and tested with contentkit."


def _config_text(app: AppSettings) -> str:
    doc = {
        "path": ".",
        "app": {
            "uid": None,
            "title": app.title,
            "appid": app.appid,
            "version": app.version,
            "description": app.description,
            "prefix": app.prefix,
            "label": app.prefix,
            "author_name": app.author_name,
            "author_email": app.author_email,
            "author_company": app.author_company,
        },
        "build_path": "build",
        "build_api": False,
        "enforce_deprecation_mapping_requirement": False,
        "test_data_caches": [],
        "mitre_enrichment": "lookups/mitre_enrichment.csv",
    }
    return (
        "# The app this content pack builds into (the keys of Splunk's contentctl.yml).\n"
        + _dump(doc)
    )


def _skeleton_files() -> list[tuple[str, bytes]]:
    root = resources.files("contentkit.content").joinpath(SKELETON)
    out: list[tuple[str, bytes]] = []

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, rel + "/")
            elif not child.name.startswith("."):
                out.append((rel, child.read_bytes()))

    walk(root, "")
    return out


def init_repository(target: Path, app: AppSettings | None = None) -> list[Path]:
    """Write a new content repository into `target` (created if missing; it must not already
    hold a contentctl.yml or content folders). Returns the files written."""
    app = app or AppSettings()
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", app.appid):
        raise ScaffoldError(f"app id {app.appid!r}: only letters, digits, '_', '.' and '-'")
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target}: not a directory")
    if (target / CONFIG_FILE).exists():
        raise ScaffoldError(f"{target / CONFIG_FILE}: already exists (nothing was written)")
    taken = [f for f in (*FOLDERS, "datasets") if (target / f).exists()]
    if taken:
        raise ScaffoldError(f"{target}: already has {', '.join(taken)} (nothing was written)")
    day = today()
    files: list[tuple[str, bytes]] = [(CONFIG_FILE, _config_text(app).encode())]
    for rel, data in _skeleton_files():
        if rel.endswith((".yml", ".yaml")):
            text = data.decode("utf-8")
            text = _ID_LINE.sub(lambda _m: f"id: {uuid.uuid4()}", text, count=1)
            text = _DATE_LINE.sub(f"date: '{day}'", text, count=1)
            text = text.replace("contentkit developers", app.author_name)
            data = text.encode("utf-8")
        files.append((rel, data))
    files.append((".gitignore", b"build/\ntest_results/\n.contentkit-cache/\n"))
    written = []
    for rel, data in files:
        path = target / rel
        _write_new(path, data)
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# new


@dataclass
class DetectionSpec:
    name: str
    type: str = "TTP"
    folder: str = "endpoint"
    security_domain: str = "endpoint"
    author: str = "Detection Engineering"
    description: str = ""
    search: str = ""
    data_sources: list[str] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    mitre_attack_ids: list[str] = field(default_factory=list)
    risk_field: str = "user"
    risk_type: str = "user"
    risk_score: int = 50
    asset_type: str = "Endpoint"
    status: str = "production"
    dataset: str | None = None
    source: str | None = None
    sourcetype: str | None = None


def _new_object(name: str, author: str) -> dict[str, Any]:
    """The fields every new object starts with: its name, a new id, version 1, today's date
    and its author."""
    return {"name": name, "id": str(uuid.uuid4()), "version": 1, "date": today(), "author": author}


def detection_doc(spec: DetectionSpec) -> tuple[str, dict[str, Any]]:
    """(repository-relative path, YAML document) of a new detection."""
    if spec.type not in DETECTION_TYPES:
        raise ScaffoldError(f"type {spec.type!r}: one of {', '.join(DETECTION_TYPES)}")
    if spec.security_domain not in SECURITY_DOMAINS:
        raise ScaffoldError(
            f"security domain {spec.security_domain!r}: one of {', '.join(SECURITY_DOMAINS)}"
        )
    if not 0 <= spec.risk_score <= 100:
        raise ScaffoldError(f"risk score {spec.risk_score}: between 0 and 100")
    stem = file_stem(spec.name)
    filter_call = f"`{stem}_filter`"
    search = spec.search.strip() or (
        f"index=main {spec.risk_field}=* | stats count min(_time) as firstTime "
        f"max(_time) as lastTime by {spec.risk_field}"
    )
    if filter_call not in search:
        search = f"{search} | {filter_call}"
    description = spec.description or f"Detects {spec.name.lower()}."
    doc: dict[str, Any] = {
        **_new_object(spec.name, spec.author),
        "status": spec.status,
        "type": spec.type,
        "description": description,
        "data_source": list(spec.data_sources),
        "search": search,
        "how_to_implement": "Describe the data this search needs and how to onboard it.",
        "known_false_positives": "unknown",
        "references": [],
    }
    if spec.type != "Hunting":
        doc["rba"] = {
            "message": f"{spec.name} by ${spec.risk_field}$",
            "risk_objects": [
                {"field": spec.risk_field, "type": spec.risk_type, "score": spec.risk_score}
            ],
            "threat_objects": [],
        }
    doc["tags"] = {
        "analytic_story": list(spec.stories),
        "asset_type": spec.asset_type,
        "mitre_attack_id": list(spec.mitre_attack_ids),
        "product": list(PRODUCTS),
        "security_domain": spec.security_domain,
    }
    if spec.dataset:
        doc["tests"] = [
            {
                "name": "True Positive Test",
                "attack_data": [
                    {
                        "data": spec.dataset,
                        "source": spec.source or spec.sourcetype or "contentkit",
                        "sourcetype": spec.sourcetype or "_json",
                    }
                ],
            }
        ]
    return f"detections/{spec.folder}/{stem}.yml", doc


def story_doc(
    name: str, author: str, description: str = "", narrative: str = "", category: str = ""
) -> tuple[str, dict[str, Any]]:
    doc = {
        **_new_object(name, author),
        "status": "production",
        "description": description or f"Detections for {name}.",
        "narrative": narrative or f"Why {name} matters, and what its detections look for.",
        "references": [],
        "tags": {
            "category": [category or "Adversary Tactics"],
            "product": list(PRODUCTS),
            "usecase": "Advanced Threat Detection",
        },
    }
    return f"stories/{file_stem(name)}.yml", doc


def macro_doc(
    name: str, definition: str, description: str = "", arguments: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ScaffoldError(f"macro name {name!r}: only letters, digits and '_'")
    args = list(arguments or [])
    missing = [a for a in args if f"${a}$" not in definition]
    if missing:
        raise ScaffoldError(
            f"macro {name}: argument(s) {', '.join(missing)} not used as $arg$ in the definition"
        )
    doc: dict[str, Any] = {"name": name, "definition": definition}
    if args:
        doc["arguments"] = args
    doc["description"] = description or f"The {name} macro."
    return f"macros/{name}.yml", doc


def lookup_doc(
    name: str, description: str, columns: list[str], *, kvstore: bool = False
) -> tuple[str, dict[str, Any], str | None]:
    """(path, YAML document, CSV text or None for a KV store collection)."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ScaffoldError(f"lookup name {name!r}: only letters, digits and '_'")
    if not columns:
        raise ScaffoldError(f"lookup {name}: give at least one column (--field)")
    doc: dict[str, Any] = {
        **_new_object(name, "Detection Engineering"),
        "description": description or f"The {name} lookup.",
    }
    if kvstore:
        doc.update({"lookup_type": "kvstore", "collection": name, "fields": ["_key", *columns]})
        return f"lookups/{name}.yml", doc, None
    doc.update({"lookup_type": "csv", "case_sensitive_match": "false"})
    return f"lookups/{name}.yml", doc, ",".join(columns) + "\n"


def data_source_doc(
    name: str, source: str, sourcetype: str, author: str, description: str = ""
) -> tuple[str, dict[str, Any]]:
    doc = {
        **_new_object(name, author),
        "description": description or f"{name} events.",
        "source": source,
        "sourcetype": sourcetype,
        "supported_TA": [],
    }
    return f"data_sources/{file_stem(name)}.yml", doc


def write_object(root: Path, rel: str, doc: dict[str, Any], extra: str | None = None) -> Path:
    """Write one new object (and, for CSV lookups, its CSV next to it)."""
    path = root / rel
    if path.exists():
        raise ScaffoldError(f"{path}: already exists (nothing was overwritten)")
    if extra is not None:
        _write_new(path.with_suffix(".csv"), extra)
    _write_new(path, _dump(doc))
    return path
