"""Run the CLI the way a user does and check what every bad input must get: the exit code, a
one-line message on stderr, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def contentkit(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def assert_clean_failure(
    result: subprocess.CompletedProcess[str], code: int, *needles: str
) -> None:
    """Exit `code`, no traceback, and every needle in one line of the output (`validate`
    reports on stdout, other commands on stderr)."""
    assert result.returncode == code, (
        result.returncode,
        result.stdout[-500:],
        result.stderr[-2000:],
    )
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        output = result.stdout + result.stderr
        lines = [line for line in output.splitlines() if needle in line]
        assert lines, f"{needle!r} not in {output[-3000:]!r}"
