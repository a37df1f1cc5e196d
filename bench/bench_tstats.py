#!/usr/bin/env python3
"""Speed of `tstats` over a CIM data model in the embedded engine (issue target: >= 300,000
events/s for `tstats count from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe
by Processes.dest Processes.user` over 1,000,000 Sysmon XML events, 5% process creations).

The knowledge comes from this pack's stand-in apps (apps/): event types and tags select process
creations, field extractions and aliases give the CIM fields.  Shapes: 1,000,000 events with 5%
and 20% process creations (cmd.exe 10% of those), and the same search without the WHERE clause
(every process creation is parsed).  `grep -c` on the same file, same run, is the floor of a raw
scan.  Files are generated once under bench/.work/ (about 1.4 GB each).

    .venv/bin/python bench/bench_tstats.py [--events N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work"
SEARCHES = {
    "where process_name=cmd.exe": (
        "| tstats count from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe "
        "by Processes.dest Processes.user"
    ),
    "no where (all process creations)": (
        "| tstats count from datamodel=Endpoint.Processes by Processes.dest Processes.user"
    ),
}


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen", REPO / "datasets/windows/generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset(events: int, rate: float) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"sysmon_{events}_{int(rate * 100)}pct.log"
    if not path.exists():
        started = time.perf_counter()
        tmp = path.with_suffix(".part")
        _generator().write_sysmon_bulk(tmp, events, process_rate=rate)
        tmp.rename(path)
        print(f"  generated {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from contentkit import spl
    from contentkit.apps.reader import load_knowledge
    from contentkit.spl.knowledge import Knowledge

    kb = load_knowledge([REPO / "apps/contentkit_SA_CIM", REPO / "apps/contentkit_TA_sysmon"])
    source = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"
    print(f"{'file':32} {'search':34} {'median s':>9} {'events/s':>11} {'grep -c s':>9}  rows")
    for rate in (0.05, 0.20):
        path = dataset(args.events, rate)
        grep_times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(["grep", "-c", "cmd.exe", str(path)], capture_output=True, check=False)
            grep_times.append(time.perf_counter() - t)
        for label, search in SEARCHES.items():
            knowledge = Knowledge(kb)
            text = spl.expand(search, knowledge.macros())
            ds = [spl.Dataset(path, sourcetype="XmlWinEventLog", source=source)]
            times = []
            rows: list[dict[str, object]] = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                rows = spl.run(text, datasets=ds, knowledge=Knowledge(kb))
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            total = sum(int(str(r.get("count", 0))) for r in rows)
            print(
                f"{path.name:32} {label:34} {med:9.2f} {args.events / med:11,.0f} "
                f"{statistics.median(grep_times):9.2f}  {len(rows)} rows, count {total}"
            )


if __name__ == "__main__":
    main()
