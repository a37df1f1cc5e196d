"""`contentkit serve`: a splunkd-compatible server backed by the embedded SPL engine.

Two listeners, each an ASGI application (Starlette requests and responses) under Uvicorn (see
:mod:`contentkit.server.listener` for the connection limits): the management port (REST API:
login, server info, indexes, `receivers/simple`, search jobs, export, `apps/local`) and the HTTP
Event Collector port (`/services/collector/raw`, `/event`, `/ack`, `/health`). Credentials are
checked before any request body is read. Events go to a SQLite store in the data folder; a HEC
batch is committed before it is acknowledged, and a body that ends early stores nothing.
Searches run in worker processes (:mod:`contentkit.server.jobs`).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import math
import re
import secrets
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.requests import Request
from starlette.responses import Response

from contentkit import __version__
from contentkit.replay.raw import split_events
from contentkit.server import formats
from contentkit.server.auth import FailureLimiter, Sessions
from contentkit.server.jobs import JobCancelled, JobFailed, Outcome, SearchPool
from contentkit.server.listener import (
    BodyError,
    ClientGone,
    ListenerLimits,
    bind_socket,
    make_server,
    read_body,
    run_servers,
)
from contentkit.server.store import EventStore, Row
from contentkit.spl.events import TIME_KEYS, detect_format, field_plan, make_event, parse_time

SPLUNK_VERSION = "9.3.0"
_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_NO_FIELDS = field_plan([])
FORM_LIMIT = 1 << 20  # bodies of REST calls other than receivers/simple
OFF_LOOP_BYTES = 256 << 10  # HEC bodies from this size are ingested in a thread
MAX_EVENT_TIME = 1e11  # later than year 5138: not a timestamp
log = logging.getLogger("contentkit.serve")


@dataclass
class ServerConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8089
    hec_port: int = 8088
    username: str = "admin"
    password: str = ""  # required: the CLI makes a random one when none is given
    hec_tokens: tuple[str, ...] = ()
    auth_tokens: tuple[str, ...] = ()  # accepted as `Authorization: Bearer <token>`
    tls_cert: Path | None = None
    tls_key: Path | None = None
    quiet: bool = True
    # limits (README "Limits and safety")
    max_body: int = 100 << 20
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keepalive_timeout: float = 30.0
    max_connections: int = 1000
    search_workers: int = 4
    search_max_time: float = 300.0
    max_result_rows: int = 5_000_000
    session_ttl: float = 3600.0
    auth_failures_per_minute: int = 20


class HttpError(Exception):
    def __init__(self, status: int, message: str, kind: str = "ERROR") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


class HecError(Exception):
    def __init__(self, status: int, text: str, code: int, **extra: Any) -> None:
        super().__init__(text)
        self.status = status
        self.body = {"text": text, "code": code, **extra}


@dataclass
class Job:
    sid: str
    search: str
    earliest: str | None
    latest: str | None
    max_time: float = 0.0
    created: float = field(default_factory=time.time)
    state: str = "QUEUED"  # QUEUED RUNNING DONE FAILED
    rows: list[dict[str, Any]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    event_count: int = 0
    scan_count: int = 0
    messages: list[tuple[str, str]] = field(default_factory=list)
    finished: float | None = None
    task: asyncio.Task[None] | None = None

    def content(self) -> dict[str, Any]:
        done = self.state in ("DONE", "FAILED")
        run = (self.finished or time.time()) - self.created
        return {
            "sid": self.sid,
            "dispatchState": self.state,
            "isDone": "1" if done else "0",
            "isFailed": "1" if self.state == "FAILED" else "0",
            "isFinalized": "0",
            "isPaused": "0",
            "isSaved": "0",
            "isZombie": "0",
            "isPreviewEnabled": "0",
            "isRealTimeSearch": "0",
            "doneProgress": "1.00000" if done else "0.00000",
            "resultCount": str(len(self.rows)),
            "eventCount": str(self.event_count),
            "scanCount": str(self.scan_count),
            "resultIsStreaming": "0",
            "runDuration": f"{run:.3f}",
            "earliestTime": self.earliest or "",
            "latestTime": self.latest or "",
            "eventSearch": self.search,
            "label": "",
            "ttl": "600",
            "request": {
                "search": self.search,
                "earliest_time": self.earliest or "",
                "latest_time": self.latest or "",
                "max_time": f"{self.max_time:g}",
            },
            "messages": {k.lower(): t for k, t in self.messages},
        }


class Splunkd:
    """State shared by every request: the store, sessions, search jobs and their workers."""

    def __init__(self, config: ServerConfig) -> None:
        if not config.password:
            raise ValueError("a password is required")
        self.config = config
        self.store = EventStore(config.data_dir)
        self.sessions = Sessions(config.session_ttl)
        self.failures = FailureLimiter(config.auth_failures_per_minute)
        self.jobs: dict[str, Job] = {}
        self.started = time.time()
        self.servers: list[Any] = []
        self.guid = str(uuid.uuid5(uuid.NAMESPACE_URL, str(config.data_dir.resolve())))
        self.pool = SearchPool(
            config.data_dir, workers=config.search_workers, max_rows=config.max_result_rows
        )
        # ingestion runs in threads: SQLite releases the GIL while it writes, so one batch is
        # parsed while another is committed, and the event loop keeps serving connections
        self._ingest = ThreadPoolExecutor(4, thread_name_prefix="ingest")

    async def off_loop(self, fn: Callable[..., Response], *args: Any) -> Response:
        """Run an ingestion step: a big body in a thread, a small one here (handing it to a
        thread would cost more than it saves)."""
        body = args[1]
        if len(body) < OFF_LOOP_BYTES:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._ingest, fn, *args)

    # ---------------------------------------------------------------------------- lifecycle
    def bind(self) -> tuple[int, int]:
        """Open both listeners; the ports they got (0 asks for a free one)."""
        c = self.config
        limits = ListenerLimits(c.header_timeout, c.keepalive_timeout, c.max_connections)
        cert = str(c.tls_cert) if c.tls_cert else None
        key = str(c.tls_key) if c.tls_key else None
        socks = []
        try:
            for port in (c.port, c.hec_port):
                socks.append(bind_socket(c.host, port))
            mgmt = make_server(
                _ManagementApp(self), socks[0], limits, _mgmt_error,
                tls_cert=cert, tls_key=key, access_log=not c.quiet,
            )  # fmt: skip
            hec = make_server(
                _HecApp(self), socks[1], limits, _hec_error,
                tls_cert=cert, tls_key=key, access_log=not c.quiet,
            )  # fmt: skip
        except BaseException:
            for sock in socks:
                sock.close()
            raise
        self.servers = [(mgmt, socks[0]), (hec, socks[1])]
        return socks[0].getsockname()[1], socks[1].getsockname()[1]

    def serve_forever(self) -> None:
        self.pool.warm_up()
        try:
            asyncio.run(run_servers(self.servers))
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        self.pool.close()
        self._ingest.shutdown(wait=True)  # batches being committed finish first
        for _, sock in self.servers:
            sock.close()
        self.servers = []

    @property
    def scheme(self) -> str:
        return "https" if self.config.tls_cert is not None else "http"

    # ---------------------------------------------------------------------------- auth
    def _password_ok(self, username: str, password: str) -> bool:
        ok_user = hmac.compare_digest(username.encode(), self.config.username.encode())
        ok_pass = hmac.compare_digest(password.encode(), self.config.password.encode())
        return ok_user and ok_pass

    def login(self, username: str, password: str) -> str | None:
        return self.sessions.new() if self._password_ok(username, password) else None

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        scheme = scheme.lower()
        if scheme == "splunk":
            return self.sessions.valid(value)
        if scheme == "bearer":
            return self.sessions.valid(value) or any(
                hmac.compare_digest(value.encode(), t.encode()) for t in self.config.auth_tokens
            )
        if scheme == "basic":
            try:
                user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return self._password_ok(user, password)
        return False

    def hec_authorized(self, header: str | None) -> None:
        if not header:
            raise HecError(401, "Token is required", 2)
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() not in ("splunk", "bearer") or not value.strip():
            raise HecError(401, "Invalid authorization", 3)
        if not any(
            hmac.compare_digest(value.strip().encode(), t.encode()) for t in self.config.hec_tokens
        ):
            raise HecError(403, "Invalid token", 4)

    # ---------------------------------------------------------------------------- jobs
    def max_time(self, params: dict[str, str]) -> float:
        """The time limit of a search: the request's `max_time` when given and positive,
        never more than the server's own limit."""
        limit = self.config.search_max_time
        try:
            wanted = float(params.get("max_time") or 0)
        except ValueError:
            raise HttpError(400, "max_time must be a number of seconds") from None
        if not math.isfinite(wanted) or wanted <= 0:
            return limit
        return min(wanted, limit) if limit > 0 else wanted

    def new_job(self, search: str, params: dict[str, str]) -> Job:
        job = Job(
            sid=params.get("id") or f"ck_{time.time():.3f}_{secrets.token_hex(4)}",
            search=search,
            earliest=params.get("earliest_time"),
            latest=params.get("latest_time"),
            max_time=self.max_time(params),
        )
        self.jobs[job.sid] = job
        if len(self.jobs) > 2000:  # forget the oldest finished jobs
            for sid in [s for s, j in self.jobs.items() if j.finished][:500]:
                del self.jobs[sid]
        return job

    async def run_job(self, job: Job) -> None:
        job.state = "RUNNING"
        try:
            outcome = await self.pool.run(
                job.sid, job.search, earliest=job.earliest, latest=job.latest, max_time=job.max_time
            )
        except JobCancelled:
            job.messages = [("INFO", "Search job cancelled.")]
            job.state = "FAILED"
        except JobFailed as exc:
            job.messages = [("FATAL", str(exc))]
            job.state = "FAILED"
        except Exception as exc:  # the pool itself failed: the job fails, the server lives
            job.messages = [("FATAL", f"Internal error: {type(exc).__name__}: {exc}")]
            job.state = "FAILED"
        else:
            job.rows = outcome.rows
            job.fields = outcome.fields
            job.event_count = outcome.event_count
            job.scan_count = outcome.event_count
            job.messages = outcome.messages
            job.state = "DONE"
        job.finished = time.time()

    def cancel_job(self, sid: str) -> None:
        self.pool.cancel(sid)
        self.jobs.pop(sid, None)

    async def search_now(self, search: str, params: dict[str, str]) -> Outcome:
        """Run a search to completion (oneshot, export); HttpError 400 when it fails."""
        key = f"now_{secrets.token_hex(6)}"
        try:
            return await self.pool.run(
                key,
                search,
                earliest=params.get("earliest_time"),
                latest=params.get("latest_time"),
                max_time=self.max_time(params),
            )
        except JobFailed as exc:
            raise HttpError(400, str(exc), "FATAL") from None

    # ---------------------------------------------------------------------------- ingest
    def ingest_raw(
        self,
        body: str,
        *,
        index: str,
        host: str,
        source: str,
        sourcetype: str,
        channel: str | None = None,
    ) -> tuple[int, int | None]:
        """Break a raw body into events, extract their timestamps and store them as one
        transaction; (events, acknowledgement id)."""
        raws = split_events(body, sourcetype)
        now = time.time()
        rows: list[Row] = []
        fmt: str | None = None
        for raw in raws:
            if fmt is None:
                fmt = detect_format(sourcetype, raw)
            try:
                t = json_time(raw) if fmt == "json" else None
                if t is None:
                    plan = _NO_FIELDS if fmt == "json" else None
                    t = make_event(raw, fmt, {}, now, plan)["_time"]
                t = float(t)
            except (ValueError, TypeError, OverflowError, RecursionError):
                t = now
            if not math.isfinite(t) or abs(t) > MAX_EVENT_TIME:
                t = now
            rows.append((index, t, host, source, sourcetype, raw, None))
        ack = self.store.add(rows, channel) if rows or channel else None
        return len(rows), ack


