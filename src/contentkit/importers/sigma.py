"""`contentkit import sigma`: Sigma rules -> detections, converted by pySigma's Splunk backend.

Each rule is converted with the CIM data-model pipeline (`splunk_cim`, `tstats` over the data
model) when its log source maps to a data model, else with the Windows pipeline
(`splunk_windows`) or none, as a plain search behind a log-source macro. `--pipeline NAME`
chooses the pySigma pipelines instead. Rules pySigma cannot convert are listed with its reason.

Mapped: title -> name, id, date, author, description, status, level -> risk score and type,
ATT&CK tags -> `mitre_attack_id`, falsepositives -> `known_false_positives`, references, log
source -> data source (written to data_sources/ when the repository lacks it), and a filter
macro per detection. pySigma is an optional dependency: `pip install 'contentkit[import]'`.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contentkit.importers.yamlout import slug, write_yaml

_NAMESPACE = uuid.UUID("5f0c2a7e-41d3-4b8e-9f6a-0c1d2e3f4a5b")
_SCORES = {"informational": 10, "low": 25, "medium": 50, "high": 70, "critical": 90}
_TYPES = {"informational": "Hunting", "low": "Anomaly", "medium": "Anomaly"}
_STATUS = {"experimental": "experimental", "deprecated": "deprecated", "unsupported": "deprecated"}
_SYSMON = ("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "XmlWinEventLog")
# (product, category or service) -> (data source name, source, sourcetype, event code)
_SOURCES: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("windows", "process_creation"): ("Sysmon EventID 1", *_SYSMON, "1"),
    ("windows", "network_connection"): ("Sysmon EventID 3", *_SYSMON, "3"),
    ("windows", "image_load"): ("Sysmon EventID 7", *_SYSMON, "7"),
    ("windows", "file_event"): ("Sysmon EventID 11", *_SYSMON, "11"),
    ("windows", "registry_add"): ("Sysmon EventID 12", *_SYSMON, "12"),
    ("windows", "registry_delete"): ("Sysmon EventID 12", *_SYSMON, "12"),
    ("windows", "registry_set"): ("Sysmon EventID 13", *_SYSMON, "13"),
    ("windows", "registry_event"): ("Sysmon EventID 13", *_SYSMON, "13"),
    ("windows", "dns_query"): ("Sysmon EventID 22", *_SYSMON, "22"),
    ("windows", "security"): (
        "Windows Event Log Security",
        "XmlWinEventLog:Security",
        "XmlWinEventLog",
        "",
    ),
    ("windows", "system"): (
        "Windows Event Log System",
        "XmlWinEventLog:System",
        "XmlWinEventLog",
        "",
    ),
}
# output field -> threat object type, in order of preference
_THREATS = (
    ("process", "process"),
    ("CommandLine", "process"),
    ("registry_key_name", "registry_path"),
    ("TargetObject", "registry_path"),
    ("DestinationIp", "ip_address"),
    ("dest_ip", "ip_address"),
    ("QueryName", "domain"),
    ("TargetFilename", "file_path"),
    ("file_path", "file_path"),
    ("Image", "process"),
)
_FIELD = re.compile(r'(?<![\w."])([A-Za-z_][\w.]*)\s*(?:=|!=|>|<| IN )')
_BY = re.compile(r"\bby\s+(.+?)\s*\|")


class SigmaImportError(Exception):
    """pySigma missing, or a rule path that does not exist."""


@dataclass
class Converted:
    file: str
    name: str
    path: Path  # the detection YAML written
    form: str  # "data model" or "plain search"


@dataclass
class SigmaReport:
    converted: list[Converted] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (rule file or title, reason)
    written: list[Path] = field(default_factory=list)  # macros, data sources, config
    problems: list[str] = field(default_factory=list)  # validation errors of the repository


def _sigma() -> Any:
    try:
        import sigma  # noqa: F401
        from sigma.backends.splunk import SplunkBackend  # noqa: F401
    except ImportError:
        raise SigmaImportError(
            "importing Sigma rules needs pySigma and its Splunk backend: "
            "pip install 'contentkit[import]'"
        ) from None
    import sigma as module

    return module


def rule_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"})
        elif path.is_file():
            files.append(path)
        else:
            raise SigmaImportError(f"{path}: no such file or folder")
    return files


def _pipelines(names: Sequence[str]) -> list[Any]:
    from sigma.plugins import InstalledSigmaPlugins

    known = InstalledSigmaPlugins.autodiscover().pipelines
    out = []
    for name in names:
        if name not in known:
            raise SigmaImportError(
                f"unknown pySigma pipeline {name!r} (installed: {', '.join(sorted(known))})"
            )
        out.append(known[name]())
    return out


def _convert(rule: Any, pipelines: list[Any], fmt: str) -> str:
    """One converted query, or SigmaError with pySigma's reason."""
    from sigma.backends.splunk import SplunkBackend
    from sigma.processing.pipeline import ProcessingPipeline

    pipeline = sum(pipelines, ProcessingPipeline()) if pipelines else None
    backend = SplunkBackend(pipeline) if pipeline is not None else SplunkBackend()
    queries = backend.convert_rule(copy.deepcopy(rule), fmt)
    if len(queries) != 1 or not isinstance(queries[0], str) or not queries[0].strip():
        raise ValueError(f"pySigma gave {len(queries)} queries for one rule")
    return str(queries[0]).strip()


