"""Searching bytes for any of a set of literal strings, with Hyperscan when it is installed.

Hyperscan (Intel's SIMD regular-expression library, through the ``hyperscan`` package) finds
literals, ASCII case-insensitively when asked, several times faster than lower-casing the data
and calling ``bytes.find``, and many literals in one pass.  It is an optional dependency (its
wheels exist for x86-64 Linux): without it, :class:`LiteralSet` searches with RE2, and the
dataset scanner keeps its ``lower()`` + ``find`` loop (see :mod:`contentkit.spl.events`).
"""

from __future__ import annotations

import contextlib
import re
import threading
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


def _stop_scan(*_: Any) -> bool:
    return True


class _Scratches(threading.local):
    """Hyperscan scratch space per thread: one database may be scanned by several threads at
    once (a scan releases the GIL), but a scratch may serve one scan at a time."""

    def __init__(self, db: Any) -> None:
        self.scratch = hyperscan().Scratch(db)  # type: ignore[union-attr]


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
            try:
                db.compile(
                    expressions=[_pattern(lit) for lit in self.literals],
                    ids=list(range(len(self.literals))),
                    elements=len(self.literals),
                    flags=[flags | hs.HS_FLAG_SINGLEMATCH] * len(self.literals),
                )
            except hs.error as exc:  # beyond Hyperscan's limits
                raise ValueError(f"hyperscan cannot compile the literals: {exc}") from None
            self._db = db
            self._scratches = _Scratches(db)
            self._stop = hs.ScanTerminated
        else:
            import re2

            # caseless: the data is lower-cased (ASCII only, as Hyperscan and bytes.lower() do;
            # RE2's own case folding would also fold Latin-1 letters)
            self._lower = caseless
            lits = [lit.lower() for lit in self.literals] if caseless else self.literals
            options = re2.Options()
            options.encoding = re2.Options.Encoding.LATIN1
            self._rx = re2.compile(b"|".join(re.escape(lit) for lit in lits), options)

    def search(self, data: bytes) -> bool:
        """Whether one of the literals occurs in ``data``."""
        if self._db is not None:
            try:
                self._db.scan(data, match_event_handler=_stop_scan, scratch=self._scratches.scratch)
            except self._stop:  # stopped at the first match
                return True
            return False
        return self._rx.search(data.lower() if self._lower else data) is not None


class LineFinder:
    """Finds the lines that contain one of some fragments, ASCII case-insensitively, with
    Hyperscan: one pattern per fragment, the fragment followed by the rest of its line, so that
    a line is reported at its newline, once per fragment it holds however many hits it has
    (the reports of one line come together and are merged).  Patterns requiring the fragments
    of several groups on one line, in every order, were measured twice as slow as checking the
    other groups on the lines found."""

    def __init__(self, fragments: Sequence[bytes]) -> None:
        hs = hyperscan()
        if hs is None:
            raise RuntimeError("LineFinder needs hyperscan")
        if not fragments or any(not f or b"\n" in f for f in fragments):
            raise ValueError("fragments must be non-empty and hold no newline")
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        try:
            db.compile(
                expressions=[_pattern(f) + b"[^\\n]*\\n" for f in fragments],
                ids=list(range(len(fragments))),
                elements=len(fragments),
                flags=[hs.HS_FLAG_CASELESS] * len(fragments),
            )
        except hs.error as exc:  # beyond Hyperscan's limits: the caller searches otherwise
            raise ValueError(f"hyperscan cannot compile the fragments: {exc}") from None
        self._db = db
        self._scratches = _Scratches(db)
        self._stop = hs.ScanTerminated

    def scan(self, data: Any, on_line: Callable[[int], Any]) -> None:
        """``on_line(offset just after the newline)`` for each matching line of ``data`` that
        ends with a newline, in order (a last line without one is the caller's to check);
        ``on_line`` returning true stops the scan."""
        last = -1

        def report(_id: int, _from: int, to: int, _flags: int, _context: Any) -> Any:
            nonlocal last
            if to != last:
                last = to
                return on_line(to)
            return None

        with contextlib.suppress(self._stop):  # on_line stopped the scan
            self._db.scan(data, match_event_handler=report, scratch=self._scratches.scratch)
