"""Write small Windows `.evtx` files for the tests (the suite makes its own: no sample file of
unclear licence is shipped).

Written from the published EVTX format (file header, one 64 KiB chunk, event records whose
payload is binary XML with inline names and string values, CRC32 checksums). Real Windows
logs put the values in template substitutions; parsers read plain binary XML as well, which is
all the tests need.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
CHUNK_SIZE = 65536
CHUNK_HEADER = 512


@dataclass
class Element:
    name: str
    attributes: list[tuple[str, str]] = field(default_factory=list)
    children: list[Element] = field(default_factory=list)
    text: str | None = None


def sysmon_event(
    event_id: int,
    when: datetime,
    computer: str,
    data: Sequence[tuple[str, str]],
    record_id: int,
) -> Element:
    """An event shaped like Sysmon's (provider, System block, EventData of named Data)."""
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    system = Element(
        "System",
        children=[
            Element(
                "Provider",
                [
                    ("Name", "Microsoft-Windows-Sysmon"),
                    ("Guid", "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"),
                ],
            ),
            Element("EventID", text=str(event_id)),
            Element("Version", text="5"),
            Element("Level", text="4"),
            Element("Task", text=str(event_id)),
            Element("Opcode", text="0"),
            Element("Keywords", text="0x8000000000000000"),
            Element("TimeCreated", [("SystemTime", stamp)]),
            Element("EventRecordID", text=str(record_id)),
            Element("Correlation"),
            Element("Execution", [("ProcessID", "2124"), ("ThreadID", "3424")]),
            Element("Channel", text="Microsoft-Windows-Sysmon/Operational"),
            Element("Computer", text=computer),
            Element("Security", [("UserID", "S-1-5-18")]),
        ],
    )
    event_data = Element(
        "EventData", children=[Element("Data", [("Name", k)], text=v) for k, v in data]
    )
    return Element("Event", [("xmlns", EVENT_NS)], [system, event_data])


def _hash(name: str) -> int:
    value = 0
    for char in name:
        value = (value * 65599 + ord(char)) & 0xFFFFFFFF
    return value & 0xFFFF


class _Chunk:
    def __init__(self) -> None:
        self.buf = bytearray(CHUNK_HEADER)

    def u8(self, value: int) -> None:
        self.buf += struct.pack("<B", value)

    def u16(self, value: int) -> None:
        self.buf += struct.pack("<H", value)

    def u32(self, value: int) -> None:
        self.buf += struct.pack("<I", value)

    def name(self, text: str) -> None:
        """A name reference pointing right behind itself, with the name inline."""
        self.u32(len(self.buf) + 4)
        self.u32(0)  # next string in the chunk's hash bucket
        self.u16(_hash(text))
        self.u16(len(text))
        self.buf += text.encode("utf-16-le") + b"\0\0"

    def text(self, value: str) -> None:
        self.u8(0x05)  # value text
        self.u8(0x01)  # UTF-16 string
        self.u16(len(value))
        self.buf += value.encode("utf-16-le")

    def element(self, el: Element) -> None:
        self.u8(0x41 if el.attributes else 0x01)  # (no dependency id outside templates)
        size_at = len(self.buf)
        self.u32(0)  # data size, patched below
        self.name(el.name)
        if el.attributes:
            list_at = len(self.buf)
            self.u32(0)
            for index, (key, value) in enumerate(el.attributes):
                self.u8(0x46 if index < len(el.attributes) - 1 else 0x06)
                self.name(key)
                self.text(value)
            struct.pack_into("<I", self.buf, list_at, len(self.buf) - list_at - 4)
        if el.children or el.text is not None:
            self.u8(0x02)  # close start element
            if el.text is not None:
                self.text(el.text)
            for child in el.children:
                self.element(child)
            self.u8(0x04)  # end element
        else:
            self.u8(0x03)  # close empty element
        struct.pack_into("<I", self.buf, size_at, len(self.buf) - size_at - 4)


def _filetime(when: datetime) -> int:
    return int((when.timestamp() + 11644473600) * 10_000_000)


def write_evtx(path: Path, events: Sequence[tuple[datetime, Element]]) -> Path:
    """Write `events` (written time, XML tree) as one chunk of an `.evtx` file."""
    chunk = _Chunk()
    last_offset = CHUNK_HEADER
    for number, (when, event) in enumerate(events, start=1):
        start = len(chunk.buf)
        last_offset = start
        chunk.buf += b"**\0\0"
        chunk.u32(0)  # size, patched below
        chunk.buf += struct.pack("<QQ", number, _filetime(when))
        chunk.buf += bytes([0x0F, 0x01, 0x01, 0x00])  # fragment header
        chunk.element(event)
        chunk.u8(0x00)  # end of stream
        size = len(chunk.buf) - start + 4
        chunk.u32(size)
        struct.pack_into("<I", chunk.buf, start + 4, size)
    free = len(chunk.buf)
    if free > CHUNK_SIZE:
        raise ValueError("too many events for one chunk")
    count = len(events)
    buf = chunk.buf
    struct.pack_into("<8sQQQQIII", buf, 0, b"ElfChnk\0", 1, count, 1, count, 128, last_offset, free)
    struct.pack_into("<I", buf, 52, zlib.crc32(bytes(buf[CHUNK_HEADER:free])))
    struct.pack_into("<I", buf, 124, zlib.crc32(bytes(buf[0:120]) + bytes(buf[128:512])))
    body = bytes(buf) + bytes(CHUNK_SIZE - free)
    header = bytearray(4096)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\0", 0, 0, count + 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[0:120])))
    path.write_bytes(bytes(header) + body)
    return path
