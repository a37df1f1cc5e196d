"""The order of ``stats``/``chart`` result rows: group keys compared field by field, numbers first
(numerically), then strings (by code point), keys that compare equal keeping their order.

A key is turned into one ``bytes`` value that sorts the same way (each distinct value encoded
once), so that sorting runs on ``memcmp`` instead of tuple comparisons, and so that processes
sorting parts of the groups separately agree: their sorted lists merge into the order of the
whole.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable

from .values import to_number

_NUMBER = b"\x00"
_STRING = b"\x01"
_END = b"\x00\x00"  # ends a string: sorts before any byte of one (NUL is escaped)


def value_code(s: str) -> bytes:
    """Bytes that compare like the value's place in the result order: a number (as Splunk reads
    one) as its float, order-preserving; else the string's UTF-8 bytes, escaped and ended."""
    if s and (s[0] in "0123456789-+. "):
        n = to_number(s)
        if n is not None:
            x = float(n)
            if math.isnan(x):
                x = math.inf
            bits = struct.unpack(">Q", struct.pack(">d", x + 0.0))[0]  # + 0.0: -0.0 is 0.0
            bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 1 << 63
            return _NUMBER + bits.to_bytes(8, "big")
    raw = s.encode("utf-8", "surrogatepass")
    if b"\x00" in raw:
        raw = raw.replace(b"\x00", b"\x00\xff")
    return _STRING + raw + _END


class _Codes(dict[str, bytes]):
    def __missing__(self, value: str) -> bytes:
        code = self[value] = value_code(value)
        return code


class KeyCoder:
    """Codes of group keys (tuples of strings), each distinct value encoded once."""

    def __init__(self) -> None:
        self._get = _Codes().__getitem__

    def code(self, key: tuple[str, ...]) -> bytes:
        return b"".join(map(self._get, key))


def sorted_keys(keys: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Group keys in result order (keys that compare equal keep their order)."""
    code = KeyCoder().code
    return sorted(keys, key=code)
