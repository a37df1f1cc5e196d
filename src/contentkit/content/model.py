"""The typed content model: what the rest of contentkit (build, test, docs) reads.

Objects are built only from documents that passed their schema, so the constructors here can
trust types and required keys. Legacy v4 detections are normalised into the v5 shape (an `rba`
block built from `tags.observable`, `tags.message` and `tags.risk_score`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# v4 observable type -> v5 risk object type (for Victim roles)
_RISK_TYPES = {"User": "user", "User Name": "user", "Email Address": "user"}
# v4 observable type -> v5 threat object type (for Attacker roles)
_THREAT_TYPES = {
    "Hostname": "system",
    "Endpoint": "system",
    "IP Address": "ip_address",
    "Process": "process",
    "Process Name": "process_name",
    "Parent Process": "parent_process",
    "Parent Process Name": "parent_process_name",
    "File Name": "file_name",
    "File": "file_path",
    "File Hash": "file_hash",
    "URL String": "url",
    "URL": "url",
    "Email Address": "email_address",
    "Email Subject": "email_subject",
    "Domain": "domain",
    "Registry Key": "registry_path",
    "Registry Value Name": "registry_value_name",
    "Registry Value Data": "registry_value_text",
    "Service": "service",
    "Certificate Serial": "certificate_serial",
    "Certificate Common Name": "certificate_common_name",
    "Certificate Organization": "certificate_organization",
    "Certificate Unit": "certificate_unit",
}


@dataclass(frozen=True)
class RiskObject:
    field: str
    type: str  # user | system | other
    score: int


@dataclass(frozen=True)
class ThreatObject:
    field: str
    type: str


@dataclass(frozen=True)
class Rba:
    message: str
    risk_objects: tuple[RiskObject, ...]
    threat_objects: tuple[ThreatObject, ...] = ()


@dataclass(frozen=True)
class AttackData:
    data: str
    source: str
    sourcetype: str
    host: str | None = None
    index: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Expectation:
    min_results: int | None = None
    max_results: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DetectionTest:
    name: str
    attack_data: tuple[AttackData, ...]
    negative: bool = False
    expect: Expectation = field(default_factory=Expectation)
    test_type: str = "unit"


@dataclass(frozen=True)
class Drilldown:
    name: str
    search: str
    earliest_offset: str
    latest_offset: str


@dataclass(frozen=True)
class Scheduling:
    cron_schedule: str
    earliest_time: str
    latest_time: str
    schedule_window: str = "auto"


@dataclass(frozen=True)
class Notable:
    rule_title: str = "%name%"
    rule_description: str = "%description%"
    nes_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Throttling:
    fields: tuple[str, ...]
    period: str


@dataclass(frozen=True)
class Deployment:
    file: str
    name: str
    id: str
    type: str
    scheduling: Scheduling
    rba: bool = False
    notable: Notable | None = None
    email: dict[str, str] | None = None
    disabled: bool = True
    description: str = ""
    author: str = ""
    date: str = ""
    version: int = 1


@dataclass(frozen=True)
class Detection:
    file: str
    name: str
    id: str
    version: int
    date: str
    author: str
    status: str
    type: str
    description: str
    search: str
    how_to_implement: str = ""
    known_false_positives: str = ""
    data_sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    drilldown_searches: tuple[Drilldown, ...] = ()
    rba: Rba | None = None
    analytic_stories: tuple[str, ...] = ()
    asset_type: str = ""
    mitre_attack_ids: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    security_domain: str = ""
    cves: tuple[str, ...] = ()
    atomic_guids: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    manual_test: str | None = None
    tests: tuple[DetectionTest, ...] = ()
    deployment_override: dict[str, Any] = field(default_factory=dict)
    throttling: Throttling | None = None
    legacy: bool = False
    impact: int | None = None  # legacy v4 tags.impact (v5 derives nothing but the score)
    confidence: int | None = None  # legacy v4 tags.confidence
    creation_date: str = ""
    modification_date: str = ""
    is_visible: bool = False  # contentkit: show the saved search in Splunk's UI

    @property
    def stem(self) -> str:
        """The file name without its extension: the filter macro is `<stem>_filter`."""
        return file_stem(self.file)

    @property
    def filter_macro(self) -> str:
        return f"{self.stem}_filter"


def file_stem(path: str) -> str:
    """`Path(path).stem` without building a Path (validate asks thousands of times)."""
    name = path.rstrip("/").rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


@dataclass(frozen=True)
class Baseline:
    file: str
    name: str
    id: str
    version: int
    date: str
    author: str
    description: str
    search: str
    how_to_implement: str = ""
    known_false_positives: str = ""
    analytic_stories: tuple[str, ...] = ()
    detections: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    security_domain: str = ""
    data_sources: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    deployment_override: dict[str, Any] = field(default_factory=dict)
    status: str = "production"

    type: str = "Baseline"

    @property
    def stem(self) -> str:
        return file_stem(self.file)


@dataclass(frozen=True)
class Investigation:
    file: str
    name: str
    id: str
    search: str
    description: str = ""
    analytic_stories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Story:
    file: str
    name: str
    id: str
    version: int
    date: str
    author: str
    description: str
    narrative: str
    references: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    usecase: str = ""
    cves: tuple[str, ...] = ()
    status: str = "production"


@dataclass(frozen=True)
class Macro:
    file: str
    name: str
    definition: str
    description: str = ""
    arguments: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`name` or `name(N)`: how Splunk tells macros of different arity apart."""
        return f"{self.name}({len(self.arguments)})" if self.arguments else self.name


