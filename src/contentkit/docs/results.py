"""Reading the test results that `contentkit test --json FILE` writes, for the docs' test tables.

The reader is lenient about missing keys (a result without `integration` simply shows "not run")
but a file that is not that JSON at all is a one-line `ResultsError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOT_RUN = "not run"
# worst first: the status a detection shows when its tests disagree
SEVERITY = (
    "fail",
    "error",
    "app_unavailable",
    "dataset_unavailable",
    "unsupported",
    "pass",
    NOT_RUN,
)
LABELS = {
    "pass": "Passing",
    "fail": "Failing",
    "error": "Error",
    "unsupported": "Unsupported",
    "dataset_unavailable": "Dataset unavailable",
    "app_unavailable": "App unavailable",
    NOT_RUN: "not run",
}


class ResultsError(Exception):
    """The test results file cannot be used (one line, names the file)."""


@dataclass(frozen=True)
class Dataset:
    data: str
    source: str
    sourcetype: str


@dataclass(frozen=True)
class Outcome:
    """One test of one detection, as the test runner reported it."""

    test: str
    negative: bool = False
    validation: str = NOT_RUN
    unit: str = NOT_RUN
    unit_message: str = ""
    integration: str = NOT_RUN
    integration_message: str = ""
    attack_data: tuple[Dataset, ...] = ()


@dataclass
class TestResults:
    contentkit_version: str = ""
    by_id: dict[str, list[Outcome]] = field(default_factory=dict)
    by_file: dict[str, list[Outcome]] = field(default_factory=dict)
    by_name: dict[str, list[Outcome]] = field(default_factory=dict)

    def for_detection(self, id_: str, file: str, name: str) -> list[Outcome]:
        """The outcomes of one detection (matched by id, then file, then name)."""
        return (
            self.by_id.get(id_.lower())
            or self.by_file.get(file.replace("\\", "/"))
            or self.by_name.get(name)
            or []
        )


def status_label(status: str) -> str:
    return LABELS.get(status, status.replace("_", " ").capitalize())


def worst(statuses: list[str]) -> str:
    """The most severe of `statuses` (statuses this reader does not know rank after `error`)."""
    run = [s for s in statuses if s != NOT_RUN]
    if not run:
        return NOT_RUN

    def rank(status: str) -> int:
        return SEVERITY.index(status) if status in SEVERITY else 1

    return min(run, key=rank)


def _status(block: Any) -> tuple[str, str]:
    if isinstance(block, str):
        return block.strip().lower() or NOT_RUN, ""
    if not isinstance(block, dict):
        return NOT_RUN, ""
    status = block.get("status")
    message = block.get("message")
    return (
        str(status).strip().lower() if status not in (None, "") else NOT_RUN,
        str(message) if message not in (None, "") else "",
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _outcome(entry: dict[str, Any]) -> Outcome:
    validation, _ = _status(entry.get("validation"))
    unit, unit_message = _status(entry.get("unit"))
    integration, integration_message = _status(entry.get("integration"))
    data = entry.get("attack_data")
    datasets = tuple(
        Dataset(_text(d.get("data")), _text(d.get("source")), _text(d.get("sourcetype")))
        for d in (data if isinstance(data, list) else [])
        if isinstance(d, dict)
    )
    return Outcome(
        test=_text(entry.get("test")),
        negative=bool(entry.get("negative", False)),
        validation=validation,
        unit=unit,
        unit_message=unit_message,
        integration=integration,
        integration_message=integration_message,
        attack_data=datasets,
    )


def parse_results(data: Any, where: str = "test results") -> TestResults:
    """Test results from the decoded JSON document."""
    if not isinstance(data, dict):
        raise ResultsError(f"{where}: expected a JSON object with a 'results' list")
    entries = data.get("results", [])
    if not isinstance(entries, list):
        raise ResultsError(f"{where}: 'results' is not a list")
    out = TestResults(contentkit_version=_text(data.get("contentkit_version")))
    for entry in entries:
        if not isinstance(entry, dict):
            raise ResultsError(f"{where}: every entry of 'results' must be an object")
        outcome = _outcome(entry)
        if isinstance(entry.get("id"), str) and entry["id"]:
            out.by_id.setdefault(entry["id"].lower(), []).append(outcome)
        if isinstance(entry.get("file"), str) and entry["file"]:
            out.by_file.setdefault(entry["file"].replace("\\", "/"), []).append(outcome)
        if isinstance(entry.get("detection"), str) and entry["detection"]:
            out.by_name.setdefault(entry["detection"], []).append(outcome)
    return out


def load_results(path: Path) -> TestResults:
    """Read the file `contentkit test --json FILE` wrote."""
    if path.exists() and not path.is_file():
        raise ResultsError(f"{path}: not a regular file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not a JSON file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ResultsError(f"{path}: JSON nested too deeply") from None
    return parse_results(data, str(path))
