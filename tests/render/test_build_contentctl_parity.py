"""Build details that follow what contentctl writes: build_path, the -latest package, the JSON
API, status warnings in descriptions, maintainers, KV-store lookup settings, the static FBD
searches, CSV line endings and is_visible."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contentkit.conf.conffile import read_conf_file
from contentkit.content.validate import validate
from contentkit.render.api import KINDS, api_documents, file_name
from contentkit.render.build import BuildError, build

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
STANZA = "CKIT - Kubernetes DaemonSet Deployed - Rule"
STORY = "stories/kubernetes_security.yml"


@pytest.fixture
def pack(seed_pack: Path) -> Path:
    """The seed part of the pack: these tests pin its detection and story."""
    return seed_pack


def _built(pack: Path, out: Path) -> Path:
    report = validate(pack)
    assert report.errors == [], report.errors
    build(report.content, out, source_date_epoch=1_700_000_000)
    return out / "DA-ESS-contentkit"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_latest_package_is_the_same_bytes(pack: Path, tmp_path: Path) -> None:
    _built(pack, tmp_path)
    versioned = tmp_path / "DA-ESS-contentkit-0.1.0.tar.gz"
    latest = tmp_path / "DA-ESS-contentkit-latest.tar.gz"
    assert latest.read_bytes() == versioned.read_bytes()


def test_build_path_from_contentctl_yml(pack: Path) -> None:
    _edit(pack / "contentctl.yml", "build_path: build", "build_path: dist")
    done = _cli("build", "--quiet", str(pack), cwd=pack)
    assert done.returncode == 0, done.stderr
    assert (pack / "dist" / "DA-ESS-contentkit-latest.tar.gz").is_file()
    assert not (pack / "build").exists()


def test_api_output_has_every_object_and_parses(pack: Path) -> None:
    done = _cli("build", "--api", "--quiet", str(pack), cwd=pack)
    assert done.returncode == 0, done.stderr
    api = pack / "build" / "api"
    docs = {kind: json.loads((api / file_name(kind)).read_text()) for kind in KINDS}
    assert sorted(p.name for p in api.iterdir()) == sorted(file_name(k) for k in KINDS)
    detections = docs["detections"]["detections"]
    assert [d["name"] for d in detections] == ["Kubernetes DaemonSet Deployed"]
    det = detections[0]
    assert det["source"] == "cloud"
    assert det["rba"]["risk_objects"][0]["risk_object_field"] == "user"
    assert {m["name"] for m in det["macros"]} == {
        "kube_audit",
        "kubernetes_daemonset_deployed_filter",
    }
    story = docs["stories"]["stories"][0]
    assert story["detection_names"] == [STANZA]
    assert story["detections"][0]["source"] == "cloud"
    assert {d["tags"]["type"] for d in docs["deployments"]["deployments"]} >= {"TTP", "Anomaly"}
    assert docs["version"]["version"]["name"] == "v0.1.0"
    assert {m["name"] for m in docs["macros"]["macros"]} >= {"kube_audit"}


def test_build_api_key_in_contentctl_yml(pack: Path) -> None:
    text = (pack / "contentctl.yml").read_text() + "build_api: true\n"
    (pack / "contentctl.yml").write_text(text)
    done = _cli("build", "--quiet", str(pack), cwd=pack)
    assert done.returncode == 0, done.stderr
    assert (pack / "build" / "api" / "detections_v2.json").is_file()


def test_experimental_and_deprecated_descriptions_carry_the_warning(
    pack: Path, tmp_path: Path
) -> None:
    _edit(pack / DET, "status: production", "status: experimental")
    _edit(pack / STORY, "status: production", "status: deprecated")
    app = _built(pack, tmp_path)
    saved = read_conf_file(app / "default/savedsearches.conf")[STANZA]
    assert saved["description"].startswith("**WARNING**, this Detection is marked **EXPERIMENTAL**")
    assert saved["action.escu.eli5"] == saved["description"]
    stories = read_conf_file(app / "default/analyticstories.conf")
    explanation = stories[f"savedsearch://{STANZA}"]["explanation"]
    assert explanation == saved["description"]
    story = stories["analytic_story://Kubernetes Security"]["description"]
    assert story.startswith("**WARNING**, this Story has been marked **DEPRECATED**")
    report = validate(pack)
    docs = api_documents(report.content)
    assert docs["detections"][0]["description"] == saved["description"]


def test_maintainers_company_as_contentctl_writes_it(pack: Path, tmp_path: Path) -> None:
    _edit(pack / STORY, "author: contentkit developers", "author: Ada Lovelace, Bob, Acme")
    app = _built(pack, tmp_path)
    stories = read_conf_file(app / "default/analyticstories.conf")
    maintainers = json.loads(stories["analytic_story://Kubernetes Security"]["maintainers"])
    assert maintainers == [{"company": "Bob, Acme", "email": "-", "name": "Ada Lovelace"}]


def test_kvstore_lookup_keeps_match_settings(pack: Path, tmp_path: Path) -> None:
    (pack / "lookups" / "seen_users.yml").write_text(
        "name: seen_users\n"
        "description: users seen before\n"
        "lookup_type: kvstore\n"
        "collection: seen_users\n"
        "fields: [_key, user, first_seen]\n"
        "match_type: WILDCARD(user)\n"
        "min_matches: 1\n"
        "max_matches: 1\n"
    )
    app = _built(pack, tmp_path)
    stanza = read_conf_file(app / "default/transforms.conf")["seen_users"]
    assert stanza["external_type"] == "kvstore"
    assert stanza["match_type"] == "WILDCARD(user)"
    assert stanza["min_matches"] == "1"
    assert stanza["max_matches"] == "1"
    assert stanza["fields_list"] == "_key, user, first_seen"


def test_csv_lookup_line_endings_become_newlines(pack: Path, tmp_path: Path) -> None:
    (pack / "lookups" / "bad_hosts.yml").write_text(
        "name: bad_hosts\ndescription: hosts\nlookup_type: csv\ndate: '2026-01-02'\n"
    )
    (pack / "lookups" / "bad_hosts.csv").write_bytes(b"host,reason\r\nh1,x\r\nh2,y\rh3,z\n")
    app = _built(pack, tmp_path)
    written = (app / "lookups" / "bad_hosts_20260102.csv").read_bytes()
    assert written == b"host,reason\nh1,x\nh2,y\nh3,z\n"


def test_static_fbd_searches_are_merged(pack: Path, tmp_path: Path) -> None:
    (pack / "static_configs").mkdir()
    (pack / "static_configs" / "savedsearches_fbd.conf").write_text(
        "# finding-based detections kept as conf\n"
        "[CKIT - Many Risky Users - FBD]\n"
        "search = | from datamodel Risk.All_Risk | stats count by risk_object\n"
        "cron_schedule = */15 * * * *\n"
    )
    app = _built(pack, tmp_path)
    saved = read_conf_file(app / "default/savedsearches.conf", strict=True)
    assert saved["CKIT - Many Risky Users - FBD"]["cron_schedule"] == "*/15 * * * *"
    assert STANZA in saved


def test_static_fbd_stanza_repeating_a_detection_fails(pack: Path, tmp_path: Path) -> None:
    (pack / "static_configs").mkdir()
    (pack / "static_configs" / "savedsearches_fbd.conf").write_text(
        f"[{STANZA}]\nsearch = index=main\n"
    )
    report = validate(pack)
    with pytest.raises(BuildError, match=r"savedsearches_fbd\.conf"):
        build(report.content, tmp_path / "out")
    assert not (tmp_path / "out" / "DA-ESS-contentkit").exists()


@pytest.mark.parametrize(("flag", "expected"), [(None, "false"), (True, "true")])
def test_is_visible_per_detection(
    pack: Path, tmp_path: Path, flag: bool | None, expected: str
) -> None:
    if flag is not None:
        _edit(
            pack / DET, "status: production", f"status: production\nis_visible: {str(flag).lower()}"
        )
    app = _built(pack, tmp_path)
    saved = read_conf_file(app / "default/savedsearches.conf")[STANZA]
    assert saved["is_visible"] == expected