@dataclass(frozen=True)
class Lookup:
    file: str
    name: str
    description: str
    lookup_type: str  # csv | kvstore | mlmodel
    data_file: Path | None = None  # the CSV or model file next to the YAML
    fields: tuple[str, ...] = ()
    match_type: tuple[str, ...] = ()
    min_matches: int | None = None
    max_matches: int | None = None
    case_sensitive_match: bool | None = None
    default_match: str | None = None
    collection: str | None = None
    date: str = ""
    version: int = 1
    id: str = ""


@dataclass(frozen=True)
class DataSource:
    file: str
    name: str
    id: str
    source: str
    sourcetype: str
    description: str = ""
    supported_tas: tuple[dict[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    mitre_components: tuple[str, ...] = ()
    separator: str | None = None
    separator_value: str | None = None
    example_log: str = ""
    platform: str = ""


@dataclass(frozen=True)
class Dashboard:
    file: str
    name: str
    id: str
    description: str = ""
    json_file: Path | None = None


@dataclass(frozen=True)
class AppConfig:
    appid: str
    title: str
    version: str
    label: str
    prefix: str
    description: str = ""
    uid: int | None = None
    author_name: str = ""
    author_email: str = ""
    author_company: str = ""
    test_data_caches: tuple[tuple[str, str], ...] = ()
    mitre_enrichment: str | None = None
    # the `apps:` list, each entry as sorted (key, value-as-text) pairs (read by contentkit.apps)
    apps: tuple[tuple[tuple[str, str], ...], ...] = ()
    build_path: str | None = None  # where `build` writes (relative to the repository)
    build_api: bool = False  # also write the JSON API output
    enforce_deprecation_mapping: bool = False  # deprecated/removed content needs a mapping entry


@dataclass
class Content:
    """A whole content repository, as loaded and validated."""

    root: Path
    config: AppConfig | None = None
    detections: list[Detection] = field(default_factory=list)
    baselines: list[Baseline] = field(default_factory=list)
    investigations: list[Investigation] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)
    macros: list[Macro] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    data_sources: list[DataSource] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    dashboards: list[Dashboard] = field(default_factory=list)
    removed: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "detections": len(self.detections),
            "stories": len(self.stories),
            "macros": len(self.macros),
            "lookups": len(self.lookups),
            "data_sources": len(self.data_sources),
            "baselines": len(self.baselines),
            "deployments": len(self.deployments),
            "dashboards": len(self.dashboards),
            "investigations": len(self.investigations),
            "removed": self.removed,
        }

    def deployment_for(self, type_: str) -> Deployment | None:
        for deployment in self.deployments:
            if deployment.type.lower() == type_.lower():
                return deployment
        return None