def _source_of(rule: Any) -> tuple[str, str, str, str]:
    product = (rule.logsource.product or "").lower()
    kind = (rule.logsource.category or rule.logsource.service or "").lower()
    found = _SOURCES.get((product, kind))
    if found:
        return found
    label = " ".join(p for p in (product, kind) if p) or "unknown"
    return (f"Sigma {label}", "unknown", "unknown", "")


def _attack_ids(rule: Any) -> list[str]:
    ids = []
    for tag in rule.tags or ():
        if tag.namespace == "attack" and re.fullmatch(r"t\d{4}(\.\d{3})?", tag.name):
            ids.append(tag.name.upper())
    return ids


def _rba(search: str, title: str, score: int) -> dict[str, Any]:
    by = _BY.search(search)
    fields = {f.rsplit(".", 1)[-1] for f in by.group(1).split()} if by else set()
    fields |= {m for _, m in re.findall(r"values\(([\w.]+)\) as ([\w.]+)", search)}
    fields.add("dest")
    threats = []
    for name, kind in _THREATS:
        if name in fields:
            threats.append({"field": name, "type": kind})
            break
    return {
        "message": f"{title} on $dest$",
        "risk_objects": [{"field": "dest", "type": "system", "score": score}],
        "threat_objects": threats,
    }


def _plain(query: str, macro: str, stem: str) -> str:
    fields: list[str] = []
    for name in _FIELD.findall(query):
        if name not in fields and name.upper() not in {"NOT", "AND", "OR"}:
            fields.append(name)
    values = " ".join(f"values({f}) as {f}" for f in fields)
    return (
        f"`{macro}` {query}\n"
        "| eval dest=coalesce(dest, Computer, host)\n"
        f"| stats count min(_time) as firstTime max(_time) as lastTime {values} by dest\n"
        f"| `{stem}_filter`"
    )


