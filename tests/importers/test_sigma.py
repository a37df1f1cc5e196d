"""`contentkit import sigma` on a small rule set written for these tests (sigma_rules/):
process creation, registry, network connection, and one that pySigma cannot convert."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from contentkit.cli import cli
from tests.conftest import REPO
from tests.replay.evtx_writer import sysmon_event, write_evtx

pytest.importorskip("sigma.backends.splunk")  # the [import] extra, part of [test]

RULES = Path(__file__).parent / "sigma_rules"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, int, str]:
    repo = tmp_path / "repo"
    code, out = run("import", "sigma", str(RULES), "--output", str(repo))
    return repo, code, out


def test_the_rule_set_imports_validates_and_builds(
    imported: tuple[Path, int, str], tmp_path: Path
) -> None:
    repo, code, out = imported
    assert code == 1  # one rule is not convertible: listed, and the exit status says so
    assert "3 rules converted, 1 not converted" in out
    assert "aggregation_failed_logons.yml: not converted: Too Many Failed Logons: The pipe" in out
    assert "validation errors" not in out
    assert sorted(p.name for p in (repo / "detections/sigma").iterdir()) == [
        "run_key_persistence_via_registry.yml",
        "rundll32_outbound_connection.yml",
        "whoami_execution_from_cmd.yml",
    ]
    code, out = run("validate", str(repo))
    assert code == 0, out
    code, out = run("build", str(repo), "--output", str(tmp_path / "out"), "-q")
    assert code == 0, out
    built = (tmp_path / "out/DA-ESS-sigma/default/savedsearches.conf").read_text()
    assert "[SIGMA - Whoami Execution From Cmd - Rule]" in built


def test_rule_fields_are_mapped(imported: tuple[Path, int, str]) -> None:
    repo, _, _ = imported
    det = yaml.safe_load((repo / "detections/sigma/whoami_execution_from_cmd.yml").read_text())
    assert det["id"] == "5b1c4d3e-8a2f-4f3a-9c1d-2e3f4a5b6c7d"
    assert det["date"] == "2026-11-30" and det["author"] == "contentkit developers"
    assert det["tags"]["mitre_attack_id"] == ["T1033"]
    assert det["rba"]["risk_objects"] == [{"field": "dest", "type": "system", "score": 50}]
    assert det["rba"]["threat_objects"] == [{"field": "process", "type": "process"}]
    assert det["known_false_positives"] == "Administrators checking their own rights"
    assert det["references"] == ["https://attack.mitre.org/techniques/T1033/"]
    assert det["data_source"] == ["Sysmon EventID 1"]
    # the log source maps to the CIM Endpoint data model: pySigma's tstats output
    assert det["search"].startswith("| tstats ")
    assert "from datamodel=Endpoint.Processes" in det["search"]
    assert det["search"].endswith("| `whoami_execution_from_cmd_filter`")
    assert (repo / "macros/whoami_execution_from_cmd_filter.yml").is_file()
    high = yaml.safe_load(
        (repo / "detections/sigma/run_key_persistence_via_registry.yml").read_text()
    )
    assert high["type"] == "TTP" and high["rba"]["risk_objects"][0]["score"] == 70
    assert high["status"] == "experimental"
    # no data model for network connections in pySigma's CIM pipeline: a plain search
    net = yaml.safe_load((repo / "detections/sigma/rundll32_outbound_connection.yml").read_text())
    assert net["search"].startswith("`sigma_sysmon_eventid_3` Image=")
    assert net["tags"]["security_domain"] == "network"
    macro = yaml.safe_load((repo / "macros/sigma_sysmon_eventid_3.yml").read_text())
    assert macro["definition"] == (
        'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=3'
    )


WHEN = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)


def _add_test(det_file: Path, data: str, expect: dict[str, object]) -> None:
    det = yaml.safe_load(det_file.read_text())
    det["tests"] = [
        {
            "name": "True Positive Test",
            "attack_data": [
                {
                    "data": data,
                    "source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
                    "sourcetype": "XmlWinEventLog",
                }
            ],
            "expect": expect,
        }
    ]
    det_file.write_text(yaml.safe_dump(det, sort_keys=False))


def _test(repo: Path, name: str, *extra: str) -> dict[str, object]:
    out = repo / "results.json"
    code, text = run(
        "test", str(repo), "--detection", name, "--offline", "--json", str(out), *extra
    )
    if not out.is_file():
        return {"exit_code": code, "output": text, "counts": {}}
    report: dict[str, object] = json.loads(out.read_text())
    report["exit_code"] = code
    report["output"] = text
    return report


def test_the_network_rule_passes_contentkit_test_on_an_evtx_dataset(
    imported: tuple[Path, int, str],
) -> None:
    repo, _, _ = imported
    (repo / "datasets").mkdir()
    events = [
        ("C:\\Windows\\System32\\rundll32.exe", "true", "198.51.100.7"),  # the attack
        ("C:\\Windows\\System32\\rundll32.exe", "false", "198.51.100.9"),  # inbound
        ("C:\\Windows\\System32\\rundll32.exe", "true", "10.1.2.3"),  # filtered: 10.0.0.0/8
        ("C:\\Windows\\explorer.exe", "true", "198.51.100.8"),  # another image
    ]
    write_evtx(
        repo / "datasets/net.evtx",
        [
            (
                WHEN,
                sysmon_event(
                    3,
                    WHEN,
                    f"ws{i}.corp.local",
                    [("Image", image), ("Initiated", initiated), ("DestinationIp", ip)],
                    i,
                ),
            )
            for i, (image, initiated, ip) in enumerate(events, start=1)
        ],
    )
    _add_test(
        repo / "detections/sigma/rundll32_outbound_connection.yml",
        "datasets/net.evtx",
        {"min_results": 1, "max_results": 1, "fields": {"dest": "ws1.corp.local"}},
    )
    report = _test(repo, "Rundll32 Outbound Connection")
    assert report["exit_code"] == 0, report["output"]
    assert report["counts"] == {**report["counts"], "pass": 1, "fail": 0}  # type: ignore[dict-item]


# the pack's stand-in knowledge apps (Sysmon field mapping, CIM data models) of the
# knowledge-layer work (issue 10); `contentkit test --app` loads them
KNOWLEDGE_APPS = [REPO / "apps/contentkit_SA_CIM", REPO / "apps/contentkit_TA_sysmon"]


def test_the_process_creation_rule_passes_contentkit_test(imported: tuple[Path, int, str]) -> None:
    repo, _, _ = imported
    (repo / "datasets").mkdir()
    data = [
        ("Image", "C:\\Windows\\System32\\whoami.exe"),
        ("CommandLine", "whoami /all"),
        ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
        ("User", "CORP\\bob"),
    ]
    write_evtx(repo / "datasets/proc.evtx", [(WHEN, sysmon_event(1, WHEN, "ws1", data, 1))])
    _add_test(
        repo / "detections/sigma/whoami_execution_from_cmd.yml",
        "datasets/proc.evtx",
        {"min_results": 1, "fields": {"dest": "ws1"}},
    )
    apps = [arg for app in KNOWLEDGE_APPS for arg in ("--app", str(app))]
    report = _test(repo, "Whoami Execution From Cmd", *apps)
    assert report["exit_code"] == 0, report["output"]
    assert report["counts"] == {**report["counts"], "pass": 1, "fail": 0}  # type: ignore[dict-item]


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    code, out = run("import", "sigma", str(tmp_path / "nope"), "-o", str(tmp_path / "r"))
    assert (
        code == 2
        and out.strip() == f"contentkit: error: {tmp_path / 'nope'}: no such file or folder"
    )
    code, out = run("import", "sigma", str(RULES), "--pipeline", "nonsense", "-o", str(tmp_path))
    assert code == 2 and "unknown pySigma pipeline 'nonsense'" in out
    assert not (tmp_path / "detections").exists()


def test_a_rule_that_is_no_yaml_is_reported_with_its_place(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    good = (RULES / "proc_creation_whoami_from_cmd.yml").read_text()
    (rules / "good.yml").write_text(good)
    (rules / "broken.yml").write_text(good.replace("logsource:", "logsource: :\n\t x", 1))
    code, out = run("import", "sigma", str(rules), "-o", str(tmp_path / "repo"))
    assert code == 1 and "Traceback" not in out
    assert "1 rules converted, 1 not converted" in out
    (line,) = [x for x in out.splitlines() if "broken.yml" in x]
    assert "not valid YAML" in line and "(line " in line and "column " in line
    assert len(list((tmp_path / "repo" / "detections").rglob("*.yml"))) == 1


def test_the_process_creation_rule_as_a_plain_search_passes_contentkit_test(
    tmp_path: Path,
) -> None:
    """With `--pipeline splunk_windows` the same rule is a plain search over the Sysmon events,
    which the embedded engine runs today."""
    repo = tmp_path / "repo"
    code, out = run(
        "import",
        "sigma",
        str(RULES / "proc_creation_whoami_from_cmd.yml"),
        "--pipeline",
        "splunk_windows",
        "--output",
        str(repo),
    )
    assert code == 0, out
    det_file = repo / "detections/sigma/whoami_execution_from_cmd.yml"
    search = yaml.safe_load(det_file.read_text())["search"]
    assert search.startswith('`sigma_sysmon_eventid_1` Image="*\\\\whoami.exe"')
    (repo / "datasets").mkdir()
    whoami = [
        ("Image", "C:\\Windows\\System32\\whoami.exe"),
        ("ParentImage", "C:\\Windows\\System32\\cmd.exe"),
    ]
    from_explorer = [
        ("Image", "C:\\Windows\\System32\\whoami.exe"),
        ("ParentImage", "C:\\Windows\\explorer.exe"),
    ]
    write_evtx(
        repo / "datasets/proc.evtx",
        [
            (WHEN, sysmon_event(1, WHEN, "ws1", whoami, 1)),
            (WHEN, sysmon_event(1, WHEN, "ws2", from_explorer, 2)),
            (WHEN, sysmon_event(3, WHEN, "ws3", whoami, 3)),  # not a process creation
        ],
    )
    _add_test(
        det_file,
        "datasets/proc.evtx",
        {"min_results": 1, "max_results": 1, "fields": {"dest": "ws1"}},
    )
    report = _test(repo, "Whoami Execution From Cmd")
    assert report["exit_code"] == 0, report["output"]
    assert report["counts"] == {**report["counts"], "pass": 1, "fail": 0}  # type: ignore[dict-item]
