"""Helpers for the benchmark scripts: run a command in a fresh process, time it, read peak RSS."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS_5 = SHARED / "corpus" / "security_content-5.13.0"


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int


def drop_caches() -> bool:
    """Ask the kernel to drop the page cache (needs root; silently skipped otherwise)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def run(
    cmd: list[str],
    *,
    cold: bool = False,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run `cmd` once in a child process; wall time and that child's peak RSS."""
    if cold:
        drop_caches()
    # Peak RSS of children is a high-water mark over all children so far: run each measured
    # command in its own intermediate process so the number is this command's alone.
    probe = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter();"
        "r = subprocess.run(json.loads(sys.argv[1]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
        "e = time.perf_counter() - t;"
        "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(cmd)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=True,
    ).stdout.split()
    return Run(float(out[0]), float(out[1]), int(out[2]))


def summary(runs: list[Run]) -> tuple[float, float, float]:
    """(best, median, peak MB) over runs."""
    times = [r.seconds for r in runs]
    return min(times), statistics.median(times), max(r.peak_mb for r in runs)


def contentkit_exe() -> str:
    """The `contentkit` of the running virtual environment."""
    import shutil

    return shutil.which("contentkit", path=str(Path(sys.executable).parent)) or "contentkit"


def corpus_parser(doc: str | None, runs: int = 3) -> argparse.ArgumentParser:
    """A parser with the options every corpus benchmark takes: --runs and --corpus."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--corpus", type=Path, default=CORPUS_5)
    return parser


def corpus_missing(corpus: Path) -> bool:
    if corpus.is_dir():
        return False
    print(f"corpus not found: {corpus}", file=sys.stderr)
    return True
