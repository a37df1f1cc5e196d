"""Shared fixtures: the repository's own content pack, and the corpus when it is present."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests replay the same examples every run, so a landing is reproducible;
# on a developer's machine they keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
CORPUS_5 = CORPUS / "security_content-5.13.0"
CORPUS_4 = CORPUS / "security_content-4.42.0"
REFERENCE = SHARED / "reference" / "contentctl-5.6.2-build-of-security_content-5.13.0"
PACK_PARTS = (
    "contentctl.yml",
    "detections",
    "macros",
    "stories",
    "data_sources",
    "deployments",
    "lookups",
    "datasets",
    "apps",
    "app_template",
)


#: what the data-model part of the pack adds to the seed detection's Kubernetes content
DATA_MODEL_PARTS = (
    "detections/endpoint",
    "detections/network",
    "stories/windows_initial_access_and_command_and_control.yml",
    "data_sources/sysmon_eventid_1.yml",
    "data_sources/sysmon_eventid_3.yml",
    "macros/security_content_summariesonly.yml",
    "macros/summariesonly_config.yml",
    "macros/oldsummaries_config.yml",
    "macros/fillnull_config.yml",
    "macros/security_content_ctime.yml",
    "datasets/windows",
    "apps",
)


def copy_pack(target: Path, *, seed_only: bool = False) -> Path:
    """Copy this repository's content pack into `target` and return it; ``seed_only``: just the
    seed detection's Kubernetes content (no data-model detections, apps or their files)."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PACK_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.is_file():
            shutil.copy2(source, target / part)
    if seed_only:
        for part in DATA_MODEL_PARTS:
            path = target / part
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        config = target / "contentctl.yml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.split("\n# Search-time knowledge")[0] + "\n", encoding="utf-8")
    return target


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A private copy of this repository's content pack, safe to break."""
    return copy_pack(tmp_path / "pack")


@pytest.fixture
def seed_pack(tmp_path: Path) -> Path:
    """A private copy of the pack's Kubernetes content only (the seed detection and its files):
    for tests that pin the pack's exact shape."""
    return copy_pack(tmp_path / "pack", seed_only=True)


def need(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"{path} is not here (corpus tests need ../shared)")
    return path
