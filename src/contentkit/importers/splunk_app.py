"""`contentkit import splunk-app`: a Splunk app's confs -> a repository in the security_content
layout.

Read (leniently, as Splunk would; `local/` laid over `default/`): `savedsearches.conf` (scheduled and correlation
searches -> detections, `action.escu.search_type = support` searches -> baselines),
`macros.conf` (filter macros that are the generated `search *` are left to the build),
`analyticstories.conf` (stories; the `savedsearch://` stanzas give each detection's asset type),
`transforms.conf` + `collections.conf` + `lookups/` (CSV, KV store and MLTK lookups), `app.conf`
(the app's id, title, version and label). Every other file of the app is copied to
`app_template/`, which the build copies first, so nothing is lost.

What can only be guessed is said so in the report (see `verify.py`: the imported repository is
built and compared with the app, and every setting the build would not reproduce is listed).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contentkit.conf import ConfError, ConfFile, Stanza, read_conf_file
from contentkit.importers.yamlout import slug, write_yaml
from contentkit.render.views import split_status_description

# the files this importer turns into content; every other file of the app goes to app_template/
CONSUMED = {
    "default/savedsearches.conf",
    "default/macros.conf",
    "default/analyticstories.conf",
    "default/transforms.conf",
    "default/collections.conf",
    "default/app.conf",
}
# written by contentkit build itself: not copied to app_template/
GENERATED = {
    "default/content-version.conf",
    "default/server.conf",
    "default/es_investigations.conf",
    "default/workflow_actions.conf",
    "metadata/default.meta",
    "app.manifest",
}
# transforms the build writes from the content itself
GENERATED_TRANSFORMS = {"data_sources", "mitre_enrichment"}
_NAMESPACE = uuid.UUID("0b7a4bd2-3c2e-4a0f-9c55-6b1f52d3b9a1")  # ids of objects the app lacks
_RULE = re.compile(r"^(?P<label>.+?) - (?P<name>.+) - Rule$")
_FILTER = re.compile(r"`([A-Za-z0-9_]+)_filter`")
_DATED = re.compile(r"^(?P<name>.+)_(?P<date>\d{8})\.csv$")
_DEFAULT_FILTER_DESCRIPTION = (
    "Update this macro to limit the output results to filter out false positives."
)
_DETECTION_TYPES = ("TTP", "Anomaly", "Hunting", "Correlation")


class AppImportError(Exception):
    """The app cannot be imported (not an app, unreadable conf, output not writable)."""


@dataclass
class ImportReport:
    output: Path
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # things guessed or kept aside
    leftovers: list[dict[str, str]] = field(default_factory=list)  # filled by verify.py
    renamed: dict[str, str] = field(default_factory=dict)  # app stanza -> stanza of the build
    problems: list[str] = field(default_factory=list)  # validation errors of the result


def _id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _json(value: str | None, default: Any) -> Any:
    if value is None or not value.strip():
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


def _unblank(value: str) -> str:
    """A multi-line value as its author wrote it: contentctl-built apps put one blank before
    every line-continuation backslash, which the conf format keeps at the end of each line."""
    if "\n" not in value:
        return value
    lines = value.split("\n")
    return "\n".join([ln[:-1] if ln.endswith(" ") else ln for ln in lines[:-1]] + [lines[-1]])


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "t", "yes", "y"}


def _read_one(path: Path) -> ConfFile:
    if not path.is_file():
        return ConfFile()
    try:
        return read_conf_file(path, strict=False)
    except ConfError as exc:
        raise AppImportError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AppImportError(f"{path}: cannot read: {exc}") from None


def read_app_conf(app: Path, name: str) -> ConfFile:
    """`default/<name>` with `local/<name>` laid over it, as Splunk layers them: a stanza of
    local/ adds to (and its keys replace those of) the default/ stanza of the same name, and
    the `[default]` stanza's settings apply to every stanza that lacks them. Saved searches
    made in Splunk Web live in local/."""
    conf = _read_one(app / "default" / name)
    local = _read_one(app / "local" / name)
    for stanza in local.stanzas:
        mine = conf.get(stanza.name)
        if mine is None:
            conf.add(stanza.name, stanza.values)
        else:
            mine.values.update(stanza.values)
    defaults = conf.get("default")
    if defaults is not None and defaults.values:
        # settings of [default] apply to every stanza of the file that does not set them
        for stanza in conf.stanzas:
            if stanza is not defaults:
                stanza.values = {**defaults.values, **stanza.values}
    return conf


def _read(app: Path, rel: str) -> ConfFile:
    return read_app_conf(app, rel.split("/", 1)[1])


def _date_of(stamp: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(stamp), tz=UTC).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OverflowError):
        return None


# ---------------------------------------------------------------------------------------------


@dataclass
class _Saved:
    """A scheduled search read from savedsearches.conf, ready to be written as YAML."""

    kind: str  # detection | baseline
    name: str
    type: str
    doc: dict[str, Any]
    schedule: dict[str, Any]  # cron_schedule, earliest_time, latest_time, schedule_window
    disabled: bool
    actions: dict[str, Any]  # alert_action block (rba / notable / email)
    stem: str
    folder: str
    source: str = ""  # the stanza name in the app


def _schedule(stanza: Stanza) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, conf_key in (
        ("cron_schedule", "cron_schedule"),
        ("earliest_time", "dispatch.earliest_time"),
        ("latest_time", "dispatch.latest_time"),
        ("schedule_window", "schedule_window"),
    ):
        value = stanza.get(conf_key)
        if value is not None and value.strip():
            out[key] = value.strip()
    return out


def _replace_fill(text: str, name: str, description: str) -> str:
    if text == name:
        return "%name%"
    if text == description:
        return "%description%"
    return text


def _detection(stanza: Stanza, label: str, assets: dict[str, str], notes: list[str]) -> _Saved:
    match = _RULE.match(stanza.name)
    name = match.group("name") if match and match.group("label") == label else stanza.name
    annotations = _json(stanza.get("action.correlationsearch.annotations"), {})
    metadata = _json(stanza.get("action.correlationsearch.metadata"), {})
    mappings = _json(stanza.get("action.escu.mappings"), {})
    risk = _json(stanza.get("action.risk.param._risk"), [])
    has_risk = _flag(stanza.get("action.risk"))
    has_notable = _flag(stanza.get("action.notable"))
    det_type = annotations.get("type") if isinstance(annotations, dict) else None
    if det_type not in _DETECTION_TYPES:
        det_type = "TTP" if has_notable else ("Anomaly" if has_risk else "Hunting")
    search = _unblank(stanza.get("search") or "")
    description = stanza.get("description") or stanza.get("action.escu.eli5") or name
    description = description.strip() or name
    filters = _FILTER.findall(search)
    stem = filters[-1] if filters else slug(name)
    cis = (mappings.get("cis20") if isinstance(mappings, dict) else None) or []
    domain = stanza.get("action.notable.param.security_domain")
    if not domain:
        domain = "network" if "CIS 13" in cis else "endpoint"
    creation = stanza.get("action.escu.creation_date") or ""
    modification = stanza.get("action.escu.modification_date") or creation
    day = _date_of(metadata.get("publish_time")) if isinstance(metadata, dict) else None
    day = day or modification or creation or "1970-01-01"
    doc: dict[str, Any] = {
        "name": name,
        "id": (metadata.get("detection_id") if isinstance(metadata, dict) else None)
        or _id("detection", name),
        "version": int(str(metadata.get("detection_version", 1)))
        if str(metadata.get("detection_version", "1")).isdigit()
        else 1,
        "date": day,
    }
    if creation and creation != day:
        doc["creation_date"] = creation
    if modification and modification != day:
        doc["modification_date"] = modification
    doc["author"] = stanza.get("action.escu.author") or "imported"
    sources = annotations.get("data_source") if isinstance(annotations, dict) else None
    if sources:
        doc["data_source"] = list(sources)
    doc["type"] = det_type
    deprecated = isinstance(metadata, dict) and str(metadata.get("deprecated", "0")) == "1"
    # contentctl writes a warning before the description of experimental and deprecated content
    marked, description = split_status_description("Detection", description)
    doc["status"] = "deprecated" if deprecated else marked or "production"
    doc["description"] = description.strip() or name
    doc["search"] = search
    doc["how_to_implement"] = stanza.get("action.escu.how_to_implement") or ""
    doc["known_false_positives"] = stanza.get("action.escu.known_false_positives") or ""
    drilldowns = _json(stanza.get("action.notable.param.drilldown_searches"), [])
    if drilldowns:
        doc["drilldown_searches"] = [
            {
                "name": d.get("name", ""),
                "search": d.get("search", "").replace(search, "%original_detection_search%")
                if search
                else d.get("search", ""),
                "earliest_offset": d.get("earliest_offset", "$info_min_time$"),
                "latest_offset": d.get("latest_offset", "$info_max_time$"),
            }
            for d in drilldowns
            if isinstance(d, dict)
        ]
    if not risk and stanza.get("action.risk.param._risk_object"):
        # the older single-object form of the risk action (ES before 7)
        score = (stanza.get("action.risk.param._risk_score") or "0").strip()
        risk = [
            {
                "risk_object_field": (stanza.get("action.risk.param._risk_object") or "").strip(),
                "risk_object_type": (
                    stanza.get("action.risk.param._risk_object_type") or "other"
                ).strip(),
                "risk_score": int(float(score)) if re.fullmatch(r"\d+(\.\d+)?", score) else 0,
            }
        ]
    risk_objects = [r for r in risk if isinstance(r, dict) and "risk_object_field" in r]
    threat_objects = [r for r in risk if isinstance(r, dict) and "threat_object_field" in r]
    if risk_objects or threat_objects or stanza.get("action.risk.param._risk_message"):
        doc["rba"] = {
            "message": stanza.get("action.risk.param._risk_message") or name,
            "risk_objects": [
                {
                    "field": r["risk_object_field"],
                    "type": r.get("risk_object_type", "other"),
                    "score": int(r.get("risk_score", 0)),
                }
                for r in risk_objects
            ],
            "threat_objects": [
                {"field": t["threat_object_field"], "type": t.get("threat_object_type", "other")}
                for t in threat_objects
            ],
        }
    tags: dict[str, Any] = {
        "analytic_story": _json(stanza.get("action.escu.analytic_story"), [])
        or list(annotations.get("analytic_story", []) if isinstance(annotations, dict) else []),
        "asset_type": assets.get(stanza.name, "Endpoint"),
    }
    attack = (mappings.get("mitre_attack") if isinstance(mappings, dict) else None) or (
        annotations.get("mitre_attack") if isinstance(annotations, dict) else None
    )
    if attack:
        tags["mitre_attack_id"] = list(attack)
    if isinstance(annotations, dict) and annotations.get("cve"):
        tags["cve"] = list(annotations["cve"])
    guids = _json(stanza.get("action.escu.atomic_red_team_guids"), [])
    if guids:
        tags["atomic_guid"] = list(guids)
    tags["product"] = _json(stanza.get("action.escu.product"), []) or [
        "Splunk Enterprise",
        "Splunk Enterprise Security",
        "Splunk Cloud",
    ]
    tags["security_domain"] = domain
    doc["tags"] = tags
    if _flag(stanza.get("alert.suppress")) and stanza.get("alert.suppress.fields"):
        period = (stanza.get("alert.suppress.period") or "").strip()
        fields = [f.strip() for f in (stanza.get("alert.suppress.fields") or "").split(",")]
        if re.fullmatch(r"[0-9]+[smhd]", period) and any(fields):
            doc["throttling"] = {"fields": [f for f in fields if f], "period": period}
        else:
            notes.append(f"[{stanza.name}] alert.suppress.period {period!r} kept aside")
    actions: dict[str, Any] = {}
    if has_risk:
        actions["rba"] = {"enabled": True}
    if has_notable:
        title = stanza.get("action.notable.param.rule_title") or name
        if det_type == "Correlation" and title.startswith("RBA: "):
            title = title[len("RBA: ") :]
        nes = stanza.get("action.notable.param.nes_fields") or ""
        actions["notable"] = {
            "rule_title": _replace_fill(title, name, description),
            "rule_description": _replace_fill(
                stanza.get("action.notable.param.rule_description") or description,
                name,
                description,
            ),
            "nes_fields": [f.strip() for f in nes.split(",") if f.strip()],
        }
    if _flag(stanza.get("action.email")) and stanza.get("action.email.to"):
        email = {"to": stanza.get("action.email.to")}
        for key in ("subject", "message"):
            value = stanza.get(f"action.email.{key}" + (".alert" if key == "message" else ""))
            if value:
                email[key] = value
        actions["email"] = email
    folder = domain
    return _Saved(
        "detection",
        name,
        det_type,
        doc,
        _schedule(stanza),
        _flag(stanza.get("disabled")),
        actions,
        stem,
        folder,
        stanza.name,
    )


def _baseline(stanza: Stanza, label: str) -> _Saved:
    name = stanza.name[len(label) + 3 :] if stanza.name.startswith(f"{label} - ") else stanza.name
    search = _unblank(stanza.get("search") or "")
    filters = _FILTER.findall(search)
    creation = stanza.get("action.escu.creation_date") or ""
    day = stanza.get("action.escu.modification_date") or creation or "1970-01-01"
    description = (stanza.get("description") or "").strip() or name
    marked, description = split_status_description("Baseline", description)
    doc: dict[str, Any] = {
        "name": name,
        "id": _id("baseline", name),
        "version": 1,
        "date": day,
        "author": "imported",
        "type": "Baseline",
        "status": marked or "production",
        "description": description.strip() or name,
        "search": search,
        "how_to_implement": stanza.get("action.escu.how_to_implement") or "",
        "known_false_positives": "none",
        "tags": {
            "analytic_story": _json(stanza.get("action.escu.analytic_story"), []),
            "product": ["Splunk Enterprise", "Splunk Enterprise Security", "Splunk Cloud"],
            "security_domain": "endpoint",
        },
    }
    return _Saved(
        "baseline",
        name,
        "Baseline",
        doc,
        _schedule(stanza),
        _flag(stanza.get("disabled")),
        {},
        filters[-1] if filters else slug(name),
        "",
        stanza.name,
    )


def _deployments(saved: list[_Saved]) -> dict[str, dict[str, Any]]:
    """One deployment per type: the schedule, state and actions most of its searches share."""
    out: dict[str, dict[str, Any]] = {}
    for type_ in sorted({s.type for s in saved}):
        group = [s for s in saved if s.type == type_]
        keyed = Counter(
            json.dumps([s.schedule, s.disabled, s.actions], sort_keys=True) for s in group
        )
        schedule, disabled, actions = json.loads(keyed.most_common(1)[0][0])
        doc: dict[str, Any] = {
            "name": f"Imported Default Configuration {type_}",
            "id": _id("deployment", type_),
            "date": "1970-01-01",
            "author": "contentkit import",
            "description": f"The schedule and actions most imported {type_} searches share.",
            "scheduling": {
                "cron_schedule": "0 * * * *",
                "earliest_time": "-70m@m",
                "latest_time": "-10m@m",
                "schedule_window": "auto",
                **schedule,
            },
            "type": type_,
        }
        if actions:
            doc["alert_action"] = actions
        if not disabled:
            doc["disabled"] = False
        out[type_] = doc
    return out


def _override(item: _Saved, deployment: dict[str, Any]) -> dict[str, Any]:
    """The detection's own `deployment:` block: what differs from its type's deployment."""
    override: dict[str, Any] = {}
    base = deployment["scheduling"]
    sched = {k: v for k, v in item.schedule.items() if base.get(k) != v}
    if sched:
        override["scheduling"] = sched
    if item.actions != deployment.get("alert_action", {}):
        override["alert_action"] = item.actions
    if item.disabled != deployment.get("disabled", True):
        override["disabled"] = item.disabled
    return override


# ---------------------------------------------------------------------------------------------


def _app_config(app: Path, label: str) -> dict[str, Any]:
    conf = _read(app, "default/app.conf")

    def value(stanza: str, key: str) -> str:
        found = conf.get(stanza)
        return ((found.get(key) if found else None) or "").strip()

    appid = value("package", "id") or value("id", "name") or app.name
    version = value("id", "version") or value("launcher", "version") or "1.0.0"
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        version = "1.0.0"
    return {
        "path": ".",
        "app": {
            "title": value("ui", "label") or appid,
            "appid": appid,
            "version": version,
            "description": value("launcher", "description") or f"Imported from {appid}",
            "prefix": label,
            "label": label,
            "author_name": value("launcher", "author") or "imported",
            "author_email": "-",
            "author_company": value("launcher", "author") or "imported",
        },
    }


def _label(saved: ConfFile, appid: str) -> str:
    """The prefix of `<label> - <name> - Rule` stanzas, else the app's id."""
    labels = Counter(
        m.group("label") for s in saved.stanzas if (m := _RULE.match(s.name)) is not None
    )
    return labels.most_common(1)[0][0] if labels else appid