# ---------------------------------------------------------------------------------------------
# construction from schema-valid documents


def _t(values: Any) -> tuple[Any, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values or ())


def _version(value: Any) -> int:
    return int(value) if value is not None else 1


def _date(doc: dict[str, Any]) -> str:
    return str(doc.get("date") or doc.get("modification_date") or doc.get("creation_date") or "")


def truthy(value: Any) -> bool:
    """A YAML flag that may be written as a boolean or as the string 'true'/'false' (contentctl
    accepts `enabled: 'true'`)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _boolish(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def _identity(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields every versioned object has: name, id, version, date, author, description."""
    return {
        "name": doc["name"],
        "id": doc["id"],
        "version": _version(doc.get("version")),
        "date": _date(doc),
        "author": doc["author"],
        "description": doc["description"],
    }


def _legacy_rba(tags: dict[str, Any]) -> Rba | None:
    observables = tags.get("observable") or []
    message = tags.get("message")
    if not observables or not message:
        return None
    score = round(float(tags.get("risk_score") or 0))
    risks = []
    threats = []
    for obs in observables:
        roles = set(obs.get("role") or [])
        if "Victim" in roles:
            risks.append(RiskObject(obs["name"], _RISK_TYPES.get(obs["type"], "system"), score))
        elif "Attacker" in roles:
            threats.append(ThreatObject(obs["name"], _THREAT_TYPES.get(obs["type"], "other")))
    if not risks:
        return None
    return Rba(str(message), tuple(risks), tuple(threats))


def _rba(doc: dict[str, Any]) -> Rba | None:
    block = doc.get("rba")
    if not block:
        return None
    return Rba(
        message=block["message"],
        risk_objects=tuple(
            RiskObject(r["field"], r["type"], int(r["score"])) for r in block["risk_objects"]
        ),
        threat_objects=tuple(
            ThreatObject(t["field"], t["type"]) for t in block.get("threat_objects") or []
        ),
    )


def _tests(doc: dict[str, Any]) -> tuple[DetectionTest, ...]:
    out = []
    for test in doc.get("tests") or []:
        expect = test.get("expect") or {}
        out.append(
            DetectionTest(
                name=test["name"],
                attack_data=tuple(
                    AttackData(
                        data=a["data"].strip(),
                        source=a["source"],
                        sourcetype=a["sourcetype"],
                        host=a.get("host"),
                        index=a.get("custom_index"),
                        sha256=a.get("sha256"),
                    )
                    for a in test["attack_data"]
                ),
                negative=bool(test.get("negative", False)),
                expect=Expectation(
                    min_results=expect.get("min_results"),
                    max_results=expect.get("max_results"),
                    fields=dict(expect.get("fields") or {}),
                ),
                test_type=test.get("test_type", "unit"),
            )
        )
    return tuple(out)


