"""`contentkit serve` under hostile and careless clients: unauthenticated uploads, oversized and
truncated bodies, malformed requests, idle connections, runaway searches, guessed passwords."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from contentkit.server.process import ServerProcess, start_server

LIMITS = (
    "--max-body-mb", "1", "--max-time", "3", "--header-timeout", "2", "--body-timeout", "5",
    "--auth-failures", "0",
)  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("robust"), extra_args=LIMITS)
    try:
        yield proc
    finally:
        proc.stop()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _raw(port: int, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Send raw bytes (the server may answer and close before all are sent), return everything
    the server answers until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def _status_and_body(reply: bytes) -> tuple[int, bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _hec(server: ServerProcess, path: str, body: bytes, **headers: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", server.hec_port, timeout=30)
    hdrs = {"Authorization": f"Splunk {server.hec_token}", **headers}
    conn.request("POST", path, body, hdrs)
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, json.loads(data)


def _rest(
    server: ServerProcess, method: str, path: str, params: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    auth = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    body = urlencode(params) if params else None
    headers = {"Authorization": f"Basic {auth}"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body, headers)
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, data


def _count(server: ServerProcess, source: str) -> int:
    status, data = _rest(
        server,
        "POST",
        "/services/search/jobs/export?output_mode=json",
        {"search": f"search index=main source={source} | stats count"},
    )
    assert status == 200, data
    return int(json.loads(data.splitlines()[0])["result"]["count"])


# ----------------------------------------------------------------------------- bodies
def test_unauthenticated_gigabyte_chunked_upload_is_refused_early(server: ServerProcess) -> None:
    before = _rss_mb(server.process.pid)
    sent = 0
    chunk = b"x" * (1 << 20)
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", server.hec_port), timeout=10) as s:
        s.sendall(
            b"POST /services/collector/raw HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < (1 << 30):
                s.sendall(frame)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        reply = b""
        try:
            while part := s.recv(65536):
                reply += part
        except (ConnectionResetError, TimeoutError):
            pass
    assert sent < (64 << 20), f"the server read {sent >> 20} MB of an unauthenticated body"
    if reply:  # the 401 may be lost when the server closes first
        status, body = _status_and_body(reply)
        assert status == 401
        assert json.loads(body) == {"text": "Token is required", "code": 2}
    assert _rss_mb(server.process.pid) < max(200.0, before + 20)


def test_body_limit_for_content_length_and_chunked(server: ServerProcess) -> None:
    big = b'{"a": 1}\n' * 200_000  # 1.8 MB > 1 MB
    auth = f"Authorization: Splunk {server.hec_token}\r\n".encode()
    reply = _raw(
        server.hec_port,
        b"POST /services/collector/raw?source=toolarge HTTP/1.1\r\nHost: x\r\n" + auth
        + b"Content-Length: %d\r\n\r\n" % len(big) + big,
    )  # fmt: skip
    status, payload = _status_and_body(reply)
    body = json.loads(payload)
    assert status == 413 and body["code"] == 6 and "too large" in body["text"]
    frames = b"".join(b"%x\r\n" % (1 << 16) + b"y" * (1 << 16) + b"\r\n" for _ in range(40))
    reply = _raw(
        server.hec_port,
        b"POST /services/collector/raw?source=toolarge HTTP/1.1\r\nHost: x\r\n" + auth
        + b"Transfer-Encoding: chunked\r\n\r\n" + frames + b"0\r\n\r\n",
    )  # fmt: skip
    status, payload = _status_and_body(reply)
    assert status == 413 and b"too large" in payload
    assert _count(server, "toolarge") == 0


def test_truncated_body_stores_nothing(server: ServerProcess) -> None:
    lines = b"".join(b'{"n": %d, "msg": "truncated"}\n' % i for i in range(2000))
    auth = f"Authorization: Splunk {server.hec_token}\r\n".encode()
    head = (
        b"POST /services/collector/raw?source=truncated&sourcetype=_json HTTP/1.1\r\nHost: x\r\n"
        + auth + b"X-Splunk-Request-Channel: trunc\r\n"
    )  # fmt: skip
    with socket.create_connection(("127.0.0.1", server.hec_port), timeout=10) as s:
        s.sendall(head + b"Content-Length: %d\r\n\r\n" % len(lines) + lines[: len(lines) // 2])
        s.shutdown(socket.SHUT_WR)
        assert s.recv(65536) == b""  # no reply, certainly no acknowledgement
    with socket.create_connection(("127.0.0.1", server.hec_port), timeout=10) as s:
        s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(lines) + lines[:5000])
        s.shutdown(socket.SHUT_WR)
        assert s.recv(65536) == b""
    time.sleep(0.5)
    assert _count(server, "truncated") == 0
    log = (server.data_dir.parent / f"{server.data_dir.name}.serve.log").read_text()
    assert "disconnected before its request body was complete: nothing stored" in log
    assert "Traceback" not in log


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /services/collector/raw HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /services/collector/raw HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST /services/collector/raw HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ],
    ids=["content-length-text", "content-length-negative", "bad-chunk-size", "not-http"],
)
def test_malformed_requests_get_a_400_in_splunks_shape(
    server: ServerProcess, request_bytes: bytes
) -> None:
    auth = f"Authorization: Splunk {server.hec_token}\r\n".encode()
    data = request_bytes.replace(b"Host: x\r\n", b"Host: x\r\n" + auth)
    status, body = _status_and_body(_raw(server.hec_port, data))
    assert status == 400
    assert json.loads(body)["code"] == 6


def test_malformed_request_on_the_management_port_is_xml(server: ServerProcess) -> None:
    reply = _raw(server.port, b"POST /services/auth/login HTTP/1.1\r\nContent-Length: x\r\n\r\n")
    status, body = _status_and_body(reply)
    assert status == 400
    assert b"<response><messages><msg type=" in body


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 6),
        (b'{"event": "x", "time": NaN}', 6),
        (b'{"event": "x", "time": 1e400}', 6),
        (b'{"event": "x", "time": "99999999999999999999"}', 6),
        (b'{"event": "x", "time": "soon"}', 6),
        (b'{"event": "x", "fields": [1]}', 15),
        (b'{"event": "x", "fields": {"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}", 6),
        (b'{"event": "x", "fields": {"a": {"b": 1}}}', 15),
        (b'{"event": null}', 13),
        (b'{"time": 1}', 12),
        (b"\xff\xfe", 6),
    ],
    ids=[
        "deep",
        "nan",
        "overflow",
        "far-future",
        "text",
        "fields",
        "deep-fields",
        "nested-fields",
        "blank",
        "no-event",
        "bytes",
    ],
)
def test_bad_event_bodies_are_400(server: ServerProcess, body: bytes, code: int) -> None:
    status, reply = _hec(server, "/services/collector/event?source=badevent", body)
    assert status == 400, reply
    assert reply["code"] == code
    assert _count(server, "badevent") == 0


def test_slow_headers_are_dropped(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.hec_port), timeout=10) as s:
        s.sendall(b"POST /services/collector/raw HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        reply = b""
        while part := s.recv(65536):
            reply += part
        waited = time.monotonic() - started
    assert 1.0 < waited < 6.0
    assert reply.startswith(b"HTTP/1.1 408")


def test_thousand_idle_connections_do_not_delay_hec(server: ServerProcess) -> None:
    idle = []
    try:
        for _ in range(1000):
            idle.append(socket.create_connection(("127.0.0.1", server.hec_port), timeout=10))
    finally:
        for s in idle:
            s.close()
    started = time.monotonic()
    status, reply = _hec(server, "/services/collector/raw?source=afteridle", b"after idle")
    assert status == 200, reply
    assert time.monotonic() - started < 1.0


# ----------------------------------------------------------------------------- searches
BACKTRACKING = '| makeresults | eval s="' + "a" * 3000 + '!b" | regex s="(?<!x)a*a*a*a*a*!$"'


@pytest.mark.parametrize(
    "search",
    ['| makeresults count=100000000 | eval x=len("abc")', BACKTRACKING],
    ids=["many-rows", "backtracking-regex"],
)
def test_runaway_search_stops_at_its_time_limit_while_hec_carries_on(
    server: ServerProcess, search: str
) -> None:
    result: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        result["reply"] = _rest(
            server,
            "POST",
            "/services/search/jobs",
            {"search": search, "exec_mode": "blocking"},
        )
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    latencies = []
    while thread.is_alive():
        started = time.monotonic()
        status, reply = _hec(server, "/services/collector/raw?source=during", b"ingest\n" * 100)
        assert status == 200, reply
        latencies.append(time.monotonic() - started)
        time.sleep(0.05)
    thread.join()
    status, body = result["reply"]  # type: ignore[misc]
    assert status == 400
    assert b"time limit (3 seconds)" in body
    assert 2.5 < float(result["seconds"]) < 10  # type: ignore[arg-type]
    assert len(latencies) > 5 and max(latencies) < 1.0
    assert _count(server, "during") >= 100 * len(latencies)


def test_catastrophic_regex_finishes_fast(server: ServerProcess) -> None:
    started = time.monotonic()
    status, body = _rest(
        server,
        "POST",
        "/services/search/jobs/export?output_mode=json",
        {"search": '| makeresults | eval s="' + "a" * 5000 + '!" | regex s="^(a|aa)*$"'},
    )
    assert status == 200, body
    assert time.monotonic() - started < 5


def test_cancel_a_running_job(server: ServerProcess) -> None:
    status, body = _rest(
        server,
        "POST",
        "/services/search/jobs?output_mode=json",
        {"search": "| makeresults count=100000000 | eval y=1", "max_time": "60"},
    )
    assert status == 201, body
    sid = json.loads(body)["sid"]
    time.sleep(0.5)
    status, body = _rest(server, "DELETE", f"/services/search/jobs/{sid}")
    assert status == 200
    status, _ = _rest(server, "GET", f"/services/search/jobs/{sid}")
    assert status == 404


# ----------------------------------------------------------------------------- auth
def test_install_of_a_missing_package_fails_like_splunk(server: ServerProcess) -> None:
    status, body = _rest(
        server, "POST", "/services/apps/local", {"name": "/nonexistent/app.tgz", "filename": "1"}
    )
    assert status == 400
    assert b"Error during app install: failed to extract app from /nonexistent/app.tgz" in body


def test_session_keys_can_be_revoked(server: ServerProcess) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(
        "POST",
        "/services/auth/login?output_mode=json",
        f"username={server.username}&password={server.password}",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    key = json.loads(conn.getresponse().read())["sessionKey"]

    def info() -> int:
        conn.request("GET", "/services/server/info", headers={"Authorization": f"Splunk {key}"})
        reply = conn.getresponse()
        reply.read()
        return reply.status

    assert info() == 200
    status, _ = _rest(server, "DELETE", f"/services/authentication/httpauth-tokens/{key}")
    assert status == 200
    assert info() == 401
    conn.close()


def test_sessions_expire_and_failures_are_rate_limited(tmp_path: Path) -> None:
    args = ("--session-ttl", "1", "--auth-failures", "3")
    with start_server(tmp_path / "short", extra_args=args) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request(
            "POST",
            "/services/auth/login?output_mode=json",
            f"username={server.username}&password={server.password}",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        key = json.loads(conn.getresponse().read())["sessionKey"]
        time.sleep(1.5)
        conn.request("GET", "/services/server/info", headers={"Authorization": f"Splunk {key}"})
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 401
        statuses = []
        for _ in range(5):
            status, _ = _hec_status(server, "Splunk wrong-token")
            statuses.append(status)
        # three failures a minute: the expired session key was the first
        assert statuses == [403, 403, 429, 429, 429]
        conn.close()


def _hec_status(server: ServerProcess, auth: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.hec_port, timeout=10)
    conn.request("POST", "/services/collector/raw", b"x", {"Authorization": auth})
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, data


def test_default_password_is_random_and_printed(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "contentkit", "serve", "--port", "0", "--hec-port", "0",
         "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
    finally:
        proc.terminate()
        proc.wait(10)
    password = next(line.split(": ", 1)[1] for line in lines if line.startswith("password: "))
    assert password != "changeme" and len(password) >= 12


def test_non_loopback_without_tls_warns(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "contentkit", "serve", "--host", "0.0.0.0", "--port", "0",
         "--hec-port", "0", "--password", "pw-for-test", "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(10)
    assert "warning: listening on 0.0.0.0 without TLS" in first
