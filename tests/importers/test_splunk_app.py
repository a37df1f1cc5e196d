"""`contentkit import splunk-app` on a small app written here (not built by contentctl)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from contentkit.cli import cli

SAVED = """\
[default]
dispatch.earliest_time = -24h

[Suspicious Encoded PowerShell]
description = PowerShell started with an encoded command.
search = `sysmon` EventCode=1 Image="*\\\\powershell.exe" CommandLine="* -enc*" \\
| stats count by host user CommandLine \\
| `suspicious_encoded_powershell_filter`
enableSched = 1
cron_schedule = */15 * * * *
dispatch.earliest_time = -20m@m
dispatch.latest_time = now
schedule_window = 5
disabled = 0
action.risk = 1
action.risk.param._risk_message = Encoded PowerShell on $host$ by $user$
action.risk.param._risk = [{"risk_object_field": "host", "risk_object_type": "system", "risk_score": 64}, {"threat_object_field": "CommandLine", "threat_object_type": "process"}]
action.notable = 1
action.notable.param.rule_title = Encoded PowerShell on $host$
action.notable.param.rule_description = PowerShell started with an encoded command.
action.notable.param.security_domain = endpoint
action.notable.param.severity = high
action.notable.param.nes_fields = host,user
alert.suppress = 1
alert.suppress.fields = host
alert.suppress.period = 1h
action.webhook = 1
action.webhook.param.url = https://hooks.example.com/x

[An ad-hoc report]
search = index=main | head 1

[Old Style Risk]
search = index=main action=failure | stats count by user | `old_style_risk_filter`
enableSched = 1
cron_schedule = 0 * * * *
action.risk = 1
action.risk.param._risk_object = user
action.risk.param._risk_object_type = user
action.risk.param._risk_score = 30
"""
MACROS = """\
[sysmon]
definition = sourcetype=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational
description = Where Sysmon events are.

[suspicious_encoded_powershell_filter]
definition = search user!=svc_backup

