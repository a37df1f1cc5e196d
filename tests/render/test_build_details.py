"""Build details in-process: the data source lookup's exact text, where the ATT&CK file comes
from, the manifest, the build's counts and its failures."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from contentkit.content.validate import validate
from contentkit.render.build import BuildError, build, mitre_enrichment_file

APP = "DA-ESS-contentkit"
DATA_SOURCE = "data_sources/kubernetes_audit.yml"


def _content(pack: Path):
    report = validate(pack)
    assert report.errors == []
    return report.content


def test_data_sources_lookup_text(pack: Path, tmp_path: Path) -> None:
    path = pack / DATA_SOURCE
    text = path.read_text()
    assert "supported_TA: []\n" in text
    path.write_text(
        text.replace(
            "supported_TA: []\n",
            "supported_TA:\n- name: Splunk Add-on for Kubernetes\n- name: Splunk OTel Collector\n",
        )
    )
    build(_content(pack), tmp_path / "out", source_date_epoch=0)
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


def test_build_result_and_manifest(pack: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    out = tmp_path / "out"
    result = build(_content(pack), out, source_date_epoch=86400, progress=messages.append)
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
    assert sorted(p.name for p in out.iterdir()) == [APP, f"{APP}-0.1.0.tar.gz"]


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


def test_app_template_files_win_and_data_sources_sort_by_name(pack: Path, tmp_path: Path) -> None:
    template = pack / "app_template"
    (template / "default/data/ui/nav").mkdir(parents=True)
    (template / "default/data/ui/nav/default.xml").write_text("<nav>template</nav>\n")
    (template / "README.md").write_text("template readme\n")
    (template / "static").mkdir()
    (template / "static/appIcon.png").write_bytes(b"\x89PNG")
    source = (pack / DATA_SOURCE).read_text()
    (pack / "data_sources/zzz_named_first.yml").write_text(  # file order is not name order
        source.replace("name: Kubernetes Audit", "name: AAA Source").replace(
            "9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6c", "9b1f4e2c-7a3d-4f5e-8c6b-1d2e3f4a5b6d"
        )
        + "separator: EventCode\n"
    )
    messages: list[str] = []
    result = build(_content(pack), tmp_path / "out", source_date_epoch=0, progress=messages.append)
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
