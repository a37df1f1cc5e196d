"""A data-model detection of security_content 5.13.0 over a real Sysmon event: the corpus's own
example log of "Sysmon EventID 1" (data_sources/sysmon_eventid_1.yml), with this pack's stand-in
Sysmon and CIM apps as the search-time knowledge.

Verified by hand: the event is cmd.exe (OriginalFileName Cmd.Exe) started by powershell.exe with
`/c "reg save HKLM\\sam ..."`, so "CMD Carry Out String Command Parameter" (`process_cmd` AND
Processes.process IN ("*/c*", "*/k*")) finds it, and every Endpoint.Processes field follows the
data source's own field_mappings (Image -> process_path, CommandLine -> process, Computer -> dest,
User -> user, ParentImage|endswith -> parent_process_name, ...)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contentkit import spl
from contentkit.content.validate import validate
from contentkit.searching import load_apps_for, load_search_context
from tests.conftest import CORPUS_5, REPO, need

pytestmark = pytest.mark.corpus


def test_cmd_carry_out_string_over_the_corpus_sysmon_example(tmp_path: Path) -> None:
    root = need(CORPUS_5)
    content = validate(root).content
    apps = [REPO / "apps/contentkit_SA_CIM", REPO / "apps/contentkit_TA_sysmon"]
    kb, failures = load_apps_for(REPO, None, apps)
    assert failures == []
    macros, lookups, knowledge = load_search_context(content, kb)
    source = yaml.safe_load((root / "data_sources/sysmon_eventid_1.yml").read_text())
    log = tmp_path / "sysmon.log"
    log.write_text(source["example_log"] + "\n", encoding="utf-8")
    det = next(d for d in content.detections if d.name == "CMD Carry Out String Command Parameter")
    dataset = spl.Dataset(log, sourcetype=source["sourcetype"], source=source["source"])
    rows = spl.run(
        spl.expand(det.search, macros), datasets=[dataset], knowledge=knowledge, lookups=lookups
    )
    assert len(rows) == 1
    row = rows[0]
    expected = {
        "action": "allowed",
        "dest": "win-dc-6764986.attackrange.local",
        "user": "ATTACKRANGE\\Administrator",
        "process_name": "cmd.exe",
        "process_path": "C:\\Windows\\System32\\cmd.exe",
        "original_file_name": "Cmd.Exe",
        "process_id": "2296",
        "process_guid": "{96128EA2-F212-5F7E-E400-000000007F01}",
        "process_integrity_level": "High",
        "parent_process_name": "powershell.exe",
        "parent_process_path": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "parent_process_id": "4624",
        "parent_process_guid": "{96128EA2-F211-5F7E-DF00-000000007F01}",
        "vendor_product": "Microsoft Sysmon",
        "user_id": "null",  # not in the event: fillnull_value=`fillnull_config` ("null") keeps the row
        "firstTime": "2020-10-08T11:03:46",
        "lastTime": "2020-10-08T11:03:46",
    }
    assert {k: row.get(k) for k in expected} == expected
    assert row["process"].startswith('"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\sam')
    assert " & reg save HKLM\\system " in row["process"]  # &amp; in the XML
    # the data source's own mapping of raw fields to Endpoint.Processes holds for every field
    mapping = source["field_mappings"][0]["mapping"]
    event = next(iter(spl.read_events(log, sourcetype="XmlWinEventLog")))
    for raw, cim in mapping.items():
        name = cim.split(".", 1)[1]
        if "|endswith" in raw:
            assert event[raw.split("|")[0]].lower().endswith(row[name].lower()), name
        elif name in row and raw in event:
            assert row[name] == event[raw], name
