"""`contentkit build` on this repository's pack: the conf files say what ES needs, the package is
reproducible, and a failed build leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from contentkit.conf.conffile import read_conf_file
from contentkit.content.validate import validate
from contentkit.render.build import BuildError, build
from contentkit.render.package import tarball_listing

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
STANZA = "CKIT - Kubernetes DaemonSet Deployed - Rule"


def _build(pack: Path, out: Path, epoch: int | None = None) -> Path:
    report = validate(pack)
    assert report.errors == []
    return build(report.content, out, source_date_epoch=epoch).package


def _saved(out: Path) -> dict[str, dict[str, str]]:
    return read_conf_file(out / "DA-ESS-contentkit/default/savedsearches.conf").to_dict()


def test_seed_detection_stanza(pack: Path, tmp_path: Path) -> None:
    _build(pack, tmp_path)
    stanza = _saved(tmp_path)[STANZA]
    assert stanza["cron_schedule"] == "0 * * * *"
    assert stanza["dispatch.earliest_time"] == "-70m@m"
    assert stanza["dispatch.latest_time"] == "-10m@m"
    assert stanza["schedule_window"] == "auto"
    assert stanza["disabled"] == "true"
    assert stanza["enableSched"] == "1"
    assert stanza["action.risk"] == "1"
    assert (
        stanza["action.risk.param._risk_message"]
        == "DaemonSet deployed to Kubernetes by user $user$"
    )
    assert json.loads(stanza["action.risk.param._risk"]) == [
        {"risk_object_field": "user", "risk_object_type": "user", "risk_score": 49},
        {"threat_object_field": "src_ip", "threat_object_type": "ip_address"},
    ]
    assert "action.notable" not in stanza  # Anomaly: risk only
    annotations = json.loads(stanza["action.correlationsearch.annotations"])
    assert annotations["mitre_attack"] == ["T1204"]
    assert annotations["analytic_story"] == ["Kubernetes Security"]
    assert annotations["data_source"] == ["Kubernetes Audit"]
    assert stanza["search"].startswith(
        '`kube_audit` "objectRef.resource"=daemonsets verb=create | fillnull'
    )
    assert stanza["search"].endswith("| `kubernetes_daemonset_deployed_filter`")
    [drill] = json.loads(stanza["action.notable.param.drilldown_searches"])
    assert drill["search"] == stanza["search"] + ' | search  user = "$user$"'
    macros = read_conf_file(tmp_path / "DA-ESS-contentkit/default/macros.conf").to_dict()
    assert macros["kube_audit"]["definition"] == 'source="kubernetes"'
    assert macros["kubernetes_daemonset_deployed_filter"]["definition"] == "search *"
    stories = read_conf_file(tmp_path / "DA-ESS-contentkit/default/analyticstories.conf").to_dict()
    assert json.loads(stories["analytic_story://Kubernetes Security"]["searches"]) == [STANZA]
    app = read_conf_file(tmp_path / "DA-ESS-contentkit/default/app.conf").to_dict()
    assert app["id"] == {"version": "0.1.0", "name": "DA-ESS-contentkit"}
    assert app["package"]["id"] == "DA-ESS-contentkit"


def _as_ttp_with_overrides(pack: Path) -> None:
    path = pack / DET
    text = path.read_text().replace("type: Anomaly", "type: TTP")
    text = text.replace(
        "rba:\n",
        "deployment:\n  scheduling:\n    cron_schedule: 5 * * * *\n    earliest_time: -2h@h\n"
        "throttling:\n  fields: [user]\n  period: 1h\nrba:\n",
    )
    path.write_text(text)


def test_ttp_notable_override_and_throttling(pack: Path, tmp_path: Path) -> None:
    _as_ttp_with_overrides(pack)
    _build(pack, tmp_path)
    stanza = _saved(tmp_path)[STANZA]
    assert stanza["cron_schedule"] == "5 * * * *"  # the detection's own deployment block wins
    assert stanza["dispatch.earliest_time"] == "-2h@h"
    assert stanza["dispatch.latest_time"] == "-10m@m"  # not overridden: from deployments/
    assert stanza["action.notable"] == "1"
    assert stanza["action.notable.param.rule_title"] == "Kubernetes DaemonSet Deployed"
    assert stanza["action.notable.param.severity"] == "medium"  # score 49
    assert stanza["action.notable.param.security_domain"] == "network"
    assert stanza["action.notable.param.nes_fields"] == "user,dest"
    assert stanza["alert.suppress"] == "1"
    assert stanza["alert.suppress.fields"] == "user"
    assert stanza["alert.suppress.period"] == "1h"
    assert json.loads(stanza["action.correlationsearch.annotations"])["nist"] == ["DE.CM"]


def test_two_builds_are_byte_identical(pack: Path, tmp_path: Path) -> None:
    first = _build(pack, tmp_path / "a")
    second = _build(pack, tmp_path / "b")
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second)]
    assert digest[0] == digest[1]
    listing = tarball_listing(first)
    assert listing == sorted(listing, key=lambda n: n.replace("/", "\0"))  # parents before children
    assert "DA-ESS-contentkit/default/savedsearches.conf" in listing


def test_source_date_epoch_sets_build_date(pack: Path, tmp_path: Path) -> None:
    _build(pack, tmp_path, epoch=1_700_000_000)
    app = read_conf_file(tmp_path / "DA-ESS-contentkit/default/app.conf").to_dict()
    assert app["install"]["build"] == "20231114221320"
    manifest = json.loads((tmp_path / "DA-ESS-contentkit/app.manifest").read_text())
    assert manifest["info"]["releaseDate"] == "2023-11-14"


def test_failed_build_leaves_previous_output(pack: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    package = _build(pack, out)
    before = package.read_bytes()
    path = pack / DET
    # a description ending in a backslash cannot be written to a .conf file
    path.write_text(
        path.read_text().replace("sensitive information.\n", "sensitive information. \\\\\n")
    )
    report = validate(pack)
    assert report.errors == []
    with pytest.raises(BuildError, match="backslash"):
        build(report.content, out)
    assert package.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [
        "DA-ESS-contentkit",
        "DA-ESS-contentkit-0.1.0.tar.gz",
        "DA-ESS-contentkit-latest.tar.gz",
    ]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_build_refuses_invalid_content_and_writes_nothing(pack: Path, tmp_path: Path) -> None:
    path = pack / DET
    path.write_text(path.read_text().replace("type: Anomaly", "type: Sometimes"))
    result = _cli("build", str(pack), "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 1
    assert "error: type: 'Sometimes' is not one of" in result.stderr
    assert "nothing was built" in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_build_and_diff(pack: Path, tmp_path: Path) -> None:
    first = _cli("build", str(pack), "--output", str(tmp_path / "one"), "-q", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("DA-ESS-contentkit-0.1.0.tar.gz")
    path = pack / DET
    path.write_text(path.read_text().replace("verb=create", "verb=delete"))
    second = _cli("build", str(pack), "--output", str(tmp_path / "two"), "-q", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    old = tmp_path / "one/DA-ESS-contentkit-0.1.0.tar.gz"
    new = tmp_path / "two/DA-ESS-contentkit"
    result = _cli("diff", str(old), str(new), "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    changed = json.loads(result.stdout)
    files = {f["path"]: f for f in changed["files"]}
    stanzas = {s["name"]: s for s in files["default/savedsearches.conf"]["stanzas"]}
    keys = {k["key"] for k in stanzas[STANZA]["keys"]}
    assert "search" in keys
    same = _cli("diff", str(old), str(tmp_path / "one/DA-ESS-contentkit"), cwd=tmp_path)
    assert same.returncode == 0
    bad = _cli("diff", str(old), str(tmp_path / "nope"), cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_cli_build_stops_on_cross_reference_errors(pack: Path, tmp_path: Path) -> None:
    path = pack / DET
    path.write_text(path.read_text().replace("  - Kubernetes Security", "  - Kubernetes Secuirty"))
    out = tmp_path / "out"
    result = _cli("build", str(pack), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown analytic story 'Kubernetes Secuirty'" in result.stderr
    assert "nothing was built" in result.stderr
    assert list(out.iterdir()) == []  # the temporary build folder is gone too


@pytest.mark.parametrize("parallel", [True, False])
def test_abandoned_build_leaves_nothing(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool
) -> None:
    from contentkit.render import build as build_module

    # the background rendering path is normally taken only for big content
    monkeypatch.setattr(build_module, "PARALLEL_MIN_DETECTIONS", 0 if parallel else 10**6)
    report = validate(pack)
    out = tmp_path / "out"
    previous = build(report.content, out).package.read_bytes()

    def refuse() -> None:
        raise RuntimeError("cross references failed")

    with pytest.raises(RuntimeError, match="cross references failed"):
        build(report.content, out, meanwhile=refuse)
    assert sorted(p.name for p in out.iterdir()) == [
        "DA-ESS-contentkit",
        "DA-ESS-contentkit-0.1.0.tar.gz",
        "DA-ESS-contentkit-latest.tar.gz",
    ]
    assert (out / "DA-ESS-contentkit-0.1.0.tar.gz").read_bytes() == previous
    import multiprocessing

    assert multiprocessing.active_children() == []  # the background renderer was stopped


LOOKUP_YAML = """\
name: {name}
date: 2024-12-23
version: 2
id: {id}
author: contentkit developers
lookup_type: {kind}
description: A lookup of the test pack.
{extra}"""


def test_built_app_holds_every_file_the_content_needs(pack: Path, tmp_path: Path) -> None:
    lookups = pack / "lookups"
    csv_body = b"domain,campaign\n*.evil.example,demo\n"
    model_body = b"\x00binary model\xff"
    (lookups / "bad_domains.yml").write_text(
        LOOKUP_YAML.format(
            name="bad_domains",
            id="65c25399-4081-4ef1-b791-86f497d3380e",
            kind="csv",
            extra="match_type:\n- WILDCARD(domain)\nmin_matches: 1\n",
        )
    )
    (lookups / "bad_domains.csv").write_bytes(csv_body)
    (lookups / "__mlspl_dga_model.yml").write_text(
        LOOKUP_YAML.format(
            name="__mlspl_dga_model",
            id="6c55ccdb-7006-4367-80b6-55bee5eae1a3",
            kind="mlmodel",
            extra="",
        )
    )
    (lookups / "__mlspl_dga_model.mlmodel").write_bytes(model_body)
    (lookups / "user_baseline.yml").write_text(
        LOOKUP_YAML.format(
            name="user_baseline",
            id="6f4b0d42-5f24-4992-98f9-aebbc7ced9b0",
            kind="kvstore",
            extra="fields:\n- _key\n- user\n",
        )
    )
    package = _build(pack, tmp_path, epoch=0)
    app = tmp_path / "DA-ESS-contentkit"
    files = sorted(str(p.relative_to(app)) for p in app.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "app.manifest",
        "default/analyticstories.conf",
        "default/app.conf",
        "default/collections.conf",
        "default/content-version.conf",
        "default/data/ui/nav/default.xml",
        "default/macros.conf",
        "default/savedsearches.conf",
        "default/server.conf",
        "default/transforms.conf",
        "lookups/__mlspl_dga_model.mlmodel",
        "lookups/bad_domains_20241223.csv",
        "lookups/data_sources_19700101.csv",
        "lookups/mitre_enrichment.csv",
        "metadata/default.meta",
    ]
    assert (app / "lookups/bad_domains_20241223.csv").read_bytes() == csv_body
    assert (app / "lookups/__mlspl_dga_model.mlmodel").read_bytes() == model_body
    assert (app / "lookups/mitre_enrichment.csv").read_bytes() == (
        pack / "lookups/mitre_enrichment.csv"
    ).read_bytes()
    assert (
        (app / "lookups/data_sources_19700101.csv").read_text().splitlines()[0].startswith("name,")
    )
    transforms = read_conf_file(app / "default/transforms.conf").to_dict()
    assert transforms["bad_domains"]["filename"] == "bad_domains_20241223.csv"
    assert transforms["bad_domains"]["match_type"] == "WILDCARD(domain)"
    assert transforms["user_baseline"]["collection"] == "user_baseline"
    assert transforms["data_sources"]["filename"] == "data_sources_19700101.csv"
    assert transforms["mitre_enrichment"]["filename"] == "mitre_enrichment.csv"
    # the package holds the same files, under the app's folder
    listed = [n for n in tarball_listing(package) if not n.endswith("/")]
    assert listed == sorted((f"DA-ESS-contentkit/{f}" for f in files), key=str.encode)
