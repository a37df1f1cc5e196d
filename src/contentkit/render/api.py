"""`contentkit build --api`: the JSON files the public research site is generated from.

The shape is contentctl's `dist/api` (version 2 of its JSON API): one file per object kind, each
`{"<kind>": [...]}`, plus `version_v2.json`. Objects are written in name order; the published
time is the build date, so two builds of the same content give the same bytes.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from contentkit.atomicfile import write_text_atomic
from contentkit.content import searchscan
from contentkit.content.model import Content, Deployment, Detection, Lookup
from contentkit.render import views

API_VERSION = 2
KINDS = (
    "detections",
    "stories",
    "macros",
    "lookups",
    "deployments",
    "baselines",
    "response_tasks",
    "version",
)


def file_name(kind: str) -> str:
    return f"{kind}_v{API_VERSION}.json"


def _source(rel: str) -> str:
    """The folder of a detection under detections/ (`endpoint`, `cloud`, …), as the site groups
    them."""
    parts = rel.split("/")
    return parts[1] if len(parts) > 2 else ""


def _enrichments(content: Content) -> dict[str, Any]:
    from contentkit.content import attack
    from contentkit.render.build import mitre_enrichment_file

    path = mitre_enrichment_file(content)
    if path is None:
        return {}
    try:
        return attack.load_attack(path)
    except attack.AttackError:
        return {}


def _attack(techniques: dict[str, Any], ids: tuple[str, ...]) -> list[dict[str, Any]]:
    from contentkit.content import attack

    out = []
    for tid in ids:
        known = attack.technique(techniques, tid)
        if known is not None:
            out.append(
                {
                    "mitre_attack_id": tid,
                    "mitre_attack_technique": known.name,
                    "mitre_attack_tactics": list(known.tactics),
                }
            )
    return out


def _lookup(lookup: Lookup) -> dict[str, Any]:
    out: dict[str, Any] = {"name": lookup.name, "description": lookup.description}
    if lookup.lookup_type == "kvstore":
        out["collection"] = lookup.collection or lookup.name
        out["fields_list"] = ", ".join(lookup.fields)
    else:
        out["filename"] = views.lookup_filename(lookup)
    out.update(
        {
            "default_match": lookup.default_match or "",
            "match_type": ", ".join(lookup.match_type),
            "min_matches": lookup.min_matches,
            "max_matches": lookup.max_matches,
            "case_sensitive_match": "true" if lookup.case_sensitive_match else "false",
        }
    )
    return out


def _deployment(dep: Deployment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scheduling": {
            "cron_schedule": dep.scheduling.cron_schedule,
            "earliest_time": dep.scheduling.earliest_time,
            "latest_time": dep.scheduling.latest_time,
            "schedule_window": dep.scheduling.schedule_window,
        },
        "tags": {"type": dep.type},
        "name": dep.name,
        "author": dep.author,
        "date": dep.date,
        "version": dep.version,
        "id": dep.id,
        "description": dep.description,
    }
    if dep.notable is not None:
        out["notable"] = {
            "rule_description": dep.notable.rule_description,
            "rule_title": dep.notable.rule_title,
            "nes_fields": list(dep.notable.nes_fields),
        }
    if dep.rba:
        out["rba"] = {"enabled": "true"}
    return out


class _Api:
    def __init__(self, content: Content, app: views.AppView) -> None:
        self.content = content
        self.app = app
        self.techniques = _enrichments(content)
        self.macros = {m.stanza: m for m in app.macros}
        self.lookups = {lk.name: lk for lk in content.lookups}
        for lk in content.lookups:
            if lk.data_file is not None:
                self.lookups.setdefault(lk.data_file.name, lk)

    def _macros_of(self, search: str) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for call in searchscan.macro_calls(search):
            view = self.macros.get(call.key)
            if view is None or call.name in found:
                continue
            entry: dict[str, Any] = {
                "name": call.name,
                "definition": view.definition,
                "description": view.description,
            }
            if view.args:
                entry["arguments"] = [a.strip() for a in view.args.split(",")]
            found[call.name] = entry
        return [found[name] for name in sorted(found)]

    def _lookups_of(self, search: str) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for _command, name, _offset in searchscan.lookup_uses(search):
            lookup = self.lookups.get(name) or self.lookups.get(name.removesuffix(".csv"))
            if lookup is not None and lookup.name not in found:
                found[lookup.name] = _lookup(lookup)
        return [found[name] for name in sorted(found)]

    def detection(self, view: views.DetectionView) -> dict[str, Any]:
        det: Detection = view.det
        tags: dict[str, Any] = {
            "analytic_story": list(det.analytic_stories),
            "asset_type": det.asset_type,
            "cis20": view.mappings.get("cis20", []),
            "kill_chain_phases": [],
            "nist": view.mappings.get("nist", []),
            "security_domain": det.security_domain,
            "mitre_attack_id": list(det.mitre_attack_ids),
            "mitre_attack_enrichments": _attack(self.techniques, det.mitre_attack_ids),
        }
        if det.products:
            tags["product"] = list(det.products)
        if det.cves:
            tags["cve"] = list(det.cves)
        rba = None
        if det.rba is not None:
            rba = {
                "message": det.rba.message,
                "risk_objects": [
                    {
                        "risk_object_field": r.field,
                        "risk_object_type": r.type,
                        "risk_score": r.score,
                    }
                    for r in sorted(set(det.rba.risk_objects), key=lambda r: (r.field, r.type))
                ],
                "threat_objects": [
                    {"threat_object_field": t.field, "threat_object_type": t.type}
                    for t in sorted(set(det.rba.threat_objects), key=lambda t: (t.field, t.type))
                ],
            }
        nes = view.schedule.notable.nes_fields if view.schedule.notable is not None else ()
        return {
            "name": det.name,
            "author": det.author,
            "date": det.date,
            "version": det.version,
            "id": det.id,
            "description": view.description,
            "references": list(det.references),
            "tags": tags,
            "type": det.type,
            "search": det.search,
            "how_to_implement": det.how_to_implement,
            "known_false_positives": det.known_false_positives,
            "datamodel": view.data_models,
            "source": _source(det.file),
            "nes_fields": ",".join(nes) if nes else None,
            "rba": rba,
            "macros": self._macros_of(det.search),
            "lookups": self._lookups_of(det.search),
        }

    def story(self, view: views.StoryView, members: list[views.DetectionView]) -> dict[str, Any]:
        story = view.story
        maintainer = view.maintainers[0]
        techniques = sorted({t for m in members for t in m.det.mitre_attack_ids})
        enrichments = _attack(self.techniques, tuple(techniques))
        return {
            "name": story.name,
            "author": story.author,
            "date": story.date,
            "version": story.version,
            "id": story.id,
            "description": view.description,
            "references": list(story.references),
            "narrative": story.narrative,
            "tags": {
                "category": list(story.category),
                "product": list(story.products),
                "usecase": story.usecase,
                "mitre_attack_enrichments": enrichments,
                "mitre_attack_tactics": sorted(
                    {t for e in enrichments for t in e["mitre_attack_tactics"]}
                ),
                "datamodels": sorted({dm for m in members for dm in m.data_models}),
                "kill_chain_phases": [],
            },
            "detection_names": [m.stanza for m in members],
            "investigation_names": [],
            "baseline_names": [
                b.stanza for b in self.app.baselines if story.name in b.base.analytic_stories
            ],
            "author_company": maintainer["company"],
            "author_name": maintainer["name"],
            "detections": [
                {
                    "name": m.det.name,
                    "source": _source(m.det.file),
                    "type": m.det.type,
                    "tags": _attack(self.techniques, m.det.mitre_attack_ids),
                }
                for m in members
            ],
        }

    def baseline(self, view: views.BaselineView) -> dict[str, Any]:
        base = view.base
        return {
            "name": base.name,
            "author": base.author,
            "date": base.date,
            "version": base.version,
            "id": base.id,
            "description": view.description,
            "references": list(base.references),
            "tags": {
                "analytic_story": list(base.analytic_stories),
                "detections": list(base.detections),
                "product": list(base.products),
                "security_domain": base.security_domain,
            },
            "type": base.type,
            "search": base.search,
            "how_to_implement": base.how_to_implement,
            "known_false_positives": base.known_false_positives,
            "datamodel": view.data_models,
        }

    def lookups_document(self) -> list[dict[str, Any]]:
        """The content's lookups, and the data source list the build writes as a lookup."""
        out = [_lookup(lk) for lk in self.content.lookups]
        if self.content.data_sources:
            out.append(
                {
                    "name": "data_sources",
                    "description": "A lookup file that contains the data source objects for "
                    "detections.",
                    "filename": f"data_sources_{self.app.build[:8]}.csv",
                    "default_match": "",
                    "match_type": "",
                    "min_matches": None,
                    "max_matches": None,
                    "case_sensitive_match": "false",
                }
            )
        return sorted(out, key=lambda entry: entry["name"])

    def documents(self, published: datetime) -> dict[str, Any]:
        app = self.app
        content = self.content
        by_story: dict[str, list[views.DetectionView]] = {}
        for dv in app.detections:
            for name in dv.det.analytic_stories:
                by_story.setdefault(name, []).append(dv)
        return {
            "detections": [self.detection(dv) for dv in app.detections],
            "stories": [self.story(sv, by_story.get(sv.story.name, [])) for sv in app.stories],
            "macros": [
                {
                    "definition": m.definition,
                    "description": m.description,
                    "name": re.sub(r"\(\d+\)$", "", m.stanza),  # the name, without arity
                }
                for m in app.macros
            ],
            "lookups": self.lookups_document(),
            "deployments": [
                _deployment(d) for d in sorted(content.deployments, key=lambda d: d.name)
            ],
            "baselines": [self.baseline(bv) for bv in app.baselines],
            "response_tasks": [
                {
                    "name": inv.name,
                    "id": inv.id,
                    "description": inv.description,
                    "search": inv.search,
                    "tags": {"analytic_story": list(inv.analytic_stories)},
                }
                for inv in sorted(content.investigations, key=lambda i: i.name)
            ],
            "version": {
                "name": f"v{app.version}",
                "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }


def api_documents(content: Content, source_date_epoch: int | None = None) -> dict[str, Any]:
    """Every API document, by kind (`detections` → the list that goes in detections_v2.json)."""
    when = views.build_date(content, source_date_epoch)
    app = views.app_view(content, when)
    return _Api(content, app).documents(when)


def write_api(content: Content, target: Path, source_date_epoch: int | None = None) -> list[Path]:
    """Write the API files into `target` (replacing files of the same names); each file is
    written to a temporary name and renamed, so a reader never sees half a file."""
    documents = api_documents(content, source_date_epoch)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = target / file_name(kind)
        text = json.dumps({kind: documents[kind]}, indent=2, ensure_ascii=False) + "\n"
        write_text_atomic(path, text, newline="\n")
        written.append(path)
    return written
