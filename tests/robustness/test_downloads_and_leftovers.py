"""Bounded downloads (size, total time, announced length; nothing partial left behind), bounded
unpacking in `contentkit diff`, interrupted builds cleaned up by the next one, and a failed
replay that says how much was acknowledged."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contentkit.replay.datasets import DatasetResolver, DatasetUnavailable
from contentkit.server.process import start_server

from .common import assert_clean_failure, contentkit


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        kind = self.path.strip("/")
        if kind == "big":  # no length announced, 3 MB sent
            self.send_response(200)
            self.end_headers()
            for _ in range(3):
                self.wfile.write(b"x" * (1 << 20))
        elif kind == "announced":  # announces 5 GB
            self.send_response(200)
            self.send_header("Content-Length", str(5 << 30))
            self.end_headers()
            self.wfile.write(b"x" * 1000)
        elif kind == "slow":  # a byte every 0.2 s, forever
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif kind == "short":  # announces 1000 bytes, sends 500, closes
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"y" * 500)
            self.close_connection = True


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("big", "larger than the 1048576 bytes allowed"),
        ("announced", "announced 5368709120 bytes"),
        ("slow", "took longer than 1 s"),
        ("short", "500 of 1000 bytes"),
    ],
)
def test_downloads_are_bounded(origin: str, tmp_path: Path, kind: str, needle: str) -> None:
    resolver = DatasetResolver(
        root=tmp_path, cache_dir=tmp_path / "cache", deadline=1.0, max_bytes=1 << 20
    )
    started = time.monotonic()
    with pytest.raises(DatasetUnavailable, match=needle):
        resolver.resolve(f"{origin}/{kind}")
    assert time.monotonic() - started < 10
    left = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert left == []  # no partial file


def test_download_limits_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTENTKIT_DOWNLOAD_MAX_MB", "2")
    monkeypatch.setenv("CONTENTKIT_DOWNLOAD_DEADLINE", "30")
    resolver = DatasetResolver.for_content(tmp_path)
    assert resolver.max_bytes == 2 << 20 and resolver.deadline == 30


def _bomb(path: Path, size: int) -> None:
    """A package whose one file is `size` zero bytes: a few kB compressed."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("app/default/big.conf")
        info.size = size
        tar.addfile(info, io.BytesIO(b"\0" * size))
    path.write_bytes(gzip.compress(data.getvalue()))


def test_diff_bounds_what_a_package_unpacks_to(tmp_path: Path) -> None:
    old, new = tmp_path / "old.tar.gz", tmp_path / "new.tar.gz"
    _bomb(old, 8 << 20)
    _bomb(new, 8 << 20)
    env_result = subprocess.run(
        [sys.executable, "-m", "contentkit", "diff", str(old), str(new)],
        capture_output=True,
        text=True,
        env=dict(os.environ, CONTENTKIT_MAX_UNPACKED_MB="1"),
    )
    assert_clean_failure(env_result, 2, "unpacks to more than 1 MB")


def test_an_interrupted_build_is_cleaned_up_by_the_next(pack: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".contentkit-build.{dead.pid}.abcd1234"
    (stale / "half").mkdir(parents=True)
    (stale / "half" / "savedsearches.conf").write_text("[partial")
    result = contentkit("build", str(pack), "-q", "--output", str(out), cwd=pack)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".contentkit-build.")]


def test_a_failed_replay_says_how_much_was_acknowledged(tmp_path: Path) -> None:
    dataset = tmp_path / "events.json"
    lines = [json.dumps({"n": i, "pad": "p" * 200}) for i in range(2000)]
    lines.append(json.dumps({"n": "huge", "pad": "h" * (3 << 20)}))
    dataset.write_text("\n".join(lines) + "\n")
    with start_server(tmp_path / "splunkd", extra_args=("--max-body-mb", "1")) as server:
        result = contentkit(
            "replay", str(dataset), "--index", "main", "--sourcetype", "_json",
            "--source", "partial", "--hec-url", server.hec_url, "--hec-token",
            server.hec_token, "--no-wait", "--batch-size", "65536",
        )  # fmt: skip
    # the server refuses the 3 MB batch (413) and closes before the client has sent it all
    assert_clean_failure(result, 1, "2000 event(s) acknowledged before the failure")
