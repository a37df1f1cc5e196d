#!/usr/bin/env python3
"""HEC ingestion throughput of `contentkit serve`: 8 clients (separate processes, keep-alive
connections) each POST requests of 100 JSON events to /services/collector/raw with a channel
(so every request is committed before its reply), then a search counts what was stored.
Target (issue 13): at least 50,000 events/s.

    .venv/bin/python bench/bench_hec.py [--clients 8] [--events-per-request 100] \\
        [--requests 300] [--runs 3] [--baseline-src PATH]

--baseline-src runs the same load against another checkout's `src` folder (for example the
http.server implementation before issue 13: `git archive 493d5ce src | tar -x -C /tmp/old`)
in the same run, side by side. The machine may be shared: numbers are noisy; compare within
one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work"
SEED = REPO / "datasets" / "kubernetes" / "kubernetes_audit_daemonset_created.json"
TOKEN = "00000000-0000-4000-8000-0000000bench"


def _body(n: int, client: int) -> bytes:
    seeds = [line for line in SEED.read_text().splitlines() if line.strip()]
    return "\n".join(seeds[i % len(seeds)] for i in range(n)).encode() + f"\n{client}".encode()[:0]


def _client(port: int, client: int, requests: int, per_request: int, start: float) -> None:
    body = _body(per_request, client)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.connect()
    # no Nagle: a body's last partial segment would otherwise wait for the server's delayed ACK
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {
        "Authorization": f"Splunk {TOKEN}",
        "X-Splunk-Request-Channel": f"bench-{client}",
    }
    while time.time() < start:
        time.sleep(0.001)
    for _ in range(requests):
        conn.request("POST", "/services/collector/raw?sourcetype=_json&source=bench", body, headers)
        reply = conn.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise SystemExit(f"HTTP {reply.status}: {data[:200]!r}")
    conn.close()


def _start(src: Path, data_dir: Path) -> tuple[subprocess.Popen[str], int, int]:
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONUNBUFFERED="1")
    cmd = [
        sys.executable, "-m", "contentkit", "serve", "--port", "0", "--hec-port", "0",
        "--data-dir", str(data_dir), "--password", "bench-password", "--hec-token", TOKEN,
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert proc.stdout is not None
    ports: dict[str, int] = {}
    while len(ports) < 2:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server did not start")
        name, _, url = line.strip().partition(": ")
        if name in ("splunkd", "hec"):
            ports[name] = int(url.rsplit(":", 1)[1])
    return proc, ports["splunkd"], ports["hec"]


def _count(port: int) -> int:
    import base64

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    auth = base64.b64encode(b"admin:bench-password").decode()
    conn.request(
        "POST",
        "/services/search/jobs/export?output_mode=json",
        "search=search%20index%3Dmain%20source%3Dbench%20%7C%20stats%20count",
        {"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    data = conn.getresponse().read().decode()
    rows = [json.loads(line) for line in data.splitlines() if line.strip()]
    return int(rows[0]["result"]["count"]) if rows and "result" in rows[0] else -1


def one_run(src: Path, clients: int, requests: int, per_request: int) -> float:
    data_dir = WORK / "hec-bench-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    proc, port, hec_port = _start(src, data_dir)
    try:
        start = time.time() + 1.0
        workers = [
            multiprocessing.Process(
                target=_client, args=(hec_port, i, requests, per_request, start)
            )
            for i in range(clients)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.time() - start
        if any(w.exitcode for w in workers):
            raise SystemExit("a client failed")
        total = clients * requests * per_request
        stored = _count(port)
        if stored != total:
            raise SystemExit(f"stored {stored} of {total} events")
        return total / wall
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--events-per-request", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300, help="per client")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, default=None)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    subjects = [("contentkit", REPO / "src")]
    if args.baseline_src is not None:
        subjects.append(("baseline", args.baseline_src.resolve()))
    medians: dict[str, float] = {}
    for name, src in subjects:
        rates = []
        for i in range(args.runs):
            rate = one_run(src, args.clients, args.requests, args.events_per_request)
            rates.append(rate)
            print(f"{name} run {i + 1}: {rate:,.0f} events/s", flush=True)
        medians[name] = statistics.median(rates)
        print(
            f"{name}: median {medians[name]:,.0f} events/s, best {max(rates):,.0f} "
            f"({args.clients} clients x {args.requests} requests x {args.events_per_request} events)"
        )
    ok = medians["contentkit"] >= 50_000
    print(f"target >= 50,000 events/s: {'met' if ok else 'NOT met'} (cores: {os.cpu_count()})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
