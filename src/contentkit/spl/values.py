"""Value helpers shared by the evaluator and the commands.

Field values are ``str``, ``int``, ``float`` or ``list`` (a multivalue field); a missing field or
a null eval result is ``None`` (and the field is absent from the event).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

Value = Any


def as_list(value: Value) -> list[Any]:
    if type(value) is str:
        return [value]
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def to_number(value: Value) -> int | float | None:
    """Numeric value of a field or literal; ``None`` when it does not look like a number."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        return to_number(value[0]) if len(value) == 1 else None
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        try:
            return int(s)
        except ValueError:
            pass
        try:
            f = float(s)
        except ValueError:
            if s.lower().startswith("0x"):
                try:
                    return int(s, 16)
                except ValueError:
                    return None
            return None
        if math.isnan(f) or s.lower() in ("inf", "-inf", "+inf", "infinity", "nan"):
            return None
        return f
    return None


def add_value(out: dict[str, Any], name: str, value: Any) -> None:
    """Add ``value`` to the field ``name`` of ``out``: a second value makes it multivalue."""
    cur = out.get(name)
    if cur is None:
        out[name] = value
    elif isinstance(cur, list):
        cur.append(value)
    else:
        out[name] = [cur, value]


def finite_number(value: Value) -> int | float | None:
    """:func:`to_number` when the number is finite (``1e309`` reads as infinity: no number to
    bin or to read as a time)."""
    n = to_number(value)
    return n if n is None or type(n) is int or math.isfinite(n) else None


def to_str(value: Value) -> str:
    """String form of a value, as Splunk prints it."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = f"{value:.16g}"  # 16 significant digits: 0.1 + 0.2 prints as 0.3, as in Splunk
        return text if "e" not in text and "n" not in text else repr(value)
    if isinstance(value, list):
        return "\n".join(to_str(v) for v in value)
    return str(value)


def normalize(values: list[Any]) -> Value:
    """A list of values as a field value: ``None`` for none, a scalar for one, else the list."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values


_TRUE_WORDS = frozenset({"t", "true", "1", "yes"})
_FALSE_WORDS = frozenset({"f", "false", "0", "no"})


def option_bool(value: str) -> bool | None:
    """A boolean command option as written (``t``/``true``/``1``/``yes`` or their false
    counterparts, any case); ``None`` when it is neither."""
    v = value.lower()
    if v in _TRUE_WORDS:
        return True
    if v in _FALSE_WORDS:
        return False
    return None


def option_flag(value: str | None, default: bool) -> bool:
    """A boolean command option: ``default`` when absent, else whether it is a true word."""
    if value is None:
        return default
    return value.lower() in _TRUE_WORDS


def is_null(value: Value) -> bool:
    return value is None or (isinstance(value, list) and not value)


@lru_cache(maxsize=4096)
def wildcard_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """A compiled regex for a Splunk ``*`` wildcard pattern, to use with ``fullmatch``; each
    ``*`` is a group (what it matched names renamed fields: ``avg(*lay) AS mean_*``)."""
    parts = [re.escape(p) for p in pattern.split("*")]
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile("(.*)".join(parts), flags)


def wildcard_match(pattern: str, value: str, case_sensitive: bool = False) -> bool:
    if "*" not in pattern:
        if case_sensitive:
            return pattern == value
        return pattern.lower() == value.lower()
    return wildcard_regex(pattern, case_sensitive).fullmatch(value) is not None


def sort_key_lexical(value: Value) -> bytes:
    return to_str(value).encode("utf-8", "surrogatepass")


def compare_values(left: Value, right: Value) -> int:
    """Three-way comparison: numbers numerically, otherwise strings by bytes."""
    ln, rn = to_number(left), to_number(right)
    if ln is not None and rn is not None:
        return (ln > rn) - (ln < rn)
    ls, rs = to_str(left), to_str(right)
    return (ls > rs) - (ls < rs)


def dedup_preserve(values: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    out: list[Any] = []
    for v in values:
        key = to_str(v)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out
