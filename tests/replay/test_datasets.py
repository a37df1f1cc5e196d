"""Where a test's dataset comes from, and the SHA-256 checks that keep a wrong file out: a file of
the pack, a local mirror of a URL prefix, and downloads (served by a real HTTP server) kept in a
cache that is re-checked on every reuse."""

from __future__ import annotations

import errno
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contentkit.replay.datasets import DatasetResolver, DatasetUnavailable, is_url, sha256_of

BODY = b'{"verb": "create", "user": "mallory"}\n' * 3
GOOD = hashlib.sha256(BODY).hexdigest()
BAD = hashlib.sha256(b"something else").hexdigest()
BIG = b"".join(b"seq=%07d\n" % i for i in range(330_000))  # about 3 MiB: several reads


class _Server:
    """Serves BODY at any path (404 for paths containing 'missing'); counts the requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.truncate = False
        self.agents: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                outer.agents.append(self.headers.get("User-Agent", ""))
                body = BIG if "big" in self.path else BODY
                if "missing" in self.path:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if outer.truncate else body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    (pack / "datasets").mkdir(parents=True)
    (pack / "datasets" / "audit.json").write_bytes(BODY)
    (pack / "mirror" / "k8s").mkdir(parents=True)
    (pack / "mirror" / "k8s" / "audit.json").write_bytes(BODY)
    return pack


def _resolver(root: Path, **kwargs: object) -> DatasetResolver:
    return DatasetResolver.for_content(
        root,
        (("https://media.example.com/attack_data/", "mirror"),),
        cache_dir=root.parent / "cache",
        **kwargs,  # type: ignore[arg-type]
    )


def test_is_url_and_sha256_of(root: Path) -> None:
    assert is_url("https://x.example/a.log") and is_url("http://x.example/a.log")
    assert not is_url("datasets/a.log") and not is_url("file:///tmp/a.log")
    assert sha256_of(root / "datasets" / "audit.json") == GOOD


def test_local_file_is_checked_against_the_tests_sha256(root: Path) -> None:
    resolver = _resolver(root)
    expected = (root / "datasets" / "audit.json").resolve()
    assert resolver.resolve(" datasets/audit.json ") == expected
    assert resolver.resolve("datasets/audit.json", GOOD.upper()) == expected
    with pytest.raises(DatasetUnavailable) as caught:
        resolver.resolve("datasets/audit.json", BAD)
    assert str(caught.value) == "datasets/audit.json: SHA-256 does not match the test's sha256"
    with pytest.raises(
        DatasetUnavailable, match=r"^dataset file datasets/gone\.json does not exist$"
    ):
        resolver.resolve("datasets/gone.json")


def test_mirrored_url_is_read_locally_and_checked(root: Path) -> None:
    resolver = _resolver(root, offline=True)  # offline: a download would fail
    url = "https://media.example.com/attack_data/k8s/audit.json"
    assert resolver.resolve(url, GOOD) == (root / "mirror" / "k8s" / "audit.json").resolve()
    with pytest.raises(DatasetUnavailable) as caught:
        resolver.resolve(url, BAD)
    assert str(caught.value) == f"{url}: SHA-256 does not match the test's sha256"
    # a URL under the prefix that the mirror does not hold falls through to the cache
    with pytest.raises(DatasetUnavailable) as caught:
        resolver.resolve("https://media.example.com/attack_data/k8s/other.json")
    assert str(caught.value) == (
        "dataset unavailable (offline and not cached): "
        "https://media.example.com/attack_data/k8s/other.json"
    )
    assert resolver.downloads == 0


def test_download_is_cached_with_its_sha256(root: Path, server: _Server) -> None:
    url = f"{server.base}/attack_data/k8s/audit.json"
    resolver = _resolver(root)
    path = resolver.resolve(url, GOOD)
    assert path.read_bytes() == BODY and path.name == "audit.json"
    assert json.loads(path.with_name("audit.json.json").read_text()) == {"url": url, "sha256": GOOD}
    assert sorted(p.name for p in path.parent.iterdir()) == ["audit.json", "audit.json.json"]
    assert resolver.resolve(url, GOOD) == path and resolver.resolve(url) == path
    assert (server.requests, resolver.downloads) == (1, 1)
    # another resolver (another run) on the same cache: no download either
    assert _resolver(root, offline=True).resolve(url, GOOD) == path
    assert server.requests == 1


def test_tampered_cache_entry_is_refused_and_fetched_again(root: Path, server: _Server) -> None:
    url = f"{server.base}/attack_data/k8s/audit.json"
    path = _resolver(root).resolve(url)
    path.write_bytes(b'{"verb": "delete"}\n')  # the cached file changed after it was checked
    # offline, the damaged copy is not used
    with pytest.raises(DatasetUnavailable, match="offline and not cached"):
        _resolver(root, offline=True).resolve(url)
    assert not path.exists()
    # online, it is fetched again and is whole
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"tampered")
    resolver = _resolver(root)
    assert resolver.resolve(url).read_bytes() == BODY
    assert (server.requests, resolver.downloads) == (2, 1)


def test_cache_entry_with_a_damaged_record_is_fetched_again(root: Path, server: _Server) -> None:
    url = f"{server.base}/attack_data/k8s/audit.json"
    path = _resolver(root).resolve(url)
    meta = path.with_name("audit.json.json")
    for record in ("not json", json.dumps({"url": url})):
        meta.write_text(record)
        assert _resolver(root).resolve(url).read_bytes() == BODY
        assert json.loads(meta.read_text())["sha256"] == GOOD
    assert server.requests == 3


def test_cached_file_that_is_not_the_tests_sha256_is_refused(root: Path, server: _Server) -> None:
    url = f"{server.base}/attack_data/k8s/audit.json"
    path = _resolver(root).resolve(url)  # cached without a checksum
    with pytest.raises(DatasetUnavailable) as caught:
        _resolver(root).resolve(url, BAD)  # the test now names another file
    assert str(caught.value) == (
        f"dataset unavailable (corrupt download: SHA-256 {GOOD[:12]}… is not the test's "
        f"{BAD[:12]}…): {url}"
    )
    assert not path.exists() and server.requests == 2
    with pytest.raises(DatasetUnavailable, match="offline and not cached"):
        _resolver(root, offline=True).resolve(url, GOOD)


def test_truncated_download_leaves_nothing(root: Path, server: _Server) -> None:
    server.truncate = True
    url = f"{server.base}/attack_data/k8s/audit.json"
    resolver = _resolver(root)
    with pytest.raises(DatasetUnavailable) as caught:
        resolver.resolve(url)
    assert str(caught.value) in {
        f"dataset unavailable (corrupt download: {len(BODY) // 2} of {len(BODY)} bytes): {url}",
        # some Python versions notice the short body while reading
        f"dataset unavailable (download broke off after {len(BODY) // 2} bytes: "
        f"IncompleteRead): {url}",
    }
    assert [p for p in (root.parent / "cache").rglob("*") if p.is_file()] == []
    assert resolver.downloads == 0


def test_http_error_and_unreachable_host(root: Path, server: _Server) -> None:
    resolver = _resolver(root)
    url = f"{server.base}/missing/audit.json"
    with pytest.raises(DatasetUnavailable) as caught:
        resolver.resolve(url)
    assert str(caught.value) == f"dataset unavailable (HTTP 404 Not Found): {url}"
    # a port nobody listens on: the host is remembered as unreachable and not tried again
    port = server.httpd.server_address[1]
    server.close()
    dead = f"http://127.0.0.1:{port}/a.json"
    with pytest.raises(DatasetUnavailable) as first:
        resolver.resolve(dead)
    assert str(first.value) == (
        f"dataset unavailable (cannot reach 127.0.0.1:{port}: "
        f"[Errno {errno.ECONNREFUSED}] Connection refused): {dead}"
    )
    with pytest.raises(DatasetUnavailable) as second:
        resolver.resolve(f"http://127.0.0.1:{port}/b.json")
    assert str(second.value) == str(first.value).replace("/a.json", "/b.json")


def test_cache_location(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTENTKIT_CACHE", raising=False)
    default = DatasetResolver.for_content(root)
    assert default.cache_dir == root / ".contentkit-cache" / "datasets"
    assert default.mirrors == () and default.offline is False
    monkeypatch.setenv("CONTENTKIT_CACHE", str(root / "elsewhere"))
    assert DatasetResolver.for_content(root).cache_dir == root / "elsewhere"
    assert DatasetResolver.for_content(root, cache_dir=root / "given").cache_dir == root / "given"
    resolver = DatasetResolver.for_content(root, (("https://a.example/", "mirror"),))
    assert resolver.mirrors == (("https://a.example/", (root / "mirror").resolve()),)


class _Stalling:
    """A raw TCP server that answers with headers and half the body (or nothing at all), then
    holds the connection open until released."""

    def __init__(self, send_headers: bool) -> None:
        import socket

        self.release = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.send_headers = send_headers
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if self.send_headers:
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
                    conn.sendall(head + BODY[: len(BODY) // 2])
                self.release.wait(10)

    def close(self) -> None:
        self.release.set()
        self.sock.close()


def test_download_in_progress_is_a_part_file_beside_the_target(root: Path) -> None:
    stalling = _Stalling(send_headers=True)
    url = f"http://127.0.0.1:{stalling.port}/attack_data/audit.json"
    resolver = _resolver(root)
    resolver.timeout = 1.0
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            resolver.resolve(url)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    try:
        folder = resolver._cache_path(url).parent
        deadline = time.monotonic() + 5
        parts: list[Path] = []
        while not parts and time.monotonic() < deadline:
            parts = list(folder.glob(".audit.json.*.part")) if folder.is_dir() else []
            time.sleep(0.01)
        assert len(parts) == 1  # hidden, named after the target, in the target's folder
        assert not (folder / "audit.json").exists()
        worker.join(10)
    finally:
        stalling.close()
    [error] = outcome
    # the half body was read (reads take what has come), then the stall timed out
    assert str(error) == (
        f"dataset unavailable (download broke off after {len(BODY) // 2} bytes: "
        f"TimeoutError): {url}"
    )
    assert list(folder.iterdir()) == []
    assert resolver.downloads == 0


def test_a_server_that_never_answers_times_out(root: Path) -> None:
    stalling = _Stalling(send_headers=False)
    resolver = _resolver(root)
    resolver.timeout = 0.5
    url = f"http://127.0.0.1:{stalling.port}/a.json"
    try:
        with pytest.raises(DatasetUnavailable) as caught:
            resolver.resolve(url)
    finally:
        stalling.close()
    assert str(caught.value) == (
        f"dataset unavailable (cannot reach 127.0.0.1:{stalling.port}: timed out): {url}"
    )


def test_big_download_in_several_reads_and_the_cache_layout(root: Path, server: _Server) -> None:
    resolver = _resolver(root)
    url = f"{server.base}/attack_data/big.log"
    path = resolver.resolve(url, hashlib.sha256(BIG).hexdigest())
    assert path.read_bytes() == BIG and sha256_of(path) == hashlib.sha256(BIG).hexdigest()
    key = hashlib.sha256(url.encode()).hexdigest()[:24]
    assert path == root.parent / "cache" / key / "big.log"
    # a URL without a file name is cached as "dataset"
    bare = resolver.resolve(f"{server.base}/")
    assert bare.name == "dataset" and bare.read_bytes() == BODY
    assert resolver.downloads == 2
    assert server.agents == ["contentkit", "contentkit"]
