"""Bounds on one search in the embedded engine, so that no search can freeze `search`, `test`
or `serve`:

- a wall-clock limit (`bounded(timeout=...)`), checked as rows flow between commands;
- a row limit on every stream between two commands (`bounded(max_rows=...)`);
- regular expressions that cannot backtrack catastrophically: a pattern that could (more than
  one unbounded quantifier, or a quantified group) runs in RE2, a linear-time engine; one RE2
  cannot run (backreferences, lookaround) is refused when it has nested quantifiers.

Limits are per thread (the `test` runner's worker threads each run their own search).
"""

from __future__ import annotations

import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .errors import SplError

#: rows one command may hand to the next before the search stops (Splunk has no single
#: equivalent; it bounds memory rather than failing quietly)
DEFAULT_MAX_ROWS = 5_000_000
_CHECK_EVERY = 1024


class SearchTimeout(SplError):
    """The search ran past its wall-clock limit."""


class RowLimitExceeded(SplError):
    """A command produced more rows than the limit allows."""


@dataclass
class _Bounds:
    deadline: float | None  # set when the search starts running (its first guarded stream)
    timeout: float | None
    max_rows: int | None


_local = threading.local()
_default: _Bounds | None = None  # for a process that runs one search (`contentkit search`)


def _current() -> _Bounds | None:
    return getattr(_local, "bounds", None) or _default


def set_default(timeout: float | None = None, max_rows: int | None = DEFAULT_MAX_ROWS) -> None:
    """The limits of searches run outside any :func:`bounded` block, in any thread."""
    global _default
    timeout = timeout if timeout and timeout > 0 else None
    _default = _Bounds(None, timeout, max_rows or None)


@contextmanager
def bounded(
    timeout: float | None = None, max_rows: int | None = DEFAULT_MAX_ROWS
) -> Iterator[None]:
    """Run the search of this block (in this thread) with a time and a row limit; None or 0
    means no limit. The time counts from when the search starts running (not from here: a
    test may download its datasets first)."""
    previous = _current()
    timeout = timeout if timeout and timeout > 0 else None
    _local.bounds = _Bounds(None, timeout, max_rows or None)
    try:
        yield
    finally:
        _local.bounds = previous


def check() -> None:
    """Raise SearchTimeout past the deadline of the current search."""
    bounds = _current()
    if bounds is not None and bounds.deadline is not None and time.monotonic() > bounds.deadline:
        raise SearchTimeout(f"search stopped at its time limit of {bounds.timeout:g} s")


def check_rows(n: int, what: str) -> None:
    """Raise RowLimitExceeded when a command is about to hold ``n`` rows or groups (``what``
    says which: the row limit bounds memory inside a command too, e.g. the groups one event
    with many multivalue BY fields makes), and SearchTimeout past the deadline."""
    check()
    bounds = _current()
    if bounds is not None and bounds.max_rows is not None and n > bounds.max_rows:
        raise RowLimitExceeded(f"search stopped: {what} more than {bounds.max_rows} rows")


def check_combinations(lists: Sequence[Sequence[Any]], what: str) -> None:
    """:func:`check_rows` for the combinations (one value of each list) a command is about to
    make, before it makes them."""
    check_rows(math.prod(map(len, lists)), what)


def guard(stream: Iterator[Any]) -> Iterator[Any]:
    """`stream` with the current limits applied (itself when there are none)."""
    bounds = _current()
    if bounds is None or (bounds.timeout is None and bounds.max_rows is None):
        return stream
    if bounds.timeout is not None and bounds.deadline is None:
        bounds.deadline = time.monotonic() + bounds.timeout  # the clock starts with the search
    return _guarded(stream, bounds)


def _guarded(stream: Iterator[Any], bounds: _Bounds) -> Iterator[Any]:
    limit = bounds.max_rows
    for n, row in enumerate(stream, 1):
        if not n % _CHECK_EVERY:
            check()
            if limit is not None and n > limit:
                raise RowLimitExceeded(f"search stopped: a command produced more than {limit} rows")
        yield row


# ------------------------------------------------------------------------------ regexes
_UNBOUNDED = re.compile(r"\\.|\[(?:\\.|[^\]\\])*\]|[*+]|\{\d*,\}")
_GROUP_QUANTIFIED = re.compile(r"\)(?:[*+?]|\{\d*,?\d*\})")


def _unbounded_quantifiers(pattern: str) -> int:
    return sum(
        1 for m in _UNBOUNDED.finditer(pattern) if m.group(0)[0] != "\\" and m.group(0)[0] != "["
    )


def may_backtrack(pattern: str) -> bool:
    """Whether a backtracking engine could take more than linear time on `pattern`: more
    than one unbounded quantifier (`.*x.*`, `\\s+\\s+`) or a quantified group (`(a+)+`)."""
    return _unbounded_quantifiers(pattern) > 1 or bool(_GROUP_QUANTIFIED.search(pattern))


def _nested(pattern: str) -> bool:
    """A quantified group that holds a quantifier or an alternation: exponential backtracking."""
    depth_marks: list[int] = []
    i = 0
    inner: list[bool] = []
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            m = re.compile(r"\[(?:\\.|[^\]\\])*\]").match(pattern, i)
            i = m.end() if m else i + 1
            continue
        if c == "(":
            depth_marks.append(i)
            inner.append(False)
        elif c == ")" and depth_marks:
            depth_marks.pop()
            had = inner.pop()
            quantified = i + 1 < len(pattern) and pattern[i + 1] in "*+{"
            if had and quantified:
                return True
            if inner:
                inner[-1] = inner[-1] or had or quantified
        elif c in "*+|{" and inner:
            inner[-1] = True
        i += 1
    return False


