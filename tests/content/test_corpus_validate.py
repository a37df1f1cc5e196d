"""The real security_content repositories validate cleanly, and every file is counted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS_4, CORPUS_5, need

pytestmark = pytest.mark.corpus


def _yaml_files(root: Path, folder: str) -> int:
    return sum(1 for p in (root / folder).rglob("*") if p.suffix in {".yml", ".yaml"})


@pytest.mark.parametrize("corpus", [CORPUS_5, CORPUS_4], ids=["5.13.0", "4.42.0"])
def test_corpus_validates_and_counts_match_the_files(corpus: Path) -> None:
    root = need(corpus)
    result = subprocess.run(
        [sys.executable, "-m", "contentkit", "validate", str(root), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout == ""  # --quiet prints errors only
    summary = subprocess.run(
        [sys.executable, "-m", "contentkit", "validate", str(root)], capture_output=True, text=True
    ).stderr
    match = re.search(
        r"Loaded (\d+) detections, (\d+) stories, (\d+) macros, (\d+) lookups, (\d+) data sources",
        summary,
    )
    assert match, summary
    counts = [int(g) for g in match.groups()]
    expected = [
        _yaml_files(root, f) for f in ("detections", "stories", "macros", "lookups", "data_sources")
    ]
    assert counts == expected
    assert "Traceback" not in summary
