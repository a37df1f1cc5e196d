"""Event intake: JSON flattening, Windows XML, key=value, default fields, raw prefilter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contentkit import spl
from contentkit.spl.events import Dataset, ScanStats, candidate_lines, parse_time, scan_dataset

from .conftest import DATA


@pytest.fixture(autouse=True, params=["mapped", "chunks"])
def scan_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with both scanners of line-oriented files: the file mapped into memory
    and searched with Hyperscan (in segments of 128 bytes, so that lines straddle segment
    boundaries and some are longer than a segment), and the chunked reader."""
    from contentkit.spl import events as events_mod
    from contentkit.spl import literals

    if request.param == "mapped":
        if literals.hyperscan() is None:
            pytest.skip("hyperscan is not installed on this platform")
        monkeypatch.setattr(events_mod, "SEGMENT_SIZE", 128)
    monkeypatch.setattr(events_mod, "MAPPED_SCAN", request.param == "mapped")
    return str(request.param)


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


def test_other_groups_match_in_any_case_on_the_driver_lines(tmp_path: Path) -> None:
    """The groups besides the driver are checked on each line the driver found: as written
    first, then case-insensitively (a line holding them only in upper case still matches)."""
    from contentkit.spl.events import scan_file_lines

    lines = [
        b'{"r":"daemonsets","verb":"create"}',
        b'{"r":"DaemonSets","verb":"CREATE","k":"Pod"}',
        b'{"r":"daemonsets","verb":"get"}',
        b'{"r":"daemonsets","verb":"Create","k":"POD"}',
        b'{"r":"daemonsets","verb":"create","k":"job"}',
    ]
    path = tmp_path / "audit.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    found = list(scan_file_lines(path, [("daemonsets",), ("create",), ("pod", "job")]))
    assert found == [line.decode() for line in (lines[1], lines[3], lines[4])]
    assert list(scan_file_lines(path, [("daemonsets",), ("create",)])) == [
        line.decode() for line in (lines[0], lines[1], lines[3], lines[4])
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


def test_lines_longer_than_the_read_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contentkit.spl import events as events_mod

    path = tmp_path / "long.json"
    lines = [
        json.dumps({"i": i, "verb": "create" if i % 2 else "get", "pad": "x" * (50 * (i % 7))})
        for i in range(60)
    ]
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(events_mod, "CHUNK_SIZE", 64)  # lines up to 5x the buffer: it grows
    stats = ScanStats()
    got = [e["i"] for e in scan_dataset(Dataset(path, "_json", "s"), [("create",)], stats=stats)]
    assert got == [str(i) for i in range(1, 60, 2)]
    assert stats.events_scanned == 60


def test_long_lines_are_counted_by_finding_newlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contentkit.spl import events as events_mod

    path = tmp_path / "wide.log"
    path.write_text(
        "".join(f"n={i} {'hit' if i % 4 == 0 else 'miss'} {'y' * 900}\n" for i in range(80))
    )
    monkeypatch.setattr(events_mod, "CHUNK_SIZE", 4096)
    for workers in (1, 2):
        stats = ScanStats()
        got = list(scan_dataset(Dataset(path, "kv", "s"), [("hit",)], stats=stats, workers=workers))
        assert [e["n"] for e in got] == [str(i) for i in range(0, 80, 4)]
        assert stats.events_scanned == 80


def test_lines_are_not_counted_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "few.log"
    path.write_text("a=1 hit\na=2 miss\na=3 hit")
    for workers in (1, 2):
        stats = ScanStats(count_events=False)
        got = list(scan_dataset(Dataset(path, "kv", "s"), [("hit",)], stats=stats, workers=workers))
        assert [e["a"] for e in got] == ["1", "3"]
        assert stats.events_scanned == 0
        assert stats.events_parsed == 2


def test_the_rarest_group_drives_the_scan() -> None:
    from contentkit.spl.events import _make_plan

    groups = [(b"common",), (b"rare",)]
    sample = b"common common common rare\n" * 3 + b"common\n" * 100
    assert _make_plan(groups, sample) == ((b"rare",), [b"common"], [])
    # without a sample: the longest fragment
    assert _make_plan(groups) == ((b"common",), [b"rare"], [])
    plan = _make_plan([(b"ab", b"cd"), (b"xyz",)], b"xyz " * 1000)
    assert plan == ((b"ab", b"cd"), [b"xyz"], [])
    plan = _make_plan([(b"ab", b"cd"), (b"rare",)], b"ab cd " * 1000)
    assert plan == ((b"rare",), [], [(b"ab", b"cd")])
    block = b"x ab rare\nrare\ncd RARE\nab\n"
    assert list(candidate_lines(block, [(b"ab", b"cd"), (b"rare",)])) == [b"x ab rare", b"cd RARE"]


def test_stopping_early_leaves_no_scanning_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    path = tmp_path / "many.log"
    path.write_text("".join(f"a={i} hit\n" for i in range(5000)))
    events = scan_dataset(Dataset(path, "kv", "s"), [("hit",)], workers=3)
    assert next(events)["a"] == "0"
    events.close()
    assert len(forked) == 2  # the calling process scans the first range itself
    for pid in forked:  # killed and reaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_selected_json_fields_match_full_flattening() -> None:
    from contentkit.spl.events import field_plan, json_fields

    raw = json.dumps(
        {
            "a": {"b": [1, "two", {"c": True}, None, 2.5], "d": {}},
            "x": [{"y": "1"}, {"y": ["2", {"z": "3"}]}, "s"],
            "k.dotted": {"v": "dv"},
            "n": 7,
            "ts": 1700000000,
        }
    )
    full, t_full = json_fields(raw)  # type: ignore[misc]
    names = ["a.b{}", "a.b{}.c", "x{}.y", "x{}.y{}", "x{}.y{}.z", "k.dotted.v", "n", "missing.f"]
    selected, t_sel = json_fields(raw, field_plan(names))  # type: ignore[misc]
    assert t_full == t_sel == 1700000000
    assert selected == {k: v for k, v in full.items() if k in names}


def test_a_failing_scanning_process_is_an_spl_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from contentkit.spl import events as events_mod

    path = tmp_path / "many.log"
    path.write_text("".join(f"a={i} hit\n" for i in range(2000)))

    def broken(*args: object) -> None:
        raise MemoryError("boom")

    monkeypatch.setattr(events_mod, "_scan_range", broken)
    with pytest.raises(spl.SplError, match="MemoryError: boom"):
        list(scan_dataset(Dataset(path, "kv", "s"), [("hit",)], workers=2))

    def dies(*args: object) -> None:
        os._exit(3)

    monkeypatch.setattr(events_mod, "_scan_range", dies)
    with pytest.raises(spl.SplError, match="scanning process failed"):
        list(scan_dataset(Dataset(path, "kv", "s"), [("hit",)], workers=2))


def test_line_counts_when_line_lengths_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contentkit.spl import events as events_mod

    path = tmp_path / "mixed.log"
    long_part = "".join(f"n={i} {'z' * 1500}\n" for i in range(10))
    short_part = "".join(f"n={i} {'hit' if i % 9 == 0 else ''}\n" for i in range(10, 3000))
    path.write_text(long_part + short_part + "n=last hit")
    monkeypatch.setattr(events_mod, "CHUNK_SIZE", 2048)
    stats = ScanStats()
    got = [e["n"] for e in scan_dataset(Dataset(path, "kv", "s"), [("hit",)], stats=stats)]
    assert got == [str(i) for i in range(18, 3000, 9)] + ["last"]
    assert stats.events_scanned == 3001


def test_xml_fields_of_some_names_equal_those_of_a_full_extraction() -> None:
    """Reading only the fields a search needs gives exactly the values a full read gives."""
    from contentkit.spl.events import xml_fields

    repo = Path(__file__).resolve().parents[2]
    raws = [
        line
        for path in sorted((repo / "datasets/windows").glob("*.log"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    raws.append(
        "<Event><System><Provider Name='P'/><EventID Qualifiers='0'>4688</EventID>"
        "<TimeCreated SystemTime='2026-01-01T00:00:00Z'/><Computer>c</Computer></System>"
        "<EventData><Data Name='Computer'>d</Data><Data Name='X'>a &amp; b</Data>"
        "<Data Name='X'>two</Data><Data Name='Empty'/></EventData></Event>"
    )
    wanted = [
        {"EventCode"},
        {"EventCode", "Image", "User"},
        {"Computer", "X", "Empty", "Name", "Missing"},
        {"Hashes", "SystemTime", "Keywords", "DestinationPort"},
        {"_raw", "host"},
    ]
    assert len(raws) > 200
    for raw in raws:
        full, t = xml_fields(raw)
        for names in wanted:
            some, t2 = xml_fields(raw, frozenset(names))
            assert some == {k: v for k, v in full.items() if k in names}, (names, raw[:80])
            assert t2 == t


def test_long_term_lists_and_refused_patterns(
    tmp_path: Path, scan_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long list of alternatives (an IN list) finds the lines holding any of them (fragments
    are substrings: "u50" is in "u500"); a pattern Hyperscan refuses makes the range be read
    in chunks, with the same answer."""
    from contentkit.spl import events as events_mod

    path = tmp_path / "many.log"
    lines = [f"user=u{i} action={'login' if i % 50 == 0 else 'x'}" for i in range(3000)]
    path.write_text("\n".join(lines) + "\n")
    wanted = tuple(f"u{i}" for i in range(0, 3000, 50)) + tuple(f"zz{i}" for i in range(2000))
    expected = [ln.split()[0][5:] for ln in lines if any(w in ln for w in wanted)]

    def users() -> list[str]:
        stats = ScanStats()
        got = [e["user"] for e in scan_dataset(Dataset(path, "kv", "s"), [wanted], stats=stats)]
        assert stats.events_scanned == 3000
        assert stats.bytes_read == path.stat().st_size
        return got

    assert users() == expected

    def refuse(driver: tuple[bytes, ...]) -> None:
        raise ValueError("too large")

    monkeypatch.setattr(events_mod, "_line_finder", refuse)
    assert users() == expected


@pytest.mark.parametrize("depth", [990, 5000])
def test_json_nested_too_deeply_to_read_is_read_as_text(tmp_path: Path, depth: int) -> None:
    """An event nested beyond what the JSON reader takes (about a thousand levels) no longer
    fails the whole search ("search is nested too deeply"): it is read as key=value text."""
    path = tmp_path / "deep.json"
    deep = '{"a":' + "[" * depth + '"v"' + "]" * depth + ', "b":"x", "k=v": 1}'
    path.write_text(deep + '\n{"b":"y"}\n')
    ds = Dataset(path, "_json", "s")
    assert spl.run("search b=* | table b", [ds]) == [{"b": "y"}]
    assert spl.run("search k=* | table k", [ds]) == [{"k": "v"}]


def test_spath_and_json_functions_on_input_nested_too_deeply() -> None:
    deep_json = '{"a":' + "[" * 3000 + "]" * 3000 + "}"
    deep_xml = "<a>" * 3000 + "v" + "</a>" * 3000
    rows = spl.run(
        'search * | spath input=j | spath input=x | eval e=json_extract(j, "a") | table *',
        [{"j": deep_json, "x": deep_xml}],
    )
    assert rows == [{"j": deep_json, "x": deep_xml}]
