"""The seed detection "Kubernetes DaemonSet Deployed" end to end over audit logs."""

from __future__ import annotations

from contentkit import spl
from contentkit.spl import Dataset

from .conftest import DATA, SEED_SEARCH


def _run(path: str, macros: dict[str, spl.MacroDef]) -> list[dict[str, object]]:
    return spl.run(
        SEED_SEARCH, datasets=[Dataset(DATA / path, "_json", "kubernetes")], macros=macros
    )


def test_seed_search_finds_the_daemonset_creation(seed_macros: dict[str, spl.MacroDef]) -> None:
    rows = _run("k8s_audit_daemonset.json", seed_macros)
    # two stages (RequestReceived without responseStatus -> fillnull 0, ResponseComplete 201)
    # times two source IPs (multivalue BY field) = four rows
    assert len(rows) == 4
    assert {(r["stage"], r["responseStatus.code"], r["src_ip"]) for r in rows} == {
        ("RequestReceived", "0", "172.18.0.1"),
        ("RequestReceived", "0", "192.168.49.1"),
        ("ResponseComplete", "201", "172.18.0.1"),
        ("ResponseComplete", "201", "192.168.49.1"),
    }
    for row in rows:
        assert row["user"] == "kubernetes-admin"
        assert row["user_groups"] == ["system:authenticated", "system:masters"]
        assert row["count"] == 1
        assert row["objectRef.name"] == "node-agent"
        assert row["objectRef.namespace"] == "default"
        assert row["requestObject.kind"] == "DaemonSet"
        assert row["verb"] == "create"
        assert row["kind"] == "Event"
    assert list(rows[0]) == [
        "kind",
        "objectRef.name",
        "objectRef.namespace",
        "objectRef.resource",
        "requestObject.kind",
        "responseStatus.code",
        "src_ip",
        "stage",
        "user",
        "userAgent",
        "verb",
        "count",
        "user_groups",
    ]


def test_seed_search_finds_nothing_without_a_daemonset_creation(
    seed_macros: dict[str, spl.MacroDef],
) -> None:
    assert _run("k8s_audit_no_daemonset.json", seed_macros) == []


def test_seed_search_source_must_match(seed_macros: dict[str, spl.MacroDef]) -> None:
    rows = spl.run(
        SEED_SEARCH,
        datasets=[Dataset(DATA / "k8s_audit_daemonset.json", "_json", "aws_cloudtrail")],
        macros=seed_macros,
    )
    assert rows == []


def test_seed_search_over_event_dicts_matches_dataset_path(
    seed_macros: dict[str, spl.MacroDef],
) -> None:
    events = list(
        spl.read_events(DATA / "k8s_audit_daemonset.json", sourcetype="_json", source="kubernetes")
    )
    assert spl.run(SEED_SEARCH, events, macros=seed_macros) == _run(
        "k8s_audit_daemonset.json", seed_macros
    )


def test_seed_output_fields_known_statically(seed_macros: dict[str, spl.MacroDef]) -> None:
    pipeline = spl.parse(spl.expand(SEED_SEARCH, seed_macros))
    fields = spl.output_fields(pipeline)
    assert fields is not None
    assert {"user", "src_ip", "user_groups", "count"} <= set(fields)
    assert spl.unsupported_commands(pipeline) == []
