#!/usr/bin/env python3
"""`contentkit build` against Splunk's `contentctl build`, side by side, on the 5.13.0 corpus.

    .venv/bin/python bench/bench_build.py [--runs 3] [--corpus PATH]

Installs contentctl 5.6.2 into its own virtual environment (bench/.work/contentctl-venv, once),
builds a writable copy of the corpus with both tools (contentctl offline, enrichments off, as the
reference build was made), and prints wall time, peak memory and the ratios.
Targets (issue 3): contentkit at least 5x faster, at most half contentctl's peak memory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import REPO, contentkit_exe, corpus_missing, corpus_parser, run, summary

WORK = REPO / "bench" / ".work"
CONTENTCTL_VENV = WORK / "contentctl-venv"


def contentctl() -> Path:
    exe = CONTENTCTL_VENV / "bin" / "contentctl"
    if not exe.exists():
        print("installing contentctl 5.6.2 into", CONTENTCTL_VENV, file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(CONTENTCTL_VENV)], check=True)
        subprocess.run(
            [str(CONTENTCTL_VENV / "bin" / "pip"), "install", "-q", "contentctl==5.6.2"], check=True
        )
    return exe


def main() -> int:
    args = corpus_parser(__doc__).parse_args()
    if corpus_missing(args.corpus):
        return 2
    ours = contentkit_exe()
    theirs = contentctl()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "security_content"
        shutil.copytree(args.corpus, copy)
        for path in [copy, *copy.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        ck = [
            run([ours, "build", str(copy), "--output", str(Path(tmp) / "ck"), "-q"])
            for _ in range(args.runs)
        ]
        cc = [run([str(theirs), "build", "--no-enrichments"], cwd=copy) for _ in range(args.runs)]
    if any(r.returncode for r in ck) or any(r.returncode for r in cc):
        print(
            "a build failed:",
            [r.returncode for r in ck],
            [r.returncode for r in cc],
            file=sys.stderr,
        )
        return 1
    ck_best, ck_median, ck_peak = summary(ck)
    cc_best, cc_median, cc_peak = summary(cc)
    print(f"corpus: {args.corpus}  runs: {args.runs}")
    print(
        f"contentkit build  best {ck_best:.2f} s  median {ck_median:.2f} s  peak {ck_peak:.0f} MB"
    )
    print(
        f"contentctl build  best {cc_best:.2f} s  median {cc_median:.2f} s  peak {cc_peak:.0f} MB"
    )
    print(
        f"speed-up (median): {cc_median / ck_median:.1f}x (target >= 5x); "
        f"memory: {ck_peak / cc_peak:.2f} of contentctl's peak (target <= 0.5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