_REFUSED = (
    "the pattern nests quantifiers (catastrophic backtracking) and uses a feature "
    "the linear-time engine lacks (backreference, lookaround)"
)


_PY_CODE_POINT = re.compile(r"(?<!\\)((?:\\\\)*)\\U([0-9a-fA-F]{8})")


def _re2(pattern: str) -> Any | None:
    try:
        import re2  # google-re2
    except ImportError:  # pragma: no cover - a dependency; still refuse safely below
        return None
    options = re2.Options()
    options.log_errors = False
    if "\\U" in pattern:  # RE2 spells a code point \x{202e}
        pattern = _PY_CODE_POINT.sub(lambda m: f"{m.group(1)}\\x{{{m.group(2)}}}", pattern)
    try:
        return re2.compile(pattern, options)
    except Exception:  # re2.error: a feature RE2 does not have
        return None


def _python(pattern: str) -> re.Pattern[str]:
    """`re.compile`, quiet about PCRE spellings Python may one day read differently
    (`[[` gives a FutureWarning on stderr otherwise)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(pattern)


_PCRE_CODE_POINT = re.compile(r"(?<!\\)((?:\\\\)*)\\x\{([0-9A-Fa-f]{1,8})\}")


def _code_points(pattern: str) -> str:
    """PCRE's `\\x{202E}` as Python's `\\U0000202e` (when the caller has not done it)."""
    if "\\x{" not in pattern:
        return pattern
    return _PCRE_CODE_POINT.sub(lambda m: m.group(1) + f"\\U{int(m.group(2), 16):08x}", pattern)


def check_regex(pattern: str) -> None:
    """Raise `re.error` when :func:`compile_regex` would (a cheaper test: RE2 is only tried
    for the patterns it must run)."""
    pattern = _code_points(pattern)
    _python(pattern)
    if may_backtrack(pattern) and _nested(pattern) and _re2(pattern) is None:
        raise re.error(_REFUSED)


def compile_regex(pattern: str) -> Any:
    """A compiled user regex (Python syntax) that cannot backtrack catastrophically;
    `re.error` if it is invalid or could only run with catastrophic backtracking.

    A pattern that could backtrack runs in RE2; one RE2 cannot run goes to the `regex`
    module, every match bounded in time (:class:`GuardedPattern`)."""
    pattern = _code_points(pattern)
    compiled = _python(pattern)  # the syntax check and the fast path
    if not may_backtrack(pattern):
        return compiled
    linear = _re2(pattern)
    if linear is not None:
        return linear
    if _nested(pattern):
        raise re.error(_REFUSED)
    return GuardedPattern(pattern)


#: a match of a guarded pattern may take this long when the search has no deadline of its own
REGEX_MATCH_TIMEOUT = 10.0


class RegexTimeout(SplError):
    """A regex match ran past its time."""


class GuardedPattern:
    """The `re.Pattern` methods the engine uses, run by the `regex` module with a timeout:
    the search's remaining time, else :data:`REGEX_MATCH_TIMEOUT`."""

    def __init__(self, pattern: str) -> None:
        import regex

        self.pattern = pattern
        self._rx = regex.compile(pattern)
        self.groupindex = dict(self._rx.groupindex)
        self.groups = self._rx.groups

    def _timeout(self) -> float:
        bounds = _current()
        if bounds is not None and bounds.deadline is not None:
            return max(0.001, bounds.deadline - time.monotonic())
        if bounds is not None and bounds.timeout is not None:
            return bounds.timeout
        return REGEX_MATCH_TIMEOUT

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, timeout=self._timeout(), **kwargs)
        except TimeoutError:
            raise RegexTimeout(
                f"regex {self.pattern!r} ran out of time on one value (it backtracks)"
            ) from None

    def search(self, text: str) -> Any:
        return self._run(self._rx.search, text)

    def match(self, text: str) -> Any:
        return self._run(self._rx.match, text)

    def fullmatch(self, text: str) -> Any:
        return self._run(self._rx.fullmatch, text)

    def finditer(self, text: str) -> Iterator[Any]:
        return iter(self._run(lambda t, timeout: list(self._rx.finditer(t, timeout=timeout)), text))

    def findall(self, text: str) -> list[Any]:
        return self._run(self._rx.findall, text)

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        return self._run(self._rx.sub, repl, text, count)

    def split(self, text: str, maxsplit: int = 0) -> list[str]:
        return self._run(self._rx.split, text, maxsplit)


# ------------------------------------------------------------------------------ numbers
_MAX_EXACT = 2**63  # Splunk's numbers are 64-bit: larger integers become doubles
MAX_FORMAT_WIDTH = 10_000  # printf widths and precisions
_FORMAT_NUMBERS = re.compile(r"%[-+ #0']*(\d*)(?:\.(\d+))?")


def format_too_wide(fmt: str) -> bool:
    """Whether a printf format asks for a width or precision that would build a huge string."""
    return any(
        int(n) > MAX_FORMAT_WIDTH for m in _FORMAT_NUMBERS.finditer(fmt) for n in m.groups() if n
    )


def finite(value: Any) -> Any:
    """An eval result as Splunk's 64-bit numbers hold it: infinities and NaN (overflow,
    0/0) become null, integers past 64 bits become doubles (null past the double range)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int and not -_MAX_EXACT <= value < _MAX_EXACT:
        try:
            return float(value)
        except OverflowError:
            return None
    return value


def overflow_safe(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A compiled eval function whose arithmetic overflow gives null, never an exception."""

    def safe(event: Any) -> Any:
        try:
            return finite(fn(event))
        except (OverflowError, ZeroDivisionError):
            return None

    return safe
