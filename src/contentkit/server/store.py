"""The event store of the embedded server: one SQLite database (WAL mode) in the data folder.

Tables: `events` (index, _time, host, source, sourcetype, _raw and indexed fields as JSON),
`indexes`, `acks` (HEC acknowledgements, written in the same transaction as their events, so an
acknowledged event is always on disk) and `apps` (apps installed through `apps/local`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_INDEXES = ("main", "summary", "history", "_internal", "_audit")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    idx TEXT NOT NULL,
    time REAL NOT NULL,
    host TEXT NOT NULL,
    source TEXT NOT NULL,
    sourcetype TEXT NOT NULL,
    raw TEXT NOT NULL,
    fields TEXT,
    indextime REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_idx_host ON events (idx, host);
CREATE TABLE IF NOT EXISTS indexes (name TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS acks (
    channel TEXT NOT NULL, ack_id INTEGER NOT NULL, events INTEGER NOT NULL,
    PRIMARY KEY (channel, ack_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS apps (name TEXT PRIMARY KEY, path TEXT NOT NULL, installed REAL NOT NULL);
"""

# (index, _time, host, source, sourcetype, _raw, indexed fields or None)
Row = tuple[str, float, str, str, str, str, dict[str, Any] | None]


class StoreError(Exception):
    """The data folder cannot be opened or written."""


@dataclass
class Filter:
    """Which stored events a search reads: None means any."""

    indexes: Sequence[str] | None = None
    equals: dict[str, str] = field(default_factory=dict)  # host/source/sourcetype -> value
    earliest: float | None = None
    latest: float | None = None

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        args: list[Any] = []
        if self.indexes is not None:
            parts.append(f"idx IN ({','.join('?' * len(self.indexes))})")
            args.extend(self.indexes)
        for column, value in self.equals.items():
            assert column in ("host", "source", "sourcetype")
            parts.append(f"{column} = ? COLLATE NOCASE")
            args.append(value)
        if self.earliest is not None:
            parts.append("time >= ?")
            args.append(self.earliest)
        if self.latest is not None:
            parts.append("time < ?")
            args.append(self.latest)
        return (" WHERE " + " AND ".join(parts)) if parts else "", args


@dataclass
class StoredEvent:
    id: int
    index: str
    time: float
    host: str
    source: str
    sourcetype: str
    raw: str
    fields: dict[str, Any] | None


class EventStore:
    """Thread-safe access to the database: one connection per thread, one writer at a time."""

    def __init__(self, data_dir: str | Path, *, create: bool = True) -> None:
        """Open (and with `create`, set up) the store; `create=False` is for the search worker
        processes, which read a store the server has set up already."""
        self.path = Path(data_dir) / "events.sqlite3"
        self._local = threading.local()
        self._write = threading.Lock()
        if not create:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            conn.executescript(_SCHEMA)
            with conn:
                for name in DEFAULT_INDEXES:
                    conn.execute(
                        "INSERT OR IGNORE INTO indexes (name, created) VALUES (?, ?)",
                        (name, time.time()),
                    )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the event store {self.path}: {exc}") from None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA page_size=16384")  # only takes effect on a new database
            conn.execute("PRAGMA journal_mode=WAL")
            # checkpoint less often: bulk ingest writes each page once, not twice
            conn.execute("PRAGMA wal_autocheckpoint=8192")
            # WAL + NORMAL: a committed transaction survives a crash of the process
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    # ---------------------------------------------------------------------------- indexes
    def indexes(self) -> list[tuple[str, int]]:
        """(name, event count) of every index."""
        conn = self._conn()
        counts = dict(conn.execute("SELECT idx, count(*) FROM events GROUP BY idx").fetchall())
        names = [r[0] for r in conn.execute("SELECT name FROM indexes ORDER BY name")]
        return [(n, counts.get(n, 0)) for n in names]

    def has_index(self, name: str) -> bool:
        row = self._conn().execute("SELECT 1 FROM indexes WHERE name = ?", (name,)).fetchone()
        return row is not None

    def create_index(self, name: str) -> bool:
        """Create an index; False if it exists."""
        with self._write:
            conn = self._conn()
            cur = conn.execute(
                "INSERT OR IGNORE INTO indexes (name, created) VALUES (?, ?)", (name, time.time())
            )
            return cur.rowcount == 1

    def delete_index(self, name: str) -> bool:
        with self._write:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute("DELETE FROM indexes WHERE name = ?", (name,))
                conn.execute("DELETE FROM events WHERE idx = ?", (name,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return cur.rowcount == 1

    # ---------------------------------------------------------------------------- events
    def add(self, rows: Sequence[Row], channel: str | None = None) -> int | None:
        """Store a batch of events in one transaction; with a channel, record and return the
        acknowledgement id of the batch (committed together with the events)."""
        now = time.time()
        data = [
            (idx, t, host, source, st, raw, json.dumps(fields) if fields else None, now)
            for idx, t, host, source, st, raw, fields in rows
        ]
        with self._write:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO events (idx, time, host, source, sourcetype, raw, fields, "
                    "indextime) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    data,
                )
                ack: int | None = None
                if channel is not None:
                    row = conn.execute(
                        "SELECT max(ack_id) FROM acks WHERE channel = ?", (channel,)
                    ).fetchone()
                    ack = 0 if row[0] is None else int(row[0]) + 1
                    conn.execute(
                        "INSERT INTO acks (channel, ack_id, events) VALUES (?, ?, ?)",
                        (channel, ack, len(data)),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return ack

    def acked(self, channel: str, ids: Iterable[int]) -> dict[str, bool]:
        conn = self._conn()
        out: dict[str, bool] = {}
        for ack in ids:
            row = conn.execute(
                "SELECT 1 FROM acks WHERE channel = ? AND ack_id = ?", (channel, ack)
            ).fetchone()
            out[str(ack)] = row is not None
        return out

    def count(self, flt: Filter) -> int:
        where, args = flt.where()
        row = self._conn().execute(f"SELECT count(*) FROM events{where}", args).fetchone()
        return int(row[0])

    def select(self, flt: Filter) -> Iterator[StoredEvent]:
        """Matching events, newest first (as Splunk returns them)."""
        where, args = flt.where()
        cur = self._conn().execute(
            "SELECT id, idx, time, host, source, sourcetype, raw, fields FROM events"
            f"{where} ORDER BY time DESC, id DESC",
            args,
        )
        for rid, idx, t, host, source, st, raw, fields in cur:
            yield StoredEvent(
                rid, idx, t, host, source, st, raw, json.loads(fields) if fields else None
            )

    def delete_events(self, ids: Sequence[int]) -> dict[str, int]:
        """Delete events by id; the number deleted per index."""
        deleted: dict[str, int] = {}
        with self._write:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(ids), 500):
                    chunk = list(ids[start : start + 500])
                    marks = ",".join("?" * len(chunk))
                    for idx, n in conn.execute(
                        f"SELECT idx, count(*) FROM events WHERE id IN ({marks}) GROUP BY idx",
                        chunk,
                    ).fetchall():
                        deleted[idx] = deleted.get(idx, 0) + int(n)
                    conn.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return deleted

    # ---------------------------------------------------------------------------- apps
    def install_app(self, name: str, path: str) -> None:
        with self._write:
            self._conn().execute(
                "INSERT OR REPLACE INTO apps (name, path, installed) VALUES (?, ?, ?)",
                (name, path, time.time()),
            )

    def apps(self) -> list[tuple[str, str]]:
        return [
            (r[0], r[1]) for r in self._conn().execute("SELECT name, path FROM apps ORDER BY name")
        ]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
