"""`validate` in-process: what is not a repository, a missing settings file, duplicate keys,
macros with arguments, and worker processes that give the same report as one process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contentkit.content import validate as validation
from contentkit.content.validate import RepositoryError, validate

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"


def test_what_is_not_a_repository(tmp_path: Path, pack: Path) -> None:
    for path, why in (
        (tmp_path / "none", "no such directory"),
        (pack / "contentctl.yml", "not a directory"),
    ):
        with pytest.raises(RepositoryError) as caught:
            validate(path)
        assert str(caught.value) == f"{path}: {why}"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RepositoryError) as caught:
        validate(empty)
    assert str(caught.value) == (
        f"{empty}: not a content repository (no contentctl.yml and none of detections, "
        "baselines, investigations, stories, macros, lookups, data_sources, deployments, "
        "dashboards, removed)"
    )


def test_the_pack_as_read(seed_pack: Path) -> None:
    report = validate(seed_pack)
    assert report.ok and report.problems == [] and report.warnings == []
    assert report.files_read == 10
    assert report.content.counts() == {
        "detections": 1,
        "stories": 1,
        "macros": 1,
        "lookups": 0,
        "data_sources": 1,
        "baselines": 0,
        "deployments": 5,
        "dashboards": 0,
        "investigations": 0,
        "removed": 0,
    }
    assert report.content.config is not None
    assert report.content.config.appid == "DA-ESS-contentkit"


def test_missing_settings_file(seed_pack: Path) -> None:
    (seed_pack / "contentctl.yml").unlink()
    report = validate(seed_pack)
    assert [(p.file, p.line, p.message, p.severity) for p in report.problems] == [
        ("contentctl.yml", 0, "missing: the app's settings file", "error")
    ]
    assert not report.ok and report.content.config is None
    assert report.files_read == 9


def test_duplicate_key_is_a_warning_and_macros_are_keyed_by_arity(seed_pack: Path) -> None:
    path = seed_pack / DET
    path.write_text(path.read_text().replace("version: 2\n", "version: 2\nversion: 2\n"))
    (seed_pack / "macros/two.yml").write_text(
        "name: two_args\narguments:\n- a\n- b\ndefinition: search $a$=$b$\ndescription: d\n"
    )
    report = validate(seed_pack)
    assert report.ok and report.errors == []
    assert [(p.file, p.line, p.column, p.field, p.message) for p in report.warnings] == [
        (DET, 4, 1, "version", "key 'version' appears twice in one mapping; the last value wins")
    ]
    assert sorted(m.name for m in report.content.macros) == ["kube_audit", "two_args"]
    assert validation._name_of("macro", {"name": "m", "arguments": ["a", "b"]}) == "m(2)"
    assert validation._name_of("macro", {"name": "m", "arguments": []}) == "m"
    assert validation._name_of("detection", {"name": 5}) is None
    assert validation._name_of("detection", []) is None


def test_worker_processes_give_the_same_report(
    seed_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seed_pack / DET
    path.write_text(path.read_text().replace("type: Anomaly", "type: anomaly"))
    serial = validate(seed_pack)
    monkeypatch.setattr(validation, "_PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    parallel = validate(seed_pack)
    assert parallel.problems == serial.problems
    assert [p.message for p in parallel.errors] == [
        "'anomaly' is not one of: TTP, Anomaly, Hunting, Correlation (did you mean 'Anomaly'?)"
    ]
    assert parallel.content.counts() == serial.content.counts()
    assert parallel.files_read == serial.files_read == 10
    assert [s.name for s in parallel.content.stories] == ["Kubernetes Security"]


def test_file_level_problems_in_one_run(pack: Path) -> None:
    path = pack / DET
    path.write_text(
        path.read_text().replace(
            "  - field: src_ip\n    type: ip_address",
            "  - field: src_address\n    type: ip_address",
        )
    )
    (pack / "removed").mkdir()
    (pack / "removed/deprecation_mapping.YML").write_text("- just a list\n")
    os.symlink(pack / "nowhere.yml", pack / "detections/cloud/dangling.yml")
    (pack / "detections/cloud/bad_yaml.yml").write_text("name: x\n  bad: [\n")
    report = validate(pack)
    assert [
        (p.file, p.line, p.column, p.field, p.message, p.severity) for p in report.problems
    ] == [
        (
            "detections/cloud/bad_yaml.yml",
            2,
            6,
            "",
            "invalid YAML: mapping values are not allowed in this context",
            "error",
        ),
        (
            "detections/cloud/dangling.yml",
            0,
            0,
            "",
            "cannot read file: No such file or directory",
            "error",
        ),
        (
            DET,
            50,
            12,
            "rba.threat_objects[0].field",
            # the search's fields are found through its macros
            "field 'src_address' is not among the search's output fields (count, kind, "
            "objectRef.name, objectRef.namespace, objectRef.resource, requestObject.kind, "
            "responseStatus.code, src_ip, … 5 more)",
            "warning",
        ),
        ("removed/deprecation_mapping.YML", 1, 1, "", "expected a mapping", "error"),
    ]


REMOVED = """\
name: Kubernetes Pod Deleted
id: 7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f
status: removed
"""

BASELINE = """\
name: Baseline of DaemonSet creators
id: fc0edd96-ff2b-48b0-9f1f-63da3782fd64
version: 1
date: '2026-11-27'
author: contentkit developers
type: Baseline
status: production
description: Who creates DaemonSets.
search: '`kube_audit` verb=create "unclosed | stats count by user'
how_to_implement: Collect the audit log.
known_false_positives: none
references: []
tags:
  analytic_story:
  - Kubernetes Security
  detections:
  - Kubernetes DaemonSet Deployed
  product:
  - Splunk Enterprise
  security_domain: network
