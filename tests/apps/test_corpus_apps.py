"""Real material from ../shared: the ESCU build as an app, and the apps: list of security_content 5.13.0."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from contentkit.apps.load import load_apps
from contentkit.apps.reader import load_knowledge
from contentkit.apps.sources import specs_from_config
from contentkit.apps.unpack import unpack_app
from contentkit.conf import read_conf_file
from contentkit.content.model import config_from
from contentkit.render.package import make_tarball

from ..conftest import CORPUS_5, REFERENCE, need


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


@pytest.mark.corpus
def test_corpus_apps_offline_are_each_unavailable_by_name_and_url(tmp_path: Path) -> None:
    root = need(CORPUS_5)
    doc = yaml.safe_load((root / "contentctl.yml").read_text())
    specs = specs_from_config(config_from(doc))
    assert len(specs) == len(doc["apps"]) > 10
    kb, failures = load_apps(root, specs, cache_dir=tmp_path / "cache", offline=True)
    assert kb.empty
    assert [(f.app, f.where, f.reason) for f in failures] == [
        (entry["appid"], entry["hardcoded_path"], "offline and not cached") for entry in doc["apps"]
    ]
    assert "Splunk_SA_CIM" in {f.app for f in failures}