_TIME_KEYS = tuple((f'"{k}"', len(k) + 2) for k in TIME_KEYS)
_TIME_VALUE = re.compile(r'\s*:\s*(?:"([^"\\]{1,64})"|(-?\d{1,16}(?:\.\d+)?)[,}\s])')


def json_time(raw: str) -> float | None:
    """The timestamp of a JSON event without parsing it: the value of the first of the
    engine's time keys present, when that key occurs once (else None: parse the event)."""
    for key, n in _TIME_KEYS:
        pos = raw.find(key)
        if pos < 0:
            continue
        if raw.find(key, pos + n) >= 0:
            return None
        m = _TIME_VALUE.match(raw, pos + n)
        if m is None:
            return None
        return parse_time(m.group(1) if m.group(1) is not None else float(m.group(2)))
    return None


# ================================================================================ error shapes
def _hec_error(status: int, text: str) -> tuple[bytes, bytes]:
    code = {400: 6, 503: 9}.get(status, 6)
    return b"application/json; charset=UTF-8", json.dumps({"text": text, "code": code}).encode()


def _mgmt_error(status: int, text: str) -> tuple[bytes, bytes]:
    return b"text/xml; charset=utf-8", formats.messages_xml("ERROR", text).encode()


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _closing(response: Response) -> Response:
    """Close the connection after this response (its request body was not read through)."""
    response.headers["Connection"] = "close"
    return response