def _stories(conf: ConfFile) -> tuple[list[dict[str, Any]], dict[str, str]]:
    stories: list[dict[str, Any]] = []
    assets: dict[str, str] = {}
    for stanza in conf.stanzas:
        if stanza.name.startswith("savedsearch://"):
            asset = (stanza.get("asset_type") or "").strip()
            if asset:
                assets[stanza.name[len("savedsearch://") :]] = asset
            continue
        if not stanza.name.startswith("analytic_story://"):
            continue
        name = stanza.name[len("analytic_story://") :]
        maintainers = _json(stanza.get("maintainers"), [])
        authors = [m.get("name", "") for m in maintainers if isinstance(m, dict) and m.get("name")]
        version = (stanza.get("version") or "1").strip()
        doc: dict[str, Any] = {
            "name": name,
            "id": _id("story", name),
            "version": int(version) if version.isdigit() else 1,
            "date": (stanza.get("last_updated") or "1970-01-01").strip(),
            "author": ", ".join(authors) or "imported",
            "status": split_status_description("Story", (stanza.get("description") or ""))[0]
            or "production",
            "description": split_status_description(
                "Story", (stanza.get("description") or name).strip()
            )[1].strip()
            or name,
            "narrative": (stanza.get("narrative") or "").strip() or name,
            "references": list(_json(stanza.get("references"), [])),
            "tags": {
                "category": [
                    c.strip() for c in (stanza.get("category") or "").split(",") if c.strip()
                ],
                "product": ["Splunk Enterprise", "Splunk Enterprise Security", "Splunk Cloud"],
                "usecase": "Advanced Threat Detection",
            },
        }
        stories.append(doc)
    return stories, assets


