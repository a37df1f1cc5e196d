from __future__ import annotations

from pathlib import Path

import pytest

from contentkit import spl
from contentkit.spl import LookupTable


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, LookupTable]:
    domains = tmp_path / "bad_domains.csv"
    domains.write_text("domain,category,score\n*.evil.com,malware,90\nphish.example,phishing,70\n")
    users = tmp_path / "users.csv"
    users.write_text("user,dept\nBob,IT\nalice,HR\nbob,Ops\n")
    return {
        "bad_domains": LookupTable("bad_domains", domains, match_type=("WILDCARD(domain)",)),
        "users_lookup": LookupTable("users_lookup", users),
        "nets": LookupTable("nets", _nets(tmp_path), match_type=("CIDR(cidr)",), max_matches=1),
    }


def _nets(tmp_path: Path) -> Path:
    path = tmp_path / "nets.csv"
    path.write_text("cidr,zone\n10.0.0.0/8,internal\n0.0.0.0/0,any\n")
    return path


def test_lookup_wildcard_output_and_as(tables: dict[str, LookupTable]) -> None:
    events = [{"_raw": "", "query": "a.evil.com"}, {"_raw": "", "query": "fine.org"}]
    rows = spl.run(
        "search * | lookup bad_domains domain AS query OUTPUT category AS cat score | table query cat score",
        events,
        lookups=tables,
    )
    assert rows == [{"query": "a.evil.com", "cat": "malware", "score": "90"}, {"query": "fine.org"}]


def test_lookup_case_insensitive_multiple_matches(tables: dict[str, LookupTable]) -> None:
    rows = spl.run(
        "search * | lookup users_lookup user", [{"_raw": "", "user": "BOB"}], lookups=tables
    )
    assert rows[0]["dept"] == ["IT", "Ops"]


def test_lookup_outputnew_keeps_existing(tables: dict[str, LookupTable]) -> None:
    events = [{"_raw": "", "user": "alice", "dept": "kept"}]
    rows = spl.run("search * | lookup users_lookup user OUTPUTNEW dept", events, lookups=tables)
    assert rows[0]["dept"] == "kept"


def test_lookup_cidr_and_max_matches(tables: dict[str, LookupTable]) -> None:
    rows = spl.run(
        "search * | lookup nets cidr AS ip OUTPUT zone",
        [{"_raw": "", "ip": "10.1.1.1"}],
        lookups=tables,
    )
    assert rows[0]["zone"] == "internal"


def test_inputlookup_by_name_and_file_with_where(tables: dict[str, LookupTable]) -> None:
    assert len(spl.run("| inputlookup users_lookup", [], lookups=tables)) == 3
    rows = spl.run("| inputlookup users.csv where dept=h*", [], lookups=tables)
    assert rows == [{"user": "alice", "dept": "HR"}]


def test_lookup_loads_lazily(tmp_path: Path) -> None:
    table = LookupTable("missing", tmp_path / "nope.csv")
    with pytest.raises(spl.SplError, match="cannot read lookup 'missing'"):
        spl.run("| inputlookup missing", [], lookups={"missing": table})


def test_lookup_output_without_match_clears_and_outputnew_keeps(
    tables: dict[str, LookupTable],
) -> None:
    events = [{"_raw": "", "user": "nobody", "dept": "old"}]
    cleared = spl.run(
        "search * | lookup users_lookup user OUTPUT dept", [dict(e) for e in events], lookups=tables
    )
    assert "dept" not in cleared[0]
    kept = spl.run(
        "search * | lookup users_lookup user OUTPUTNEW dept",
        [dict(e) for e in events],
        lookups=tables,
    )
    assert kept[0]["dept"] == "old"