# ================================================================================ HEC
class _HecApp:
    """The HTTP Event Collector (ASGI)."""

    def __init__(self, app: Splunkd) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self._handle(request)
        except HecError as exc:
            response = _closing(_json(exc.status, exc.body))
        except BodyError as exc:
            response = _closing(_json(exc.status, {"text": str(exc), "code": 6}))
        except ClientGone:
            log.warning("HEC client %s disconnected before its request body was complete: "
                     "nothing stored", _client(request))  # fmt: skip
            return
        except Exception as exc:  # storage errors (disk full, …): the batch is not acknowledged
            log.error("HEC request failed: %s: %s", type(exc).__name__, exc)
            response = _closing(
                _json(500, {"text": f"Internal server error: {type(exc).__name__}", "code": 8})
            )
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        path = request.url.path.rstrip("/")
        query = dict(request.query_params)
        method = request.method
        if path in ("/services/collector/health", "/services/collector/health/1.0"):
            return _json(200, {"text": "HEC is healthy", "code": 17})
        if not path.startswith("/services/collector"):
            raise HecError(404, "The requested URL was not found on this server.", 404)
        client = _client(request)
        if self.app.failures.blocked(client):
            raise HecError(429, "Too many requests with a bad token; try again later", 4)
        try:
            self.app.hec_authorized(request.headers.get("authorization"))
        except HecError:
            self.app.failures.failed(client)
            raise
        if method != "POST":
            raise HecError(400, "Invalid data format", 6)
        channel = request.headers.get("x-splunk-request-channel") or query.get("channel")
        if channel is not None and not (0 < len(channel) <= 128):
            raise HecError(400, "Invalid data channel", 11)
        body = await read_body(
            request.receive,
            limit=self.app.config.max_body,
            timeout=self.app.config.body_timeout,
            declared=_declared_length(request),
        )
        if path in ("/services/collector/ack", "/services/collector/ack/1.0"):
            return self._ack(channel, body)
        if path in ("/services/collector/raw", "/services/collector/raw/1.0"):
            return await self.app.off_loop(self._raw, channel, body, query, client)
        if path in ("/services/collector", "/services/collector/event", "/services/collector/event/1.0"):  # fmt: skip
            return await self.app.off_loop(self._event, channel, body, query, client)
        raise HecError(404, "The requested URL was not found on this server.", 404)

    def _index(self, name: str | None) -> str:
        index = (name or "main").strip() or "main"
        if not self.app.store.has_index(index):
            raise HecError(400, "Incorrect index", 7, **{"invalid-event-number": 0})
        return index

    def _ack(self, channel: str | None, body: bytes) -> Response:
        if channel is None:
            raise HecError(400, "Data channel is missing", 10)
        try:
            ids = json.loads(body)["acks"]
            wanted = [int(i) for i in ids][:10_000]
        except (ValueError, KeyError, TypeError, RecursionError, OverflowError):
            raise HecError(400, "Invalid data format", 6) from None
        return _json(200, {"acks": self.app.store.acked(channel, wanted)})

    def _raw(
        self, channel: str | None, body: bytes, query: dict[str, str], client: str
    ) -> Response:
        if not body.strip():
            raise HecError(400, "No data", 5)
        text = body.decode("utf-8", "replace")
        index = self._index(query.get("index"))
        _, ack = self.app.ingest_raw(
            text,
            index=index,
            host=query.get("host") or client,
            source=query.get("source") or "http:contentkit",
            sourcetype=query.get("sourcetype") or "httpevent",
            channel=channel,
        )
        return _reply(ack)

    def _event(
        self, channel: str | None, body: bytes, query: dict[str, str], client: str
    ) -> Response:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HecError(400, "Invalid data format", 6) from None
        if not text.strip():
            raise HecError(400, "No data", 5)
        decoder = json.JSONDecoder()
        pos, n = 0, 0
        rows: list[Row] = []
        indexes: dict[str, str] = {}
        now = time.time()

        def bad(code: int = 6, message: str = "Invalid data format") -> HecError:
            return HecError(400, message, code, **{"invalid-event-number": n})

        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos >= len(text):
                break
            try:
                obj, pos = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError):
                raise bad() from None
            if not isinstance(obj, dict):
                raise bad()
            if "event" not in obj:
                raise bad(12, "Event field is required")
            event = obj["event"]
            if event is None or event == "":
                raise bad(13, "Event field cannot be blank")
            try:
                raw = (
                    event
                    if isinstance(event, str)
                    else json.dumps(event, ensure_ascii=False, separators=(",", ":"))
                )
            except (ValueError, RecursionError):
                raise bad() from None
            try:
                t = float(obj["time"]) if obj.get("time") not in (None, "") else now
            except (TypeError, ValueError, OverflowError):
                raise bad() from None
            if not math.isfinite(t) or abs(t) > MAX_EVENT_TIME:
                raise bad()
            wanted = str(obj.get("index") or query.get("index") or "main")
            fields = obj.get("fields")
            if fields is not None and not _indexed_fields_ok(fields):
                raise bad(15, "Error in handling indexed fields")
            rows.append(
                (
                    indexes.get(wanted) or indexes.setdefault(wanted, self._index(wanted)),
                    t,
                    str(obj.get("host") or query.get("host") or client),
                    str(obj.get("source") or query.get("source") or "http:contentkit"),
                    str(obj.get("sourcetype") or query.get("sourcetype") or "httpevent"),
                    raw,
                    fields,
                )
            )
            n += 1
        return _reply(self.app.store.add(rows, channel))


