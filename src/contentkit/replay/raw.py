"""Raw events of a dataset as a Splunk input receives them: split into events by the format of
the sourcetype (one JSON object or text line per event, or one Windows XML `<Event>` each).

Shared by the replay client (to count and batch what it sends) and the embedded server (to
break what it receives), so both agree on the number of events.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from contentkit.spl.events import detect_format, split_xml_events


def _is_xml(head: str, sourcetype: str) -> bool:
    stripped = head.lstrip()
    return detect_format(sourcetype, stripped) == "xml" and (
        stripped.startswith("<Event") or stripped.startswith("<?xml")
    )


def split_events(text: str, sourcetype: str = "") -> list[str]:
    """Break the body of a raw input into events."""
    if _is_xml(text[:4096], sourcetype):
        return split_xml_events(text)
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


@dataclass
class RawData:
    """The events of a dataset, ready to send: line-oriented files stay one block of bytes
    (cut at line ends into batches); XML files are split into events."""

    count: int
    data: bytes = b""
    events: list[str] | None = None

    def chunks(self, max_bytes: int = 4 << 20) -> Iterator[tuple[bytes, int]]:
        """(body, approximate number of events) of consecutive batches of about `max_bytes`."""
        if self.events is not None:
            batch: list[str] = []
            size = 0
            for raw in self.events:
                if batch and size + len(raw) + 1 > max_bytes:
                    yield "\n".join(batch).encode("utf-8"), len(batch)
                    batch, size = [], 0
                batch.append(raw)
                size += len(raw) + 1
            if batch:
                yield "\n".join(batch).encode("utf-8"), len(batch)
            return
        data = self.data
        start = 0
        while start < len(data):
            end = len(data)
            if end - start > max_bytes:
                cut = data.rfind(b"\n", start, start + max_bytes)
                if cut <= start:
                    cut = data.find(b"\n", start + max_bytes)
                end = len(data) if cut < 0 else cut + 1
            chunk = data[start:end]
            start = end
            if chunk.strip():
                yield chunk, chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)


def read_raw(path: str | Path, sourcetype: str = "") -> RawData:
    """The raw events of a dataset file (UnicodeDecodeError/OSError when it cannot be read)."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():  # reading a FIFO blocks
        raise OSError(errno.ENXIO, "not a regular file (a FIFO or device)")
    data = path.read_bytes()
    text = data.decode("utf-8")
    if _is_xml(text[:4096], sourcetype):
        events = split_xml_events(text)
        return RawData(len(events), events=events)
    count = sum(1 for line in data.split(b"\n") if line.strip())
    return RawData(count, data=data)
