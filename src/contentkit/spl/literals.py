"""Searching bytes for any of a set of literal strings, with Hyperscan when it is installed.

Hyperscan (Intel's SIMD regular-expression library, through the ``hyperscan`` package) finds
literals, ASCII case-insensitively when asked, several times faster than lower-casing the data
and calling ``bytes.find``, and many literals in one pass.  It is an optional dependency (its
wheels exist for x86-64 Linux): without it, :class:`LiteralSet` searches with RE2, and the
dataset scanner keeps its ``lower()`` + ``find`` loop (see :mod:`contentkit.spl.events`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def hyperscan() -> Any | None:
    """The ``hyperscan`` module, or ``None`` when it is not installed (or cannot load)."""
    try:
        import hyperscan as hs
    except Exception:  # an ImportError, or a missing shared library / CPU feature
        return None
    return hs


def _pattern(literal: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in literal)


class LiteralSet:
    """Literals to look for in bytes (``caseless``: ASCII letters in any case)."""

    def __init__(self, literals: Sequence[bytes], caseless: bool = False) -> None:
        if not literals or any(not lit for lit in literals):
            raise ValueError("literals must be non-empty")
        self.literals = tuple(literals)
        hs = hyperscan()
        self._db: Any = None
        self._rx: Any = None
        if hs is not None:
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            flags = hs.HS_FLAG_CASELESS if caseless else 0
            db.compile(
                expressions=[_pattern(lit) for lit in self.literals],
                ids=list(range(len(self.literals))),
                elements=len(self.literals),
                flags=[flags | hs.HS_FLAG_SINGLEMATCH] * len(self.literals),
            )
            self._db = db
            self._all: Any = None
            self._caseless = caseless
        else:
            import re2

            options = re2.Options()
            options.case_sensitive = not caseless
            options.encoding = re2.Options.Encoding.LATIN1
            self._rx = re2.compile(b"|".join(re.escape(lit) for lit in self.literals), options)

    def search(self, data: bytes) -> bool:
        """Whether one of the literals occurs in ``data``."""
        if self._db is not None:
            found = []
            try:
                self._db.scan(data, match_event_handler=lambda *_: found.append(1) or True)
            except hyperscan().ScanTerminated:  # the handler stopped it at the first match
                pass
            return bool(found)
        return self._rx.search(data) is not None

    def scan(self, data: Any, on_hit: Callable[[int], Any]) -> None:
        """``on_hit(end offset)`` for every occurrence in ``data`` (a bytes-like object), in
        order of end offsets; ``on_hit`` returning true stops the scan.  Hyperscan only."""
        hs = hyperscan()
        if hs is None:
            raise RuntimeError("LiteralSet.scan needs hyperscan")
        if self._all is None:
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            flags = hs.HS_FLAG_CASELESS if self._caseless else 0
            db.compile(
                expressions=[_pattern(lit) for lit in self.literals],
                ids=list(range(len(self.literals))),
                elements=len(self.literals),
                flags=[flags] * len(self.literals),
            )
            self._all = db
        try:
            self._all.scan(data, match_event_handler=lambda _id, _from, to, _f, _c: on_hit(to))
        except hs.ScanTerminated:
            pass
