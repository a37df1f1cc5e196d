"""Start `contentkit serve` in a child process on free ports (for tests, benchmarks and CI)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


class ServeFailed(Exception):
    """The server did not start; the message has its output."""


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    port: int
    hec_port: int
    data_dir: Path
    username: str
    password: str
    hec_token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> str:
        return f"splunk://127.0.0.1:{self.port}"

    @property
    def hec_url(self) -> str:
        return f"http://127.0.0.1:{self.hec_port}"

    def stop(self, *, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read_line(
    stream: IO[str], deadline: float, proc: subprocess.Popen[str], log_path: Path
) -> str:
    line = stream.readline()
    if not line and (proc.poll() is not None or time.monotonic() > deadline):
        err = log_path.read_text(errors="replace") if log_path.is_file() else ""
        raise ServeFailed(f"contentkit serve did not start: {err.strip()[-500:]}")
    return line.strip()


def start_server(
    data_dir: Path,
    *,
    username: str = "admin",
    password: str = "contentkit-test",
    hec_token: str = "00000000-0000-4000-8000-00000000c0de",
    port: int = 0,
    hec_port: int = 0,
    timeout: float = 20.0,
    extra_args: tuple[str, ...] = (),
) -> ServerProcess:
    """Run `python -m contentkit serve` and wait until it prints its ports."""
    cmd = [
        sys.executable,
        "-m",
        "contentkit",
        "serve",
        "--port",
        str(port),
        "--hec-port",
        str(hec_port),
        "--data-dir",
        str(data_dir),
        "--username",
        username,
        "--password",
        password,
        "--hec-token",
        hec_token,
        *extra_args,
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    data_dir.mkdir(parents=True, exist_ok=True)
    # the server's log goes to a file (a pipe nobody reads would stall the server once full)
    log_path = data_dir.parent / f"{data_dir.name}.serve.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log_file, text=True, env=env)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    ports: dict[str, int] = {}
    while len(ports) < 2:
        line = _read_line(proc.stdout, deadline, proc, log_path)
        name, _, url = line.partition(": ")
        if name in ("splunkd", "hec"):
            ports[name] = int(url.rsplit(":", 1)[1])
    return ServerProcess(
        proc, ports["splunkd"], ports["hec"], data_dir, username, password, hec_token
    )
