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