def _macros(conf: ConfFile) -> tuple[list[dict[str, Any]], int]:
    out: list[dict[str, Any]] = []
    skipped = 0
    for stanza in conf.stanzas:
        if stanza.name == "default":
            continue
        definition = _unblank(stanza.get("definition") or "")
        description = (stanza.get("description") or "").strip()
        name = stanza.name.split("(", 1)[0]
        if (
            name.endswith("_filter")
            and definition.strip() == "search *"
            and description in ("", _DEFAULT_FILTER_DESCRIPTION)
            and "(" not in stanza.name
        ):
            skipped += 1  # the generated filter macro: the build writes it again
            continue
        doc: dict[str, Any] = {"name": name, "definition": definition}
        if description:
            doc["description"] = description
        args = [a.strip() for a in (stanza.get("args") or "").split(",") if a.strip()]
        if args:
            doc["arguments"] = args
        out.append(doc)
    return out, skipped


def _description_comment(stanza: Stanza) -> str:
    for comment in [*stanza.comments, *(c for cs in stanza.key_comments.values() for c in cs)]:
        text = comment.lstrip("#").strip()
        if text.startswith("description ="):
            return text.split("=", 1)[1].strip()
    return ""


def _lookups(app: Path, out: Path, conf: ConfFile, notes: list[str]) -> int:
    written = 0
    lookup_dir = app / "lookups"
    used: set[str] = set()
    for stanza in conf.stanzas:
        if stanza.name in GENERATED_TRANSFORMS or stanza.name == "default":
            continue
        description = _description_comment(stanza) or f"Lookup {stanza.name}"
        doc: dict[str, Any] = {"name": stanza.name}
        filename = (stanza.get("filename") or "").strip()
        dated = _DATED.match(filename)
        if dated and dated.group("name") == stanza.name:
            day = dated.group("date")
            doc["date"] = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        doc.update({"version": 1, "id": _id("lookup", stanza.name), "author": "imported"})
        if (stanza.get("external_type") or "").strip() == "kvstore":
            doc["lookup_type"] = "kvstore"
            doc["description"] = description
            if (stanza.get("collection") or stanza.name).strip() != stanza.name:
                doc["collection"] = stanza.get("collection")
            doc["fields_list"] = ", ".join(
                f.strip() for f in (stanza.get("fields_list") or "").split(",") if f.strip()
            )
        elif filename:
            data = lookup_dir / filename
            if not data.is_file():
                notes.append(
                    f"transforms.conf [{stanza.name}]: lookups/{filename} is not in the app; "
                    "the lookup was not imported (add the file and its YAML by hand)"
                )
                continue
            used.add(filename)
            doc["lookup_type"] = "csv"
            doc["description"] = description
            (out / "lookups").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data, out / "lookups" / f"{stanza.name}.csv")
        else:
            notes.append(f"transforms.conf [{stanza.name}]: neither a file nor a KV store lookup")
            continue
        # match settings, on file and KV store lookups alike (the build writes them for both)
        if stanza.get("match_type"):
            doc["match_type"] = [
                m.strip() for m in (stanza.get("match_type") or "").split(",") if m.strip()
            ]
        for key in ("min_matches", "max_matches"):
            value = (stanza.get(key) or "").strip()
            if value.isdigit():
                doc[key] = int(value)
        if stanza.get("case_sensitive_match") is not None:
            doc["case_sensitive_match"] = _flag(stanza.get("case_sensitive_match"))
        if stanza.get("default_match") is not None:
            doc["default_match"] = (stanza.get("default_match") or "").strip()
        write_yaml(out / "lookups" / f"{stanza.name}.yml", doc)
        written += 1
    if lookup_dir.is_dir():
        for model in sorted(lookup_dir.glob("*.mlmodel")):
            name = model.stem
            doc = {
                "name": name,
                "version": 1,
                "id": _id("lookup", name),
                "author": "imported",
                "lookup_type": "mlmodel",
                "description": f"MLTK model {name}",
            }
            (out / "lookups").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(model, out / "lookups" / model.name)
            write_yaml(out / "lookups" / f"{name}.yml", doc)
            used.add(model.name)
            written += 1
        for extra in sorted(lookup_dir.iterdir()):
            if extra.is_file() and extra.name not in used and extra.suffix == ".csv":
                if extra.name == "mitre_enrichment.csv":
                    (out / "app_template/lookups").mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(extra, out / "app_template/lookups" / extra.name)
                elif not extra.name.startswith("data_sources_"):
                    notes.append(f"lookups/{extra.name}: no transforms.conf stanza uses it; kept")
                    (out / "app_template/lookups").mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(extra, out / "app_template/lookups" / extra.name)
    return written


