"""Search jobs of `contentkit serve` run in worker processes, never in the process that
handles requests: a slow search cannot stop ingestion, a job can be cancelled (its process is
killed) and every job has a time limit (`max_time`).

Workers are forked from a forkserver that has the engine imported already, so a job starts in
milliseconds; each opens the event store itself (SQLite in WAL mode: readers never block the
writer).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


class JobFailed(Exception):
    """The search failed, ran out of time or was cancelled; the message is Splunk-style."""


class JobCancelled(JobFailed):
    pass


@dataclass
class Outcome:
    rows: list[dict[str, Any]]  # rendered for the REST API
    fields: list[str]
    event_count: int
    messages: list[tuple[str, str]] = field(default_factory=list)


def time_limit_message(seconds: float) -> str:
    return f"Search auto-finalized after time limit ({seconds:g} seconds) reached."


def _work(
    conn: Connection,
    data_dir: str,
    search: str,
    earliest: str | None,
    latest: str | None,
    max_rows: int,
) -> None:
    """The body of a worker process: run one search, send the outcome back."""
    from contentkit.server.search import SearchFailed, render_rows, run_search
    from contentkit.server.store import EventStore

    try:
        store = EventStore(Path(data_dir), create=False)
        outcome = run_search(store, search, earliest=earliest, latest=latest, max_rows=max_rows)
        reply: tuple[Any, ...] = (
            "ok",
            render_rows(outcome.rows),
            outcome.fields,
            outcome.event_count,
            outcome.messages,
        )
    except SearchFailed as exc:
        reply = ("failed", str(exc))
    except MemoryError:
        reply = ("failed", "Search ran out of memory.")
    except Exception as exc:  # a bug or a storage error: the job fails with one line
        reply = ("failed", f"Internal error: {type(exc).__name__}: {exc}")
    try:
        conn.send(reply)
    except (BrokenPipeError, OSError):
        pass  # the server went away or cancelled the job
    finally:
        conn.close()


def _context() -> Any:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["contentkit.server.search", "contentkit.server.store"])
    return ctx


class SearchPool:
    """At most `workers` searches at a time, each in a process of its own."""

    def __init__(self, data_dir: Path, *, workers: int, max_rows: int) -> None:
        self.data_dir = str(data_dir)
        self.workers = max(1, workers)
        self.max_rows = max_rows
        self._ctx = _context()
        self._threads = ThreadPoolExecutor(self.workers + 2, thread_name_prefix="search-wait")
        self._gate = threading.BoundedSemaphore(self.workers)
        self._running: dict[str, Any] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Start the forkserver now rather than on the first search."""
        try:
            p = self._ctx.Process(target=int)
            p.start()
            p.join()
        except OSError:
            pass

    async def run(
        self,
        key: str,
        search: str,
        *,
        earliest: str | None,
        latest: str | None,
        max_time: float,
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        reply = await loop.run_in_executor(
            self._threads, self._run_blocking, key, search, earliest, latest, max_time
        )
        if reply[0] == "ok":
            return Outcome(reply[1], reply[2], reply[3], reply[4])
        if reply[0] == "cancelled":
            raise JobCancelled("Search job cancelled.")
        if reply[0] == "timeout":
            raise JobFailed(time_limit_message(max_time))
        raise JobFailed(reply[1])

    def _run_blocking(
        self,
        key: str,
        search: str,
        earliest: str | None,
        latest: str | None,
        max_time: float,
    ) -> tuple[Any, ...]:
        with self._gate:
            with self._lock:
                if key in self._cancelled:
                    self._cancelled.discard(key)
                    return ("cancelled",)
            parent, child = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(
                target=_work,
                args=(child, self.data_dir, search, earliest, latest, self.max_rows),
                name=f"search-{key}"[:60],
            )
            proc.start()
            child.close()
            with self._lock:
                self._running[key] = proc
            try:
                if parent.poll(max_time if max_time > 0 else None):
                    try:
                        return tuple(parent.recv())
                    except (EOFError, OSError):
                        with self._lock:
                            gone = key in self._cancelled
                        if gone:
                            return ("cancelled",)
                        return ("failed", f"Search process ended unexpectedly ({proc.exitcode})")
                return ("timeout",)
            finally:
                with self._lock:
                    self._running.pop(key, None)
                    self._cancelled.discard(key)
                if proc.is_alive():
                    proc.kill()
                proc.join(5)
                parent.close()

    def cancel(self, key: str) -> None:
        """Stop a running job (its process is killed) or one still waiting for a worker."""
        with self._lock:
            self._cancelled.add(key)
            proc = self._running.get(key)
        if proc is not None and proc.is_alive():
            proc.kill()

    def close(self) -> None:
        with self._lock:
            procs = list(self._running.values())
        for proc in procs:
            if proc.is_alive():
                proc.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)
