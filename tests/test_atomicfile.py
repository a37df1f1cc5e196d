"""contentkit.atomicfile: whole files, with the mode a plain open() gives them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from contentkit.atomicfile import write_text_atomic


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_file_is_whole_and_readable_as_open_would_make_it(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "junit.xml"
    write_text_atomic(path, "<testsuites/>\n")
    assert path.read_text() == "<testsuites/>\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()  # mkstemp gave 0600
    assert [p.name for p in path.parent.iterdir()] == ["junit.xml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "summary.yml"
    path.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "new \ud800 text\n")  # a lone surrogate cannot be UTF-8
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.yml"]


def test_reports_of_contentkit_test_are_readable_by_others(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from contentkit.cli import cli
    from tests.conftest import REPO

    junit, report = tmp_path / "junit.xml", tmp_path / "results.json"
    result = CliRunner().invoke(
        cli,
        [
            "test",
            str(REPO),
            "-q",
            "--junit",
            str(junit),
            "--json",
            str(report),
            "--results-dir",
            str(tmp_path / "results"),
        ],
    )
    assert result.exit_code == 0, result.output
    for path in (junit, report, tmp_path / "results" / "summary.yml"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask(), path
