"""A content repository under git for tests: made with `contentkit init`, committed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from contentkit.content.scaffold import (
    AppSettings,
    DetectionSpec,
    detection_doc,
    init_repository,
    macro_doc,
    write_object,
)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def make_repo(root: Path) -> Path:
    """init + a second macro + three more detections (two on the new macro), committed on main."""
    init_repository(root, AppSettings(appid="DA-ESS-Test", prefix="TEST"))
    rel, doc = macro_doc("kube_secrets", "`kube_audit` objectRef.resource=secrets")
    write_object(root, rel, doc)
    searches = {
        "Kubernetes Secret Read": "`kube_secrets` verb=get",
        "Kubernetes Secret Listed": "`kube_secrets` verb=list",
        "Kubernetes Pod Deleted": "`kube_audit` verb=delete objectRef.resource=pods",
    }
    for name, search in searches.items():
        spec = DetectionSpec(
            name=name,
            type="Anomaly",
            folder="cloud",
            search=f"{search} | stats count by user.username | rename user.username as user",
            stories=["Kubernetes Security"],
            data_sources=["Kubernetes Audit"],
        )
        rel, doc = detection_doc(spec)
        doc["date"] = "2026-01-01"
        write_object(root, rel, doc)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first release")
    git(root, "tag", "v0.1.0")
    return root