def _detection(
    rule: Any, file: Path, search: str, form: str, pipeline_names: list[str]
) -> dict[str, Any]:
    level = str(getattr(rule.level, "name", rule.level) or "medium").lower()
    status = str(getattr(rule.status, "name", rule.status) or "").lower()
    score = _SCORES.get(level, 50)
    det_type = _TYPES.get(level, "TTP")
    name_src = _source_of(rule)
    day = rule.modified or rule.date
    logsource = ", ".join(
        f"{k}={v}"
        for k, v in (
            ("product", rule.logsource.product),
            ("category", rule.logsource.category),
            ("service", rule.logsource.service),
        )
        if v
    )
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        version = dist_version("pySigma")
    except PackageNotFoundError:
        version = ""
    doc: dict[str, Any] = {
        "name": rule.title,
        "id": str(rule.id or uuid.uuid5(_NAMESPACE, rule.title)),
        "version": 1,
        "date": day.isoformat() if day else "1970-01-01",
        "author": rule.author or "unknown",
        "status": _STATUS.get(status, "production"),
        "type": det_type,
        "description": (rule.description or rule.title).strip(),
        "data_source": [name_src[0]],
        "search": search,
        "how_to_implement": (
            f"Converted from the Sigma rule {file.name} ({logsource}) by pySigma {version} "
            f"and its Splunk backend as a {form}"
            + (f" (pipelines: {', '.join(pipeline_names)})" if pipeline_names else "")
            + "."
        ),
        "known_false_positives": "; ".join(str(f) for f in rule.falsepositives or ()) or "unknown",
    }
    if rule.references:
        doc["references"] = [str(r) for r in rule.references]
    if det_type != "Hunting":
        doc["rba"] = _rba(search, rule.title, score)
    tags: dict[str, Any] = {"analytic_story": [], "asset_type": "Endpoint"}
    attack = _attack_ids(rule)
    if attack:
        tags["mitre_attack_id"] = attack
    tags["product"] = ["Splunk Enterprise", "Splunk Enterprise Security", "Splunk Cloud"]
    network = (rule.logsource.category or "") in {"network_connection", "dns_query", "firewall"}
    tags["security_domain"] = "network" if network else "endpoint"
    doc["tags"] = tags
    return doc


def _deployment(type_: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": f"Sigma Default Configuration {type_}",
        "id": str(uuid.uuid5(_NAMESPACE, f"deployment:{type_}")),
        "date": "2026-11-30",
        "author": "contentkit import",
        "description": f"The schedule of {type_} detections imported from Sigma rules.",
        "scheduling": {
            "cron_schedule": "0 * * * *",
            "earliest_time": "-70m@m",
            "latest_time": "-10m@m",
            "schedule_window": "auto",
        },
        "type": type_,
    }
    if type_ in {"TTP", "Anomaly"}:
        doc["alert_action"] = {"rba": {"enabled": True}}
    if type_ == "TTP":
        doc["alert_action"]["notable"] = {
            "rule_title": "%name%",
            "rule_description": "%description%",
            "nes_fields": ["user", "dest"],
        }
    return doc


def _existing_names(repo: Path, folder: str) -> set[str]:
    import yaml

    names: set[str] = set()
    base = repo / folder
    if not base.is_dir():
        return names
    for path in base.rglob("*.yml"):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict):
            names.add(str(doc.get("name") or doc.get("type") or ""))
    return names


