"""Test reports: JSON (every test), JUnit XML (for CI systems) and test_results/summary.yml in
the shape Splunk's contentctl writes, so pipelines built around it keep working."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from contentkit import __version__
from contentkit.atomicfile import write_text_atomic
from contentkit.testing.runner import FAILING, PASS, SKIPPED, TestOutcome

#: every verdict, in the order reports list them
VERDICTS = (
    "pass",
    "fail",
    "error",
    "app_unavailable",
    "unsupported",
    "dataset_unavailable",
    "skipped",
)
#: the verdict a detection shows when its tests disagree: the first of these
WORST_FIRST = (
    "fail",
    "error",
    "app_unavailable",
    "unsupported",
    "dataset_unavailable",
    "skipped",
    "pass",
)


def counts(outcomes: Sequence[TestOutcome]) -> dict[str, int]:
    found = Counter(o.verdict for o in outcomes)
    return {v: found.get(v, 0) for v in VERDICTS}


def detection_counts(outcomes: Sequence[TestOutcome]) -> dict[str, int]:
    """Per detection, its worst test verdict."""
    order = list(WORST_FIRST)
    worst: dict[str, str] = {}
    for o in outcomes:
        current = worst.get(o.file)
        if current is None or order.index(o.verdict) < order.index(current):
            worst[o.file] = o.verdict
    found = Counter(worst.values())
    return {v: found.get(v, 0) for v in VERDICTS}


def to_json(outcomes: Sequence[TestOutcome], duration: float) -> str:
    report = {
        "contentkit_version": __version__,
        "duration": round(duration, 3),
        "counts": counts(outcomes),
        "detections": detection_counts(outcomes),
        "results": [o.as_dict() for o in outcomes],
    }
    return json.dumps(report, indent=2, default=str) + "\n"


def write_json(path: Path, outcomes: Sequence[TestOutcome], duration: float) -> None:
    write_text_atomic(path, to_json(outcomes, duration))


def to_junit(outcomes: Sequence[TestOutcome], duration: float) -> str:
    suite = ET.Element(
        "testsuite", name="contentkit", tests=str(2 * len(outcomes)), time=f"{duration:.3f}"
    )
    failures = errors = skipped = 0
    for o in outcomes:
        for kind, stage in (("unit", o.unit), ("integration", o.integration)):
            case = ET.SubElement(
                suite,
                "testcase",
                classname=o.file.removesuffix(".yml").replace("/", "."),
                name=f"{o.test} [{kind}]",
                time=f"{stage.duration:.3f}",
            )
            if stage.status == "fail":
                failures += 1
                ET.SubElement(case, "failure", message=stage.message).text = "\n".join(
                    [stage.message, *stage.details]
                )
            elif stage.status == "error":
                errors += 1
                ET.SubElement(case, "error", message=stage.message).text = stage.message
            elif stage.status != PASS:
                skipped += 1
                ET.SubElement(case, "skipped", message=f"{stage.status}: {stage.message}")
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def write_junit(path: Path, outcomes: Sequence[TestOutcome], duration: float) -> None:
    write_text_atomic(path, to_junit(outcomes, duration))


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0.0%"


def to_summary(outcomes: Sequence[TestOutcome], mode: str = "all") -> dict[str, Any]:
    """contentctl's summary.yml: a summary block, then tested, skipped and untested detections."""
    by_detection: dict[str, list[TestOutcome]] = {}
    for o in outcomes:
        by_detection.setdefault(o.file, []).append(o)
    tested: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    statuses: Counter[str] = Counter()
    passed = failed = 0
    for file, tests in by_detection.items():
        first = tests[0]
        statuses[first.status] += 1
        entries = []
        for o in tests:
            for kind, stage in (("unit", o.unit), ("integration", o.integration)):
                entries.append(
                    {
                        "name": o.test,
                        "test_type": kind,
                        "success": stage.status == PASS,
                        "message": stage.message,
                        "exception": None if stage.status not in FAILING else stage.message,
                        "status": stage.status,
                        "duration": round(stage.duration, 4),
                        "wait_duration": 0,
                        "resultCount": stage.result_count,
                    }
                )
        ran = [o for o in tests if o.unit.status in {PASS, *FAILING}]
        success = bool(ran) and all(o.verdict in {PASS, SKIPPED} for o in ran)
        record = {
            "name": first.detection,
            "type": first.type,
            "production_status": first.status,
            "status": "pass" if success else ("fail" if ran else "skip"),
            "source": file,
            "success": success,
            "tests": entries,
        }
        if ran:
            tested.append(record)
            passed += success
            failed += not success
        else:
            skipped.append(record)
    tested.sort(key=lambda r: (r["success"], r["name"]))
    skipped.sort(key=lambda r: r["name"])
    return {
        "summary": {
            "mode": mode,
            "enable_integration_testing": True,
            "success": failed == 0,
            "total_detections": len(by_detection),
            "total_tested_detections": passed + failed,
            "total_pass": passed,
            "total_fail": failed,
            "total_skipped": len(skipped),
            "total_untested": 0,
            "total_production": statuses.get("production", 0),
            "total_experimental": statuses.get("experimental", 0),
            "total_deprecated": statuses.get("deprecated", 0),
            "total_manual": 0,
            "success_rate": _percent(passed, passed + failed),
        },
        "tested_detections": tested,
        "skipped_detections": skipped,
        "untested_detections": [],
        "percent_complete": "100.0%",
    }


def write_summary(path: Path, outcomes: Sequence[TestOutcome], mode: str = "all") -> None:
    import yaml

    write_text_atomic(path, yaml.safe_dump(to_summary(outcomes, mode), sort_keys=False, width=120))
