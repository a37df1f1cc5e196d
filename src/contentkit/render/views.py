"""What the templates write, worked out from the content model: one view per stanza.

Every rule that turns YAML into Enterprise Security settings lives here (schedule from the
deployment of the detection's type with the detection's own overrides, risk and notable actions,
ES annotations and metadata, severity), so templates only lay the values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from contentkit.content.deployment import Schedule, schedule_for
from contentkit.content.model import (
    Baseline,
    Content,
    Deployment,
    Detection,
    Lookup,
    Story,
)

_DATAMODEL = re.compile(r"datamodel\s*[=:]?\s*\"?([A-Za-z_][A-Za-z0-9_]*)")
# Splunk's NIST CSF categories per detection type and CIS controls per security domain
_NIST = {"TTP": ["DE.CM"]}
_CIS = {"network": ["CIS 13"]}
_NOTABLE_ENTITIES = [{"risk_object_field": "N/A", "risk_object_type": "N/A", "risk_score": 0}]


def severity(score: int | None) -> str:
    """ES notable severity for a risk score (the highest of the detection's risk objects)."""
    if score is None:
        return "high"
    if score <= 20:
        return "informational"
    if score <= 40:
        return "low"
    if score <= 60:
        return "medium"
    if score <= 80:
        return "high"
    return "critical"


def publish_time(day: str) -> float:
    """Seconds since the epoch of a YYYY-MM-DD date at midnight UTC."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return 0.0
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC).timestamp()


def data_models(search: str) -> list[str]:
    seen: list[str] = []
    for name in _DATAMODEL.findall(search):
        if name not in seen:
            seen.append(name)
    return seen


# The notice contentctl puts before the description of experimental and deprecated content
_EXPERIMENTAL = (
    "**WARNING**, this {kind} is marked **EXPERIMENTAL** by the Splunk Threat Research Team. "
    "This means that the {kind} has been manually tested but we do not have the associated "
    "attack data to perform automated testing or cannot share this attack dataset due to its "
    "sensitive nature. If you have any questions feel free to email us at: "
    "research@splunk.com. {description}"
)
_DEPRECATED = (
    "**WARNING**, this {kind} has been marked **DEPRECATED** by the Splunk Threat Research "
    "Team. This means that it will no longer be maintained or supported. If you have any "
    "questions feel free to email us at: research@splunk.com. {description}"
)


def status_description(kind: str, status: str, description: str) -> str:
    """The description as the app shows it: experimental and deprecated content carry a
    warning first (`kind` is Detection, Baseline or Story)."""
    if status == "experimental":
        return _EXPERIMENTAL.format(kind=kind, description=description)
    if status == "deprecated":
        return _DEPRECATED.format(kind=kind, description=description)
    return description


def split_status_description(kind: str, description: str) -> tuple[str | None, str]:
    """The reverse of :func:`status_description`: (``experimental``/``deprecated`` when the
    text starts with contentctl's warning, else None; the description without it)."""
    for status, template in (("experimental", _EXPERIMENTAL), ("deprecated", _DEPRECATED)):
        prefix = template.format(kind=kind, description="")
        if description.startswith(prefix):
            return status, description[len(prefix) :]
    return None, description


def _fill(template: str, det: Detection) -> str:
    return template.replace("%name%", det.name).replace("%description%", det.description)


@dataclass
class DetectionView:
    """Everything savedsearches.conf and analyticstories.conf say about one detection."""

    det: Detection
    stanza: str
    schedule: Schedule
    mappings: dict[str, list[str]]
    annotations: dict[str, Any]
    metadata: dict[str, Any]
    risk: list[dict[str, Any]] | None
    notable: dict[str, str] | None
    drilldowns: list[dict[str, str]]
    data_models: list[str]
    throttling: dict[str, str] | None = None
    description: str = ""  # with the experimental/deprecated warning


def detection_view(det: Detection, label: str, deployment: Deployment | None) -> DetectionView:
    schedule = schedule_for(det, deployment)
    cis = _CIS.get(det.security_domain, ["CIS 10"])
    nist = _NIST.get(det.type, ["DE.AE"])
    mappings: dict[str, list[str]] = {"cis20": cis}
    if det.mitre_attack_ids:
        mappings["mitre_attack"] = list(det.mitre_attack_ids)
    mappings["nist"] = nist
    annotations: dict[str, Any] = {"analytic_story": sorted(det.analytic_stories), "cis20": cis}
    if det.cves:
        annotations["cve"] = list(det.cves)
    annotations["data_source"] = list(det.data_sources)
    if det.mitre_attack_ids:
        annotations["mitre_attack"] = list(det.mitre_attack_ids)
    annotations.update({"nist": nist, "type": det.type, "type_list": [det.type]})
    metadata = {
        "deprecated": "1" if det.status == "deprecated" else "0",
        "detection_id": det.id,
        "detection_version": str(det.version),
        "publish_time": publish_time(det.date),
    }
    risk = None
    if det.rba is not None and schedule.rba:
        risk = [
            {"risk_object_field": r.field, "risk_object_type": r.type, "risk_score": r.score}
            for r in sorted(set(det.rba.risk_objects), key=lambda r: (r.field, r.type))
        ] + [
            {"threat_object_field": t.field, "threat_object_type": t.type}
            for t in sorted(set(det.rba.threat_objects), key=lambda t: (t.field, t.type))
        ]
    notable = None
    if schedule.notable is not None:
        top = max((r.score for r in det.rba.risk_objects), default=None) if det.rba else None
        title = _fill(schedule.notable.rule_title, det)
        if det.type == "Correlation":
            title = f"RBA: {title}"  # ES lists risk-based correlation notables this way
        notable = {
            "rule_title": title,
            "rule_description": _fill(schedule.notable.rule_description, det),
            "nes_fields": ",".join(schedule.notable.nes_fields),
            "security_domain": det.security_domain,
            "severity": severity(top),
        }
    drilldowns = [
        {
            "earliest_offset": d.earliest_offset,
            "latest_offset": d.latest_offset,
            "name": d.name,
            "search": d.search.replace("%original_detection_search%", det.search),
        }
        for d in det.drilldown_searches
    ]
    throttling = None
    if det.throttling is not None:
        throttling = {"fields": ",".join(det.throttling.fields), "period": det.throttling.period}
    return DetectionView(
        det=det,
        stanza=f"{label} - {det.name} - Rule",
        schedule=schedule,
        mappings=mappings,
        annotations=annotations,
        metadata=metadata,
        risk=risk,
        notable=notable,
        drilldowns=drilldowns,
        data_models=data_models(det.search),
        throttling=throttling,
        description=status_description("Detection", det.status, det.description),
    )


@dataclass
class BaselineView:
    base: Baseline
    stanza: str
    schedule: Schedule
    data_models: list[str]
    description: str = ""


@dataclass
class StoryView:
    story: Story
    stanza: str
    searches: list[str]
    maintainers: list[dict[str, str]]
    description: str = ""


@dataclass
class LookupView:
    lookup: Lookup
    filename: str | None  # the file name inside the app's lookups/ folder


@dataclass
class MacroView:
    stanza: str
    definition: str
    description: str
    args: str | None = None


@dataclass
class AppView:
    """The whole app, as the templates see it."""

    content: Content
    appid: str
    title: str
    version: str
    label: str
    description: str
    author_name: str
    author_email: str
    author_company: str
    build: str  # YYYYmmddHHMMSS of the build date (reproducible: from the content, not the clock)
    release_date: str
    detections: list[DetectionView] = field(default_factory=list)
    baselines: list[BaselineView] = field(default_factory=list)
    stories: list[StoryView] = field(default_factory=list)
    macros: list[MacroView] = field(default_factory=list)
    lookups: list[LookupView] = field(default_factory=list)
    kvstores: list[Lookup] = field(default_factory=list)
    extra_transforms: list[tuple[str, str, str]] = field(default_factory=list)
    dashboards: list[tuple[str, str]] = field(default_factory=list)  # (view file stem, label)


def _maintainers(author: str) -> list[dict[str, str]]:
    """One maintainer, as contentctl writes it: the name before the first comma, and everything
    after that comma as the company ("no" when there is none)."""
    name, comma, rest = author.partition(",")
    company = rest[1:] if rest.startswith(" ") else rest
    return [{"company": company if comma else "no", "email": "-", "name": name or "no"}]


def lookup_filename(lookup: Lookup) -> str | None:
    """`<name>_<YYYYMMDD>.csv` (the date makes Splunk pick up changed files), the model file's
    own name for MLTK models, None for KV store collections."""
    if lookup.lookup_type == "kvstore" or lookup.data_file is None:
        return None
    if lookup.lookup_type == "mlmodel":
        return lookup.data_file.name
    stamp = lookup.date.replace("-", "")
    return f"{lookup.name}_{stamp}.csv" if stamp else f"{lookup.name}.csv"


def build_date(content: Content, source_date_epoch: int | None) -> datetime:
    """The build's date: SOURCE_DATE_EPOCH when given, else the newest date in the content."""
    if source_date_epoch is not None:
        return datetime.fromtimestamp(source_date_epoch, tz=UTC)
    days = [d.date for d in content.detections] + [s.date for s in content.stories]
    days += [b.date for b in content.baselines] + [lk.date for lk in content.lookups]
    newest = max((d for d in days if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)), default="1980-01-01")
    parsed = date.fromisoformat(newest)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


def app_view(content: Content, when: datetime) -> AppView:
    config = content.config
    assert config is not None, "validation guarantees a contentctl.yml"
    label = config.label
    view = AppView(
        content=content,
        appid=config.appid,
        title=config.title,
        version=config.version,
        label=label,
        description=config.description,
        author_name=config.author_name or config.author_company or "unknown",
        author_email=config.author_email,
        author_company=config.author_company,
        build=when.strftime("%Y%m%d%H%M%S"),
        release_date=when.strftime("%Y-%m-%d"),
    )
    by_story: dict[str, list[str]] = {}
    for det in sorted(content.detections, key=lambda d: d.name):
        dv = detection_view(det, label, content.deployment_for(det.type))
        view.detections.append(dv)
        for story_name in det.analytic_stories:
            by_story.setdefault(story_name, []).append(dv.stanza)
    for base in sorted(content.baselines, key=lambda b: b.name):
        stanza = f"{label} - {base.name}"
        view.baselines.append(
            BaselineView(
                base,
                stanza,
                schedule_for(base, content.deployment_for("Baseline")),
                data_models(base.search),
                status_description("Baseline", base.status, base.description),
            )
        )
        for story_name in base.analytic_stories:
            by_story.setdefault(story_name, []).append(stanza)
    for story in sorted(content.stories, key=lambda s: s.name):
        view.stories.append(
            StoryView(
                story,
                story.name,
                sorted(by_story.get(story.name, [])),
                _maintainers(story.author),
                status_description("Story", story.status, story.description),
            )
        )
    defined = set()
    for macro in sorted(content.macros, key=lambda m: m.key):
        defined.add(macro.key)
        view.macros.append(
            MacroView(
                macro.key,
                macro.definition,
                macro.description,
                ", ".join(macro.arguments) if macro.arguments else None,
            )
        )
    filters = [d.filter_macro for d in content.detections] + [
        f"{b.stem}_filter" for b in content.baselines
    ]
    for name in sorted(set(filters) - defined):
        view.macros.append(
            MacroView(
                name,
                "search *",
                "Update this macro to limit the output results to filter out false positives.",
            )
        )
    view.macros.sort(key=lambda m: m.stanza)
    for lookup in sorted(content.lookups, key=lambda lk: lk.name):
        if lookup.lookup_type == "kvstore":
            view.kvstores.append(lookup)
            view.lookups.append(LookupView(lookup, None))
        elif lookup.lookup_type == "csv":
            view.lookups.append(LookupView(lookup, lookup_filename(lookup)))
    return view
