"""Windows .evtx datasets: rendered as the Universal Forwarder renders them (renderXml=true),
and usable by `contentkit search --data`, `contentkit test` and replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from contentkit.cli import cli
from contentkit.replay.datasets import DatasetResolver, DatasetUnavailable
from contentkit.replay.evtx import EvtxError, evtx_events, is_evtx, render_record
from contentkit.replay.textdata import text_dataset
from tests.replay.evtx_writer import sysmon_event, write_evtx

WHEN = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
PROCESS = [
    ("RuleName", "-"),
    ("Image", "C:\\Windows\\System32\\cmd.exe"),
    ("CommandLine", 'cmd.exe /c "whoami /all" > out.txt & echo <done>'),
    ("User", "CORP\\bob"),
    ("ParentImage", "C:\\Windows\\explorer.exe"),
    ("ParentUser", ""),
]


def make_evtx(path: Path) -> Path:
    return write_evtx(
        path,
        [
            (WHEN, sysmon_event(1, WHEN, "ws1.corp.local", PROCESS, 1)),
            (WHEN, sysmon_event(3, WHEN, "ws2.corp.local", [("DestinationIp", "10.0.0.9")], 2)),
        ],
    )


def test_records_are_rendered_as_the_forwarder_renders_them(tmp_path: Path) -> None:
    lines = list(evtx_events(make_evtx(tmp_path / "sysmon.evtx")))
    assert len(lines) == 2
    assert lines[0] == (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
        "<EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>"
        "<Keywords>0x8000000000000000</Keywords>"
        "<TimeCreated SystemTime='2024-05-01T10:00:00.123456000Z'/>"
        "<EventRecordID>1</EventRecordID><Correlation/>"
        "<Execution ProcessID='2124' ThreadID='3424'/>"
        "<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
        "<Computer>ws1.corp.local</Computer><Security UserID='S-1-5-18'/></System>"
        "<EventData><Data Name='RuleName'>-</Data>"
        "<Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data>"
        "<Data Name='CommandLine'>cmd.exe /c \"whoami /all\" &gt; out.txt &amp; echo &lt;done&gt;</Data>"
        "<Data Name='User'>CORP\\bob</Data>"
        "<Data Name='ParentImage'>C:\\Windows\\explorer.exe</Data>"
        "<Data Name='ParentUser'></Data></EventData></Event>"
    )


def test_rendering_details() -> None:
    pretty = (
        '<?xml version="1.0" encoding="utf-8"?>\n<Event xmlns="http://schemas.microsoft.com/win/'
        '2004/08/events/event">\n  <System>\n    <TimeCreated SystemTime="2019-03-19 23:34:26.150470'
        " UTC\">\n    </TimeCreated>\n    <Computer>it's</Computer>\n  </System>\n  <EventData>\n"
        '    <Data Name="a\'b">  two  blanks  </Data>\n  </EventData>\n</Event>\n'
    )
    assert render_record(pretty) == (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
        "<TimeCreated SystemTime='2019-03-19T23:34:26.150470000Z'/><Computer>it's</Computer>"
        "</System><EventData><Data Name='a&apos;b'>  two  blanks  </Data></EventData></Event>"
    )


def test_evtx_is_recognised_by_name_or_signature(tmp_path: Path) -> None:
    evtx = make_evtx(tmp_path / "x.bin")
    assert is_evtx(evtx)
    (tmp_path / "a.xml").write_text("<Event/>")
    assert not is_evtx(tmp_path / "a.xml")


def test_a_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.evtx"
    broken.write_bytes(b"ElfFile\0" + b"\xff" * 100)
    with pytest.raises(EvtxError, match=r"broken\.evtx: not a readable EVTX file"):
        text_dataset(broken, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []  # no half-written conversion left
    resolver = DatasetResolver(tmp_path, tmp_path / "cache")
    with pytest.raises(DatasetUnavailable, match=r"broken\.evtx"):
        resolver.resolve("broken.evtx")
    result = CliRunner().invoke(cli, ["search", "| head 1", "--data", str(broken)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "not a readable EVTX file" in result.output


def test_conversion_is_cached_by_content(tmp_path: Path) -> None:
    evtx = make_evtx(tmp_path / "sysmon.evtx")
    first = text_dataset(evtx, tmp_path / "cache")
    assert first.suffix == ".xml" and first.read_text().count("\n") == 2
    assert text_dataset(evtx, tmp_path / "cache") == first


def test_search_data_reads_evtx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENTKIT_CACHE", str(tmp_path / "cache"))
    evtx = make_evtx(tmp_path / "sysmon.evtx")
    result = CliRunner().invoke(
        cli,
        [
            "search",
            "EventCode=1 | table Computer User CommandLine",
            "--data",
            str(evtx),
            "--sourcetype",
            "XmlWinEventLog",
            "--source",
            "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows == [
        {
            "Computer": "ws1.corp.local",
            "User": "CORP\\bob",
            "CommandLine": 'cmd.exe /c "whoami /all" > out.txt & echo <done>',
        }
    ]


DETECTION = """\
name: Windows Whoami From Cmd
id: 1c1b9f36-4f1e-4d55-9a5e-0a8f2b0d3c11
version: 1
date: '2026-11-30'
author: contentkit developers
status: production
type: TTP
description: cmd.exe runs whoami, a common first step after gaining a shell.
data_source:
- Kubernetes Audit
search: '`evtx_sysmon` EventCode=1 Image="*\\\\cmd.exe" CommandLine="*whoami*"
  | stats count min(_time) as firstTime max(_time) as lastTime by Computer User CommandLine
  | rename Computer as dest, User as user
  | `windows_whoami_from_cmd_filter`'
