"""Benchmark of a raw-term search over syslog lines, side by side with ``grep -c``.

Generates (once, cached under bench/.work/) 1,000,000 sshd/cron/kernel syslog lines (about 2%
"Failed password"), then times, in turns:

- contentkit: ``search "failed password" sshd | stats count by host`` (the phrase and the term
  matched on segment boundaries, as Splunk does);
- ``grep -c -i "failed password"`` on the same file (a lower bound: no segmentation, no
  second term, no grouping).

    .venv/bin/python bench/bench_spl_syslog.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contentkit import spl  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work"
SEARCH = 'search "failed password" sshd | stats count by host'
GREP_LABEL = 'grep -c -i "failed password"'
HOSTS = [f"web-{i:02d}" for i in range(20)]
USERS = ["root", "admin", "oracle", "ubuntu", "test", "git", "postgres", "alice", "bob"]


def generate(path: Path, n: int, fail_rate: float, seed: int = 11) -> None:
    rng = random.Random(seed)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for i in range(n):
            ts = f"{months[i * 6 // n]} {1 + (i // 7000) % 28:2d} {i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
            host = rng.choice(HOSTS)
            pid = rng.randint(1000, 65000)
            ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            r = rng.random()
            user = rng.choice(USERS)
            if r < fail_rate:
                msg = f"sshd[{pid}]: Failed password for {user} from {ip} port {rng.randint(1024, 65535)} ssh2"
            elif r < fail_rate + 0.2:
                msg = f"sshd[{pid}]: Accepted publickey for {user} from {ip} port 22 ssh2"
            elif r < fail_rate + 0.3:
                msg = f"sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}"
            elif r < fail_rate + 0.31:
                msg = f"passwd[{pid}]: password changed for {user}"  # "password" without "failed"
            elif r < fail_rate + 0.6:
                msg = f"CRON[{pid}]: (root) CMD (run-parts /etc/cron.hourly)"
            else:
                msg = f"kernel: [{rng.random() * 1e5:.6f}] IN=eth0 OUT= SRC={ip} DST=10.0.0.1 PROTO=TCP"
            out.write(f"{ts} {host} {msg}\n")
    tmp.replace(path)


def run_contentkit(path: Path) -> tuple[float, int]:
    stats = spl.ScanStats(count_events=False)
    start = time.perf_counter()
    rows = spl.run(
        SEARCH, datasets=[spl.Dataset(path, "linux_secure", "/var/log/auth.log")], stats=stats
    )
    elapsed = time.perf_counter() - start
    return elapsed, sum(int(r["count"]) for r in rows)


def run_grep(path: Path) -> tuple[float, int] | None:
    grep = shutil.which("grep")
    if grep is None:
        return None
    start = time.perf_counter()
    out = subprocess.run(
        [grep, "-c", "-i", "failed password", str(path)], capture_output=True, text=True
    )
    return time.perf_counter() - start, int(out.stdout.strip() or 0)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--fail-rate", type=float, default=0.02)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"syslog_{args.lines}_{args.fail_rate:g}.log"
    if not path.exists():
        print(f"generating {args.lines:,} syslog lines into {path} ...", file=sys.stderr)
        generate(path, args.lines, args.fail_rate)
    size_mb = path.stat().st_size / 1e6
    ck_times: list[float] = []
    grep_times: list[float] = []
    ck_count = grep_count = 0
    for _ in range(args.repeat):
        t, ck_count = run_contentkit(path)
        ck_times.append(t)
        g = run_grep(path)
        if g is not None:
            grep_times.append(g[0])
            grep_count = g[1]
    ck = min(ck_times)
    print(f"dataset: {path.name}  {args.lines:,} lines  {size_mb:,.0f} MB")
    print(f"search : {SEARCH}")
    print(f"{'engine':<34}{'best s':>10}{'lines/s':>14}{'matches':>10}")
    print(f"{'contentkit (spl)':<34}{ck:>10.3f}{args.lines / ck:>14,.0f}{ck_count:>10}")
    if grep_times:
        gk = min(grep_times)
        print(f"{GREP_LABEL:<34}{gk:>10.3f}{args.lines / gk:>14,.0f}{grep_count:>10}")
        print(f"contentkit / grep time: {ck / gk:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
