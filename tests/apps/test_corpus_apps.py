"""A real app from the shared material: contentctl's build of security_content 5.13.0 (ESCU)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contentkit.apps.reader import load_knowledge
from contentkit.apps.unpack import unpack_app
from contentkit.conf import read_conf_file
from contentkit.render.package import make_tarball

from ..conftest import REFERENCE, need


@pytest.mark.corpus
def test_escu_build_reads_cleanly_from_folder_and_package(tmp_path: Path) -> None:
    reference = need(REFERENCE)
    app = tmp_path / "src" / "DA-ESS-ContentUpdate"
    shutil.copytree(reference, app)
    from_folder = load_knowledge([app])
    assert from_folder.warnings == []
    for conf in ("macros", "transforms"):
        strict = read_conf_file(reference / "default" / f"{conf}.conf").to_dict()
        assert from_folder.conf(conf) == strict
    assert len(from_folder.conf("macros")) > 500
    assert from_folder.apps[0].label == "ES Content Updates"
    package = make_tarball(app, tmp_path / "escu.tar.gz")
    unpacked = unpack_app(package, tmp_path / "cache")
    from_package = load_knowledge([unpacked])
    assert unpacked.name == "DA-ESS-ContentUpdate"
    assert from_package.confs == from_folder.confs
