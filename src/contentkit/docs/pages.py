"""What each documentation page shows, worked out from the content model.

Templates only lay these values out; the same page data renders as HTML and as Markdown. Links
are kept as slugs (`detections/<slug>`), and each template adds its own root and extension.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contentkit.content import searchscan
from contentkit.content.attack import TACTIC_ORDER, Technique, technique
from contentkit.content.model import (
    Baseline,
    Content,
    DataSource,
    Detection,
    Investigation,
    Macro,
    Story,
)
from contentkit.docs.results import NOT_RUN, Outcome, TestResults, status_label, worst
from contentkit.render import views

FILTER_DEFINITION = "search *"
UNKNOWN_TACTIC = "Unknown tactic"
# platform of a data source, from the start of its name (the YAML has no platform key)
_PLATFORMS = (
    ("sysmon for linux", "Linux"),
    ("sysmon", "Windows"),
    ("windows", "Windows"),
    ("powershell", "Windows"),
    ("ntlm", "Windows"),
    ("ms defender", "Windows"),
    ("asl aws", "AWS"),
    ("aws", "AWS"),
    ("azure", "Azure"),
    ("o365", "Office 365"),
    ("office 365", "Office 365"),
    ("ms365", "Office 365"),
    ("g suite", "Google Workspace"),
    ("google workspace", "Google Workspace"),
    ("gcp", "Google Cloud"),
    ("bro ", "Zeek"),
    ("zeek", "Zeek"),
    ("palo alto", "Palo Alto Networks"),
    ("vmware", "VMware"),
    ("splunk", "Splunk"),
    ("linux", "Linux"),
)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "page"


def platform_of(ds: DataSource) -> str:
    if ds.platform:
        return ds.platform
    low = ds.name.lower()
    for prefix, platform in _PLATFORMS:
        if low.startswith(prefix):
            return platform
    return ds.name.split()[0] if ds.name.split() else ""


def impact_confidence(score: int) -> int:
    """Impact and confidence (equal) whose product / 100 is the risk score: 49 -> 70 and 70."""
    return min(100, round(math.sqrt(max(score, 0) * 100)))


def _unique_slugs(names: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = slugify(name)
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}_{n}"
        used.add(slug)
        out[name] = slug
    return out


def data_source_parts(name: str) -> list[str]:
    """`A AND B` names two data sources."""
    return [p.strip() for p in name.split(" AND ") if p.strip()]


@dataclass
class Site:
    """The cross-reference tables every page needs: slugs and reverse links."""

    content: Content
    techniques: dict[str, Technique]
    results: TestResults | None
    title: str
    version: str
    appid: str
    label: str
    detections: list[Detection] = field(default_factory=list)  # sorted by name
    detection_slug: dict[str, str] = field(default_factory=dict)  # by detection file
    story_slug: dict[str, str] = field(default_factory=dict)
    data_source_slug: dict[str, str] = field(default_factory=dict)
    macro_slug: dict[str, str] = field(default_factory=dict)  # by macro key
    macros: dict[str, Macro] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    stories: dict[str, Story] = field(default_factory=dict)
    detections_by_story: dict[str, list[Detection]] = field(default_factory=dict)
    detections_by_data_source: dict[str, list[Detection]] = field(default_factory=dict)
    detections_by_macro: dict[str, list[Detection]] = field(default_factory=dict)
    macros_by_macro: dict[str, list[Macro]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # detection file -> overall status
    baseline_list: list[Baseline] = field(default_factory=list)  # sorted by name
    baseline_slug: dict[str, str] = field(default_factory=dict)  # by file
    investigation_list: list[Investigation] = field(default_factory=list)
    investigation_slug: dict[str, str] = field(default_factory=dict)  # by file
    detection_by_name: dict[str, Detection] = field(default_factory=dict)

    @property
    def story_list(self) -> list[Story]:
        return list(self.stories.values())

    @property
    def data_source_list(self) -> list[DataSource]:
        return list(self.data_sources.values())

    @property
    def macro_list(self) -> list[Macro]:
        return list(self.macros.values())


def make_site(
    content: Content, techniques: dict[str, Technique], results: TestResults | None
) -> Site:
    config = content.config
    site = Site(
        content=content,
        techniques=techniques,
        results=results,
        title=config.title if config else content.root.name,
        version=config.version if config else "",
        appid=config.appid if config else "",
        label=config.label if config else "",
    )
    detections = sorted(content.detections, key=lambda d: d.name.lower())
    site.detections = detections
    site.detection_slug = {
        d.file: slug
        for d, slug in zip(detections, _slugs_in_order(d.stem for d in detections), strict=True)
    }
    site.stories = {s.name: s for s in sorted(content.stories, key=lambda s: s.name.lower())}
    site.story_slug = _unique_slugs(site.stories)
    site.data_sources = {
        d.name: d for d in sorted(content.data_sources, key=lambda d: d.name.lower())
    }
    site.data_source_slug = _unique_slugs(site.data_sources)
    site.macros = {m.key: m for m in sorted(content.macros, key=lambda m: m.key.lower())}
    site.macro_slug = _unique_slugs(site.macros)
    by_story: dict[str, list[Detection]] = defaultdict(list)
    by_ds: dict[str, list[Detection]] = defaultdict(list)
    by_macro: dict[str, list[Detection]] = defaultdict(list)
    for det in detections:
        for story in det.analytic_stories:
            by_story[story].append(det)
        for name in det.data_sources:
            for part in data_source_parts(name):
                by_ds[part].append(det)
        for key in dict.fromkeys(c.key for c in searchscan.macro_calls(det.search)):
            by_macro[key].append(det)
        site.status[det.file] = overall_status(site, det)
    by_macro_macro: dict[str, list[Macro]] = defaultdict(list)
    for macro in site.macros.values():
        for key in dict.fromkeys(c.key for c in searchscan.macro_calls(macro.definition)):
            by_macro_macro[key].append(macro)
    site.baseline_list = sorted(content.baselines, key=lambda b: b.name.lower())
    site.baseline_slug = {
        b.file: slug
        for b, slug in zip(
            site.baseline_list, _slugs_in_order(b.stem for b in site.baseline_list), strict=True
        )
    }
    site.investigation_list = sorted(content.investigations, key=lambda i: i.name.lower())
    site.investigation_slug = {
        i.file: slug
        for i, slug in zip(
            site.investigation_list,
            _slugs_in_order(i.name for i in site.investigation_list),
            strict=True,
        )
    }
    site.detection_by_name = {d.name: d for d in detections}
    site.detections_by_story = dict(by_story)
    site.detections_by_data_source = dict(by_ds)
    site.detections_by_macro = dict(by_macro)
    site.macros_by_macro = dict(by_macro_macro)
    return site


def _slugs_in_order(names: Iterable[str]) -> list[str]:
    slugs: list[str] = []
    used: set[str] = set()
    for name in names:
        base = slugify(name)
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}_{n}"
        used.add(slug)
        slugs.append(slug)
    return slugs


# ---------------------------------------------------------------------------------------------
# detection pages


def outcomes(site: Site, det: Detection) -> list[Outcome]:
    if site.results is None:
        return []
    return site.results.for_detection(det.id, det.file, det.name)


def overall_status(site: Site, det: Detection) -> str:
    found = outcomes(site, det)
    return worst([o.unit for o in found] + [o.integration for o in found])


def attack_rows(site: Site, ids: Iterable[str]) -> list[dict[str, str]]:
    rows = []
    for tid in ids:
        tech = technique(site.techniques, tid)
        rows.append(
            {
                "id": tid,
                "name": tech.name if tech else "unknown technique",
                "tactics": ", ".join(tech.tactics) if tech and tech.tactics else "",
                "url": _attack_url(tid),
            }
        )
    return rows


def _attack_url(tid: str) -> str:
    if not re.fullmatch(r"T\d{4}(\.\d{3})?", tid):
        return ""
    return "https://attack.mitre.org/techniques/" + tid.replace(".", "/") + "/"


def search_lines(search: str) -> list[str]:
    """One line per top-level command: `| command ...` after the first."""
    parts = searchscan.split_pipes(search)
    return [p if i == 0 else f"| {p}" for i, p in enumerate(parts)]


def _macro_rows(site: Site, det: Detection) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen = set()
    for call in searchscan.macro_calls(det.search):
        if call.key in seen:
            continue
        seen.add(call.key)
        macro = site.macros.get(call.key)
        if macro is not None:
            rows.append(
                {
                    "name": call.key,
                    "definition": macro.definition,
                    "slug": site.macro_slug[call.key],
                }
            )
        elif call.name == det.filter_macro and not call.args:
            rows.append({"name": call.key, "definition": FILTER_DEFINITION, "slug": None})
        else:  # from an app ES content runs beside (CIM, ES itself: see content.external)
            rows.append({"name": call.key, "definition": None, "slug": None})
    return rows


def _data_source_rows(site: Site, det: Detection) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in det.data_sources:
        for part in data_source_parts(name):
            ds = site.data_sources.get(part)
            if ds is None:
                rows.append(
                    {
                        "name": part,
                        "slug": None,
                        "platform": "",
                        "sourcetype": "",
                        "source": "",
                        "apps": [],
                    }
                )
                continue
            rows.append(
                {
                    "name": part,
                    "slug": site.data_source_slug[part],
                    "platform": platform_of(ds),
                    "sourcetype": ds.sourcetype,
                    "source": ds.source,
                    "apps": _apps(ds),
                }
            )
    return rows


def _apps(ds: DataSource) -> list[dict[str, str]]:
    return [
        {
            "name": str(ta.get("name") or ""),
            "url": str(ta.get("url") or "") if _is_url(str(ta.get("url") or "")) else "",
            "version": str(ta.get("version") or ""),
        }
        for ta in ds.supported_tas
        if ta.get("name")
    ]


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def _dataset(data: str, source: str, sourcetype: str) -> dict[str, str]:
    return {
        "data": data,
        "url": data if _is_url(data) else "",
        "source": source,
        "sourcetype": sourcetype,
    }


def _test_rows(site: Site, det: Detection) -> list[dict[str, Any]]:
    found = outcomes(site, det)
    validation = worst([o.validation for o in found])
    # the docs are only built from content that passed validation
    validation = "pass" if validation == NOT_RUN else validation
    rows: list[dict[str, Any]] = [
        {
            "kind": "Validation",
            "test": "",
            "negative": False,
            "status": validation,
            "label": status_label(validation),
            "message": "",
            "datasets": [],
        }
    ]
    by_name: dict[str, Outcome] = {}
    for each in found:
        by_name.setdefault(each.test, each)
    tests: list[tuple[str, bool, list[dict[str, str]], Outcome | None]] = []
    for test in det.tests:
        datasets = [_dataset(a.data, a.source, a.sourcetype) for a in test.attack_data]
        tests.append((test.name, test.negative, datasets, by_name.pop(test.name, None)))
    for name, extra in by_name.items():  # results of tests the YAML no longer has
        datasets = [_dataset(a.data, a.source, a.sourcetype) for a in extra.attack_data]
        tests.append((name, extra.negative, datasets, extra))
    for kind in ("Unit", "Integration"):
        for name, negative, datasets, outcome in tests:
            if outcome is None:
                status, message = NOT_RUN, ""
            elif kind == "Unit":
                status, message = outcome.unit, outcome.unit_message
            else:
                status, message = outcome.integration, outcome.integration_message
            rows.append(
                {
                    "kind": kind,
                    "test": name,
                    "negative": negative,
                    "status": status,
                    "label": status_label(status),
                    "message": message,
                    "datasets": datasets,
                }
            )
    return rows


def _annotations(view: views.DetectionView) -> list[tuple[str, str]]:
    out = []
    for key, value in view.annotations.items():
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        out.append((key, text))
    return out


def detection_page(site: Site, det: Detection) -> dict[str, Any]:
    deployment = site.content.deployment_for(det.type)
    view = views.detection_view(det, site.label, deployment)
    schedule = view.schedule
    rba: dict[str, Any] | None = None
    if det.rba is not None:
        score = max((r.score for r in det.rba.risk_objects), default=0)
        level = impact_confidence(score)
        rba = {
            "message": det.rba.message,
            "score": score,
            # legacy (v4) content states its own; for v5 they are derived from the score
            "impact": det.impact if det.impact is not None else level,
            "confidence": det.confidence if det.confidence is not None else level,
            "risk_objects": det.rba.risk_objects,
            "threat_objects": det.rba.threat_objects,
        }
    config = [
        ("Disabled", "true" if schedule.disabled else "false"),
        ("Cron Schedule", schedule.cron_schedule),
        ("Earliest Time", schedule.earliest_time),
        ("Latest Time", schedule.latest_time),
        ("Schedule Window", schedule.schedule_window),
        ("Creates Risk Event", "True" if view.risk is not None else "False"),
        ("Creates Notable", "True" if view.notable is not None else "False"),
    ]
    if view.throttling is not None:
        config.append(
            ("Throttling", f"{view.throttling['fields']} for {view.throttling['period']}")
        )
    stories = [(name, site.story_slug.get(name)) for name in det.analytic_stories]
    status = site.status.get(det.file, NOT_RUN)
    return {
        "det": det,
        "slug": site.detection_slug[det.file],
        "attack": attack_rows(site, det.mitre_attack_ids),
        "search_lines": search_lines(det.search),
        "data_sources": _data_source_rows(site, det),
        "macros": _macro_rows(site, det),
        "filter_macro": det.filter_macro,
        "filter_is_default": _filter_is_default(site, det),
        "annotations": _annotations(view),
        "config": config,
        "stories": stories,
        "rba": rba,
        "references": [(r, _is_url(r)) for r in det.references],
        "tests": _test_rows(site, det),
        "status": status,
        "status_label": status_label(status),
    }


def _filter_is_default(site: Site, det: Detection) -> bool:
    macro = site.macros.get(det.filter_macro)
    return macro is None or macro.definition.strip() == FILTER_DEFINITION


# ---------------------------------------------------------------------------------------------
# index, stories, data sources, macros


def _technique_keys(site: Site, det: Detection) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    tactics: list[str] = []
    for tid in det.mitre_attack_ids:
        ids.append(tid)
        if "." in tid:
            ids.append(tid.split(".", 1)[0])
        tech = technique(site.techniques, tid)
        tactics += tech.tactics if tech else []
    return list(dict.fromkeys(ids)), list(dict.fromkeys(tactics))


def index_rows(site: Site) -> list[dict[str, Any]]:
    rows = []
    for det in site.detections:
        ids, tactics = _technique_keys(site, det)
        sources = [p for name in det.data_sources for p in data_source_parts(name)]
        status = site.status.get(det.file, NOT_RUN)
        names = [t.name for t in (technique(site.techniques, i) for i in ids) if t is not None]
        rows.append(
            {
                "det": det,
                # matched by the text filter besides the row's own text
                "extra": " ".join([det.id, site.detection_slug[det.file], *names, *tactics]),
                "slug": site.detection_slug[det.file],
                "techniques": list(det.mitre_attack_ids),
                "technique_keys": ids,  # with the parents of sub-techniques, for the filter
                "tactics": tactics,
                "stories": [(s, site.story_slug.get(s)) for s in det.analytic_stories],
                "data_sources": list(dict.fromkeys(sources)),
                "status": status,
                "status_label": status_label(status),
            }
        )
    return rows


def index_filters(site: Site, rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options of each select on the index page."""
    types = sorted({r["det"].type for r in rows})
    technique_ids = sorted({t for r in rows for t in r["technique_keys"]})
    tactics_seen = {t for r in rows for t in r["tactics"]}
    tactics = [t for t in TACTIC_ORDER if t in tactics_seen]
    tactics += sorted(tactics_seen - set(TACTIC_ORDER))
    stories = sorted({s for r in rows for s, _ in r["stories"]}, key=str.lower)
    sources = sorted({s for r in rows for s in r["data_sources"]}, key=str.lower)
    statuses = sorted({r["status"] for r in rows}, key=_status_rank)
    techniques = []
    for tid in technique_ids:
        tech = technique(site.techniques, tid)
        techniques.append((tid, f"{tid} {tech.name}" if tech else tid))
    return {
        "type": [(t, t) for t in types],
        "technique": techniques,
        "tactic": [(t, t) for t in tactics],
        "story": [(s, s) for s in stories],
        "data_source": [(s, s) for s in sources],
        "status": [(s, status_label(s)) for s in statuses],
    }