[strip(1)]
args = field
definition = eval $field$=trim($field$)
"""
TRANSFORMS = """\
[allowed_hosts]
filename = allowed_hosts.csv
case_sensitive_match = false
"""


def write_app(root: Path) -> Path:
    app = root / "my_app"
    (app / "default").mkdir(parents=True)
    (app / "lookups").mkdir()
    (app / "default/savedsearches.conf").write_text(SAVED)
    (app / "default/macros.conf").write_text(MACROS)
    (app / "default/transforms.conf").write_text(TRANSFORMS)
    (app / "default/app.conf").write_text(
        "[package]\nid = my_app\n[launcher]\nversion = 2.1.0\nauthor = Blue Team\n"
        "[ui]\nlabel = My App\n"
    )
    (app / "default/data/ui/views").mkdir(parents=True)
    (app / "default/data/ui/views/overview.xml").write_text("<dashboard/>")
    (app / "lookups/allowed_hosts.csv").write_text("host\nws1\n")
    return app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_plain_app_imports_validates_and_reports_what_it_cannot_represent(
    tmp_path: Path,
) -> None:
    app = write_app(tmp_path)
    repo = tmp_path / "repo"
    code, out = run("import", "splunk-app", str(app), "--output", str(repo))
    assert code == 0, out
    assert "2 detections" in out and "3 macros" in out and "1 lookups" in out
    det = yaml.safe_load(
        (repo / "detections/endpoint/suspicious_encoded_powershell.yml").read_text()
    )
    assert det["name"] == "Suspicious Encoded PowerShell"
    assert det["type"] == "TTP"  # it raises a notable
    assert det["search"].endswith("| `suspicious_encoded_powershell_filter`")
    assert det["rba"]["risk_objects"] == [{"field": "host", "type": "system", "score": 64}]
    assert det["rba"]["threat_objects"] == [{"field": "CommandLine", "type": "process"}]
    assert det["throttling"] == {"fields": ["host"], "period": "1h"}
    old = yaml.safe_load((repo / "detections/endpoint/old_style_risk.yml").read_text())
    assert old["type"] == "Anomaly"
    assert old["rba"]["risk_objects"] == [{"field": "user", "type": "user", "score": 30}]
    # the only search of its type: the schedule is its type's deployment
    deployment = yaml.safe_load(
        (repo / "deployments/imported_default_configuration_ttp.yml").read_text()
    )
    assert deployment["scheduling"]["cron_schedule"] == "*/15 * * * *"
    assert deployment["scheduling"]["schedule_window"] == "5"
    assert deployment["disabled"] is False
    assert deployment["alert_action"]["notable"]["nes_fields"] == ["host", "user"]
    # a filter macro with a real definition is kept; the arity of strip(1) too
    macro = yaml.safe_load((repo / "macros/suspicious_encoded_powershell_filter.yml").read_text())
    assert macro["definition"] == "search user!=svc_backup"
    assert yaml.safe_load((repo / "macros/strip.yml").read_text())["arguments"] == ["field"]
    assert (repo / "lookups/allowed_hosts.csv").read_text() == "host\nws1\n"
    assert (repo / "app_template/default/data/ui/views/overview.xml").is_file()
    assert "not scheduled; not imported" in out or "An ad-hoc report" in out
    report = json.loads((repo / "import-report.json").read_text())
    keys = {(item["stanza"], item["key"]) for item in report["leftovers"]}
    # what contentkit cannot express is listed, not dropped
    assert ("Suspicious Encoded PowerShell", "action.webhook.param.url") in keys
    assert ("An ad-hoc report", "") in keys  # not scheduled: kept in the report
    (adhoc,) = [i for i in report["leftovers"] if i["stanza"] == "An ad-hoc report"]
    # [default] settings apply to every stanza that lacks them, as in Splunk
    assert json.loads(adhoc["value"]) == {
        "dispatch.earliest_time": "-24h",
        "search": "index=main | head 1",
    }
    assert "2 saved searches are named `my_app - <name> - Rule`" in out
    # the rebuilt stanza has the same schedule and actions
    code, out = run("build", str(repo), "--output", str(tmp_path / "out"), "-q")
    assert code == 0, out
    built = (tmp_path / "out/my_app/default/savedsearches.conf").read_text()
    assert "[my_app - Suspicious Encoded PowerShell - Rule]" in built
    assert "cron_schedule = */15 * * * *" in built
    assert "alert.suppress.period = 1h" in built


def _tgz(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_a_package_imports_like_its_folder(tmp_path: Path) -> None:
    app = write_app(tmp_path / "src")
    package = tmp_path / "my_app.spl"
    with tarfile.open(package, "w:gz") as tar:
        tar.add(app, arcname="my_app")
    code, out = run("import", "splunk-app", str(package), "--output", str(tmp_path / "repo"))
    assert code == 0, out
    assert (tmp_path / "repo/detections/endpoint/suspicious_encoded_powershell.yml").is_file()


@pytest.mark.parametrize(
    "member",
    [
        _file("../evil.conf"),
        _file("/etc/evil.conf"),
        _file("app/../../evil.conf"),
    ],
)
def test_members_escaping_the_target_are_refused(tmp_path: Path, member: Any) -> None:
    package = _tgz(tmp_path / "bad.tgz", [_file("app/default/app.conf"), member])
    code, out = run("import", "splunk-app", str(package), "--output", str(tmp_path / "repo"))
    assert code == 2
    assert out.strip().startswith(f"contentkit: error: {package}: unsafe package: member ")
    assert not (tmp_path / "repo").exists()
    assert not (tmp_path / "evil.conf").exists() and not Path("/etc/evil.conf").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_links_are_refused(tmp_path: Path, kind: bytes) -> None:
    link = tarfile.TarInfo("app/default/passwd.conf")
    link.type = kind
    link.linkname = "/etc/passwd"
    package = _tgz(tmp_path / "bad.tgz", [(link, None)])
    code, out = run("import", "splunk-app", str(package), "--output", str(tmp_path / "repo"))
    assert code == 2
    assert "is a symbolic link" in out or "is a hard link" in out
    assert not (tmp_path / "repo").exists()


def test_bad_input_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "not_an_app").mkdir()
    code, out = run("import", "splunk-app", str(tmp_path / "not_an_app"), "-o", str(tmp_path / "r"))
    assert code == 2
    assert out.strip().splitlines() == [
        f"contentkit: error: {tmp_path / 'not_an_app'}: not a Splunk app (no default/ folder)"
    ]
    assert not (tmp_path / "r").exists()
    garbage = tmp_path / "garbage.tgz"
    garbage.write_bytes(b"not gzip at all")
    code, out = run("import", "splunk-app", str(garbage), "-o", str(tmp_path / "r"))
    assert code == 2 and "corrupt package" in out
    assert not (tmp_path / "r").exists()


def test_yaml_writer_keeps_text_exactly(tmp_path: Path) -> None:
    from contentkit.importers.yamlout import write_yaml

    doc = {
        "search": '`m` a="x"  \n| stats count by b \n| `f_filter`',
        "date": "2026-11-30",
        "description": "line one\n\nline three with trailing blank ",
        "n": "0123",
    }
    write_yaml(tmp_path / "x.yml", doc, check=True)
    assert yaml.safe_load((tmp_path / "x.yml").read_text()) == doc


def test_local_is_laid_over_default(tmp_path: Path) -> None:
    """Searches saved in Splunk Web live in local/: imported, and local keys win."""
    app = write_app(tmp_path)
    (app / "local").mkdir()
    (app / "local/savedsearches.conf").write_text(
        "[Suspicious Encoded PowerShell]\ncron_schedule = 5 * * * *\n\n"
        "[Made In The UI]\nsearch = index=main EventCode=4625 | stats count by user\n"
        "enableSched = 1\ncron_schedule = 0 * * * *\n"
        "dispatch.earliest_time = -1h\ndispatch.latest_time = now\n"
    )
    repo = tmp_path / "repo"
    code, out = run("import", "splunk-app", str(app), "--output", str(repo))
    assert code == 0, out
    assert "3 detections" in out
    det = yaml.safe_load((repo / "detections/endpoint/made_in_the_ui.yml").read_text())
    assert det["type"] == "Hunting" and det["search"].startswith("index=main EventCode=4625")
    report = json.loads((repo / "import-report.json").read_text())
    keys = {(item["stanza"], item["key"]) for item in report["leftovers"]}
    assert ("Suspicious Encoded PowerShell", "cron_schedule") not in keys  # 5 * * * * rebuilt
    # the search gained its filter macro (a no-op `search *`): reported, value by value
    (changed,) = [i for i in report["leftovers"] if i["stanza"] == "Made In The UI"]
    assert changed["key"] == "search"
    assert changed["built"].endswith("| `made_in_the_ui_filter`")
    assert "1 searches given their filter macro" in out
