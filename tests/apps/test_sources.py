"""Where apps come from: contentctl.yml entries, --app paths, URLs through the dataset cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contentkit.apps.model import AppUnavailable
from contentkit.apps.sources import AppResolver, AppSpec, resolve, specs_from_config
from contentkit.content import schema
from contentkit.content.model import config_from

from .helpers import PackageServer, pack_folder, write_app

CONFIG = {
    "app": {"appid": "MY_APP", "title": "My app", "version": "1.0.0"},
    "apps": [
        {
            "uid": 1621,
            "title": "Splunk_SA_CIM",
            "appid": "Splunk_SA_CIM",
            "version": "6.0.4",
            "hardcoded_path": "https://example.invalid/cim_604.tgz",
        },
        {
            "title": "Demo add-on",
            "appid": "TA_demo",
            "version": "1.2.0",
            "local_path": "apps/TA_demo",
        },
    ],
}


def test_specs_from_contentctl_yml_apps_list() -> None:
    assert schema.check("contentctl", CONFIG) == []  # local_path is an accepted key
    assert schema.check("contentctl", {**CONFIG, "apps": [{**CONFIG["apps"][1], "local_path": ""}]})
    specs = specs_from_config(config_from(CONFIG))
    assert specs == [
        AppSpec(
            appid="Splunk_SA_CIM",
            title="Splunk_SA_CIM",
            version="6.0.4",
            hardcoded_path="https://example.invalid/cim_604.tgz",
        ),
        AppSpec(appid="TA_demo", title="Demo add-on", version="1.2.0", local_path="apps/TA_demo"),
    ]
    assert specs_from_config(None) == []
    assert specs_from_config(config_from({"app": CONFIG["app"]})) == []


def test_spec_from_app_option(tmp_path: Path) -> None:
    spec = AppSpec.from_path(tmp_path / "ta-demo_120.tar.gz")
    assert spec.appid == "ta-demo_120" and spec.local_path == str(tmp_path / "ta-demo_120.tar.gz")
    assert Path(AppSpec.from_path("rel/TA_x").local_path).is_absolute()


def test_local_folder_and_package_relative_to_root(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = write_app(root / "apps", "TA_demo", {"default/props.conf": "[demo]\n"})
    cache = tmp_path / "cache"
    spec = AppSpec(appid="TA_demo", local_path="apps/TA_demo")
    assert resolve(spec, root=root, cache_dir=cache) == folder
    pack_folder(folder, root / "apps" / "ta_demo.tgz")
    unpacked = resolve(
        AppSpec(appid="TA_demo", local_path="apps/ta_demo.tgz"), root=root, cache_dir=cache
    )
    assert unpacked.name == "TA_demo" and unpacked.is_relative_to(cache)
    assert (unpacked / "default" / "props.conf").read_text() == "[demo]\n"


def test_local_problems_name_the_app_and_path(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "apps" / "empty").mkdir(parents=True)
    (root / "apps" / "notes.zip").write_bytes(b"PK")
    cases = {
        "apps/missing": "no such file or folder",
        "apps/empty": "not a Splunk app folder (no default/ or local/)",
        "apps/notes.zip": "not an app folder or a .tgz, .tar.gz or .spl package",
    }
    for local, reason in cases.items():
        with pytest.raises(AppUnavailable) as caught:
            resolve(AppSpec(appid="TA_x", local_path=local), root=root, cache_dir=tmp_path / "c")
        assert (caught.value.app, caught.value.where, caught.value.reason) == (
            "TA_x",
            str(root / local),
            reason,
        )
    with pytest.raises(AppUnavailable, match="neither local_path nor hardcoded_path"):
        resolve(AppSpec(appid="TA_x"), root=root, cache_dir=tmp_path / "c")
    with pytest.raises(AppUnavailable, match="not an http"):
        resolve(AppSpec("TA_x", hardcoded_path="ftp://h/x.tgz"), root=root, cache_dir=tmp_path)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[PackageServer]:
    app = write_app(
        tmp_path / "src", "Splunk_TA_demo", {"default/macros.conf": "[m]\ndefinition = x\n"}
    )
    body = pack_folder(app, tmp_path / "demo.tgz").read_bytes()
    server = PackageServer({"/apps/demo_100.tgz": body, "/release/1.0.0/download": body})
    yield server
    server.close()


def test_url_downloaded_once_and_reused_then_offline(tmp_path: Path, served: PackageServer) -> None:
    url = f"{served.base}/apps/demo_100.tgz"
    spec = AppSpec(appid="Splunk_TA_demo", hardcoded_path=url)
    cache = tmp_path / "cache"
    first = resolve(spec, root=tmp_path, cache_dir=cache)
    assert first.name == "Splunk_TA_demo"
    assert (first / "default" / "macros.conf").read_text() == "[m]\ndefinition = x\n"
    assert served.requests == ["/apps/demo_100.tgz"]
    # the package sits in the dataset cache with its SHA-256 sidecar
    assert sorted(p.name for p in cache.rglob("demo_100.tgz*")) == [
        "demo_100.tgz",
        "demo_100.tgz.json",
    ]
    again = resolve(spec, root=tmp_path, cache_dir=cache, offline=True)
    assert again == first and len(served.requests) == 1
    # a download URL without a package suffix is unpacked all the same
    bare = AppSpec(appid="Splunk_TA_demo", hardcoded_path=f"{served.base}/release/1.0.0/download")
    assert resolve(bare, root=tmp_path, cache_dir=cache).name == "Splunk_TA_demo"


def test_offline_not_cached_and_http_errors(tmp_path: Path, served: PackageServer) -> None:
    url = f"{served.base}/apps/demo_100.tgz"
    with pytest.raises(AppUnavailable) as caught:
        resolve(
            AppSpec("Splunk_TA_demo", hardcoded_path=url),
            root=tmp_path,
            cache_dir=tmp_path / "c",
            offline=True,
        )
    assert (caught.value.app, caught.value.where, caught.value.reason) == (
        "Splunk_TA_demo",
        url,
        "offline and not cached",
    )
    assert str(caught.value) == f"app Splunk_TA_demo unavailable (offline and not cached): {url}"
    assert served.requests == []
    missing = f"{served.base}/apps/nope.tgz"
    with pytest.raises(AppUnavailable, match=r"\(HTTP 404 Not Found\)"):
        resolve(AppSpec("TA_nope", hardcoded_path=missing), root=tmp_path, cache_dir=tmp_path / "c")


def test_corrupt_download_is_unavailable(tmp_path: Path, served: PackageServer) -> None:
    served.files["/apps/bad.tgz"] = b"<html>not a package</html>"
    url = f"{served.base}/apps/bad.tgz"
    with pytest.raises(AppUnavailable) as caught:
        resolve(AppSpec("TA_bad", hardcoded_path=url), root=tmp_path, cache_dir=tmp_path / "c")
    assert caught.value.where == url and caught.value.reason.startswith("corrupt package: ")


def test_mirror_folder_and_local_path_fallback(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    app = write_app(tmp_path / "src", "Splunk_SA_demo", {"default/datamodels.conf": "[M]\n"})
    (root / "mirror").mkdir(parents=True)
    pack_folder(app, root / "mirror" / "sa_demo.tgz")
    prefix = "https://apps.example.invalid/bin/"
    spec = AppSpec(
        "Splunk_SA_demo", local_path="apps/absent", hardcoded_path=prefix + "sa_demo.tgz"
    )
    resolver = AppResolver(
        root=root, cache_dir=tmp_path / "c", mirrors=((prefix, "mirror"),), offline=True
    )
    assert resolver.resolve(spec).name == "Splunk_SA_demo"
    assert resolver.downloads.downloads == 0
    gone = AppSpec("Splunk_SA_demo", local_path="apps/absent", hardcoded_path=prefix + "other.tgz")
    with pytest.raises(AppUnavailable) as caught:
        resolver.resolve(gone)
    assert caught.value.reason == "local_path apps/absent does not exist; offline and not cached"
    assert caught.value.where == prefix + "other.tgz"
