#!/usr/bin/env python3
"""Replay a generated 100,000-event Kubernetes audit log into `contentkit serve` by HEC (raw
endpoint, batches, indexer acknowledgement) and time it until a search counts every event.
Target (issue 6): at least 20,000 events/s wall, including the wait until searchable.

    .venv/bin/python bench/bench_replay.py [--events 100000] [--batch-mb 4] [--runs 3]

The dataset is generated (deterministically, from this pack's audit log) into bench/.work/.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work"
SEED = REPO / "datasets" / "kubernetes" / "kubernetes_audit_daemonset_created.json"


def generate(n: int) -> Path:
    """n audit events (one JSON object per line), varied from the pack's dataset."""
    target = WORK / f"k8s_audit_{n}.json"
    if target.is_file():
        return target
    WORK.mkdir(parents=True, exist_ok=True)
    seeds = [json.loads(line) for line in SEED.read_text().splitlines() if line.strip()]
    rng = random.Random(6)
    start = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)
    tmp = target.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as out:
        for i in range(n):
            event = dict(seeds[i % len(seeds)])
            event["auditID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            when = start + timedelta(milliseconds=i * 37)
            event["requestReceivedTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            event["stageTimestamp"] = (when + timedelta(milliseconds=12)).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            )
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
    tmp.replace(target)
    return target


def one_run(dataset: Path, batch_bytes: int) -> tuple[float, int]:
    from contentkit.replay.splunk import DatasetSpec, Settings, replay
    from contentkit.server.process import start_server

    data_dir = WORK / "serve-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    with start_server(data_dir) as server:
        settings = Settings(
            url=server.target,
            username=server.username,
            password=server.password,
            hec_url=server.hec_url,
            hec_token=server.hec_token,
        )
        started = time.perf_counter()
        result = replay(
            settings,
            [DatasetSpec(dataset, "_json", "kubernetes:bench")],
            index="main",
            batch_bytes=batch_bytes,
        )
        wall = time.perf_counter() - started
    shutil.rmtree(data_dir, ignore_errors=True)
    return wall, result.searchable or 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-mb", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dataset = generate(args.events)
    size_mb = dataset.stat().st_size / 1e6
    rates = []
    for i in range(args.runs):
        wall, seen = one_run(dataset, int(args.batch_mb * (1 << 20)))
        if seen != args.events:
            print(f"run {i + 1}: only {seen} of {args.events} events searchable", file=sys.stderr)
            return 1
        rates.append(args.events / wall)
        print(
            f"run {i + 1}: {args.events} events ({size_mb:.0f} MB) in {wall:.2f} s: "
            f"{args.events / wall:,.0f} events/s"
        )
    best, median = max(rates), statistics.median(rates)
    print(
        f"replay by HEC with ack until searchable: median {median:,.0f} events/s, "
        f"best {best:,.0f} events/s (target >= 20,000)"
    )
    return 0 if median >= 20_000 else 1


if __name__ == "__main__":
    sys.exit(main())