def detection_from(rel: str, doc: dict[str, Any]) -> Detection:
    tags = doc.get("tags") or {}
    legacy = "observable" in tags or "message" in tags or "risk_score" in tags
    rba = _rba(doc) or (_legacy_rba(tags) if legacy else None)
    throttling = doc.get("throttling") or (doc.get("deployment") or {}).get("throttling")
    return Detection(
        file=rel,
        name=doc["name"],
        id=doc["id"],
        version=_version(doc.get("version")),
        date=_date(doc),
        author=doc["author"],
        status=doc["status"],
        type=doc["type"],
        description=doc["description"],
        search=doc["search"],
        how_to_implement=doc.get("how_to_implement") or "",
        known_false_positives=doc.get("known_false_positives") or "",
        data_sources=_t(doc.get("data_source") or doc.get("data_sources")),
        references=_t(doc.get("references")),
        drilldown_searches=tuple(
            Drilldown(d["name"], d["search"], d["earliest_offset"], d["latest_offset"])
            for d in doc.get("drilldown_searches") or []
        ),
        rba=rba,
        analytic_stories=_t(tags.get("analytic_story")),
        asset_type=str(tags.get("asset_type") or "").strip(),
        mitre_attack_ids=_t(tags.get("mitre_attack_id")),
        products=_t(tags.get("product")),
        security_domain=tags.get("security_domain", ""),
        cves=_t(tags.get("cve") or tags.get("CVE")),
        atomic_guids=_t(tags.get("atomic_guid")),
        groups=_t(tags.get("group")),
        manual_test=tags.get("manual_test"),
        tests=_tests(doc),
        deployment_override=dict(doc.get("deployment") or {}),
        throttling=Throttling(tuple(throttling["fields"]), throttling["period"])
        if throttling
        else None,
        legacy=legacy,
        impact=tags.get("impact"),
        confidence=tags.get("confidence"),
        creation_date=str(doc.get("creation_date") or doc.get("date") or ""),
        modification_date=str(doc.get("modification_date") or doc.get("date") or ""),
        is_visible=bool(doc.get("is_visible", False)),
    )


def baseline_from(rel: str, doc: dict[str, Any]) -> Baseline:
    tags = doc.get("tags") or {}
    return Baseline(
        file=rel,
        **_identity(doc),
        search=doc["search"],
        how_to_implement=doc.get("how_to_implement") or "",
        known_false_positives=doc.get("known_false_positives") or "",
        analytic_stories=_t(tags.get("analytic_story")),
        detections=_t(tags.get("detections")),
        products=_t(tags.get("product")),
        security_domain=tags.get("security_domain", ""),
        data_sources=_t(doc.get("data_source")),
        references=_t(doc.get("references")),
        deployment_override=dict(doc.get("deployment") or {}),
        status=doc.get("status", "production"),
    )


def investigation_from(rel: str, doc: dict[str, Any]) -> Investigation:
    tags = doc.get("tags") or {}
    return Investigation(
        file=rel,
        name=doc["name"],
        id=doc["id"],
        search=doc["search"],
        description=doc.get("description") or "",
        analytic_stories=_t(tags.get("analytic_story")),
    )


def story_from(rel: str, doc: dict[str, Any]) -> Story:
    tags = doc.get("tags") or {}
    return Story(
        file=rel,
        **_identity(doc),
        narrative=doc["narrative"],
        references=_t(doc.get("references")),
        category=_t(tags.get("category")),
        products=_t(tags.get("product")),
        usecase=tags.get("usecase", ""),
        cves=_t(tags.get("cve")),
        status=doc.get("status", "production"),
    )


def macro_from(rel: str, doc: dict[str, Any]) -> Macro:
    return Macro(
        file=rel,
        name=doc["name"],
        definition=doc["definition"],
        description=doc.get("description") or "",
        arguments=_t(doc.get("arguments")),
    )


def _lookup_data_file(path: Path, doc: dict[str, Any], lookup_type: str) -> Path | None:
    if doc.get("filename"):
        return path.parent / doc["filename"]
    if lookup_type == "kvstore":
        return None
    suffix = ".mlmodel" if lookup_type == "mlmodel" else ".csv"
    return path.with_suffix(suffix)


