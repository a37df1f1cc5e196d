"""`contentkit import splunk-app` on contentctl's build of security_content 5.13.0, and the EVTX
conversion of datasets, each in a fresh process per run.

    .venv/bin/python bench/bench_import.py [--runs 3]

1. Import: the reference package (its default/ plus the corpus's lookup files, as the round-trip
   corpus test assembles it) -> a repository, including the proving build and comparison.
   No peer tool turns an app back into content, so this is an absolute number.
2. EVTX: two generated shapes (20,000 small Sysmon network events; 2,000 process events with
   4 KB command lines), read by the `evtx` parser alone (the peer: its own XML output) and by
   contentkit's forwarder-style rendering on top of it, same run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import contentkit_exe, corpus_parser, run, summary
from tests.conftest import REFERENCE
from tests.importers.test_corpus_roundtrip import reference_app
from tests.replay.evtx_writer import CHUNK_HEADER, CHUNK_SIZE, _Chunk, sysmon_event, write_evtx


def _evtx_files(folder: Path, count: int, data: list[tuple[str, str]], name: str) -> list[Path]:
    """`count` events over as many files as one-chunk files need."""
    when = datetime(2026, 11, 30, tzinfo=UTC)
    files: list[Path] = []
    event = sysmon_event(3, when, "ws1.corp.local", data, 1)
    probe = _Chunk()
    probe.element(event)
    per_event = len(probe.buf) - CHUNK_HEADER + 4 + 24 + 4 + 1
    per_file = max(1, min(count, (CHUNK_SIZE - CHUNK_HEADER) // per_event))
    done = 0
    while done < count:
        n = min(per_file, count - done)
        path = folder / f"{name}_{len(files):04d}.evtx"
        write_evtx(path, [(when, event)] * n)
        files.append(path)
        done += n
    return files


def _time(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    args = corpus_parser(__doc__).parse_args()
    if not REFERENCE.is_dir():
        print(f"reference build not found: {REFERENCE}", file=sys.stderr)
        return 2
    exe = contentkit_exe()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        app = reference_app(work / "app")
        runs = []
        for i in range(args.runs):
            out = work / f"repo{i}"
            runs.append(run([exe, "import", "splunk-app", str(app), "--output", str(out)]))
        if any(r.returncode != 0 for r in runs):
            print("contentkit import splunk-app failed", file=sys.stderr)
            return 1
        best, median, peak = summary(runs)
        print(
            f"import splunk-app (1,870 detections, 48 baselines, 302 stories, 2,089 macros, "
            f"with the proving build): median {median:.2f} s, best {best:.2f} s, {peak:.0f} MB"
        )

        from evtx import PyEvtxParser

        from contentkit.replay.evtx import evtx_events

        shapes = {
            "small network events": (
                20_000,
                [("Image", "C:\\Windows\\x.exe"), ("DestinationIp", "10.0.0.1")],
            ),
            "4 KB command lines": (2_000, [("CommandLine", "powershell -enc " + "A" * 4000)]),
        }
        for label, (count, data) in shapes.items():
            folder = work / label.replace(" ", "_")
            folder.mkdir()
            files = _evtx_files(folder, count, data, "f")

            def parse_only(files: list[Path] = files) -> None:
                for f in files:
                    for _ in PyEvtxParser(str(f)).records():
                        pass

            def render(files: list[Path] = files) -> None:
                for f in files:
                    for _ in evtx_events(f):
                        pass

            peer = _time(parse_only, args.runs)
            ours = _time(render, args.runs)
            print(
                f"EVTX {label}: {count:,} events in {len(files)} files: evtx parser alone "
                f"{count / peer:,.0f} events/s; parse + forwarder rendering {count / ours:,.0f} "
                f"events/s ({ours / peer:.1f}x the parser's time)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
