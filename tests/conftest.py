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


def copy_pack(target: Path) -> Path:
    """Copy this repository's content pack into `target` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PACK_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.is_file():
            shutil.copy2(source, target / part)
    return target


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A private copy of this repository's content pack, safe to break."""
    return copy_pack(tmp_path / "pack")


def need(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"{path} is not here (corpus tests need ../shared)")
    return path
