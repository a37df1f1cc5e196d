"""Against a real Splunk Enterprise: runs when SPLUNK_URL and credentials are set, skipped
otherwise. For Splunk's Docker image, see the README ("Testing against Splunk").

    SPLUNK_URL=https://127.0.0.1:8089 SPLUNK_USERNAME=admin SPLUNK_PASSWORD=… \
    SPLUNK_HEC_URL=https://127.0.0.1:8088 SPLUNK_HEC_TOKEN=… SPLUNK_INSECURE=1 \
    .venv/bin/pytest tests/replay/test_live_splunk.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contentkit import spl
from contentkit.replay.splunk import Settings, SplunkTarget

from ..server.common import DATASET, DETECTION, REPO, normalize

HAVE_LOGIN = bool(
    os.environ.get("SPLUNK_TOKEN")
    or (os.environ.get("SPLUNK_USERNAME") and os.environ.get("SPLUNK_PASSWORD"))
)
pytestmark = pytest.mark.skipif(
    not (os.environ.get("SPLUNK_URL") and HAVE_LOGIN),
    reason="no real Splunk: set SPLUNK_URL and SPLUNK_USERNAME/SPLUNK_PASSWORD (or SPLUNK_TOKEN)",
)
INSECURE = os.environ.get("SPLUNK_INSECURE", "").lower() in ("1", "true", "yes")


def test_replay_and_search_on_splunk_match_the_embedded_engine() -> None:
    settings = Settings.from_env(verify=not INSECURE)
    warnings: list[str] = []
    target = SplunkTarget(settings, warn=warnings.append)
    target.prepare()
    dataset = spl.Dataset(DATASET, sourcetype="_json", source="kubernetes")
    rows = target.run(DETECTION, [dataset], label="live")
    expected = normalize(spl.run(DETECTION, datasets=[dataset]))
    assert normalize(rows) == expected
    assert len(rows) == 2


def test_contentkit_test_target_passes_on_splunk(tmp_path: Path) -> None:
    url = os.environ["SPLUNK_URL"]
    args = ["--insecure"] if INSECURE else []
    report = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "contentkit",
            "test",
            ".",
            "--target",
            url,
            *args,
            "--json",
            str(report),
            "--results-dir",
            str(tmp_path),
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=900,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert data["counts"]["pass"] == 2 and data["counts"]["fail"] == 0
