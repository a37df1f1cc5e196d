#!/usr/bin/env python3
"""Time `contentkit validate` on the 5.13.0 corpus (target: <= 1.0 s wall, cold) and
`contentkit --help` (target: <= 0.2 s).

    .venv/bin/python bench/bench_validate.py [--runs 5] [--corpus PATH]

"Cold" means a new process each run; contentkit keeps no cache between runs. With
--drop-caches the OS page cache is dropped before each run too (needs root), which also makes
Python itself load from disk.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import contentkit_exe, corpus_missing, corpus_parser, drop_caches, run, summary


def main() -> int:
    parser = corpus_parser(__doc__, runs=5)
    parser.add_argument(
        "--drop-caches", action="store_true", help="drop the OS page cache before each run"
    )
    args = parser.parse_args()
    exe = contentkit_exe()
    if corpus_missing(args.corpus):
        return 2
    cold = args.drop_caches and drop_caches()
    validate = [
        run([exe, "validate", str(args.corpus), "--quiet"], cold=args.drop_caches)
        for _ in range(args.runs)
    ]
    if any(r.returncode != 0 for r in validate):
        print("contentkit validate failed on the corpus", file=sys.stderr)
        return 1
    helps = [run([exe, "--help"]) for _ in range(args.runs)]
    v_best, v_median, v_peak = summary(validate)
    h_best, h_median, _ = summary(helps)
    print(
        f"corpus: {args.corpus}  runs: {args.runs}  page cache dropped: {'yes' if cold else 'no'}"
    )
    print(
        f"contentkit validate  best {v_best:.3f} s  median {v_median:.3f} s  peak {v_peak:.0f} MB  (target <= 1.0 s)"
    )
    print(f"contentkit --help    best {h_best:.3f} s  median {h_median:.3f} s  (target <= 0.2 s)")
    print("reference: Splunk's contentctl validate takes about 5.4 s and 184 MB on the same corpus")
    return 0


if __name__ == "__main__":
    sys.exit(main())
