"""Checks across objects: references resolve, names and ids are unique, searches are complete."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from contentkit.content import contentctl_rules, searchscan
from contentkit.content.external import EXTERNAL_LOOKUPS, EXTERNAL_MACROS
from contentkit.content.model import Baseline, Content, Detection, RiskObject, ThreatObject
from contentkit.content.problems import Severity, did_you_mean

_DETECTION_TYPES = {"TTP", "Anomaly", "Hunting", "Correlation"}


@dataclass(frozen=True)
class Finding:
    """A cross-reference problem at a field path of one file (positions are resolved later)."""

    file: str
    path: tuple[str | int, ...]
    message: str
    severity: Severity = "error"
    at_key: bool = False
    offset: int | None = None  # position inside a search string, when known


def _macro_table(content: Content) -> dict[str, tuple[tuple[str, ...], str]]:
    return {m.key: (m.arguments, m.definition) for m in content.macros}


def check(
    content: Content,
    names: dict[str, list[tuple[str, str]]],
    output_fields: dict[str, set[str] | None] | None = None,
    token_misses: dict[str, tuple[str, ...]] | None = None,
) -> list[Finding]:
    """All cross-reference findings. `names`: kind -> [(name, file)] of every document read,
    including those whose schema failed (so one bad file does not cascade into many errors).
    `output_fields`: detection file -> its search's output fields, when already worked out."""
    known_fields = output_fields or {}
    out: list[Finding] = []
    out += _unique(content, names)
    story_names = {n for n, _ in names.get("story", [])}
    data_source_names = {n for n, _ in names.get("data_source", [])}
    macro_keys = {m.key for m in content.macros} | EXTERNAL_MACROS
    macro_names = {m.name for m in content.macros}
    lookup_names = {n for n, _ in names.get("lookup", [])}
    for lookup in content.lookups:
        if lookup.data_file is not None:
            lookup_names.add(lookup.data_file.name)
    produced = _produced_lookups(content)
    filter_macros = {d.filter_macro for d in content.detections}
    filter_macros |= {f"{b.stem}_filter" for b in content.baselines}
    macro_table = _macro_table(content)
    deployment_types = {d.type.lower() for d in content.deployments}
    callable_macros = macro_keys | filter_macros
    known_lookups = lookup_names | produced
    detection_names = {n for n, _ in names.get("detection", [])}

    for det in content.detections:
        out += _stories(det.file, det.analytic_stories, story_names)
        out += _data_sources(det, data_source_names)
        if det.filter_macro not in {c.name for c in searchscan.macro_calls(det.search)}:
            out.append(
                Finding(
                    det.file,
                    ("search",),
                    f"the search does not call its filter macro `{det.filter_macro}` "
                    f"(add `| `{det.filter_macro}`` at the end)",
                )
            )
        out += _macros(det.file, det.search, callable_macros, macro_names)
        out += _lookups(det.file, det.search, known_lookups)
        out += _rba_fields(det, macro_table, known_fields)
        out += _message_tokens(det, macro_table, known_fields, token_misses)
        out += contentctl_rules.tstats_without_summariesonly(det.file, det.search)
        # (a type outside the schema's enum is already reported by the schema)
        if det.type in _DETECTION_TYPES and det.type.lower() not in deployment_types:
            out.append(
                Finding(
                    det.file,
                    ("type",),
                    f"no deployment in deployments/ for detection type '{det.type}'",
                )
            )
        for t_index, test in enumerate(det.tests):
            for a_index, attack in enumerate(test.attack_data):
                if "://" not in attack.data and not (content.root / attack.data).is_file():
                    out.append(
                        Finding(
                            det.file,
                            ("tests", t_index, "attack_data", a_index, "data"),
                            f"dataset file '{attack.data}' does not exist "
                            "(`contentkit test` reports the test as dataset_unavailable)",
                            "warning",
                        )
                    )
    for base in content.baselines:
        out += contentctl_rules.tstats_without_summariesonly(base.file, base.search)
        out += _stories(base.file, base.analytic_stories, story_names)
        out += _macros(base.file, base.search, callable_macros, macro_names)
        out += _lookups(base.file, base.search, known_lookups)
        out += _baseline_detections(base, detection_names)
    for macro in content.macros:
        out += _macros(macro.file, macro.definition, callable_macros, macro_names, "definition")
        out += _lookups(macro.file, macro.definition, known_lookups, "definition")
    config = content.config
    enrichment = config.mitre_enrichment if config is not None else None
    if enrichment and not (content.root / enrichment).is_file():
        out.append(
            Finding(
                "contentctl.yml",
                ("mitre_enrichment",),
                f"ATT&CK enrichment file '{enrichment}' does not exist",
            )
        )
    out += _attack_ids(content)
    out += contentctl_rules.name_lengths(content)
    out += contentctl_rules.name_characters(content)
    out += contentctl_rules.deprecation_mapping(content)
    for lookup in content.lookups:
        if lookup.data_file is not None and not lookup.data_file.is_file():
            out.append(
                Finding(
                    lookup.file,
                    ("filename",) if lookup.data_file.name != lookup.file else ("name",),
                    f"lookup file '{lookup.data_file.name}' is missing next to {lookup.file}",
                )
            )
    return out


