"""Event intake: JSON flattening, Windows XML, key=value, default fields, raw prefilter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contentkit import spl
from contentkit.spl.events import Dataset, ScanStats, candidate_lines, parse_time, scan_dataset

from .conftest import DATA


def test_json_flattening_and_multivalue_arrays() -> None:
    raw = json.dumps(
        {
            "user": {"username": "bob", "groups": ["a", "b"]},
            "sourceIPs": ["10.0.0.1"],
            "items": [{"name": "x", "n": 1}, {"name": "y", "n": 2}],
            "ok": True,
            "none": None,
            "responseStatus": {"code": 201},
            "requestReceivedTimestamp": "2024-05-14T09:12:31.402117Z",
        }
    )
    (event,) = spl.read_events([raw], sourcetype="_json", source="kubernetes", host="h1")
    assert event["user.username"] == "bob"
    assert event["user.groups{}"] == ["a", "b"]
    assert event["sourceIPs{}"] == "10.0.0.1"
    assert event["items{}.name"] == ["x", "y"]
    assert event["items{}.n"] == ["1", "2"]
    assert event["ok"] == "true"
    assert event["none"] == "null"
    assert event["responseStatus.code"] == "201"
    assert event["_time"] == parse_time("2024-05-14T09:12:31.402117Z") == 1715677951.402117
    assert (event["_raw"], event["source"], event["sourcetype"], event["host"], event["index"]) == (
        raw,
        "kubernetes",
        "_json",
        "h1",
        "main",
    )


def test_time_falls_back_to_replay_time() -> None:
    (event,) = spl.read_events(['{"a": 1}'], now=123.0)
    assert event["_time"] == 123.0


def test_parse_time_formats() -> None:
    assert parse_time("1970-01-01T00:00:10Z") == 10
    assert parse_time("1970-01-01T00:00:10.123456789+00:00") == 10.123456
    assert parse_time(1_700_000_000_000) == 1_700_000_000
    assert parse_time("nonsense") is None


def test_windows_xml_events() -> None:
    events = list(spl.read_events(DATA / "windows_security.xml", sourcetype="XmlWinEventLog"))
    assert [e["EventCode"] for e in events] == ["4688", "4624"]
    first = events[0]
    assert first["EventID"] == "4688"
    assert first["Computer"] == "win-dc-01.corp.example.com"
    assert first["Channel"] == "Security"
    assert first["Name"] == "Microsoft-Windows-Security-Auditing"
    assert first["CommandLine"] == 'cmd.exe /c whoami && net group "Domain Admins" /domain'
    assert first["NewProcessName"] == "C:\\Windows\\System32\\cmd.exe"
    assert first["_time"] == parse_time("2024-03-02T10:15:22.123456Z")


def test_xml_events_split_on_event_boundaries(tmp_path: Path) -> None:
    text = (DATA / "windows_security.xml").read_text().replace("\n", "")
    path = tmp_path / "one_line.xml"
    path.write_text(text)
    events = list(spl.read_events(path, sourcetype="XmlWinEventLog"))
    assert [e["EventCode"] for e in events] == ["4688", "4624"]


def test_key_value_and_plain_lines() -> None:
    events = list(
        spl.read_events(
            ['2024-01-01T00:00:00Z action=blocked src="10.0.0.1" user=bob', "just a line"]
        )
    )
    assert events[0]["action"] == "blocked"
    assert events[0]["src"] == "10.0.0.1"
    assert events[0]["_time"] == parse_time("2024-01-01T00:00:00Z")
    assert events[1]["_raw"] == "just a line"


def test_candidate_lines_prefilter() -> None:
    block = b'{"verb":"get"}\n{"verb":"CREATE","r":"DaemonSets"}\n{"verb":"create","r":"pods"}\n'
    assert list(candidate_lines(block, [(b"daemonsets",), (b"create",)])) == [
        b'{"verb":"CREATE","r":"DaemonSets"}'
    ]
    assert list(candidate_lines(block, [(b"pods", b"get")])) == [
        b'{"verb":"get"}',
        b'{"verb":"create","r":"pods"}',
    ]


def test_scan_dataset_parses_only_candidates() -> None:
    stats = ScanStats()
    ds = Dataset(DATA / "k8s_audit_daemonset.json", "_json", "kubernetes")
    events = list(scan_dataset(ds, [("daemonsets",), ("create",)], stats=stats))
    assert [e["verb"] for e in events] == ["create", "create"]
    assert stats.events_scanned == 6
    assert stats.events_parsed == 2


def test_metadata_terms_select_datasets() -> None:
    datasets = [
        Dataset(DATA / "k8s_audit_daemonset.json", "_json", "kubernetes"),
        Dataset(DATA / "windows_security.xml", "XmlWinEventLog", "XmlWinEventLog:Security"),
    ]
    stats = ScanStats()
    rows = spl.run(
        'source="XmlWinEventLog:Security" | stats count by EventCode',
        datasets=datasets,
        stats=stats,
    )
    assert rows == [{"EventCode": "4624", "count": 1}, {"EventCode": "4688", "count": 1}]
    assert stats.files == 1


def test_parallel_scan_matches_sequential_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contentkit.spl import events as events_mod

    lines = [
        json.dumps(
            {
                "i": i,
                "verb": "create" if i % 7 == 0 else "get",
                "r": "DaemonSets" if i % 3 == 0 else "pods",
            }
        )
        for i in range(3000)
    ]
    path = tmp_path / "big.json"
    path.write_text("\n".join(lines))  # no trailing newline: the last line still counts
    groups = [("daemonsets",), ("create",)]
    sequential = ScanStats()
    expected = list(scan_dataset(Dataset(path, "_json", "s"), groups, stats=sequential, now=0))
    for in_workers in (False, True):
        monkeypatch.setattr(events_mod, "PARSE_IN_WORKERS", in_workers)
        parallel = ScanStats()
        got = list(
            scan_dataset(Dataset(path, "_json", "s"), groups, stats=parallel, now=0, workers=3)
        )
        assert got == expected
        assert parallel.events_scanned == sequential.events_scanned == 3000
    assert [e["i"] for e in expected] == [str(i) for i in range(0, 3000, 21)]


def test_chunk_boundaries_do_not_lose_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contentkit.spl import events as events_mod

    path = tmp_path / "lines.log"
    path.write_text(
        "".join(f"user=u{i} action={'hit' if i % 5 == 0 else 'miss'}\n" for i in range(500))
    )
    monkeypatch.setattr(events_mod, "CHUNK_SIZE", 64)  # lines straddle every chunk boundary
    stats = ScanStats()
    got = [e["user"] for e in scan_dataset(Dataset(path, "kv", "s"), [("hit",)], stats=stats)]
    assert got == [f"u{i}" for i in range(0, 500, 5)]
    assert stats.events_scanned == 500


def test_dataset_events_come_newest_first_like_an_index() -> None:
    ds = Dataset(DATA / "k8s_audit_daemonset.json", "_json", "kubernetes")
    rows = spl.run("search * | table auditID verb", datasets=[ds])
    assert [r["auditID"][-1] for r in rows] == ["5", "4", "3", "3", "2", "1"]
    newest = spl.run("search * | dedup verb | table verb auditID", datasets=[ds])
    assert newest == [
        {"verb": "get", "auditID": "0b1c2d3e-0005-4a5b-8c9d-000000000005"},
        {"verb": "create", "auditID": "0b1c2d3e-0004-4a5b-8c9d-000000000004"},
        {"verb": "list", "auditID": "0b1c2d3e-0002-4a5b-8c9d-000000000002"},
    ]