def _indexed_fields_ok(fields: Any) -> bool:
    """HEC's indexed fields: a mapping of names to a value or a flat list of values."""
    if not isinstance(fields, dict):
        return False
    scalar = (str, int, float, bool)
    return all(
        isinstance(v, scalar) or (isinstance(v, list) and all(isinstance(x, scalar) for x in v))
        for v in fields.values()
    )


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status, media_type="application/json; charset=UTF-8")


def _reply(ack: int | None) -> Response:
    reply: dict[str, Any] = {"text": "Success", "code": 0}
    if ack is not None:
        reply["ackId"] = ack
    return _json(200, reply)


# ================================================================================ REST API
class _ManagementApp:
    """The REST API of the management port (ASGI)."""

    def __init__(self, app: Splunkd) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        call = _Call(self.app, Request(scope, receive))
        response = await call.run()
        if response is not None:
            await response(scope, receive, send)


class _Call:
    """One request to the REST API."""

    def __init__(self, app: Splunkd, request: Request) -> None:
        self.app = app
        self.request = request
        self.command = request.method
        self.client_address = (request.client.host if request.client else "?", 0)
        self.params: dict[str, str] = dict(request.query_params)
        self.json_mode = self.params.get("output_mode", "").lower() == "json"
        self.raw_body = b""
        self.body_read = False
        self.response: Response | None = None

    async def run(self) -> Response | None:
        try:
            await self._handle()
        except HttpError as exc:
            self._error(exc.status, str(exc), exc.kind)
        except BodyError as exc:
            self._error(exc.status, str(exc))
        except ClientGone:
            log.warning("client %s disconnected before its request body was complete: nothing "
                     "done", self.client_address[0])  # fmt: skip
            return None
        except Exception as exc:  # a bug or a storage error: one message, the server lives
            log.error("REST call failed: %s: %s", type(exc).__name__, exc)
            self._error(500, f"Internal error: {type(exc).__name__}: {exc}")
        response = self.response or Response(b"", 204)
        if not self.body_read:
            _closing(response)
        return response

    async def _read_body(self, limit: int) -> None:
        if (
            self.command in ("GET", "HEAD", "DELETE")
            and not self.request.headers.get("content-length")
            and "chunked" not in self.request.headers.get("transfer-encoding", "").lower()
        ):
            self.body_read = True
            return
        self.raw_body = await read_body(
            self.request.receive,
            limit=limit,
            timeout=self.app.config.body_timeout,
            declared=_declared_length(self.request),
        )
        self.body_read = True

    async def _handle(self) -> None:
        route = _route(self.request.url.path)
        if route is None:
            raise HttpError(404, "Not Found")
        client = self.client_address[0]
        if route == "auth/login":
            if self.app.failures.blocked(client):
                raise HttpError(429, "Too many failed login attempts; try again later", "WARN")
            await self._read_body(FORM_LIMIT)
            self._form()
            self._login()
            return
        if not self.app.authorized(self.request.headers.get("authorization")):
            if self.app.failures.blocked(client):
                raise HttpError(429, "Too many failed attempts; try again later", "WARN")
            self.app.failures.failed(client)
            raise HttpError(401, "call not properly authenticated", "WARN")
        await self._read_body(
            self.app.config.max_body if route == "receivers/simple" else FORM_LIMIT
        )
        if route != "receivers/simple":
            self._form()
        await self._dispatch(route)

    def _form(self) -> None:
        if not self.raw_body or "json" in self.request.headers.get("content-type", ""):
            return
        form = parse_qs(self.raw_body.decode("utf-8", "replace"), keep_blank_values=True)
        self.params.update({k: v[-1] for k, v in form.items()})
        self.json_mode = self.params.get("output_mode", "").lower() == "json"

    def _send(self, status: int, body: str | bytes, content_type: str) -> None:
        self.response = Response(body, status, media_type=content_type)
        self.response.headers["X-Content-Type-Options"] = "nosniff"

    def _error(self, status: int, text: str, kind: str = "ERROR") -> None:
        if self.json_mode:
            self._send(status, formats.messages_json(kind, text), "application/json")
        else:
            self._send(status, formats.messages_xml(kind, text), "text/xml; charset=utf-8")

    def _entries(
        self, status: int, path: str, entries: list[tuple[str, str, dict[str, Any]]]
    ) -> None:
        if self.json_mode:
            self._send(status, formats.feed_json(path, entries), "application/json")
        else:
            title = path.rstrip("/").rsplit("/", 1)[-1]
            self._send(status, formats.feed_xml(title, path, entries), "text/xml; charset=utf-8")

    async def _dispatch(self, route: str) -> None:
        method = self.command
        parts = route.split("/")
        if route == "server/info" and method == "GET":
            self._server_info()
        elif route == "data/indexes":
            self._indexes()
        elif route.startswith("data/indexes/") and len(parts) == 3:
            self._index(unquote(parts[2]))
        elif route == "receivers/simple" and method == "POST":
            self._receive()
        elif parts[0] == "search" and len(parts) >= 2 and parts[1] in ("jobs", "v2"):
            rest = parts[3:] if parts[1] == "v2" else parts[2:]
            if parts[1] == "v2" and (len(parts) < 3 or parts[2] != "jobs"):
                raise HttpError(404, "Not Found")
            await self._jobs(rest)
        elif route == "apps/local":
            self._apps()
        elif route.startswith("apps/local/") and len(parts) == 3:
            self._app(unquote(parts[2]))
        elif route.startswith("authentication/httpauth-tokens/") and method == "DELETE":
            self._revoke(unquote(parts[-1]))
        elif route == "authentication/current-context" and method == "GET":
            self._entries(
                200,
                "/services/authentication/current-context",
                [
                    (
                        "context",
                        "/services/authentication/current-context/context",
                        {"username": self.app.config.username, "roles": ["admin", "can_delete"]},
                    )
                ],
            )
        else:
            raise HttpError(404, f"Not Found: {route}")

    def _revoke(self, key: str) -> None:
        if not self.app.sessions.revoke(key):
            raise HttpError(404, f"In handler 'httpauth-tokens': Could not find object id={key}")
        self._send(200, formats.messages_xml("INFO", "Session revoked."), "text/xml; charset=utf-8")

    # ---------------------------------------------------------------------------- endpoints
    def _login(self) -> None:
        if self.command != "POST":
            raise HttpError(405, "Method not allowed")
        key = self.app.login(self.params.get("username", ""), self.params.get("password", ""))
        if key is None:
            self.app.failures.failed(self.client_address[0])
            raise HttpError(401, "Login failed", "WARN")
        if self.json_mode:
            self._send(200, json.dumps({"sessionKey": key}), "application/json")
        else:
            self._send(
                200,
                f"{formats.XML_HEAD}<response>\n  <sessionKey>{key}</sessionKey>\n</response>\n",
                "text/xml; charset=utf-8",
            )

    def _server_info(self) -> None:
        info = {
            "version": SPLUNK_VERSION,
            "build": "contentkit",
            "serverName": "contentkit",
            "host": "contentkit",
            "product_type": "enterprise",
            "server_roles": ["indexer", "search_head"],
            "guid": self.app.guid,
            "os_name": "Linux",
            "startup_time": str(int(self.app.started)),
            "contentkit_version": __version__,
        }
        self._entries(
            200,
            "/services/server/info",
            [("server-info", "/services/server/info/server-info", info)],
        )

    def _index_entry(self, name: str, count: int) -> tuple[str, str, dict[str, Any]]:
        return (
            name,
            f"/servicesNS/nobody/search/data/indexes/{name}",
            {
                "totalEventCount": str(count),
                "currentDBSizeMB": "1",
                "maxTotalDataSizeMB": "500000",
                "disabled": "0",
                "datatype": "event",
                "frozenTimePeriodInSecs": "188697600",
                "homePath": f"$SPLUNK_DB/{name}/db",
                "isInternal": "1" if name.startswith("_") else "0",
            },
        )

    def _indexes(self) -> None:
        if self.command == "GET":
            entries = [self._index_entry(n, c) for n, c in self.app.store.indexes()]
            self._entries(200, "/services/data/indexes", entries)
            return
        if self.command != "POST":
            raise HttpError(405, "Method not allowed")
        name = self.params.get("name", "")
        if not name:
            raise HttpError(400, "In handler 'indexes': Argument \"name\" is required")
        if not _INDEX_NAME.match(name):
            raise HttpError(
                400,
                f"In handler 'indexes': Index name={name} is invalid: it may contain only "
                "lowercase letters, numbers, underscores and hyphens, and cannot begin with an "
                "underscore or a hyphen",
            )
        if not self.app.store.create_index(name):
            raise HttpError(
                409,
                f"In handler 'indexes': Object id={name} cannot be created in config=indexes, "
                "because it already exists",
            )
        self._entries(201, "/services/data/indexes", [self._index_entry(name, 0)])

    def _index(self, name: str) -> None:
        counts = dict(self.app.store.indexes())
        if name not in counts:
            raise HttpError(404, f"In handler 'indexes': Could not find object id={name}")
        if self.command == "DELETE":
            self.app.store.delete_index(name)
            self._entries(200, "/services/data/indexes", [])
            return
        self._entries(200, "/services/data/indexes", [self._index_entry(name, counts[name])])

    def _receive(self) -> None:
        index = self.params.get("index") or "main"
        if not self.app.store.has_index(index):
            raise HttpError(400, f"Index '{index}' does not exist")
        if not self.raw_body.strip():
            raise HttpError(400, "No data in the request body")
        sourcetype = self.params.get("sourcetype") or "httpevent"
        source = self.params.get("source") or "receivers/simple"
        host = self.params.get("host") or self.client_address[0]
        n, _ = self.app.ingest_raw(
            self.raw_body.decode("utf-8", "replace"),
            index=index,
            host=host,
            source=source,
            sourcetype=sourcetype,
        )
        fields = {
            "_index": index,
            "bytes": str(len(self.raw_body)),
            "events": str(n),
            "host": host,
            "source": source,
            "sourcetype": sourcetype,
        }
        if self.json_mode:
            self._send(200, json.dumps(fields), "application/json")
            return
        inner = "".join(
            f"<field k='{k}'><value><text>{formats.escape(v)}</text></value></field>"
            for k, v in fields.items()
        )
        self._send(
            200,
            f"{formats.XML_HEAD}<response><results><result>{inner}</result></results></response>",
            "text/xml; charset=utf-8",
        )

    # ---------------------------------------------------------------------------- search
    async def _jobs(self, rest: list[str]) -> None:
        if not rest or rest == [""]:
            if self.command == "POST":
                await self._create_job()
            elif self.command == "GET":
                jobs = list(self.app.jobs.values())
                entries = [(j.search, f"/services/search/jobs/{j.sid}", j.content()) for j in jobs]
                self._entries(200, "/services/search/jobs", entries)
            else:
                raise HttpError(405, "Method not allowed")
            return
        if rest[0] == "export":
            await self._export()
            return
        sid = unquote(rest[0])
        job = self.app.jobs.get(sid)
        if job is None:
            raise HttpError(404, f"Unknown sid: {sid}")
        tail = rest[1] if len(rest) > 1 else ""
        if tail == "" and self.command == "DELETE":
            self.app.cancel_job(sid)
            self._send(
                200,
                formats.messages_xml("INFO", "Search job cancelled."),
                "text/xml; charset=utf-8",
            )
        elif tail == "":
            self._job_status(job)
        elif tail in ("results", "results_preview"):
            if job.state not in ("DONE", "FAILED") and tail == "results":
                self._send(204, b"", "text/xml; charset=utf-8")
                return
            self._results(job.rows, job.fields, job.messages)
        elif tail == "events":
            self._results(job.rows, job.fields, job.messages)
        elif tail == "control":
            action = self.params.get("action", "")
            if action not in (
                "cancel",
                "finalize",
                "pause",
                "unpause",
                "touch",
                "setttl",
                "setpriority",
                "enablepreview",
                "disablepreview",
                "save",
                "unsave",
            ):
                raise HttpError(400, f"Unknown action: {action}")
            if action == "cancel":
                self.app.cancel_job(sid)
            self._send(
                200,
                formats.messages_xml("INFO", f"Search job {action}ed."),
                "text/xml; charset=utf-8",
            )
        elif tail == "search.log":
            self._send(200, f"search: {job.search}\nstate: {job.state}\n", "text/plain")
        else:
            raise HttpError(404, f"Not Found: {tail}")

    def _job_status(self, job: Job) -> None:
        path = f"/services/search/jobs/{job.sid}"
        if self.json_mode:
            self._send(
                200,
                formats.feed_json(path, [(job.search, path, job.content())]),
                "application/json",
            )
            return
        body = formats.XML_HEAD + formats.entry_xml(job.search, path, job.content(), root=True)
        self._send(200, body, "text/xml; charset=utf-8")

    def _search_text(self) -> str:
        search = self.params.get("search")
        if search is None:
            raise HttpError(400, "Missing search parameter")
        search = search.strip()
        if not search:
            raise HttpError(400, "Empty search.")
        if not search.startswith("|") and not search.lower().startswith("search "):
            search = "search " + search
        return search

    async def _create_job(self) -> None:
        search = self._search_text()
        mode = self.params.get("exec_mode", "normal").lower()
        if mode not in ("normal", "blocking", "oneshot"):
            raise HttpError(400, f"Invalid exec_mode: {mode}")
        if mode == "oneshot":
            outcome = await self.app.search_now(search, self.params)
            self._results(outcome.rows, outcome.fields, outcome.messages)
            return
        job = self.app.new_job(search, self.params)
        if mode == "blocking":
            await self.app.run_job(job)
            if job.state == "FAILED":
                self.app.jobs.pop(job.sid, None)
                raise HttpError(
                    400, job.messages[0][1] if job.messages else "Search failed", "FATAL"
                )
        else:
            job.task = asyncio.get_running_loop().create_task(self.app.run_job(job))
        if self.json_mode:
            self._send(201, json.dumps({"sid": job.sid}), "application/json")
        else:
            self._send(
                201,
                f"{formats.XML_HEAD}<response>\n  <sid>{formats.escape(job.sid)}</sid>\n</response>\n",
                "text/xml; charset=utf-8",
            )

    def _page(self, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        try:
            count = int(self.params.get("count", "100"))
            offset = int(self.params.get("offset", "0"))
        except ValueError:
            raise HttpError(400, "count and offset must be integers") from None
        if offset < 0:
            offset = max(0, len(rows) + offset)
        end = len(rows) if count <= 0 else offset + count
        return rows[offset:end], offset

    def _results(
        self,
        rows: list[dict[str, Any]],
        fields: list[str],
        messages: list[tuple[str, str]],
    ) -> None:
        page, offset = self._page(rows)
        mode = self.params.get("output_mode", "xml").lower()
        if mode == "json":
            body = formats.results_json(page, fields, offset=offset, messages=messages)
            self._send(200, body, "application/json; charset=utf-8")
        elif mode == "csv":
            self._send(200, formats.results_csv(page, fields), "text/csv; charset=utf-8")
        elif mode in ("xml", "raw", ""):
            body = formats.results_xml(page, fields, offset=offset, messages=messages)
            self._send(200, body, "text/xml; charset=utf-8")
        else:
            raise HttpError(400, f"Unsupported output_mode: {mode}")

    async def _export(self) -> None:
        search = self._search_text()
        outcome = await self.app.search_now(search, self.params)
        rows = outcome.rows
        mode = self.params.get("output_mode", "xml").lower()
        if mode == "json":
            lines = [
                json.dumps(
                    {
                        "preview": False,
                        "offset": i,
                        **({"lastrow": True} if i == len(rows) - 1 else {}),
                        "result": row,
                    }
                )
                for i, row in enumerate(rows)
            ]
            if not rows:
                lines = [json.dumps({"preview": False, "messages": []})]
            self._send(200, "\n".join(lines) + "\n", "application/json; charset=utf-8")
        elif mode == "csv":
            self._send(200, formats.results_csv(rows, outcome.fields), "text/csv; charset=utf-8")
        else:
            body = formats.results_xml(rows, outcome.fields, messages=outcome.messages)
            self._send(200, body, "text/xml; charset=utf-8")

    # ---------------------------------------------------------------------------- apps
    def _apps(self) -> None:
        if self.command == "GET":
            entries = [
                (
                    n,
                    f"/servicesNS/nobody/system/apps/local/{n}",
                    {"label": n, "path": p, "disabled": "0", "visible": "1"},
                )
                for n, p in self.app.store.apps()
            ]
            self._entries(200, "/services/apps/local", entries)
            return
        name = self.params.get("name", "")
        if not name:
            raise HttpError(400, "In handler 'localapps': Argument \"name\" is required")
        filename = self.params.get("filename", "").lower() in ("1", "true", "t", "yes")
        if filename and not Path(name).is_file():
            raise HttpError(
                400,
                f"Error during app install: failed to extract app from {name} to "
                f"{self.app.config.data_dir}: No such file or directory",
            )
        app_name = _app_name(name) if filename else name
        self.app.store.install_app(app_name, name)
        self._entries(
            201,
            "/services/apps/local",
            [
                (
                    app_name,
                    f"/servicesNS/nobody/system/apps/local/{app_name}",
                    {"label": app_name, "path": name, "disabled": "0", "visible": "1"},
                )
            ],
        )

    def _app(self, name: str) -> None:
        apps = dict(self.app.store.apps())
        if name not in apps:
            raise HttpError(404, f"In handler 'localapps': Could not find object id={name}")
        self._entries(
            200,
            "/services/apps/local",
            [
                (
                    name,
                    f"/servicesNS/nobody/system/apps/local/{name}",
                    {"label": name, "path": apps[name], "disabled": "0", "visible": "1"},
                )
            ],
        )


def _app_name(path: str) -> str:
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".tar.gz", ".tgz", ".spl", ".tar"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    # build/<appid>-<version>.tar.gz: drop the version
    return re.sub(r"-\d+(?:\.\d+)*$", "", base) or base


def _route(path: str) -> str | None:
    """`/services/X` and `/servicesNS/<owner>/<app>/X` -> X."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "services":
        rest = parts[1:]
    elif parts[0] == "servicesNS" and len(parts) >= 3:
        rest = parts[3:]
    else:
        return None
    return "/".join(rest)


def serve(config: ServerConfig, on_ready: Callable[[int, int], None] | None = None) -> None:
    """Run the server until interrupted; `on_ready(port, hec_port)` once both listen."""
    app = Splunkd(config)
    port, hec_port = app.bind()
    if on_ready is not None:
        on_ready(port, hec_port)
    app.serve_forever()
