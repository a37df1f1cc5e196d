"""Every detection and baseline search of security_content 5.13.0 expands, parses (strictly) and
prints back to an equal tree; the runnable ones execute over no events without crashing."""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from contentkit import spl

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus" / "security_content-5.13.0"

pytestmark = pytest.mark.corpus

# Macros that detections call but that ship with other apps (ES / CIM / add-ons), not the corpus.
EXTERNAL_MACROS = [
    spl.MacroDef("drop_dm_object_name", "rename $object$.* AS *", ("object",)),
    spl.MacroDef(
        "get_asset",
        "lookup asset_lookup_by_str asset AS $field$ OUTPUTNEW ip AS $field$_ip",
        ("field",),
    ),
    spl.MacroDef("globedistance", "eval $output$=0", ("lat1", "lon1", "lat2", "lon2", "output")),
]


# The runtime errors a corpus search may stop at over no events, and how many there may be in
# all: commands and aggregations the engine does not implement, lookups the corpus does not ship
# (other apps' CSVs, Enterprise Security's asset lookup and the corpus's own KV store collections
# such as the previously_seen_* baselines), the `spath` eval function, and a
# baseline that starts with a command needing input. Anything else fails the test, by name.
ALLOWED_RUNTIME_ERRORS = re.compile(
    r"unsupported (command|aggregation) \S+"
    r"|unknown lookup '(ut_shannon_lookup|mitre_attack_lookup|identity_lookup_expanded"
    r"|admon_groups_def|remote_access_software_exceptions"
    r"|previously_seen_running_windows_services|previously_seen_\w+|zoom_first_time_child_process"
    r"|decommissioned_buckets|brandMonitoring_lookup|asset_lookup_by_str|interesting_ports_lookup"
    r"|asn_lookup_by_cidr|s3_deletion_baseline|cim_corporate_\w+_lookup|k8s_\w+_baseline)'"
    r"|iplocation: unsupported: no GeoIP database"
    r"|unknown eval function spath\(\)"
    r"|dnstwist cannot start a search"
)
MAX_RUNTIME_ERRORS = 107  # of 1918 searches, measured with 5.13.0 (data-model searches run)


def _load(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=yaml.CSafeLoader)


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    return CORPUS


def _macros(root: Path) -> dict[str, spl.MacroDef]:
    table: dict[str, spl.MacroDef] = {}
    for m in EXTERNAL_MACROS:
        table[m.key] = m
    for path in sorted((root / "macros").glob("*.yml")):
        doc = _load(path)
        macro = spl.MacroDef(
            doc["name"], doc.get("definition") or "", tuple(doc.get("arguments") or ())
        )
        table[macro.key] = macro
    return table


def _lookups(root: Path) -> dict[str, spl.LookupTable]:
    tables: dict[str, spl.LookupTable] = {}
    for path in sorted((root / "lookups").glob("*.yml")):
        doc = _load(path)
        csv_path = path.with_name(doc.get("filename") or f"{doc['name']}.csv")
        if doc.get("lookup_type") != "csv" or not csv_path.exists():
            continue
        default = doc.get("default_match")
        tables[doc["name"]] = spl.LookupTable(
            name=doc["name"],
            path=csv_path,
            case_sensitive_match=bool(doc.get("case_sensitive_match", False)),
            match_type=tuple(doc.get("match_type") or ()),
            min_matches=int(doc.get("min_matches", 0) or 0),
            max_matches=int(doc.get("max_matches", 100) or 100),
            default_match=None
            if default is None
            else str(default).lower()
            if isinstance(default, bool)
            else str(default),
        )
    return tables


def _knowledge_of_data_models(pipelines: list[tuple[Path, Any]]) -> Any:
    """Search-time knowledge with a data model for every model the searches read (each dataset
    a root without constraints or fields: enough to run the searches over no events)."""
    from contentkit.apps.model import AppInfo, KnowledgeBase
    from contentkit.spl.knowledge import Knowledge

    models: dict[str, dict[str, Any]] = {}
    for _, pipeline in pipelines:
        for ref in spl.datamodels_used(pipeline):
            name, _, dataset = ref.partition(".")
            objects = models.setdefault(name, {"modelName": name, "objects": []})["objects"]
            for part in [p for p in [dataset.split(".")[-1] if dataset else name] if p]:
                if all(o["objectName"] != part for o in objects):
                    objects.append({"objectName": part, "parentName": "BaseEvent"})
    base = KnowledgeBase(apps=[AppInfo("synthetic_cim", Path("."))], datamodels=models)
    return Knowledge(base)


def test_all_corpus_searches_parse_and_run(corpus: Path) -> None:
    macros = _macros(corpus)
    lookups = _lookups(corpus)
    files = sorted((corpus / "detections").rglob("*.yml")) + sorted(
        (corpus / "baselines").rglob("*.yml")
    )
    failures: list[str] = []
    parsed = 0
    runnable = 0
    blocked: collections.Counter[str] = collections.Counter()
    unexpected: list[str] = []
    pipelines: list[tuple[Path, Any]] = []
    total = 0
    for path in files:
        search = _load(path).get("search")
        if not search:
            continue
        total += 1
        for call in spl.macro_calls(search):
            # contentkit generates `<name>_filter` as `search *` when no macro defines it
            if call.name.endswith("_filter") and call.key not in macros:
                macros[call.key] = spl.MacroDef(call.name, "search *")
        try:
            pipeline = spl.parse(spl.expand(search, macros), strict=True)
            if spl.parse(pipeline.to_spl(), strict=True) != pipeline:
                failures.append(f"{path.relative_to(corpus)}: to_spl() does not round-trip")
                continue
        except spl.SplError as exc:
            failures.append(f"{path.relative_to(corpus)}: {exc}\n{exc.caret()}")
            continue
        parsed += 1
        pipelines.append((path, pipeline))
    knowledge = _knowledge_of_data_models(pipelines)
    for path, pipeline in pipelines:
        try:
            spl.run(pipeline, [], lookups=lookups, now=1_700_000_000, knowledge=knowledge)
            runnable += 1
        except spl.SplError as exc:
            reason = exc.message.split(" (")[0]
            blocked[reason] += 1
            if not ALLOWED_RUNTIME_ERRORS.fullmatch(reason):
                unexpected.append(f"{path.relative_to(corpus)}: {exc.message}")
    assert total >= 1900
    assert not failures, f"{len(failures)} of {total} searches failed:\n" + "\n".join(failures[:50])
    top = ", ".join(f"{k}: {v}" for k, v in blocked.most_common(8))
    print(
        f"\ncorpus: {parsed}/{total} parsed, {runnable} run end to end over no events; blocked by {top}"
    )
    assert parsed == total
    assert not unexpected, f"{len(unexpected)} unexpected runtime errors:\n" + "\n".join(
        unexpected[:50]
    )
    assert sum(blocked.values()) == total - runnable
    assert total - runnable <= MAX_RUNTIME_ERRORS, f"{total - runnable} searches stop: {top}"