"""


def test_baseline_searches_are_checked_too(pack: Path) -> None:
    (pack / "baselines").mkdir()
    (pack / "baselines/daemonset_creators.yml").write_text(BASELINE)
    report = validate(pack)
    quotes = [p for p in report.errors if p.file == "baselines/daemonset_creators.yml"]
    assert [(p.line, p.field) for p in quotes] == [(9, "search")]
    assert quotes[0].message == 'this quote (") is never closed (at character 26 of the search)'


def test_output_fields_seen_through_macros_with_arguments(pack: Path) -> None:
    (pack / "macros/k8s_fields.yml").write_text(
        "name: k8s_fields\narguments:\n- first\n- second\n"
        "definition: table $first$ $second$\ndescription: Keep two fields.\n"
    )
    path = pack / DET
    text = path.read_text().replace(
        "| `kubernetes_daemonset_deployed_filter`'",
        "| `k8s_fields(user, count)` | `kubernetes_daemonset_deployed_filter`'",
    )
    path.write_text(text)
    report = validate(pack)
    assert report.errors == []  # the two-argument macro is found by name and arity
    assert [(p.field, p.message) for p in report.warnings] == [
        (
            "rba.threat_objects[0].field",
            "field 'src_ip' is not among the search's output fields (count, user)",
        )
    ]


def test_settings_file_problems_and_the_config_kept(pack: Path) -> None:
    settings = pack / "contentctl.yml"
    text = settings.read_text()
    settings.write_text(
        text.replace("mitre_enrichment: lookups/mitre_enrichment.csv", "mitre_enrichment: none.csv")
    )
    report = validate(pack)
    assert [(p.file, p.line, p.column, p.field, p.message) for p in report.problems] == [
        (
            "contentctl.yml",
            16,
            19,
            "mitre_enrichment",
            "ATT&CK enrichment file 'none.csv' does not exist",
        )
    ]
    assert report.content.config is not None  # valid against its schema: kept
    settings.write_text(text.replace("appid: DA-ESS-contentkit", "appid: 'bad app id!'"))
    report = validate(pack)
    assert [(p.file, p.line, p.column, p.field, p.message) for p in report.problems] == [
        ("contentctl.yml", 6, 10, "app.appid", "'bad app id!' has the wrong format")
    ]
    assert report.content.config is None  # invalid: never reaches the build


def test_unknown_key_is_located_at_the_key_and_removed_objects_are_counted(pack: Path) -> None:
    path = pack / DET
    path.write_text(path.read_text().replace("known_false_positives:", "known_false_positive:"))
    removed = pack / "removed/detections"
    removed.mkdir(parents=True)
    (removed / "old_detection.yml").write_text(REMOVED)
    # a removed object may keep the id of the live one that replaced it
    (removed / "older_detection.yml").write_text(
        "name: Kubernetes DaemonSet Deployed Old\nid: 6f0b8c52-3e1d-4a7b-9f26-c4d8e1a5b370\n"
        "status: removed\n"
    )
    report = validate(pack)
    assert [(p.file, p.line, p.column, p.field, p.message) for p in report.problems] == [
        (
            DET,
            35,
            1,
            "known_false_positive",
            "unknown field 'known_false_positive' (did you mean 'known_false_positives'?)",
        )
    ]
    assert report.content.counts()["removed"] == 2