def _status_rank(status: str) -> int:
    order = (
        "pass",
        "fail",
        "error",
        "app_unavailable",
        "dataset_unavailable",
        "unsupported",
        NOT_RUN,
    )
    return order.index(status) if status in order else len(order)


def _detection_refs(site: Site, dets: Iterable[Detection]) -> list[dict[str, Any]]:
    return [
        {
            "name": d.name,
            "slug": site.detection_slug[d.file],
            "type": d.type,
            "techniques": ", ".join(d.mitre_attack_ids),
            "status": site.status.get(d.file, NOT_RUN),
        }
        for d in dets
    ]


def story_page(site: Site, story: Story) -> dict[str, Any]:
    dets = site.detections_by_story.get(story.name, [])
    techniques = sorted({t for d in dets for t in d.mitre_attack_ids})
    sources = sorted(
        {p for d in dets for name in d.data_sources for p in data_source_parts(name)}, key=str.lower
    )
    return {
        "story": story,
        "slug": site.story_slug[story.name],
        "detections": _detection_refs(site, dets),
        "attack": attack_rows(site, techniques),
        "data_sources": [(s, site.data_source_slug.get(s)) for s in sources],
        "references": [(r, _is_url(r)) for r in story.references],
        "baselines": [
            (b.name, site.baseline_slug[b.file])
            for b in site.baseline_list
            if story.name in b.analytic_stories
        ],
        "investigations": [
            (i.name, site.investigation_slug[i.file])
            for i in site.investigation_list
            if story.name in i.analytic_stories
        ],
    }


