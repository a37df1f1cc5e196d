"""A dataset file as the text the engine and the replay read, whatever form it came in.

The engine reads UTF-8 text lines. A dataset may come otherwise, and each form is handled once,
the result kept in a cache under the file's SHA-256 (written to a temporary file, then renamed):

- a Windows `.evtx` file: rendered as XML events, one per line (see `evtx.py`);
- gzip, bzip2 or xz compressed text (Splunk's file input reads `.gz` and `.bz2` too): decompressed;
- UTF-16 or UTF-32 text with a byte-order mark, or UTF-8 with one: written as plain UTF-8.

Anything else that holds a NUL byte in its first 8 KB is binary data (an archive, an image, an
executable) and is refused with one line naming the file, as Splunk's file input skips binary
files; archives name their format, so that the user knows to extract them. Decompression and
transcoding stream, so a file larger than memory is fine. The standard library's codecs do the
work: gzip, bz2, lzma and the incremental decoders.
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import hashlib
import lzma
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

#: bytes looked at to tell the form of a file
HEAD = 8192
CHUNK = 1 << 20

#: (signature, name, opener reading the decompressed bytes (its default mode is "rb"))
_COMPRESSED: tuple[tuple[bytes, str, Callable[[str], Any]], ...] = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bzip2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
)
#: signatures of binary formats worth naming in the error (the rest is "binary data")
_ARCHIVES = (
    (b"PK\x03\x04", "a zip archive"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)
#: byte-order marks, the longest first (UTF-32 LE starts like UTF-16 LE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class DataError(Exception):
    """A dataset file that cannot be read as text; the message names it."""


def default_cache() -> Path:
    base = os.environ.get("CONTENTKIT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "contentkit"
    )
    return Path(base) / "text"


def text_dataset(path: Path, cache_dir: Path | None = None) -> Path:
    """`path` itself when it is UTF-8 text (or text in an 8-bit encoding), else its text in
    `cache_dir` (see the module's comment); DataError for a file that holds no text."""
    from contentkit.replay.evtx import evtx_events, is_evtx

    if not path.is_file():  # missing, a directory, a FIFO (never opened here: it would block)
        return path  # the reader says what it is
    cache = cache_dir or default_cache()
    if is_evtx(path):
        return _cached(path, cache, ".xml", lambda out: _write_lines(evtx_events(path), out))
    head = _head(path)
    for magic, kind, opener in _COMPRESSED:
        if head.startswith(magic):
            return _cached(path, cache, ".log", functools.partial(_decompress, path, kind, opener))
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return _cached(path, cache, ".log", lambda out: _copy_text(path, _raw_chunks(path), out))
    _refuse_binary(path, head)
    return path


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD)
    except OSError as exc:
        raise DataError(f"cannot read dataset {path}: {exc.strerror}") from None


def _refuse_binary(path: Path, head: bytes) -> None:
    at = head.find(b"\0")
    if at < 0:
        return
    for magic, what in _ARCHIVES:
        if head.startswith(magic):
            raise DataError(f"dataset {path} is {what}: extract the log files from it first")
    if len(head) > 262 and head[257:262] == b"ustar":
        raise DataError(f"dataset {path} is a tar archive: extract the log files from it first")
    raise DataError(
        f"dataset {path} holds binary data (a NUL byte at offset {at}), not log text; "
        "Splunk's file input skips such files too"
    )


def _raw_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(CHUNK), b"")


def _decompress(path: Path, kind: str, opener: Callable[[str], Any], out: IO[bytes]) -> None:
    def chunks() -> Iterator[bytes]:
        with opener(str(path)) as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")

    try:
        _copy_text(path, chunks(), out)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        raise DataError(f"dataset {path}: corrupt or truncated {kind} data ({reason})") from None


def _copy_text(path: Path, chunks: Iterable[bytes], out: IO[bytes]) -> None:
    """The text of ``chunks`` into ``out`` as UTF-8 (a byte-order mark says the encoding)."""
    it = iter(chunks)
    first = b""
    for chunk in it:  # enough bytes to tell the form of the text
        first += chunk
        if len(first) >= HEAD:
            break
    encoding = next((enc for bom, enc in _BOMS if first.startswith(bom)), None)
    if encoding is None:
        _refuse_binary(path, first[:HEAD])
        out.write(first)
        for chunk in it:
            out.write(chunk)
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    out.write(decoder.decode(first).encode("utf-8", "surrogatepass"))
    for chunk in it:
        out.write(decoder.decode(chunk).encode("utf-8", "surrogatepass"))
    out.write(decoder.decode(b"", final=True).encode("utf-8", "surrogatepass"))


def _write_lines(lines: Iterable[str], out: IO[bytes]) -> None:
    for line in lines:
        out.write(line.encode("utf-8", "surrogatepass") + b"\n")


def _cached(path: Path, cache: Path, suffix: str, write: Callable[[IO[bytes]], None]) -> Path:
    """The file ``write`` makes from ``path``, made once and kept under its SHA-256."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        raise DataError(f"cannot read dataset {path}: {exc.strerror}") from None
    target = cache / f"{digest.hexdigest()[:32]}{suffix}"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".text-", suffix=suffix, dir=cache)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
