"""load_apps: every source at once; what can be had is merged, the rest is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit import apps
from contentkit.apps import AppSpec, load_apps

from .helpers import PackageServer, pack_folder, pack_members, write_app


def test_load_apps_merges_what_it_can_and_returns_failures(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    local = write_app(
        root / "apps", "TA_local", {"default/macros.conf": "[m]\ndefinition = local\n"}
    )
    remote = write_app(
        tmp_path / "src", "Splunk_SA_demo", {"default/macros.conf": "[m]\ndefinition = sa\n"}
    )
    server = PackageServer({"/sa.tgz": pack_folder(remote, tmp_path / "sa.tgz").read_bytes()})
    unsafe = pack_members(
        tmp_path / "unsafe.tgz", [("TA_evil/default/a.conf", b"[a]\n"), ("TA_evil/../x", b"")]
    )
    extra = write_app(
        tmp_path / "more", "TA_extra", {"default/app.conf": "[ui]\n", "lookups/x.csv": "a\n1\n"}
    )
    try:
        specs = [
            AppSpec("Splunk_SA_demo", hardcoded_path=f"{server.base}/sa.tgz"),
            AppSpec("TA_local", local_path="apps/TA_local"),
            AppSpec("TA_gone", hardcoded_path=f"{server.base}/gone.tgz"),
        ]
        kb, failures = load_apps(
            root, specs, [extra, unsafe, tmp_path / "nowhere"], cache_dir=tmp_path / "cache"
        )
    finally:
        server.close()
    assert [app.name for app in kb.apps] == ["Splunk_SA_demo", "TA_extra", "TA_local"]
    assert kb.apps[0].origin == f"{server.base}/sa.tgz"
    assert (kb.apps[2].path, kb.apps[2].origin) == (local, "apps/TA_local")
    assert kb.conf("macros")["m"] == {"definition": "sa"}  # Splunk_SA_demo sorts first
    assert kb.lookup_files == {"x.csv": extra / "lookups" / "x.csv"}
    assert [(f.app, f.reason) for f in failures] == [
        ("TA_gone", "HTTP 404 Not Found"),
        ("unsafe", "unsafe package: member 'TA_evil/../x' escapes the app folder ('..')"),
        ("nowhere", "no such file or folder"),
    ]
    assert failures[0].where == f"{server.base}/gone.tgz"
    assert kb.warnings == []


def test_config_app_whose_folder_has_another_name_is_a_warning(tmp_path: Path) -> None:
    write_app(tmp_path / "apps", "Real_Name", {"default/app.conf": "[ui]\n"})
    spec = AppSpec("Config_Name", local_path="apps/Real_Name")
    kb, failures = load_apps(tmp_path, [spec], cache_dir=tmp_path / "cache")
    assert failures == [] and [app.name for app in kb.apps] == ["Real_Name"]
    assert kb.warnings == [
        "app Config_Name (apps/Real_Name) is the folder Real_Name: Splunk knows it by that name"
    ]


def test_package_exports_are_lazy_but_complete() -> None:
    for name in apps.__all__:
        assert getattr(apps, name) is not None


def test_app_option_takes_the_place_of_the_config_entry(tmp_path: Path) -> None:
    mine = write_app(
        tmp_path / "mine", "Splunk_SA_demo", {"default/macros.conf": "[m]\ndefinition = mine\n"}
    )
    package = pack_folder(mine, tmp_path / "sa_mine.tgz")
    spec = AppSpec("Splunk_SA_demo", hardcoded_path="https://apps.example.invalid/sa.tgz")
    kb, failures = load_apps(tmp_path, [spec], [package], cache_dir=tmp_path / "c", offline=True)
    assert failures == []  # the URL is neither fetched nor reported
    assert kb.conf("macros")["m"] == {"definition": "mine"}
    assert kb.apps[0].origin == str(package)
    assert kb.warnings == [
        f"app Splunk_SA_demo: using {kb.apps[0].path} instead of contentctl.yml's entry"
    ]


def test_default_cache_is_the_dataset_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENTKIT_CACHE", str(tmp_path / "shared-cache"))
    package = pack_folder(
        write_app(tmp_path / "src", "TA_c", {"default/app.conf": "[ui]\n"}), tmp_path / "c.tgz"
    )
    kb, failures = load_apps(tmp_path, [], [package])
    assert failures == [] and kb.apps[0].path.is_relative_to(
        tmp_path / "shared-cache" / "unpacked-apps"
    )
