"""The pieces of the replay client that need no server: splitting and batching datasets,
Splunk URLs, settings from the environment, restricting a detection to one test's events."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit.replay.raw import read_raw, split_events
from contentkit.replay.splunk import ReplayError, Settings, names_index, parse_url, restrict

from ..server.common import DATASET

XML = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<EventID>4688</EventID></System>\n<EventData><Data Name='A'>x</Data></EventData></Event>\n"
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<EventID>4624</EventID></System></Event>\n"
)


def test_line_datasets_are_cut_into_batches_at_line_ends() -> None:
    raw = read_raw(DATASET, "_json")
    assert raw.count == 62 and raw.events is None
    chunks = list(raw.chunks(4096))
    assert len(chunks) > 5
    assert all(body.endswith(b"\n") or body is chunks[-1][0] for body, _ in chunks)
    assert sum(n for _, n in chunks) == 62
    assert b"".join(body for body, _ in chunks) == DATASET.read_bytes()
    # what the server splits the batches into is what the client counted
    assert sum(len(split_events(body.decode(), "_json")) for body, _ in chunks) == 62


def test_xml_datasets_are_split_into_events(tmp_path: Path) -> None:
    path = tmp_path / "win.xml"
    path.write_text(XML + "\n\n")
    raw = read_raw(path, "XmlWinEventLog")
    assert raw.count == 2 and raw.events is not None
    assert "<Data Name='A'>x</Data>" in raw.events[0]
    [(body, n)] = list(raw.chunks())
    assert n == 2 and split_events(body.decode(), "XmlWinEventLog") == raw.events


def test_blank_lines_are_not_events(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\r\n\r\n  \ntwo\n")
    raw = read_raw(path, "text")
    assert raw.count == 2
    assert split_events(raw.data.decode(), "text") == ["one", "two"]


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("splunk://127.0.0.1:18089", ("http", "127.0.0.1", 18089)),
        ("splunks://splunk.example.com", ("https", "splunk.example.com", 8089)),
        ("https://10.0.0.5:8089", ("https", "10.0.0.5", 8089)),
        ("localhost:8089", ("https", "localhost", 8089)),
    ],
)
def test_parse_url(url: str, parsed: tuple[str, str, int]) -> None:
    assert parse_url(url) == parsed


@pytest.mark.parametrize("url", ["ftp://x:1", "splunk://:8089", "https://h:99999"])
def test_parse_url_rejects(url: str) -> None:
    with pytest.raises(ReplayError):
        parse_url(url)


def test_settings_take_flags_before_the_environment() -> None:
    env = {"SPLUNK_URL": "https://env:8089", "SPLUNK_USERNAME": "env", "SPLUNK_HEC_TOKEN": "t"}
    settings = Settings.from_env(env, username="flag", verify=False)
    assert (settings.url, settings.username, settings.hec_token) == (
        "https://env:8089",
        "flag",
        "t",
    )
    assert settings.verify is False and settings.password is None
    assert Settings.from_env({}).verify is True


def test_restrict_limits_the_first_search_to_one_host() -> None:
    assert (
        restrict('search source="k" verb=create | stats count', "ix", "ck-1")
        == 'search index=ix host="ck-1" source="k" verb=create | stats count'
    )
    assert restrict("a OR b | table x", "ix", "h") == 'search index=ix host="h" a OR b | table x'
    with pytest.raises(ReplayError, match="generating command"):
        restrict("| tstats count where index=x", "ix", "h")
    assert restrict("index=win EventCode=1", None, "h") == 'search host="h" index=win EventCode=1'


def test_names_index_looks_at_the_first_command_only() -> None:
    assert names_index("index=main sourcetype=x | stats count")
    assert names_index("(index=a OR index=b) x") and names_index("INDEX IN (a, b) x")
    assert not names_index("source=x | search index=a")
    assert not names_index("sourcetype=x myindex=3 | stats count")
    assert not names_index("| tstats count where index=x")
