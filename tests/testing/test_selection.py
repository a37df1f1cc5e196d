"""`contentkit test --changes / --since / --shard / --plan`: git-aware selection."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contentkit.content.validate import validate
from contentkit.testing.selection import (
    SelectionError,
    narrow,
    parse_shard,
    select_changed,
    select_since,
    shard,
)
from tests.gitrepo_helpers import edit, git, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _names(selected: list) -> list[str]:
    return sorted(s.detection.name for s in selected)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_changing_one_macro_selects_exactly_its_detections(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit(
        repo / "macros/kube_secrets.yml", "objectRef.resource=secrets", "objectRef.resource=secret*"
    )
    content = validate(repo).content
    commit, selected = select_since(content, None)  # merge base with main
    assert _names(selected) == ["Kubernetes Secret Listed", "Kubernetes Secret Read"]
    assert all(s.reasons == ["macro kube_secrets"] for s in selected)
    assert commit == git(repo, "rev-parse", "main").strip()


def test_a_macro_used_through_another_macro_widens_the_selection(repo: Path) -> None:
    edit(repo / "macros/kube_audit.yml", 'source="kubernetes"', 'source="kubernetes*"')
    git(repo, "commit", "-qam", "change kube_audit")
    content = validate(repo).content
    _commit, selected = select_since(content, "v0.1.0")
    # every detection calls kube_audit, two of them through kube_secrets
    assert len(selected) == len(content.detections) == 4


def test_own_file_story_dataset_and_untracked_new_detection(repo: Path) -> None:
    content = validate(repo).content
    picked = select_changed(content, ["detections/cloud/kubernetes_pod_deleted.yml"])
    assert _names(picked) == ["Kubernetes Pod Deleted"]
    picked = select_changed(content, ["datasets/kubernetes/kubernetes_audit_no_daemonset.json"])
    assert _names(picked) == ["Kubernetes DaemonSet Deployed"]
    assert len(select_changed(content, ["stories/kubernetes_security.yml"])) == 4
    assert len(select_changed(content, ["data_sources/kubernetes_audit.yml"])) == 4
    assert select_changed(content, ["README.md"]) == []
    # a file not yet committed counts as changed
    (repo / "detections/cloud/new_one.yml").write_text(
        (repo / "detections/cloud/kubernetes_pod_deleted.yml")
        .read_text()
        .replace("Kubernetes Pod Deleted", "New One")
        .replace("kubernetes_pod_deleted_filter", "new_one_filter")
    )
    content = validate(repo).content
    _commit, selected = select_since(content, "HEAD")
    assert "New One" in _names(selected)


def test_deleted_macro_is_named_from_git(repo: Path) -> None:
    content = validate(repo).content
    old = {"name": "kube_secrets", "definition": "x"}
    picked = select_changed(
        content,
        ["macros/gone.yml"],
        old_document=lambda rel: old if rel.endswith("gone.yml") else None,
    )
    assert _names(picked) == ["Kubernetes Secret Listed", "Kubernetes Secret Read"]


def test_shards_split_the_selection_without_overlap(repo: Path) -> None:
    content = validate(repo).content
    slices = [shard(content.detections, i, 3) for i in (1, 2, 3)]
    files = [d.file for part in slices for d in part]
    assert sorted(files) == sorted(d.file for d in content.detections)
    assert len(files) == len(set(files))
    assert all(part for part in slices)
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "x", "1/0"):
        with pytest.raises(SelectionError):
            parse_shard(bad)


def test_no_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    from contentkit.content.scaffold import init_repository

    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    root = tmp_path / "plain"
    init_repository(root)
    content = validate(root).content
    with pytest.raises(SelectionError, match="not in a git repository"):
        narrow(content, content.detections, changes=True, since=None, shard_text=None)
    done = _cli("test", "--changes", str(root), cwd=tmp_path)
    assert done.returncode == 2
    assert "not in a git repository" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_revision_is_a_clear_error(repo: Path) -> None:
    done = _cli("test", "--since", "no-such-tag", str(repo), cwd=repo)
    assert done.returncode == 2
    assert "unknown git revision 'no-such-tag'" in done.stderr


def test_plan_lists_the_selection_and_runs_nothing(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit(
        repo / "macros/kube_secrets.yml", "objectRef.resource=secrets", "objectRef.resource=secret*"
    )
    plan = tmp_path / "plan.json"
    done = _cli("test", "--changes", "--plan", str(plan), str(repo), cwd=repo)
    assert done.returncode == 0, done.stderr
    document = json.loads(plan.read_text())
    assert [d["name"] for d in document["detections"]] == [
        "Kubernetes Secret Listed",
        "Kubernetes Secret Read",
    ]
    assert document["detections"][0]["reasons"] == ["macro kube_secrets"]
    assert not (repo / "test_results").exists()


def test_changes_runs_only_the_selection(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    edit(
        repo / "detections/cloud/kubernetes_daemonset_deployed.yml",
        "known_false_positives: unknown",
        "known_false_positives: none known",
    )
    report = tmp_path / "report.json"
    done = _cli("test", "--changes", "--json", str(report), "-q", str(repo), cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(report.read_text())
    names = {r["detection"] for r in results["results"]}
    assert names == {"Kubernetes DaemonSet Deployed"}


def test_no_git_installed_is_a_clear_error(repo: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(repo / "no-bin-here")
    done = subprocess.run(
        [sys.executable, "-m", "contentkit", "test", "--changes", str(repo)],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2
    assert "git is not installed" in done.stderr
    assert "Traceback" not in done.stderr
