"""iplocation (with a MaxMind DB written by the test), outputlookup, extract, multikv, outlier.

Doc pages: Search Reference > "iplocation", "outputlookup", "extract", "multikv", "outlier".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contentkit import spl
from contentkit.spl.commands.geo import GEOIP_ENV


@pytest.fixture
def geoip_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(4, "GeoLite2-City", languages=["en"])
    writer.insert_network(
        IPSet(["81.2.69.0/24"]),
        {
            "city": {"names": {"en": "London"}},
            "country": {"names": {"en": "United Kingdom"}},
            "subdivisions": [{"names": {"en": "England"}}],
            "continent": {"names": {"en": "Europe"}},
            "location": {"latitude": 51.5142, "longitude": -0.0931, "time_zone": "Europe/London"},
        },
    )
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    monkeypatch.setenv(GEOIP_ENV, str(path))
    return path


def test_iplocation_reads_the_configured_database(geoip_db: Path) -> None:
    events = [{"_raw": "a", "src": "81.2.69.160"}, {"_raw": "b", "src": "10.0.0.1"}]
    rows = spl.run("search * | iplocation src", events)
    assert rows[0] == {
        "_raw": "a",
        "src": "81.2.69.160",
        "City": "London",
        "Country": "United Kingdom",
        "Region": "England",
        "lat": 51.5142,
        "lon": -0.0931,
    }
    assert rows[1]["City"] == "" and rows[1]["Country"] == ""  # private: empty, as in Splunk
    rows = spl.run("search * | iplocation prefix=geo_ allfields=t src", events[:1])
    assert rows[0]["geo_Continent"] == "Europe" and rows[0]["geo_Timezone"] == "Europe/London"


def test_iplocation_without_a_database_is_a_clear_unsupported_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(GEOIP_ENV, raising=False)
    with pytest.raises(spl.SplError, match="iplocation: unsupported: no GeoIP database"):
        spl.run("search * | iplocation src", [{"_raw": "a", "src": "1.1.1.1"}])


def test_outputlookup_writes_a_scratch_copy_never_the_repository_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENTKIT_SCRATCH_DIR", str(tmp_path / "scratch"))
    csv = tmp_path / "seen.csv"
    csv.write_text("user\nalice\n")
    tables = {"seen": spl.LookupTable("seen", csv)}
    rows = spl.run(
        '| inputlookup seen | append [| makeresults | eval user="bob" | table user] '
        "| outputlookup seen | stats count | append [| inputlookup seen]",
        lookups=tables,
    )
    assert rows == [{"count": 2}, {"user": "alice"}, {"user": "bob"}]
    assert csv.read_text() == "user\nalice\n"
    written = list((tmp_path / "scratch").rglob("seen.csv"))
    assert len(written) == 1 and written[0].read_text().split() == ["user", "alice", "bob"]


def test_outputlookup_append(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENTKIT_SCRATCH_DIR", str(tmp_path / "scratch"))
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\n")
    tables = {"t": spl.LookupTable("t", csv)}
    rows = spl.run(
        '| makeresults | eval a="2" | table a | outputlookup append=t t '
        "| stats count | append [| inputlookup t]",
        lookups=tables,
    )
    assert rows == [{"count": 1}, {"a": "1"}, {"a": "2"}]


def test_extract_with_delimiters() -> None:
    rows = spl.run(
        'search * | extract pairdelim=";" kvdelim=":"',
        [{"_raw": "user:bob;action:login;bad pair;src ip:1.2.3.4"}],
    )
    assert (rows[0]["user"], rows[0]["action"], rows[0]["src_ip"]) == ("bob", "login", "1.2.3.4")


def test_multikv_table_events() -> None:
    raw = "PID USER COMMAND\n1 root init\n42 www nginx -g daemon"
    rows = spl.run("search * | multikv | table PID USER COMMAND", [{"_raw": raw}])
    assert rows == [
        {"PID": "1", "USER": "root", "COMMAND": "init"},
        {"PID": "42", "USER": "www", "COMMAND": "nginx -g daemon"},
    ]


def test_outlier_remove_and_transform() -> None:
    events: list[dict[str, Any]] = [{"count": str(n)} for n in (10, 11, 12, 13, 14, 1000)]
    kept = spl.run("search * | outlier action=RM count", events)
    assert [r["count"] for r in kept] == ["10", "11", "12", "13", "14"]
    clamped = spl.run("search * | outlier count", [dict(e) for e in events])
    assert clamped[-1]["count"] == 13.75 + 2.5 * 2.5
