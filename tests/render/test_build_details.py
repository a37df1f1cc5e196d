"""Build details in-process: the data source lookup's exact text, where the ATT&CK file comes
from, the manifest, the build's counts and its failures."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from contentkit.conf.conffile import read_conf_file
from contentkit.content.validate import validate
from contentkit.render.build import BuildError, build, mitre_enrichment_file

APP = "DA-ESS-contentkit"
DATA_SOURCE = "data_sources/kubernetes_audit.yml"


def _content(pack: Path):
    report = validate(pack)
    assert report.errors == []
    return report.content


def test_data_sources_lookup_text(seed_pack: Path, tmp_path: Path) -> None:
    path = seed_pack / DATA_SOURCE
    text = path.read_text()
    assert "supported_TA: []\n" in text
    path.write_text(
        text.replace(
            "supported_TA: []\n",
            "supported_TA:\n- name: Splunk Add-on for Kubernetes\n- name: Splunk OTel Collector\n",
        )
    )
    build(_content(seed_pack), tmp_path / "out", source_date_epoch=0)
    csv_text = (tmp_path / "out" / APP / "lookups" / "data_sources_19700101.csv").read_bytes()
    assert csv_text == (
        b"name,id,author,source,sourcetype,separator,supported_TA,description\n"
        b"Kubernetes Audit,9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6c,,kubernetes,_json,,"
        b"Splunk Add-on for Kubernetes|Splunk OTel Collector,"
        b'"The Kubernetes API server audit log, one audit.k8s.io/v1 Event object per line."\n'
    )


def test_attack_file_from_the_config_then_app_template(pack: Path) -> None:
    content = _content(pack)
    assert mitre_enrichment_file(content) == pack / "lookups" / "mitre_enrichment.csv"
    config = content.config
    missing = dataclasses.replace(config, mitre_enrichment="lookups/none.csv")
    assert mitre_enrichment_file(dataclasses.replace(content, config=missing)) is None
    unset = dataclasses.replace(content, config=dataclasses.replace(config, mitre_enrichment=None))
    assert mitre_enrichment_file(unset) is None  # and no app_template copy either
    default = pack / "app_template" / "lookups" / "mitre_enrichment.csv"
    default.parent.mkdir(parents=True)
    default.write_text("mitre_id,technique,tactics,groups\n")
    assert mitre_enrichment_file(unset) == default
    assert mitre_enrichment_file(dataclasses.replace(content, config=None)) == default
    assert mitre_enrichment_file(dataclasses.replace(content, config=missing)) is None


def test_build_result_and_manifest(seed_pack: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    out = tmp_path / "out"
    result = build(_content(seed_pack), out, source_date_epoch=86400, progress=messages.append)
    assert result.app_dir == out / APP
    assert result.package == out / f"{APP}-0.1.0.tar.gz"
    assert (result.detections, result.baselines, result.stories) == (1, 0, 1)
    assert (result.macros, result.lookups, result.files) == (2, 0, 13)
    assert messages[-1] == "packaging"
    # the same shape as the manifest in contentctl's build of security_content
    empty = {"name": None, "text": None, "uri": None}
    assert json.loads((result.app_dir / "app.manifest").read_text()) == {
        "schemaVersion": "1.0.0",
        "targetWorkloads": ["_search_heads"],
        "info": {
            "title": "contentkit Detections",
            "id": {"group": None, "name": APP, "version": "0.1.0"},
            "author": [
                {
                    "name": "contentkit developers",
                    "email": "detections@contentkit.dev",
                    "company": "contentkit",
                }
            ],
            "releaseDate": "1970-01-02",
            "description": (
                "Detections for Kubernetes and cloud workloads, built and tested with contentkit."
            ),
            "classification": {
                "intendedAudience": None,
                "categories": [],
                "developmentStatus": None,
            },
            "commonInformationModels": None,
            "license": empty,
            "privacyPolicy": empty,
            "releaseNotes": {**empty, "text": "./README.md"},
        },
        "dependencies": None,
        "tasks": None,
        "inputGroups": None,
        "incompatibleApps": None,
        "platformRequirements": None,
    }
    assert sorted(p.name for p in out.iterdir()) == [
        APP,
        f"{APP}-0.1.0.tar.gz",
        f"{APP}-latest.tar.gz",
    ]


def test_build_without_a_config_or_a_writable_output(pack: Path, tmp_path: Path) -> None:
    content = _content(pack)
    with pytest.raises(BuildError) as caught:
        build(dataclasses.replace(content, config=None), tmp_path / "out")
    assert str(caught.value) == "contentctl.yml is missing or invalid"
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BuildError) as caught:
        build(content, blocker / "out")
    assert str(caught.value) == f"cannot write to {blocker / 'out'}: Not a directory"


def test_app_template_files_win_and_data_sources_sort_by_name(
    seed_pack: Path, tmp_path: Path
) -> None:
    template = seed_pack / "app_template"
    (template / "default/data/ui/nav").mkdir(parents=True)
    (template / "default/data/ui/nav/default.xml").write_text("<nav>template</nav>\n")
    (template / "README.md").write_text("template readme\n")
    (template / "static").mkdir()
    (template / "static/appIcon.png").write_bytes(b"\x89PNG")
    source = (seed_pack / DATA_SOURCE).read_text()
    (seed_pack / "data_sources/zzz_named_first.yml").write_text(  # file order is not name order
        source.replace("name: Kubernetes Audit", "name: AAA Source").replace(
            "9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6c", "9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6d"
        )
        + "separator: EventCode\n"
    )
    messages: list[str] = []
    result = build(
        _content(seed_pack), tmp_path / "out", source_date_epoch=0, progress=messages.append
    )
    assert messages == ["copying app_template/", "rendering 11 conf files", "packaging"]
    app = result.app_dir
    assert (app / "README.md").read_text() == "template readme\n"
    assert (app / "default/data/ui/nav/default.xml").read_text() == "<nav>template</nav>\n"
    assert (app / "static/appIcon.png").read_bytes() == b"\x89PNG"
    description = (
        '"The Kubernetes API server audit log, one audit.k8s.io/v1 Event object per line."'
    )
    assert (app / "lookups/data_sources_19700101.csv").read_text().splitlines()[1:] == [
        f"AAA Source,9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6d,,kubernetes,_json,EventCode,,{description}",
        f"Kubernetes Audit,9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6c,,kubernetes,_json,,,{description}",
    ]
    assert (app / "app.manifest").read_text().startswith('{\n  "schemaVersion": "1.0.0",\n')


def _dashboard(pack: Path, stem: str, name: str, number: int, body: str) -> None:
    (pack / "dashboards").mkdir(exist_ok=True)
    (pack / f"dashboards/{stem}.yml").write_text(
        f"name: {name}\nid: b13032c2-f0e2-48ee-8a85-ded8956c01{number:02d}\nversion: 1\n"
        f"date: '2024-05-21'\nauthor: x\ndescription: About {name}.\n"
    )
    (pack / f"dashboards/{stem}.json").write_text(body)


def test_dashboards_become_views_in_the_nav(pack: Path, tmp_path: Path) -> None:
    _dashboard(pack, "zz_pods", "A Pods & <Nodes>", 1, '{"title": "pods"}\n')
    _dashboard(pack, "aa_audit", "B Audit", 2, '{"title": "audit"}\n')
    app = build(_content(pack), tmp_path / "out", source_date_epoch=0).app_dir
    views = app / "default/data/ui/views"
    assert sorted(p.name for p in views.iterdir()) == ["ckit__aa_audit.xml", "ckit__zz_pods.xml"]
    assert (views / "ckit__zz_pods.xml").read_text() == (
        '<dashboard version="2" theme="light">\n'
        "  <label>A Pods &amp; &lt;Nodes&gt;</label>\n"
        "  <description>About A Pods &amp; &lt;Nodes&gt;.</description>\n"
        '  <definition><![CDATA[{"title": "pods"}\n]]></definition>\n'
        "</dashboard>\n"
    )
    assert (app / "default/data/ui/nav/default.xml").read_text() == (
        '<nav search_view="search" color="#65A637">\n'
        '  <view name="search" default="true"/>\n'
        '  <collection label="Dashboards">\n'
        '    <view name="ckit__zz_pods"/>\n'  # in the order of the dashboards' names
        '    <view name="ckit__aa_audit"/>\n'
        "  </collection>\n"
        "</nav>\n"
    )
    transforms = read_conf_file(app / "default/transforms.conf").to_dict()
    assert transforms["data_sources"] == {
        "filename": "data_sources_19700101.csv",
        "case_sensitive_match": "false",
    }
    assert transforms["mitre_enrichment"] == {"filename": "mitre_enrichment.csv"}


def test_dashboard_that_would_break_its_cdata_is_refused(pack: Path, tmp_path: Path) -> None:
    _dashboard(pack, "bad", "Bad", 3, '{"title": "a ]]> b"}\n')
    with pytest.raises(BuildError) as caught:
        build(_content(pack), tmp_path / "out")
    assert str(caught.value) == f"{pack / 'dashboards/bad.json'}: the dashboard JSON contains ']]>'"
    assert list((tmp_path / "out").iterdir()) == []  # nothing left behind


def test_build_date_from_the_environment_and_the_work_folder(
    seed_pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tarfile

    content = _content(seed_pack)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    out = tmp_path / "a" / "b"
    seen: list[str] = []

    def meanwhile() -> None:  # runs while the app is being written
        seen.extend(sorted(p.name for p in out.iterdir()))

    result = build(content, out, meanwhile=meanwhile)
    [work] = seen
    assert work.startswith(".contentkit-build.")
    assert sorted(p.name for p in out.iterdir()) == [
        APP,
        f"{APP}-0.1.0.tar.gz",
        f"{APP}-latest.tar.gz",
    ]
    assert (result.app_dir / "lookups/data_sources_19700102.csv").is_file()
    with tarfile.open(result.package) as tar:
        assert {m.mtime for m in tar.getmembers()} == {86400}
    # SOURCE_DATE_EPOCH=0 means "not set": the date comes from the content
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    result = build(content, tmp_path / "c")
    assert (result.app_dir / "lookups/data_sources_20261127.csv").is_file()


def test_package_date_and_app_template_symlinks(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import tarfile

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    template = pack / "app_template"
    (template / "static").mkdir(parents=True)
    (pack / "icon.png").write_bytes(b"\x89PNG icon")
    os.symlink(pack / "icon.png", template / "static/appIcon.png")
    result = build(_content(pack), tmp_path / "out", source_date_epoch=86400)
    copied = result.app_dir / "static/appIcon.png"
    assert (
        not copied.is_symlink() and copied.read_bytes() == b"\x89PNG icon"
    )  # the file, not a link
    with tarfile.open(result.package) as tar:
        assert {m.mtime for m in tar.getmembers()} == {86400}
