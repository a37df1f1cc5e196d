"""`contentkit docs` on the 5.13.0 corpus, in a fresh process each run.

    .venv/bin/python bench/bench_docs.py [--runs 3] [--corpus PATH]

Validates and writes the whole site (about 1,870 detection pages, the story, data source and
macro pages, the index, the ATT&CK coverage page and Navigator layer, and the Markdown of every
page) into a temporary folder, and prints wall time and peak memory.
Target (issue 7): at most 5 s wall on a 2-core machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import contentkit_exe, corpus_missing, corpus_parser, run, summary

TARGET_SECONDS = 5.0


def main() -> int:
    args = corpus_parser(__doc__).parse_args()
    if corpus_missing(args.corpus):
        return 2
    exe = contentkit_exe()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        runs = [
            run([exe, "docs", str(args.corpus), "--output", str(out), "--quiet"])
            for _ in range(args.runs)
        ]
        if any(r.returncode != 0 for r in runs):
            print("contentkit docs failed on the corpus", file=sys.stderr)
            return 1
        files = sum(1 for p in out.rglob("*") if p.is_file())
    best, median, peak = summary(runs)
    print(
        f"contentkit docs     best {best:.2f} s  median {median:.2f} s  peak {peak:.0f} MB  "
        f"({files} files, {os.cpu_count()} CPUs; target <= {TARGET_SECONDS:.0f} s)"
    )
    return 0 if best <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
