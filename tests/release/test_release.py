"""`contentkit release check / lock / notes` on a repository with git history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contentkit.content.validate import validate
from contentkit.release.check import check
from contentkit.release.notes import release_notes
from contentkit.release.snapshot import from_repository, load_previous, write_lock
from contentkit.render.build import build
from tests.gitrepo_helpers import edit, git, make_repo

DET = "detections/cloud/kubernetes_secret_read.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _previous_package(repo: Path, tmp_path: Path) -> Path:
    report = validate(repo)
    return build(report.content, tmp_path / "previous").package


def _bump_app(repo: Path) -> None:
    edit(repo / "contentctl.yml", "version: 0.1.0", "version: 0.2.0")


def test_change_without_version_bump_fails_against_the_previous_package(
    repo: Path, tmp_path: Path
) -> None:
    previous = _previous_package(repo, tmp_path)
    _bump_app(repo)
    edit(repo / DET, "verb=get", "verb=watch")
    done = _cli("release", "check", "--previous", str(previous), str(repo), cwd=repo)
    assert done.returncode == 1, done.stderr
    assert (
        "detection 'Kubernetes Secret Read': content changed but version 1 must be higher than 1"
        in done.stdout
    )
    assert "date" in done.stdout
    assert done.stdout.count("\n") == 1  # only that detection


def test_bumped_version_and_date_pass(repo: Path, tmp_path: Path) -> None:
    previous = _previous_package(repo, tmp_path)
    _bump_app(repo)
    edit(repo / DET, "verb=get", "verb=watch")
    edit(repo / DET, "version: 1", "version: 2")
    edit(repo / DET, "date: '2026-01-01'", "date: '2026-01-02'")
    done = _cli("release", "check", "--previous", str(previous), str(repo), cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_app_version_must_grow_and_removal_needs_deprecation(repo: Path, tmp_path: Path) -> None:
    previous = _previous_package(repo, tmp_path)
    (repo / DET).unlink()
    violations = check(load_previous(previous), from_repository(repo))
    messages = [v.format() for v in violations]
    assert any("app version 0.1.0 must be higher than 0.1.0" in m for m in messages)
    assert any(
        m.startswith("detection 'Kubernetes Secret Read': was removed without being deprecated")
        for m in messages
    )


def test_macro_change_needs_a_bump_when_the_macro_has_a_version(repo: Path, tmp_path: Path) -> None:
    macro = repo / "macros/kube_secrets.yml"
    macro.write_text(macro.read_text() + "version: 1\ndate: '2026-01-01'\n")
    lock = tmp_path / "version.lock.json"
    write_lock(from_repository(repo), lock)
    _bump_app(repo)
    edit(macro, "objectRef.resource=secrets", "objectRef.resource=secret*")
    messages = [v.format() for v in check(load_previous(lock), from_repository(repo))]
    assert messages == [
        "macro 'kube_secrets': content changed but version 1 must be higher than 1; "
        "date 2026-01-01 must be newer than 2026-01-01"
    ]


def test_lock_file_round_trip_through_the_cli(repo: Path) -> None:
    done = _cli("release", "lock", str(repo), cwd=repo)
    assert done.returncode == 0, done.stderr
    assert (repo / "version.lock.json").is_file()
    _bump_app(repo)
    done = _cli("release", "check", str(repo), cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    edit(repo / "stories/kubernetes_security.yml", "narrative: ", "narrative: Changed. ")
    done = _cli("release", "check", str(repo), cwd=repo)
    assert done.returncode == 1
    assert "story 'Kubernetes Security': content changed" in done.stdout


def test_previous_that_is_not_a_release_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    done = _cli("release", "check", "--previous", str(junk), str(repo), cwd=repo)
    assert done.returncode == 2
    assert "not a readable tar package" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(app_version=True), "'app_version' must be text, not true"),
        (lambda d: d.update(objects=[1]), "'objects' must map each object to its entry"),
        (lambda d: d["objects"].update(x=5), "entry 'x' must be an object"),
        (
            lambda d: next(iter(d["objects"].values())).update(version="two"),
            "'version' must be a whole number, not \"two\"",
        ),
    ],
)
def test_a_hand_edited_lock_of_the_wrong_shape_is_one_line(
    repo: Path, change: Any, message: str
) -> None:
    """`app_version: true` in the lock ended in an AttributeError traceback (found by mutating
    a lock file); every field of the wrong type is now named."""
    assert _cli("release", "lock", str(repo), cwd=repo).returncode == 0
    lock = repo / "version.lock.json"
    doc = json.loads(lock.read_text())
    change(doc)
    lock.write_text(json.dumps(doc))
    done = _cli("release", "check", str(repo), cwd=repo)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr and done.stderr.count("\n") == 1


def test_release_notes_list_the_changes(repo: Path) -> None:
    edit(repo / DET, "verb=get", "verb=watch")
    edit(repo / DET, "version: 1", "version: 2")
    edit(
        repo / "detections/cloud/kubernetes_pod_deleted.yml",
        "status: production",
        "status: deprecated",
    )
    (repo / "detections/cloud/kubernetes_secret_listed.yml").unlink()
    edit(
        repo / "macros/kube_secrets.yml", "objectRef.resource=secrets", "objectRef.resource=secret*"
    )
    git(repo, "commit", "-qam", "second release")
    git(repo, "tag", "v0.2.0")
    notes = release_notes(repo, "v0.1.0", "v0.2.0")
    assert "# Release notes: v0.1.0 → v0.2.0" in notes
    updated = notes.split("## Updated Detections")[1].split("\n## ")[0]
    assert "### Anomaly" in updated
    assert "- Kubernetes Secret Read (Kubernetes Security)" in updated
    assert "- Kubernetes Pod Deleted" in notes.split("## Deprecated Detections")[1]
    assert "- Kubernetes Secret Listed" in notes.split("## Removed Detections")[1]
    assert "- kube_secrets" in notes.split("## Macros")[1]
    by_story = notes.split("## By Analytic Story")[1]
    assert "- Kubernetes Secret Read (updated)" in by_story
    done = _cli("release", "notes", "--old", "v0.1.0", "--new", "v0.2.0", str(repo), cwd=repo)
    assert done.returncode == 0
    assert done.stdout == notes


def test_release_notes_with_unknown_revision(repo: Path) -> None:
    done = _cli("release", "notes", "--old", "v9", str(repo), cwd=repo)
    assert done.returncode == 2
    assert "unknown git revision 'v9'" in done.stderr
