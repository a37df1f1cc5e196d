#!/usr/bin/env python3
"""Time `contentkit test` on this repository's pack end to end (validate, replay, run, judge,
report), in a fresh process each run. Target (issue 5): at most 1.5 s wall.

    .venv/bin/python bench/bench_test.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import REPO, run, summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    exe = shutil.which("contentkit", path=str(Path(sys.executable).parent)) or "contentkit"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            exe,
            "test",
            str(REPO),
            "--json",
            f"{tmp}/r.json",
            "--junit",
            f"{tmp}/j.xml",
            "--results-dir",
            tmp,
            "-q",
        ]
        runs = [run(cmd) for _ in range(args.runs)]
    if any(r.returncode for r in runs):
        print("contentkit test failed on this repository", file=sys.stderr)
        return 1
    best, median, peak = summary(runs)
    print(
        f"contentkit test (this pack)  best {best:.3f} s  median {median:.3f} s  peak {peak:.0f} MB  (target <= 1.5 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