def _data_sources(app: Path, names: Iterable[str], notes: list[str]) -> list[dict[str, Any]]:
    """Data sources by name, with source and sourcetype from the app's data_sources lookup when
    it has one."""
    known: dict[str, dict[str, str]] = {}
    for csv_file in sorted((app / "lookups").glob("data_sources_*.csv")):
        import csv

        with open(csv_file, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("name"):
                    known[row["name"]] = row
    out: list[dict[str, Any]] = []
    guessed = 0
    for name in sorted(set(names)):
        row = known.get(name, {})
        if not row:
            guessed += 1
        doc: dict[str, Any] = {
            "name": name,
            "id": row.get("id") or _id("data_source", name),
            "author": row.get("author") or "imported",
            "source": row.get("source") or "unknown",
            "sourcetype": row.get("sourcetype") or "unknown",
        }
        if row.get("description"):
            doc["description"] = row["description"]
        if row.get("separator"):
            doc["separator"] = row["separator"]
        out.append(doc)
    if guessed:
        notes.append(
            f"{guessed} data sources are known only by name (the app has no data_sources "
            "lookup): their source and sourcetype are 'unknown'"
        )
    return out


def _copy_rest(app: Path, out: Path) -> int:
    copied = 0
    for path in sorted(app.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(app).as_posix()
        if rel in CONSUMED or rel in GENERATED or rel.startswith(("lookups/", "local/")):
            continue
        dest = out / "app_template" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        copied += 1
    return copied


def find_app_root(folder: Path) -> Path:
    """The app folder: `folder` itself when it has default/, else its only subfolder that has."""
    if (folder / "default").is_dir():
        return folder
    inner = [p for p in folder.iterdir() if p.is_dir() and (p / "default").is_dir()]
    if len(inner) == 1:
        return inner[0]
    raise AppImportError(f"{folder}: not a Splunk app (no default/ folder)")


def import_app(app: Path, out: Path) -> ImportReport:
    """Write the repository for the app folder `app` into `out` (which must be empty)."""
    report = ImportReport(out)
    notes = report.notes
    saved_conf = _read(app, "default/savedsearches.conf")
    label = _label(saved_conf, _app_config(app, "")["app"]["appid"])
    stories, assets = _stories(_read(app, "default/analyticstories.conf"))
    saved: list[_Saved] = []
    for stanza in saved_conf.stanzas:
        if stanza.name == "default":
            continue
        if stanza.get("action.escu.search_type") == "support":
            saved.append(_baseline(stanza, label))
        elif _flag(stanza.get("enableSched")) or stanza.get("action.correlationsearch.enabled"):
            saved.append(_detection(stanza, label, assets, notes))
        else:
            notes.append(f"savedsearches.conf [{stanza.name}]: not scheduled; not imported")
    write_yaml(out / "contentctl.yml", _app_config(app, label))
    deployments = _deployments(saved)
    for type_, doc in deployments.items():
        write_yaml(out / "deployments" / f"imported_default_configuration_{slug(type_)}.yml", doc)
    stems: Counter[str] = Counter()
    for item in saved:
        override = _override(item, deployments[item.type])
        if override:
            item.doc["deployment"] = override
        stem = item.stem
        stems[stem] += 1
        if stems[stem] > 1:
            notes.append(f"{item.name}: a second search calls `{stem}_filter`")
        built = f"{label} - {item.name}" + (" - Rule" if item.kind == "detection" else "")
        if item.source != built:
            report.renamed[item.source] = built
            report.renamed[f"savedsearch://{item.source}"] = f"savedsearch://{built}"
        if item.kind == "detection" and f"`{stem}_filter`" not in item.doc["search"]:
            # every detection calls its `<file stem>_filter` macro (a `search *` until a
            # team adds its exclusions): the search gains the call
            item.doc["search"] = item.doc["search"].rstrip() + f"\n| `{stem}_filter`"
            report.counts["searches given their filter macro"] += 1
        if item.kind == "detection":
            path = out / "detections" / item.folder / f"{stem}.yml"
        else:
            path = out / "baselines" / f"{stem}.yml"
        write_yaml(path, item.doc)
        report.counts[f"{item.kind}s"] += 1
    for story in stories:
        write_yaml(out / "stories" / f"{slug(story['name'])}.yml", story)
    report.counts["stories"] = len(stories)
    macros, skipped = _macros(_read(app, "default/macros.conf"))
    seen: Counter[str] = Counter()
    for macro in macros:
        stem = slug(macro["name"])
        seen[stem] += 1
        if seen[stem] > 1:
            stem = f"{stem}_{len(macro.get('arguments', []))}"
        write_yaml(out / "macros" / f"{stem}.yml", macro)
    report.counts["macros"] = len(macros)
    report.counts["generated filter macros left to the build"] = skipped
    report.counts["lookups"] = _lookups(app, out, _read(app, "default/transforms.conf"), notes)
    source_names: list[str] = []
    for item in saved:
        for name in item.doc.get("data_source", []):
            source_names += [part.strip() for part in name.split(" AND ") if part.strip()]
    for doc in _data_sources(app, source_names, notes):
        write_yaml(out / "data_sources" / f"{slug(doc['name'])}.yml", doc)
        report.counts["data_sources"] += 1
    report.counts["deployments"] = len(deployments)
    renamed = sum(1 for name in report.renamed if not name.startswith("savedsearch://"))
    if renamed:
        notes.append(
            f"{renamed} saved searches are named `{label} - <name> - Rule` (or `{label} - <name>` "
            "for baselines) by the build, as ES content is"
        )
    notes.append("authors are not in the app's confs: detections and baselines say 'imported'")
    report.counts["files kept in app_template/"] = _copy_rest(app, out)
    if (app / "local").is_dir():
        notes.append(
            "local/ is laid over default/ for the confs imported here; its other files are "
            "not copied (they hold a site's own settings)"
        )
    return report


def import_splunk_app(source: Path, output: Path) -> ImportReport:
    """Import the app folder or package `source` into the new repository `output`, then prove
    the import by building it (see verify.py). The repository appears only when complete."""
    from contentkit.apps.model import AppUnavailable
    from contentkit.apps.unpack import is_package_name, unpack_app
    from contentkit.importers.verify import verify_import

    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise AppImportError(f"{output}: already exists and is not empty")
    if not source.exists():
        raise AppImportError(f"{source}: no such file or folder")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".contentkit-import.", dir=output.parent) as tmp:
        work = Path(tmp)
        if source.is_file() and (is_package_name(source) or source.name.endswith(".tar")):
            try:  # the unpacker of `contentkit.apps`: unsafe members refused, size bounded
                app = find_app_root(unpack_app(source, work / "app", origin=str(source)))
            except AppUnavailable as exc:
                raise AppImportError(f"{source}: {exc.reason}") from None
        elif source.is_dir():
            app = find_app_root(source)
        else:
            raise AppImportError(f"{source}: neither an app folder nor a .tgz/.tar.gz/.spl package")
        repo = work / "repo"
        repo.mkdir()
        report = import_app(app, repo)
        errors, leftovers = verify_import(app, repo, report.renamed)
        report.problems = [e.format() for e in errors]
        report.leftovers = leftovers or []
        write_report(repo / IMPORT_REPORT, report)
        if output.exists():
            output.rmdir()
        shutil.move(str(repo), str(output))
    report.output = output
    return report


IMPORT_REPORT = "import-report.json"


def write_report(path: Path, report: ImportReport) -> None:
    from contentkit.importers.verify import summary

    data = {
        "counts": dict(report.counts),
        "notes": report.notes,
        "validation_errors": report.problems,
        "leftovers_by_key": dict(summary(report.leftovers)),
        "leftovers": report.leftovers,
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