def _attack_ids(content: Content) -> list[Finding]:
    """Warn about ATT&CK ids that the pack's enrichment CSV does not know (when it has one).
    A sub-technique whose parent is known is accepted (the CSV may predate it)."""
    from contentkit.content import attack

    config = content.config
    rel = (config.mitre_enrichment if config is not None else None) or (
        "app_template/lookups/mitre_enrichment.csv"
    )
    path = content.root / rel
    if not path.is_file():
        return []
    try:
        known = attack.load_attack(path)
    except attack.AttackError as exc:
        return [Finding(rel, (), str(exc), "warning")]
    return [
        Finding(
            det.file,
            ("tags", "mitre_attack_id", i),
            f"unknown ATT&CK technique id '{tid}' (not in {rel})",
            "warning",
        )
        for det in content.detections
        for i, tid in enumerate(det.mitre_attack_ids)
        if attack.technique(known, tid) is None
    ]


def _unique(content: Content, names: dict[str, list[tuple[str, str]]]) -> list[Finding]:
    out = []
    for kind, entries in names.items():
        if kind in {"removed", "deprecation_mapping", "contentctl"}:
            continue
        seen: dict[str, str] = {}
        for name, file in entries:
            key = name  # macros arrive as `name(N)`: arity is part of a macro's identity
            if key in seen:
                out.append(
                    Finding(file, ("name",), f"{kind} name '{name}' is also used by {seen[key]}")
                )
            else:
                seen[key] = file
    return out


def unique_ids(ids: list[tuple[str, str, str]]) -> list[Finding]:
    """`ids`: (id, kind, file) of every non-removed document."""
    seen: dict[str, str] = {}
    out = []
    for id_, _kind, file in ids:
        low = id_.lower()
        if low in seen:
            out.append(Finding(file, ("id",), f"id {id_} is also used by {seen[low]}"))
        else:
            seen[low] = file
    return out


def _stories(file: str, stories: tuple[str, ...], known: set[str]) -> list[Finding]:
    return [
        Finding(
            file,
            ("tags", "analytic_story", i),
            f"unknown analytic story '{s}'{did_you_mean(s, known)}",
        )
        for i, s in enumerate(stories)
        if s not in known
    ]


def _data_sources(det: Detection, known: set[str]) -> list[Finding]:
    out = []
    key = "data_source"
    for i, name in enumerate(det.data_sources):
        if name in known or all(part in known for part in name.split(" AND ")):
            continue
        # Splunk's legacy (v4) tooling only warned about these; keep it a warning there.
        severity: Severity = "warning" if det.legacy else "error"
        out.append(
            Finding(
                det.file,
                (key, i),
                f"unknown data source '{name}'{did_you_mean(name, known)}",
                severity,
            )
        )
    return out


def _macros(
    file: str, search: str, keys: set[str], names: set[str], field: str = "search"
) -> list[Finding]:
    out = []
    for call in searchscan.macro_calls(search):
        if call.key in keys:
            continue
        if call.name in names or any(k.startswith(call.name + "(") for k in keys):
            arities = sorted(k for k in keys if k == call.name or k.startswith(call.name + "("))
            message = (
                f"macro `{call.name}` is called with {len(call.args)} argument(s); "
                f"defined: {', '.join(arities)}"
            )
        else:
            message = f"unknown macro `{call.key}`{did_you_mean(call.name, {k.split('(')[0] for k in keys})}"
        out.append(Finding(file, (field,), message, offset=call.offset))
    return out


def _lookups(file: str, search: str, known: set[str], field: str = "search") -> list[Finding]:
    out = []
    for command, name, offset in searchscan.lookup_uses(search):
        if command == "outputlookup" or name in known or name in EXTERNAL_LOOKUPS:
            continue
        if name.endswith(".csv") and name[:-4] in known:
            continue
        if "$" in name:
            continue
        out.append(
            Finding(
                file,
                (field,),
                f"unknown lookup '{name}'{did_you_mean(name, known)}",
                offset=offset,
            )
        )
    return out


def _produced_lookups(content: Content) -> set[str]:
    produced: set[str] = set()
    searches = [d.search for d in content.detections] + [b.search for b in content.baselines]
    for search in searches:
        for command, name, _ in searchscan.lookup_uses(search):
            if command == "outputlookup":
                produced.add(name)
                produced.add(re.sub(r"\.csv$", "", name))
    return produced


def _baseline_detections(base: Baseline, known: set[str]) -> list[Finding]:
    return [
        Finding(
            base.file,
            ("tags", "detections", i),
            f"unknown detection '{name}'{did_you_mean(name, known)}",
            "warning",
        )
        for i, name in enumerate(base.detections)
        if name not in known
    ]


