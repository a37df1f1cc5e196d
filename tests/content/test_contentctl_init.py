"""A repository freshly made by Splunk's `contentctl init` validates and builds with contentkit.

contentctl is never a dependency: the test uses the `contentctl` named by $CONTENTCTL, else one
on PATH, else installs it once into a private virtual environment under the user's cache folder.
It is skipped, with the reason, when none of that works (no network, no PyPI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contentkit.content.validate import validate
from contentkit.render.api import write_api
from contentkit.render.build import build

pytestmark = pytest.mark.slow

_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "contentkit-tests"


def _contentctl() -> str:
    named = os.environ.get("CONTENTCTL") or shutil.which("contentctl")
    if named:
        return named
    venv = _CACHE / "contentctl-venv"
    exe = venv / "bin" / "contentctl"
    if exe.is_file():
        return str(exe)
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120
        )
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "contentctl>=5,<6"],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(venv, ignore_errors=True)
        pytest.skip(f"cannot install contentctl: {exc}")
    if done.returncode != 0 or not exe.is_file():
        shutil.rmtree(venv, ignore_errors=True)
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        pytest.skip(f"cannot install contentctl: {last}")
    return str(exe)


@pytest.fixture(scope="module")
def init_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = _contentctl()
    repo = tmp_path_factory.mktemp("contentctl-init")
    done = subprocess.run([exe, "init"], cwd=repo, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"contentctl init failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    assert (repo / "contentctl.yml").is_file()
    return repo


def test_fresh_contentctl_init_repository_validates(init_repo: Path) -> None:
    report = validate(init_repo)
    assert [p.format() for p in report.errors] == []
    assert report.content.config is not None
    assert len(report.content.detections) >= 1
    assert len(report.content.deployments) >= 1
    # the deployments say rba.enabled: 'true' (a string): it still means risk events
    ttp = report.content.deployment_for("TTP")
    assert ttp is not None and ttp.rba is True


def test_fresh_contentctl_init_repository_builds(init_repo: Path, tmp_path: Path) -> None:
    report = validate(init_repo)
    config = report.content.config
    assert config is not None
    result = build(report.content, tmp_path)
    assert result.package.is_file()
    assert (tmp_path / f"{config.appid}-latest.tar.gz").is_file()
    assert result.detections == len(report.content.detections)
    assert (result.app_dir / "default" / "savedsearches.conf").is_file()


def test_fresh_contentctl_init_repository_through_the_cli(init_repo: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(init_repo, repo)
    done = subprocess.run(
        [sys.executable, "-m", "contentkit", "build", "--api", str(repo)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # build_path: dist in the generated contentctl.yml
    assert (repo / "dist" / "api" / "detections_v2.json").is_file()


def test_api_output_has_contentctl_shape(init_repo: Path, tmp_path: Path) -> None:
    """contentctl's own `build --build-api` and contentkit's `build --api` on the same fresh
    repository: the same objects, each with the same keys and the same main values."""
    theirs_repo = tmp_path / "theirs"
    shutil.copytree(init_repo, theirs_repo)
    done = subprocess.run(
        [_contentctl(), "build", "--build-api", "--no-enrichments"],
        cwd=theirs_repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"contentctl build failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    ours = tmp_path / "ours"
    report = validate(init_repo)
    write_api(report.content, ours)
    for kind in ("detections", "stories", "macros", "lookups", "deployments", "baselines"):
        name = f"{kind}_v2.json"
        theirs_doc = json.loads((theirs_repo / "dist" / "api" / name).read_text())[kind]
        ours_doc = json.loads((ours / name).read_text())[kind]
        assert sorted(o["name"] for o in ours_doc) == sorted(o["name"] for o in theirs_doc), kind
        by_name = {o["name"]: o for o in theirs_doc}
        for obj in ours_doc:
            assert set(obj) == set(by_name[obj["name"]]), (kind, obj["name"])
    theirs_det = json.loads((theirs_repo / "dist/api/detections_v2.json").read_text())
    ours_det = json.loads((ours / "detections_v2.json").read_text())
    for mine, other in zip(
        sorted(ours_det["detections"], key=lambda d: d["name"]),
        sorted(theirs_det["detections"], key=lambda d: d["name"]),
        strict=True,
    ):
        for key in ("id", "search", "type", "source", "datamodel", "rba", "version", "date"):
            assert mine[key] == other[key], key
        assert [m["name"] for m in mine["macros"]] == [m["name"] for m in other["macros"]]
