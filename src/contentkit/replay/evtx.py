"""Windows `.evtx` files as datasets: each record rendered as the Splunk Universal Forwarder
renders it with `renderXml=true` (sourcetype `XmlWinEventLog`), one `<Event>` per line.

The records are read by `evtx` (PyPI; the Rust parser), whose XML output is pretty-printed with
double-quoted attributes; here it is re-serialised the forwarder's way: no whitespace between
elements, single-quoted attributes, empty elements closed as `<Correlation/>` (except `Data`,
written `<Data Name='x'></Data>`), text escaping only `&`, `<` and `>`, and `SystemTime` with nine
fractional digits (`2020-10-08T11:03:46.617920300Z`). Message text (`RenderingInfo`) needs the
publisher's DLLs on Windows, so, like a forwarder with `suppress_text`, there is none.

The rest of contentkit reads text: `textdata.text_dataset` converts an `.evtx` file once into
an `.xml` file in a cache (named by the file's SHA-256) and returns that path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from contentkit.replay.textdata import DataError

MAGIC = b"ElfFile\0"
_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?\s*Z?(?:\s*UTC)?$")


class EvtxError(DataError):
    """The file is not a readable EVTX file; the message names it."""


def is_evtx(path: Path) -> bool:
    """True for `.evtx` files and for any file starting with the EVTX signature."""
    if path.suffix.lower() == ".evtx":
        return True
    if not path.is_file():  # a FIFO or device: never opened here (reading one blocks)
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == MAGIC
    except OSError:
        return False


def _system_time(value: str) -> str:
    found = _TIME.match(value.strip())
    if not found:
        return value
    day, clock, fraction = found.groups()
    digits = ((fraction or "")[:7]).ljust(7, "0")
    return f"{day}T{clock}.{digits}00Z"


_BETWEEN_TAGS = re.compile(r">\n[ \t]*<")
_OPEN_CLOSE = ("Data", "Binary")  # empty ones stay <Data Name='x'></Data>


_EMPTY = re.compile(r"<([\w:]+)([^<>/]*)></([\w:]+)>")


def _empty(found: re.Match[str]) -> str:
    name = found.group(1)
    if name != found.group(3) or name in _OPEN_CLOSE:
        return found.group(0)
    return f"<{name}{found.group(2)}/>"


def _close_empty(body: str) -> str:
    """`<X a='1'></X>` -> `<X a='1'/>` (not for Data and Binary)."""
    return _EMPTY.sub(_empty, body) if "></" in body else body


_TAG = re.compile(r"<[\w:]+\s[^<>]*>")  # a start tag with attributes
_ATTR = re.compile(r'(\s[\w:]+)="([^"]*)"')


def _single_quoted(found: re.Match[str]) -> str:
    name, value = found.group(1), found.group(2)
    if name.strip() == "SystemTime":
        value = _system_time(value)
    return f"{name}='{value.replace(chr(39), '&apos;')}'"


def _tag(found: re.Match[str]) -> str:
    tag = found.group(0)
    if "'" in tag or "SystemTime" in tag:
        return _ATTR.sub(_single_quoted, tag)
    return tag.replace('"', "'")  # inside a tag, only attribute delimiters are raw quotes


def render_record(xml: str) -> str:
    """One record's XML (as the parser gives it: pretty-printed, double-quoted attributes,
    text escaped for `&`, `<` and `>`) in the forwarder's one-line form. The parser's
    indentation is the only text removed; values keep every character."""
    start = xml.find("<Event")
    if start < 0:
        raise EvtxError("no <Event> element in the record")
    body = _BETWEEN_TAGS.sub("><", xml[start:].rstrip())
    body = _close_empty(body)
    return _TAG.sub(_tag, body)


def evtx_events(path: Path) -> Iterator[str]:
    """The records of an EVTX file in file order, each as one forwarder-style XML line."""
    try:
        from evtx import PyEvtxParser
    except ImportError:  # pragma: no cover - a dependency of contentkit
        raise EvtxError("reading .evtx needs the 'evtx' package (pip install evtx)") from None
    try:
        # one thread: on small files the parser's thread start-up costs more than it saves
        threads = 1 if path.stat().st_size < (8 << 20) else 0
        parser = PyEvtxParser(str(path), number_of_threads=threads)
        records: list[dict[str, Any]] = [r for r in parser.records() if isinstance(r, dict)]
    except (OSError, RuntimeError, ValueError) as exc:
        raise EvtxError(f"{path}: not a readable EVTX file ({exc})") from None
    records.sort(key=lambda r: int(r.get("event_record_id") or 0))
    for record in records:
        data = record.get("data")
        if not isinstance(data, str):
            raise EvtxError(f"{path}: record {record.get('event_record_id')} cannot be read")
        try:
            yield render_record(data)
        except EvtxError as exc:
            raise EvtxError(f"{path}: record {record.get('event_record_id')}: {exc}") from None