def _rba_fields(
    det: Detection,
    macros: dict[str, tuple[tuple[str, ...], str]],
    known: dict[str, set[str] | None],
) -> list[Finding]:
    if det.rba is None:
        return []
    if det.file in known:
        fields = known[det.file]
    else:
        fields = searchscan.output_fields(det.search, macros)
    out = []
    objects: list[tuple[str, tuple[Any, ...]]] = []
    if det.legacy:
        legacy_fields = [r.field for r in det.rba.risk_objects] + [
            t.field for t in det.rba.threat_objects
        ]
        objects += [(name, ("tags", "observable")) for name in legacy_fields]
    else:
        objects += [
            (r.field, ("rba", "risk_objects", i, "field"))
            for i, r in enumerate(det.rba.risk_objects)
        ]
        objects += [
            (t.field, ("rba", "threat_objects", i, "field"))
            for i, t in enumerate(det.rba.threat_objects)
        ]
    if not det.legacy:
        groups: tuple[tuple[str, tuple[RiskObject | ThreatObject, ...]], ...] = (
            ("risk", det.rba.risk_objects),
            ("threat", det.rba.threat_objects),
        )
        for kind, items in groups:
            for i, item in enumerate(items):
                if item in items[:i]:
                    out.append(
                        Finding(
                            det.file,
                            ("rba", f"{kind}_objects", i),
                            f"{kind} object '{item.field}' ({item.type}) is listed twice",
                            "warning",
                        )
                    )
    for name, path in objects:
        if fields is not None:
            if not searchscan.field_in(name, fields):
                out.append(
                    Finding(
                        det.file,
                        path,
                        f"field '{name}' is not among the search's output fields "
                        f"({_listing(fields)}){did_you_mean(name, fields)}",
                        # Static analysis cannot see automatic extractions or lookups done by
                        # macros, so this stays a warning (`--strict` makes it fail).
                        "warning",
                    )
                )
        elif name not in det.search:
            out.append(
                Finding(
                    det.file,
                    path,
                    f"field '{name}' is never named in the search; cannot tell whether the "
                    "search outputs it",
                    "warning",
                )
            )
    return out


_TOKEN = re.compile(r"\$([A-Za-z_][A-Za-z0-9_.{}:-]*)\$")


def message_misses(message: str, search: str, fields: set[str] | None) -> tuple[str, ...]:
    """The `$field$` tokens of a risk message that are not output fields of the search (when
    those cannot be told: that are not even named in it). Cheap enough for the workers."""
    if "$" not in message:
        return ()
    tokens = dict.fromkeys(_TOKEN.findall(message))
    if fields is None:
        return tuple(t for t in tokens if t not in search)
    return tuple(t for t in tokens if t not in fields and not searchscan.field_in(t, fields))


def _message_tokens(
    det: Detection,
    macros: dict[str, tuple[tuple[str, ...], str]],
    known: dict[str, set[str] | None],
    misses_known: dict[str, tuple[str, ...]] | None = None,
) -> list[Finding]:
    """Each `$field$` of the risk message must be an output field of the search: an error when
    the search's output is certain, a warning when a macro, lookup or command the scan cannot
    follow may produce it."""
    if det.rba is None:
        return []
    misses = (misses_known or {}).get(det.file)
    if misses is None:
        fields = (
            known[det.file] if det.file in known else searchscan.output_fields(det.search, macros)
        )
        misses = message_misses(det.rba.message, det.search, fields)
    if not misses:
        return []
    fields = known[det.file] if det.file in known else searchscan.output_fields(det.search, macros)
    path: tuple[str, ...] = ("tags", "message") if det.legacy else ("rba", "message")
    if fields is None:
        return [
            Finding(
                det.file,
                path,
                f"risk message field ${token}$ is never named in the search",
                "warning",
            )
            for token in misses
        ]
    certain = not searchscan.tail_may_add_fields(det.search, macros)
    out = []
    for token in misses:
        # Splunk's contentctl only asks that the name appear somewhere in the search text (and
        # of production detections); content it builds is never refused here: such a token is
        # a warning, and so is one that a macro, lookup or unfollowed command may produce.
        named = token.lower() in det.search.lower()
        error = certain and not named and not det.legacy and det.status == "production"
        if error:
            why = ""
        elif certain:
            why = "; the name only appears elsewhere in the search, the message will show it empty"
        else:
            why = "; it may come from a macro, lookup or command this check cannot follow"
        out.append(
            Finding(
                det.file,
                path,
                f"risk message field ${token}$ is not among the search's output fields "
                f"({_listing(fields)}){did_you_mean(token, fields)}{why}",
                "error" if error else "warning",
            )
        )
    return out


def _listing(fields: set[str], most: int = 8) -> str:
    names = sorted(fields)
    shown = ", ".join(names[:most])
    return shown + (f", … {len(names) - most} more" if len(names) > most else "")


def group_by_file(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.file].append(finding)
    return grouped