def _story_refs(site: Site, names: Iterable[str]) -> list[tuple[str, str | None]]:
    return [(name, site.story_slug.get(name)) for name in names]


def baseline_page(site: Site, base: Baseline) -> dict[str, Any]:
    from contentkit.content.deployment import schedule_for

    schedule = schedule_for(base, site.content.deployment_for("Baseline"))
    detections = [site.detection_by_name[n] for n in base.detections if n in site.detection_by_name]
    return {
        "base": base,
        "slug": site.baseline_slug[base.file],
        "search_lines": search_lines(base.search),
        "stories": _story_refs(site, base.analytic_stories),
        "detections": _detection_refs(site, detections),
        "unknown_detections": [n for n in base.detections if n not in site.detection_by_name],
        "data_sources": [
            (p, site.data_source_slug.get(p))
            for name in base.data_sources
            for p in data_source_parts(name)
        ],
        "config": [
            ("Disabled", "true" if schedule.disabled else "false"),
            ("Cron Schedule", schedule.cron_schedule),
            ("Earliest Time", schedule.earliest_time),
            ("Latest Time", schedule.latest_time),
            ("Schedule Window", schedule.schedule_window),
        ],
        "references": [(r, _is_url(r)) for r in base.references],
    }


def investigation_page(site: Site, inv: Investigation) -> dict[str, Any]:
    return {
        "inv": inv,
        "slug": site.investigation_slug[inv.file],
        "search_lines": search_lines(inv.search),
        "stories": _story_refs(site, inv.analytic_stories),
    }