how_to_implement: Sysmon process creation events (event 1) with the command line.
known_false_positives: Administrators checking their own rights.
rba:
  message: whoami run by $user$ on $dest$
  risk_objects:
  - field: dest
    type: system
    score: 40
  threat_objects:
  - field: CommandLine
    type: process
tags:
  analytic_story:
  - Kubernetes Security
  asset_type: Endpoint
  product:
  - Splunk Enterprise
  security_domain: endpoint
tests:
- name: True Positive Test
  attack_data:
  - data: datasets/evtx/sysmon_whoami.evtx
    source: XmlWinEventLog:Microsoft-Windows-Sysmon/Operational
    sourcetype: XmlWinEventLog
  expect:
    min_results: 1
    fields:
      dest: ws1.corp.local
      user: CORP\\bob
"""


def test_contentkit_test_passes_on_an_evtx_dataset(pack: Path) -> None:
    (pack / "datasets/evtx").mkdir(parents=True, exist_ok=True)
    make_evtx(pack / "datasets/evtx/sysmon_whoami.evtx")
    (pack / "macros/evtx_sysmon.yml").write_text(
        yaml.safe_dump(
            {
                "name": "evtx_sysmon",
                "definition": 'source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"',
                "description": "Where Sysmon events are.",
            }
        )
    )
    (pack / "detections/endpoint").mkdir(parents=True, exist_ok=True)
    (pack / "detections/endpoint/windows_whoami_from_cmd.yml").write_text(DETECTION)
    out = pack / "results.json"
    result = CliRunner().invoke(
        cli,
        [
            "test",
            str(pack),
            "--detection",
            "Windows Whoami From Cmd",
            "--offline",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["counts"]["pass"] == 1 and report["counts"]["fail"] == 0
    (result_,) = report["results"]
    assert result_["detection"] == "Windows Whoami From Cmd"
    assert result_["unit"] == {**result_["unit"], "status": "pass", "result_count": 1}
    assert result_["risk_events"][0]["risk_object"] == "ws1.corp.local"


def test_replay_sends_one_event_per_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contentkit.replay.splunk import load_events

    monkeypatch.setenv("CONTENTKIT_CACHE", str(tmp_path / "cache"))
    raw = load_events(make_evtx(tmp_path / "sysmon.evtx"), "XmlWinEventLog")
    assert raw.count == 2
    assert raw.events is not None and raw.events[1].startswith("<Event xmlns=")
