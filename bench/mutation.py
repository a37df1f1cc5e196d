#!/usr/bin/env python3
"""Mutation score of the modules where a silent bug costs users most, measured with mutmut.

    .venv/bin/python bench/mutation.py                      # every module below, one at a time
    .venv/bin/python bench/mutation.py schedule judge       # only these (matched on the path)
    .venv/bin/python bench/mutation.py --children 1 --list  # fewer workers; list the survivors
    .venv/bin/python bench/mutation.py --recheck schedule   # after adding tests: survivors only

mutmut changes one operator, constant or call at a time in a copy of the code and runs the tests
that reach the changed function; a mutant "survives" when they all still pass. Each module runs
in its own folder under bench/.work/mutation/ with only its own test files selected (so a run
takes minutes, not hours), at the lowest CPU priority. The score is killed / (mutants - mutants
listed as equivalent in bench/mutation_equivalent.txt); "no tests" and "unchecked" mutants count
as survivors. Changing a module's test selection makes mutmut forget its verdicts: run that module
again in full, not with --recheck.
Not part of CI: a full run takes tens of minutes on two cores.

Mutants run in-process under pytest: tests that start `python -m contentkit` in a subprocess
run the unmutated code and kill nothing, so each module is scored by its in-process tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / ".work" / "mutation"
EQUIVALENT = REPO / "bench" / "mutation_equivalent.txt"

# module (under src/contentkit) -> the test files that exercise it
MODULES: dict[str, tuple[str, ...]] = {
    "testing/judge.py": ("tests/testing/test_judge.py",),
    "testing/schedule.py": ("tests/testing/test_schedule.py",),
    "replay/datasets.py": ("tests/replay/test_datasets.py",),
    "render/build.py": ("tests/render/test_build.py", "tests/render/test_build_details.py"),
    "conf/conffile.py": ("tests/conf/test_conffile.py", "tests/conf/test_conffile_details.py"),
    "render/package.py": ("tests/render/test_package.py", "tests/render/test_package_details.py"),
    "docs/generate.py": ("tests/docs/test_generate.py",),
    "content/validate.py": (
        "tests/content/test_validate_errors.py",
        "tests/content/test_schema.py",
        "tests/content/test_validate_paths.py",
    ),
    "spl/matching.py": ("tests/spl/test_matching.py", "tests/spl/test_search_semantics.py"),
    "spl/commands/stats.py": (
        "tests/spl/test_stats.py",
        "tests/spl/test_commands.py",
        "tests/spl/test_stats_family.py",
    ),
}
# what the tests read besides src/ and tests/: this repository's own content pack
PACK = (
    "contentctl.yml",
    "detections",
    "macros",
    "stories",
    "data_sources",
    "deployments",
    "lookups",
    "datasets",
)
_RESULT = re.compile(r"^\s+(\S+): (.+)$")


def _mutmut_section(module: str, tests: tuple[str, ...]) -> str:
    """The [tool.mutmut] table for one module (JSON arrays of strings are TOML arrays)."""
    values = {
        "source_paths": ["src/contentkit"],
        "only_mutate": [f"src/contentkit/{module}"],
        "also_copy": list(PACK),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-m", "not corpus and not slow"],
        "pytest_add_cli_args_test_selection": list(tests),
        "use_git_change_detection": False,
    }
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def prepare(module: str, tests: tuple[str, ...], fresh: bool) -> Path:
    """A folder holding src/, tests/, the pack and a pyproject.toml set up for this module."""
    folder = WORK / module.replace("/", "_").removesuffix(".py")
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for part in ("src", "tests", *PACK):
        source, target = REPO / part, folder / part
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, target)
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    (folder / "pyproject.toml").write_text(
        text.rstrip() + "\n\n" + _mutmut_section(module, tests), encoding="utf-8"
    )
    return folder


def run(folder: Path, children: int, names: list[str] | None = None) -> int:
    # Subprocesses the tests start (python -m contentkit) run the unmutated code: mutated code
    # outside mutmut's own process cannot find its configuration. Only in-process tests count.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run"]
    command += ["--max-children", str(children), *(names or [])]
    with (folder / "mutmut.log").open("w") as log:
        return subprocess.run(command, cwd=folder, env=env, stdout=log, stderr=log).returncode


def results(folder: Path) -> dict[str, str]:
    """mutant name -> status (killed, survived, no tests, timeout, ...)."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=folder,
        capture_output=True,
        text=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        match = _RESULT.match(line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def equivalent_mutants() -> dict[str, str]:
    """mutant name -> why it cannot change behaviour (from bench/mutation_equivalent.txt)."""
    listed: dict[str, str] = {}
    if EQUIVALENT.is_file():
        for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                listed[name] = reason.strip()
    return listed


def show(folder: Path, name: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name], cwd=folder, capture_output=True, text=True
    ).stdout


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="*", help="run only modules whose path contains this")
    parser.add_argument("--children", type=int, default=2, help="parallel mutant workers")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="keep the previous run and test only its survivors again (after adding tests)",
    )
    parser.add_argument("--list", action="store_true", help="print the surviving mutants' diffs")
    parser.add_argument("--report-only", action="store_true", help="do not run, only report")
    args = parser.parse_args()
    chosen = {
        m: t for m, t in MODULES.items() if not args.modules or any(s in m for s in args.modules)
    }
    if not chosen:
        parser.error(f"no module matches {args.modules}; known: {', '.join(MODULES)}")
    equivalent = equivalent_mutants()
    totals: Counter[str] = Counter()
    rows = []
    for module, tests in chosen.items():
        if args.report_only:
            folder = WORK / module.replace("/", "_").removesuffix(".py")
        else:
            folder = prepare(module, tests, fresh=not args.recheck)
            again = None
            if args.recheck and (folder / "survivors.txt").is_file():
                again = (folder / "survivors.txt").read_text().split()
                if not again:
                    print(f"{module}: no survivors to recheck", file=sys.stderr)
            print(f"mutating {module} (tests: {' '.join(tests)}) ...", file=sys.stderr, flush=True)
            if again == []:
                pass
            elif run(folder, args.children, again) != 0:
                print(f"  mutmut failed: see {folder / 'mutmut.log'}", file=sys.stderr)
        found = results(folder)
        counts = Counter(
            "equivalent" if name in equivalent and status != "killed" else status
            for name, status in found.items()
        )
        killed = counts["killed"] + counts["timeout"]
        scored = sum(counts.values()) - counts["equivalent"]
        totals.update(counts)
        score = 100.0 * killed / scored if scored else 0.0
        rows.append((module, scored, killed, counts, score))
        survivors = [n for n, s in found.items() if s not in {"killed", "timeout"}]
        survivors = [n for n in survivors if n not in equivalent]
        (folder / "survivors.txt").write_text("".join(f"{n}\n" for n in survivors))
        if args.list:
            for name in survivors:
                print(show(folder, name))
    print(
        f"{'module':28} {'mutants':>8} {'killed':>7} {'survived':>9} {'no tests':>9} "
        f"{'unchecked':>9} {'equiv.':>7} {'score':>7}"
    )
    for module, scored, killed, counts, score in rows:
        print(
            f"{module:28} {scored:8d} {killed:7d} {counts['survived']:9d} "
            f"{counts['no tests']:9d} {counts['not checked']:9d} {counts['equivalent']:7d} "
            f"{score:6.1f}%"
        )
    scored = sum(r[1] for r in rows)
    killed = sum(r[2] for r in rows)
    if scored:
        print(
            f"{'all':28} {scored:8d} {killed:7d} {totals['survived']:9d} "
            f"{totals['no tests']:9d} {totals['not checked']:9d} {totals['equivalent']:7d} "
            f"{100.0 * killed / scored:6.1f}%"
        )
    print("mutants: all but the equivalent ones; score: killed (or timed out) / mutants")
    return 0


if __name__ == "__main__":
    sys.exit(main())