def data_source_page(site: Site, ds: DataSource) -> dict[str, Any]:
    dets = site.detections_by_data_source.get(ds.name, [])
    return {
        "ds": ds,
        "slug": site.data_source_slug[ds.name],
        "platform": platform_of(ds),
        "apps": _apps(ds),
        "detections": _detection_refs(site, dets),
    }


def macro_page(site: Site, macro: Macro) -> dict[str, Any]:
    calls = list(dict.fromkeys(c.key for c in searchscan.macro_calls(macro.definition)))
    return {
        "macro": macro,
        "slug": site.macro_slug[macro.key],
        "calls": [(k, site.macro_slug.get(k)) for k in calls],
        "used_by_macros": [
            (m.key, site.macro_slug[m.key]) for m in site.macros_by_macro.get(macro.key, [])
        ],
        "detections": _detection_refs(site, site.detections_by_macro.get(macro.key, [])),
    }


# ---------------------------------------------------------------------------------------------
# ATT&CK coverage


def _heat(count: int) -> int:
    if count >= 10:
        return 4
    if count >= 4:
        return 3
    if count >= 2:
        return 2
    return 1


def coverage(site: Site) -> dict[str, Any]:
    """Techniques of the non-deprecated detections, by tactic, with their detections."""
    by_technique: dict[str, list[Detection]] = defaultdict(list)
    for det in site.detections:
        if det.status == "deprecated":
            continue
        for tid in dict.fromkeys(det.mitre_attack_ids):
            by_technique[tid].append(det)
    techniques: list[dict[str, Any]] = []
    by_tactic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tid in sorted(by_technique):
        tech = technique(site.techniques, tid)
        dets = by_technique[tid]
        entry: dict[str, Any] = {
            "id": tid,
            "name": tech.name if tech else "unknown technique",
            "tactics": list(tech.tactics) if tech and tech.tactics else [UNKNOWN_TACTIC],
            "count": len(dets),
            "heat": _heat(len(dets)),
            "url": _attack_url(tid),
            "detections": _detection_refs(site, dets),
        }
        techniques.append(entry)
        for tactic in entry["tactics"]:
            by_tactic[tactic].append(entry)
    order = [t for t in TACTIC_ORDER if t in by_tactic]
    order += sorted(t for t in by_tactic if t not in TACTIC_ORDER and t != UNKNOWN_TACTIC)
    if UNKNOWN_TACTIC in by_tactic:
        order.append(UNKNOWN_TACTIC)
    columns = [
        {"tactic": t, "techniques": by_tactic[t], "detections": _count_dets(by_tactic[t])}
        for t in order
    ]
    return {
        "columns": columns,
        "techniques": techniques,
        "mapped": len({d.file for dets in by_technique.values() for d in dets}),
        "max_count": max((e["count"] for e in techniques), default=0),
    }


def _count_dets(entries: list[dict[str, Any]]) -> int:
    return len({d["slug"] for e in entries for d in e["detections"]})


def navigator_layer(site: Site, cov: dict[str, Any], contentkit_version: str) -> dict[str, Any]:
    """An ATT&CK Navigator layer (format 4.5) scoring each technique by its detection count."""
    techniques = []
    for entry in cov["techniques"]:
        names = [d["name"] for d in entry["detections"]]
        techniques.append(
            {
                "techniqueID": entry["id"],
                "score": entry["count"],
                "comment": f"{entry['count']} detection(s): " + "; ".join(names),
                "enabled": True,
                "showSubtechniques": False,
            }
        )
    return {
        "name": f"{site.title} coverage",
        "versions": {"layer": "4.5", "navigator": "5.1.0"},
        "domain": "enterprise-attack",
        "description": (
            f"ATT&CK techniques covered by {site.appid} {site.version} "
            f"({cov['mapped']} detections), generated by contentkit {contentkit_version}"
        ),
        "sorting": 3,
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {
            "colors": ["#cfe3ffff", "#1f5fbfff"],
            "minValue": 1,
            "maxValue": max(cov["max_count"], 1),
        },
        "legendItems": [],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
    }
