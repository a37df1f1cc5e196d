"""The event store and the search layer of the embedded server, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from contentkit.server.app import ServerConfig, Splunkd, json_time
from contentkit.server.search import SearchFailed, parse_time_bound, render_rows, run_search
from contentkit.server.store import EventStore, Filter

from .common import DATASET

NOW = datetime(2026, 11, 27, 18, 30, 15, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", None),
        ("", None),
        ("now", NOW),
        ("1793610000", 1793610000.0),
        ("-15m", NOW - 900),
        ("-1h@h", datetime(2026, 11, 27, 17, 0, tzinfo=UTC).timestamp()),
        ("@d", datetime(2026, 11, 27, tzinfo=UTC).timestamp()),
        ("-1mon@mon", datetime(2026, 10, 1, tzinfo=UTC).timestamp()),
        ("2026-11-02T09:00:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC).timestamp()),
    ],
)
def test_time_bounds(value: str | None, expected: float | None) -> None:
    assert parse_time_bound(value, NOW) == expected


def test_bad_time_bound() -> None:
    with pytest.raises(SearchFailed, match="Invalid time"):
        parse_time_bound("yesterday-ish", NOW)


def test_json_time_finds_the_engines_timestamp_without_parsing() -> None:
    line = DATASET.read_text().splitlines()[0]
    assert json_time(line) == datetime(2026, 11, 2, 9, 0, 2, 991000, tzinfo=UTC).timestamp()
    assert json_time('{"time": 1700000000.25, "x": 1}') == 1700000000.25
    assert json_time('{"time": 1, "inner": {"time": 2}}') is None  # ambiguous: parse it


def test_ingest_search_delete(tmp_path: Path) -> None:
    app = Splunkd(ServerConfig(tmp_path, password="not-the-default"))
    n, ack = app.ingest_raw(
        DATASET.read_text(),
        index="main",
        host="h",
        source="kubernetes",
        sourcetype="_json",
        channel="c1",
    )
    assert (n, ack) == (62, 0)
    assert app.store.acked("c1", [0, 1]) == {"0": True, "1": False}
    # `search <metadata> | stats count` is answered by SQL, the rest by the engine
    assert run_search(app.store, "search index=main source=kubernetes | stats count").rows == [
        {"count": 62}
    ]
    creates = run_search(app.store, "search verb=create objectRef.resource=daemonsets")
    assert creates.event_count == 62  # no index= means the default index, main
    assert {r["user.username"] for r in creates.rows} == {"mallory@example.com"}
    shown = render_rows(creates.rows)
    assert shown[0]["_time"].endswith("+00:00") and shown[0]["host"] == "h"
    assert run_search(app.store, "search index=other | stats count").rows == [{"count": 0}]
    deleted = run_search(app.store, "search index=main verb=create | delete")
    assert deleted.rows[0]["index"] == "main" and deleted.rows[0]["deleted"] >= 2
    left = EventStore(tmp_path).count(Filter(indexes=["main"]))
    assert left == 62 - deleted.rows[0]["deleted"]
    with pytest.raises(SearchFailed):
        run_search(app.store, "search index=main | stats count(")