def _yaml_problem(exc: Any) -> str:
    """A YAML error in one line: what is wrong and where (line and column count from 1)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


def import_sigma(
    paths: Sequence[Path], repo: Path, pipeline_names: Sequence[str] = ()
) -> SigmaReport:
    """Convert the rules under `paths` into detections of the repository `repo` (created when
    absent), then validate the repository."""
    _sigma()
    import yaml
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    files = rule_files(paths)
    report = SigmaReport()
    chosen = _pipelines(pipeline_names) if pipeline_names else None
    existing_sources = _existing_names(repo, "data_sources")
    existing_macros = _existing_names(repo, "macros")
    existing_types = {n.lower() for n in _existing_names(repo, "deployments")}
    types: set[str] = set()
    for file in files:
        try:
            collection = SigmaCollection.load_ruleset([file], collect_errors=True)
        except yaml.YAMLError as exc:  # the file is no YAML: say where, as validate does
            report.failed.append((str(file), f"not valid YAML: {_yaml_problem(exc)}"))
            continue
        except (SigmaError, OSError, ValueError) as exc:
            report.failed.append((str(file), str(exc)))
            continue
        if not collection.rules:
            report.failed.append((str(file), "no Sigma rule in the file"))
        for rule in collection.rules:
            if not isinstance(rule, SigmaRule):
                report.failed.append(
                    (str(file), f"{type(rule).__name__} (correlations and filters) not imported")
                )
                continue
            if rule.errors:
                report.failed.append((str(file), "; ".join(str(e) for e in rule.errors)))
                continue
            stem = slug(rule.title)
            ds_name, source, sourcetype, code = _source_of(rule)
            macro = f"sigma_{slug(ds_name)}"
            try:
                if chosen is not None:
                    fmt = "data_model" if "splunk_cim" in pipeline_names else "default"
                    query = _convert(rule, chosen, fmt)
                    used = list(pipeline_names)
                    dm = fmt == "data_model"
                else:
                    try:
                        query = _convert(rule, _pipelines(["splunk_cim"]), "data_model")
                        used, dm = ["splunk_cim"], True
                    except SigmaError:
                        windows = (rule.logsource.product or "").lower() == "windows"
                        used = ["splunk_windows"] if windows else []
                        query = _convert(rule, _pipelines(used), "default")
                        dm = False
            except (SigmaError, ValueError) as exc:
                report.failed.append((str(file), f"{rule.title}: {exc}"))
                continue
            if dm:
                search, form = f"{query} | `{stem}_filter`", "data model search (tstats)"
            else:
                search, form = _plain(query, macro, stem), "plain search"
                if macro not in existing_macros:
                    definition = f'source="{source}"' if source != "unknown" else "index=*"
                    if code:
                        definition += f" EventCode={code}"
                    write_yaml(
                        repo / "macros" / f"{macro}.yml",
                        {
                            "name": macro,
                            "definition": definition,
                            "description": f"Where the events of {ds_name} are. Change the "
                            "definition to match your environment.",
                        },
                    )
                    existing_macros.add(macro)
                    report.written.append(repo / "macros" / f"{macro}.yml")
            doc = _detection(rule, file, search, form, used)
            target = repo / "detections" / "sigma" / f"{stem}.yml"
            if target.exists():
                report.failed.append((str(file), f"{target} exists; not overwritten"))
                continue
            write_yaml(target, doc, check=True)
            filter_file = repo / "macros" / f"{stem}_filter.yml"
            if not filter_file.exists():
                write_yaml(
                    filter_file,
                    {
                        "name": f"{stem}_filter",
                        "definition": "search *",
                        "description": "Update this macro to limit the output results to "
                        "filter out false positives.",
                    },
                )
            if ds_name not in existing_sources:
                ds_doc: dict[str, Any] = {
                    "name": ds_name,
                    "id": str(uuid.uuid5(_NAMESPACE, f"data_source:{ds_name}")),
                    "version": 1,
                    "date": "2026-11-30",
                    "author": "contentkit import",
                    "description": f"Events of the Sigma log source {ds_name}.",
                    "source": source,
                    "sourcetype": sourcetype,
                }
                write_yaml(repo / "data_sources" / f"{slug(ds_name)}.yml", ds_doc)
                existing_sources.add(ds_name)
                report.written.append(repo / "data_sources" / f"{slug(ds_name)}.yml")
            types.add(doc["type"])
            report.converted.append(Converted(str(file), rule.title, target, form))
    if report.converted and not (repo / "contentctl.yml").exists():
        write_yaml(
            repo / "contentctl.yml",
            {
                "path": ".",
                "app": {
                    "title": "Sigma Detections",
                    "appid": "DA-ESS-sigma",
                    "version": "0.1.0",
                    "description": "Detections imported from Sigma rules.",
                    "prefix": "SIGMA",
                    "label": "SIGMA",
                    "author_name": "contentkit import",
                    "author_email": "-",
                    "author_company": "-",
                },
            },
        )
        report.written.append(repo / "contentctl.yml")
    for type_ in sorted(types):
        if type_.lower() not in existing_types:
            path = repo / "deployments" / f"sigma_default_configuration_{slug(type_)}.yml"
            write_yaml(path, _deployment(type_))
            report.written.append(path)
    if report.converted:
        from contentkit.content.validate import validate

        report.problems = [p.format() for p in validate(repo).errors]
    return report