def lookup_from(path: Path, rel: str, doc: dict[str, Any]) -> Lookup:
    if "lookup_type" in doc:
        lookup_type = doc["lookup_type"]
    elif doc.get("collection") or doc.get("fields_list"):
        lookup_type = "kvstore"
    elif str(doc.get("filename", "")).endswith(".mlmodel"):
        lookup_type = "mlmodel"
    else:
        lookup_type = "csv"
    fields = doc.get("fields") or doc.get("fields_list") or ()
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    match_type = doc.get("match_type") or ()
    if isinstance(match_type, str):
        match_type = [m.strip() for m in match_type.split(",") if m.strip()]
    default_match = doc.get("default_match")
    return Lookup(
        file=rel,
        name=doc["name"],
        description=doc["description"],
        lookup_type=lookup_type,
        data_file=_lookup_data_file(path, doc, lookup_type),
        fields=tuple(fields),
        match_type=tuple(match_type),
        min_matches=doc.get("min_matches"),
        max_matches=doc.get("max_matches"),
        case_sensitive_match=_boolish(doc.get("case_sensitive_match")),
        default_match=None if default_match is None else str(default_match).lower(),
        collection=doc.get("collection"),
        date=str(doc.get("date") or ""),
        version=_version(doc.get("version")),
        id=doc.get("id", ""),
    )


def data_source_from(rel: str, doc: dict[str, Any]) -> DataSource:
    return DataSource(
        file=rel,
        name=doc["name"],
        id=doc["id"],
        source=doc["source"],
        sourcetype=doc["sourcetype"],
        description=doc.get("description") or "",
        supported_tas=tuple(dict(t) for t in doc.get("supported_TA") or []),
        fields=_t(doc.get("fields")),
        mitre_components=_t(doc.get("mitre_components")),
        separator=doc.get("separator"),
        separator_value=doc.get("separator_value"),
        example_log=doc.get("example_log") or "",
    )


def deployment_from(rel: str, doc: dict[str, Any]) -> Deployment:
    sched = doc["scheduling"]
    actions = doc.get("alert_action") or {}
    notable = actions.get("notable")
    return Deployment(
        file=rel,
        name=doc["name"],
        id=doc["id"],
        type=doc["type"],
        scheduling=Scheduling(
            cron_schedule=sched["cron_schedule"],
            earliest_time=sched["earliest_time"],
            latest_time=sched["latest_time"],
            schedule_window=sched.get("schedule_window", "auto"),
        ),
        rba=truthy((actions.get("rba") or {}).get("enabled", False)),
        notable=Notable(
            rule_title=notable.get("rule_title", "%name%"),
            rule_description=notable.get("rule_description", "%description%"),
            nes_fields=_t(notable.get("nes_fields")),
        )
        if notable is not None
        else None,
        email=dict(actions["email"]) if actions.get("email") else None,
        disabled=doc.get("disabled", True),
        description=doc.get("description") or "",
        author=doc.get("author") or "",
        date=_date(doc),
        version=_version(doc.get("version")),
    )


def dashboard_from(path: Path, rel: str, doc: dict[str, Any]) -> Dashboard:
    json_file = path.with_suffix(".json")
    return Dashboard(
        file=rel,
        name=doc["name"],
        id=doc["id"],
        description=doc.get("description") or "",
        json_file=json_file if json_file.is_file() else None,
    )


def config_from(doc: dict[str, Any]) -> AppConfig:
    app = doc["app"]
    return AppConfig(
        appid=app["appid"],
        title=app["title"],
        version=str(app["version"]),
        label=app.get("label") or app.get("prefix") or app["appid"],
        prefix=app.get("prefix") or app.get("label") or app["appid"],
        description=app.get("description") or "",
        uid=app.get("uid"),
        author_name=app.get("author_name") or "",
        author_email=app.get("author_email") or "",
        author_company=app.get("author_company") or "",
        test_data_caches=tuple(
            (c["base_url"], c["base_directory_name"]) for c in doc.get("test_data_caches") or []
        ),
        mitre_enrichment=doc.get("mitre_enrichment"),
        apps=tuple(
            tuple(sorted((str(k), "" if v is None else str(v)) for k, v in entry.items()))
            for entry in doc.get("apps") or []
            if isinstance(entry, dict)
        ),
        build_path=doc.get("build_path"),
        build_api=truthy(doc.get("build_api", False)),
        enforce_deprecation_mapping=truthy(
            doc.get("enforce_deprecation_mapping_requirement", False)
        ),
    )
