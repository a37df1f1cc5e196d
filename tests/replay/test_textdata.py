"""Dataset files in other forms than UTF-8 text: compressed (gzip, bzip2, xz), UTF-16/UTF-32 or
UTF-8 with a byte-order mark, archives and other binary data; through `textdata.text_dataset`
and through `contentkit search`, where they used to be read as garbage lines."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from contentkit.cli import cli
from contentkit.replay.textdata import DataError, text_dataset

LINES = '{"user": "jos\u00e9", "action": "failure"}\n{"user": "ann", "action": "success"}\n'


def _search(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["search", "search action=* | table user action", "--data", str(path), *extra],
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("auth.json.gz", lambda b: gzip.compress(b)),
        ("auth.json.gz2", lambda b: gzip.compress(b[:20]) + gzip.compress(b[20:])),  # 2 members
        ("auth.json.bz2", lambda b: bz2.compress(b)),
        ("auth.json.xz", lambda b: lzma.compress(b)),
        ("auth16.json", lambda b: b.decode().encode("utf-16")),
        ("auth16be.json", lambda b: b"\xfe\xff" + b.decode().encode("utf-16-be")),
        ("auth32.json", lambda b: b.decode().encode("utf-32")),
        ("authbom.json", lambda b: b"\xef\xbb\xbf" + b),
        ("auth16.json.gz", lambda b: gzip.compress(b.decode().encode("utf-16"))),
    ],
)
def test_every_form_reads_as_the_same_events(tmp_path: Path, name: str, encode: object) -> None:
    path = tmp_path / name
    path.write_bytes(encode(LINES.encode()))  # type: ignore[operator]
    text = text_dataset(path, tmp_path / "cache")
    assert text.read_text(encoding="utf-8") == LINES
    assert text_dataset(path, tmp_path / "cache") == text  # converted once
    code, output = _search(path)
    assert code == 0, output
    assert [json.loads(line) for line in output.splitlines()] == [
        {"user": "jos\u00e9", "action": "failure"},
        {"user": "ann", "action": "success"},
    ]


def test_plain_text_is_read_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.write_text(LINES, encoding="utf-8")
    assert text_dataset(path, tmp_path / "cache") == path
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(gzip.compress(LINES.encode() * 50)[:60]), "truncated gzip data"),
        (lambda p: p.write_bytes(b"\x1f\x8b" + b"\x00" * 40), "corrupt or truncated gzip data"),
        (lambda p: p.write_bytes(b"BZh9" + b"junk" * 10), "corrupt or truncated bzip2 data"),
        (lambda p: p.write_bytes(b"\xfd7zXZ\x00" + b"junk" * 10), "corrupt or truncated xz data"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary data"),
        (lambda p: p.write_bytes(gzip.compress(b"\x7fELF\x02\x01\x01\x00" * 4)), "binary data"),
    ],
)
def test_what_holds_no_text_is_one_clear_error(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "bad.log"
    make(path)  # type: ignore[operator]
    with pytest.raises(DataError, match=message):
        text_dataset(path, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.log"))  # nothing half-written is kept
    code, output = _search(path)
    assert code == 2
    assert output.count("\n") == 1 and "Traceback" not in output
    assert str(path) in output


def test_an_archive_is_named(tmp_path: Path) -> None:
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("auth.json", LINES)
    with pytest.raises(DataError, match="is a zip archive: extract the log files from it first"):
        text_dataset(path, tmp_path / "cache")
