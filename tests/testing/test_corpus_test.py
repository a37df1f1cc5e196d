"""`contentkit test` over the whole 5.13.0 corpus: no crash, every detection accounted for."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS_5, need

pytestmark = pytest.mark.corpus


def test_corpus_reports_every_detection(tmp_path: Path) -> None:
    root = need(CORPUS_5)
    report = tmp_path / "r.json"
    result = subprocess.run(
        [sys.executable, "-m", "contentkit", "test", str(root), "--offline", "-q",
         "--cache-dir", str(tmp_path / "cache"), "--results-dir", str(tmp_path), "--json", str(report)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stderr[-2000:]
    data = json.loads(report.read_text())
    detections = sum(1 for _ in (root / "detections").rglob("*.yml"))
    assert sum(data["detections"].values()) == detections
    line = re.search(r"^detections: (.*)$", result.stdout, re.M)
    assert line, result.stdout
    printed = sum(int(n) for n in re.findall(r"(\d+) \w+", line.group(1)))
    assert printed == detections
    for r in data["results"]:
        assert r["verdict"] in {
            "pass",
            "fail",
            "error",
            "app_unavailable",
            "unsupported",
            "dataset_unavailable",
            "skipped",
        }
        if r["verdict"] == "unsupported":
            assert r["unit"]["message"].startswith("the embedded engine does not run: ")
            # data-model searches run; without apps they are app_unavailable instead
            for command in ("tstats", "datamodel", "from"):
                assert command not in r["unit"]["message"].split(": ", 1)[1].split(", ")
        if r["verdict"] == "app_unavailable":
            message = r["unit"]["message"]
            assert re.match(
                r"data model [\w, ]+ needs app Splunk_SA_CIM: offline and not cached ", message
            )
            assert "https://" in message and "cim" in message  # the app's URL is named
        if r["verdict"] == "dataset_unavailable":
            assert "://" in r["unit"]["message"]  # the URL is named
    # CI has no apps: every data-model detection (over 900 in 5.13.0) names the app it needs
    assert data["detections"]["app_unavailable"] > 900
    # every core command runs: none is unsupported (only MLTK/metrics/app commands could be)
    assert data["detections"].get("unsupported", 0) == 0
