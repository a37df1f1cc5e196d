"""The release workflow in one repository with git history: a macro change selects exactly the
detections that use it, the unbumped change fails `release check`, and the release notes list it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.gitrepo_helpers import edit, git, make_repo


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_macro_change_from_selection_to_release_notes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    assert _cli("release", "lock", cwd=repo).returncode == 0
    git(repo, "add", "version.lock.json")
    git(repo, "commit", "-qm", "lock v0.1.0")
    git(repo, "tag", "-f", "v0.1.0")
    git(repo, "checkout", "-q", "-b", "feature")
    edit(
        repo / "macros/kube_secrets.yml", "objectRef.resource=secrets", "objectRef.resource=secret*"
    )
    edit(repo / "contentctl.yml", "version: 0.1.0", "version: 0.2.0")

    plan = tmp_path / "plan.json"
    done = _cli("test", "--changes", "--plan", str(plan), cwd=repo)
    assert done.returncode == 0, done.stderr
    selected = [d["name"] for d in json.loads(plan.read_text())["detections"]]
    assert selected == ["Kubernetes Secret Listed", "Kubernetes Secret Read"]

    # the macro's definition changed and it still says version 1 (the default)
    done = _cli("release", "check", cwd=repo)
    assert done.returncode == 1
    assert done.stdout == (
        "macro 'kube_secrets': content changed but version 1 must be higher than 1\n"
    )
    macro = repo / "macros/kube_secrets.yml"
    macro.write_text(macro.read_text() + "version: 2\ndate: '2026-02-01'\n")
    done = _cli("release", "check", cwd=repo)
    assert done.returncode == 0, done.stdout

    git(repo, "commit", "-qam", "widen kube_secrets")
    notes = _cli("release", "notes", "--old", "v0.1.0", "--new", "HEAD", cwd=repo)
    assert notes.returncode == 0, notes.stderr
    assert "## Macros" in notes.stdout
    assert "- kube_secrets" in notes.stdout.split("## Macros")[1]
