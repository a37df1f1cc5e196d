"""Registry of eval functions.

Register a function with :func:`function` (eager: receives evaluated arguments) or
:func:`lazy_function` (receives the compiled argument callables and the event).
"""

from __future__ import annotations

import calendar
import ipaddress
import math
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .ast import Call, FieldRef
from .errors import SplError
from .evaluator import Compiled, like, truthy
from .timebins import _MONTHS as _MONTH_UNITS
from .values import as_list, dedup_preserve, normalize, to_number, to_str

if TYPE_CHECKING:
    from .executor import Context

Event = dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None
    compile: Callable[[Call, list[Compiled], Context], Compiled]


FUNCTIONS: dict[str, FunctionSpec] = {}


def get_function(name: str) -> FunctionSpec | None:
    return FUNCTIONS.get(name.lower())


def function(
    name: str, min_args: int, max_args: int | None = -1
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an eager function ``impl(*values)`` (``max_args=-1``: same as ``min_args``)."""
    hi = min_args if max_args == -1 else max_args

    def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
        def comp(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
            if not args:
                return lambda e: impl()
            if len(args) == 1:
                a0 = args[0]
                return lambda e: impl(a0(e))
            return lambda e: impl(*[a(e) for a in args])

        FUNCTIONS[name] = FunctionSpec(name, min_args, hi, comp)
        return impl

    return deco


def compiled_function(name: str, min_args: int, max_args: int | None = -1) -> Callable[..., Any]:
    """Register a function given full control: ``comp(call, args, ctx) -> Compiled``."""
    hi = min_args if max_args == -1 else max_args

    def deco(comp: Callable[[Call, list[Compiled], Context], Compiled]) -> Callable[..., Any]:
        FUNCTIONS[name] = FunctionSpec(name, min_args, hi, comp)
        return comp

    return deco


# ----------------------------------------------------------------------------- conditionals
@compiled_function("if", 3)
def _if(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    c, a, b = args
    return lambda e: a(e) if truthy(c(e)) else b(e)


@compiled_function("case", 2, None)
def _case(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    if len(args) % 2:
        raise SplError("case() takes pairs of condition, value", call.pos, ctx.text)
    pairs = list(zip(args[0::2], args[1::2], strict=True))

    def f(e: Event) -> Any:
        for cond, val in pairs:
            if truthy(cond(e)):
                return val(e)
        return None

    return f


@compiled_function("coalesce", 1, None)
def _coalesce(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    def f(e: Event) -> Any:
        for a in args:
            v = a(e)
            if v is not None and v != "" and v != []:
                return v
        return None

    return f


@compiled_function("validate", 2, None)
def _validate(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    pairs = list(zip(args[0::2], args[1::2], strict=False))

    def f(e: Event) -> Any:
        for cond, val in pairs:
            if not truthy(cond(e)):
                return val(e)
        return None

    return f


@compiled_function("mvfilter", 1)
def _mvfilter(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    names = sorted(_field_refs(call.args[0]))
    if len(names) != 1:
        raise SplError("mvfilter() expression must use exactly one field", call.pos, ctx.text)
    name = names[0]
    pred = args[0]

    def f(e: Event) -> Any:
        kept = []
        for v in as_list(e.get(name)):
            probe = dict(e)
            probe[name] = v
            if truthy(pred(probe)):
                kept.append(v)
        return normalize(kept)

    return f


@compiled_function("searchmatch", 1)
def _searchmatch(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    from .ast import String
    from .matching import compile_search
    from .parser import Parser

    arg = call.args[0]
    if not isinstance(arg, String):
        raise SplError("searchmatch() needs a string literal", call.pos, ctx.text)
    p = Parser(arg.value)
    expr = p.parse_search_expr()
    if expr is None:
        return lambda e: True
    matcher = compile_search(expr, ctx)
    return lambda e: matcher(e)


def _field_refs(expr: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(expr, FieldRef):
        out.add(expr.name)
    for attr in ("left", "right", "operand"):
        if hasattr(expr, attr):
            out |= _field_refs(getattr(expr, attr))
    if isinstance(expr, Call):
        for a in expr.args:
            out |= _field_refs(a)
    return out


@function("isnull", 1)
def _isnull(v: Any) -> bool:
    return v is None or v == []


@function("isnotnull", 1)
def _isnotnull(v: Any) -> bool:
    return not (v is None or v == [])


@function("null", 0)
def _null() -> Any:
    return None


@function("true", 0)
def _true() -> bool:
    return True


@function("false", 0)
def _false() -> bool:
    return False


@function("isnum", 1)
def _isnum(v: Any) -> bool:
    return isinstance(v, int | float) or (isinstance(v, str) and to_number(v) is not None)


@function("isint", 1)
def _isint(v: Any) -> bool:
    n = to_number(v)
    return n is not None and float(n).is_integer()


@function("isstr", 1)
def _isstr(v: Any) -> bool:
    return isinstance(v, str) and to_number(v) is None


@function("isbool", 1)
def _isbool(v: Any) -> bool:
    return isinstance(v, bool) or (isinstance(v, str) and v.lower() in ("true", "false"))


@function("typeof", 1)
def _typeof(v: Any) -> str:
    if v is None:
        return "Invalid"
    if isinstance(v, bool):
        return "Boolean"
    if isinstance(v, int | float) or to_number(v) is not None:
        return "Number"
    return "String"


# ----------------------------------------------------------------------------- text
def _strmap(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, list):
            return [fn(to_str(x)) for x in v]
        return fn(to_str(v))

    return f


function("lower", 1)(_strmap(str.lower))
function("upper", 1)(_strmap(str.upper))
function("len", 1)(
    lambda v: None if v is None else len(to_str(v) if not isinstance(v, list) else to_str(v[0]))
)
function("urldecode", 1)(_strmap(urllib.parse.unquote_plus))


def _trimmer(kind: str) -> Callable[..., Any]:
    def f(v: Any, chars: Any = None) -> Any:
        if v is None:
            return None
        cs = None if chars is None else to_str(chars)
        s = to_str(v)
        if kind == "l":
            return s.lstrip(cs)
        if kind == "r":
            return s.rstrip(cs)
        return s.strip(cs)

    return f


function("trim", 1, 2)(_trimmer("b"))
function("ltrim", 1, 2)(_trimmer("l"))
function("rtrim", 1, 2)(_trimmer("r"))


@function("substr", 2, 3)
def _substr(v: Any, start: Any, length: Any = None) -> Any:
    if v is None:
        return None
    s = to_str(v)
    st = int(to_number(start) or 0)
    i = st - 1 if st > 0 else (len(s) + st if st < 0 else 0)
    i = max(i, 0)
    if length is None:
        return s[i:]
    n = int(to_number(length) or 0)
    return s[i : i + max(n, 0)]


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    from .limits import compile_regex  # RE2 for the patterns that could backtrack

    return compile_regex(pcre_to_python(pattern))


_PCRE_HEX = re.compile(r"(?<!\\)((?:\\\\)*)\\x\{([0-9A-Fa-f]{1,8})\}")


def pcre_to_python(pattern: str) -> str:
    """Translate the PCRE bits Splunk users write into Python ``re`` syntax: ``(?<name>``
    groups and ``\\x{HHHH}`` code points."""
    pattern = re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)
    if "\\x{" in pattern:
        pattern = _PCRE_HEX.sub(lambda m: m.group(1) + f"\\U{int(m.group(2), 16):08x}", pattern)
    return pattern


def regex(
    pattern: str, where: str = "regex", pos: int | None = None, text: str | None = None
) -> re.Pattern[str]:
    try:
        return _regex(pattern)
    except re.error as exc:
        raise SplError(f"invalid {where} {pattern!r}: {exc}", pos, text) from None


def python_replacement(repl: str, ampersand: bool = False) -> str:
    """Translate a Splunk/sed replacement (``\\1`` groups, ``\\x`` escapes) to a Python template."""
    out: list[str] = []
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            out.append(f"\\g<{nxt}>" if nxt.isdigit() else nxt.replace("\\", "\\\\"))
            i += 2
            continue
        if c == "&" and ampersand:
            out.append("\\g<0>")
        elif c == "\\":
            out.append("\\\\")
        else:
            out.append(c)
        i += 1
    return "".join(out)


@function("replace", 3)
def _replace(v: Any, pattern: Any, repl: Any) -> Any:
    if v is None or pattern is None:
        return None
    rx = regex(to_str(pattern))
    r = python_replacement(to_str(repl))
    return _strmap(lambda s: rx.sub(r, s))(v)


@function("match", 2)
def _match(v: Any, pattern: Any) -> Any:
    if v is None or pattern is None:
        return None
    rx = regex(to_str(pattern))
    return any(rx.search(to_str(x)) is not None for x in as_list(v))


function("like", 2)(like)


@function("split", 2)
def _split(v: Any, sep: Any) -> Any:
    if v is None:
        return None
    s, d = to_str(v), to_str(sep)
    parts = list(s) if d == "" else s.split(d)
    return normalize(parts)


@function("cidrmatch", 2)
def _cidrmatch(cidr: Any, ip: Any) -> Any:
    if cidr is None or ip is None:
        return None
    try:
        net = ipaddress.ip_network(to_str(cidr).strip(), strict=False)
    except ValueError:
        return False
    for x in as_list(ip):
        try:
            if ipaddress.ip_address(to_str(x).strip()) in net:
                return True
        except ValueError:
            continue
    return False


@function("tostring", 1, 2)
def _tostring(v: Any, fmt: Any = None) -> Any:
    if v is None:
        return None
    if fmt is None:
        return to_str(v) if not isinstance(v, list) else [to_str(x) for x in v]
    f = to_str(fmt).lower()
    n = to_number(v)
    if n is None:
        return to_str(v)
    if f == "hex":
        return "0x" + format(int(n), "X")  # tostring(15, "hex") = 0xF
    if f == "commas":
        return f"{n:,.2f}" if isinstance(n, float) and not n.is_integer() else f"{int(n):,}"
    if f == "duration":
        total = int(n)
        days, rem = divmod(total, 86400)
        h, rem = divmod(rem, 3600)
        m, s = divmod(rem, 60)
        base = f"{h:02d}:{m:02d}:{s:02d}"
        return f"{days}+{base}" if days else base
    return to_str(v)


@function("tonumber", 1, 2)
def _tonumber(v: Any, base: Any = None) -> Any:
    if v is None:
        return None
    if base is not None:
        try:
            return int(to_str(v).strip(), int(to_number(base) or 10))
        except ValueError:
            return None
    return to_number(v)


# ----------------------------------------------------------------------------- multivalue
@function("mvcount", 1)
def _mvcount(v: Any) -> Any:
    if v is None:
        return None
    return len(as_list(v))


@function("mvindex", 2, 3)
def _mvindex(v: Any, start: Any, end: Any = None) -> Any:
    vals = as_list(v)
    if not vals:
        return None
    n = len(vals)
    s = int(to_number(start) or 0)
    s = s + n if s < 0 else s
    if end is None:
        return vals[s] if 0 <= s < n else None
    en = int(to_number(end) or 0)
    en = en + n if en < 0 else en
    return normalize(vals[s : en + 1])


@function("mvjoin", 2)
def _mvjoin(v: Any, sep: Any) -> Any:
    if v is None:
        return None
    return to_str(sep).join(to_str(x) for x in as_list(v))


@function("mvappend", 1, None)
def _mvappend(*vs: Any) -> Any:
    out: list[Any] = []
    for v in vs:
        out.extend(as_list(v))
    return normalize(out)


@function("mvdedup", 1)
def _mvdedup(v: Any) -> Any:
    return normalize(dedup_preserve(as_list(v)))


@function("mvsort", 1)
def _mvsort(v: Any) -> Any:
    return normalize(sorted(as_list(v), key=to_str))


@function("mvfind", 2)
def _mvfind(v: Any, pattern: Any) -> Any:
    rx = regex(to_str(pattern))
    for i, x in enumerate(as_list(v)):
        if rx.search(to_str(x)):
            return i
    return None


@function("mvzip", 2, 3)
def _mvzip(a: Any, b: Any, sep: Any = ",") -> Any:
    return normalize(
        [to_str(x) + to_str(sep) + to_str(y) for x, y in zip(as_list(a), as_list(b), strict=False)]
    )


# ----------------------------------------------------------------------------- math
def _num1(fn: Callable[[float], Any]) -> Callable[[Any], Any]:
    def f(v: Any) -> Any:
        n = to_number(v)
        if n is None:
            return None
        try:
            return fn(n)
        except (ValueError, OverflowError):
            return None

    return f


function("abs", 1)(_num1(abs))
function("floor", 1)(_num1(math.floor))
function("ceil", 1)(_num1(math.ceil))
function("ceiling", 1)(_num1(math.ceil))
function("sqrt", 1)(_num1(math.sqrt))
function("exp", 1)(_num1(math.exp))
function("ln", 1)(_num1(math.log))


@function("log", 1, 2)
def _log(v: Any, base: Any = 10) -> Any:
    n, b = to_number(v), to_number(base)
    if n is None or b is None or n <= 0 or b <= 0 or b == 1:  # no logarithm to such a base
        return None
    return math.log(n, b)


@function("pow", 2)
def _pow(a: Any, b: Any) -> Any:
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        return None
    try:
        r = math.pow(x, y)  # in doubles, as Splunk: 2**1e9 overflows instead of filling memory
    except (OverflowError, ValueError):
        return None
    exact = isinstance(x, int) and isinstance(y, int) and y >= 0 and abs(r) < 2**53
    return int(r) if exact else r


@function("round", 1, 2)
def _round(v: Any, digits: Any = 0) -> Any:
    n = to_number(v)
    if n is None:
        return None
    d = int(to_number(digits) or 0)
    if d > 400:  # no double has decimals that far (and 10**d would take forever)
        return n
    if d < -400:  # nor a magnitude that large
        return 0
    q = 10**d
    if abs(n) * q >= 2**53:  # already whole at this many decimals
        return n
    r = math.floor(abs(n) * q + 0.5) / q
    r = r if n >= 0 else -r
    return int(r) if d == 0 else r


@function("min", 1, None)
def _min(*vs: Any) -> Any:
    from .values import compare_values

    flat = [x for v in vs for x in as_list(v)]
    if not flat:
        return None
    best = flat[0]
    for x in flat[1:]:
        if compare_values(x, best) < 0:
            best = x
    return best


@function("max", 1, None)
def _max(*vs: Any) -> Any:
    from .values import compare_values

    flat = [x for v in vs for x in as_list(v)]
    if not flat:
        return None
    best = flat[0]
    for x in flat[1:]:
        if compare_values(x, best) > 0:
            best = x
    return best


@function("random", 0)
def _random() -> int:
    import random

    return random.randint(0, 2**31 - 1)


# ----------------------------------------------------------------------------- time
_STRF_EXTRA = {
    "%Q": "%f",
    "%3Q": "%f",
    "%6Q": "%f",
    "%N": "%f",
    "%3N": "%f",
    "%6N": "%f",
    "%9N": "%f",
}


def splunk_strftime(epoch: float, fmt: str) -> str | None:
    """``epoch`` written with Splunk's time format ``fmt`` (``None``: no such time, e.g. an
    infinite or out-of-range number)."""
    try:
        return _strftime_utc(epoch, fmt)
    except (ValueError, OverflowError, OSError):
        return None


def _strftime_utc(epoch: float, fmt: str) -> str:
    dt = datetime.fromtimestamp(epoch, UTC)
    ms = f"{dt.microsecond // 1000:03d}"
    out = fmt.replace("%3Q", ms).replace("%Q", ms).replace("%3N", ms).replace("%N", ms)
    out = out.replace("%6N", f"{dt.microsecond:06d}").replace("%6Q", f"{dt.microsecond:06d}")
    out = out.replace("%9N", f"{dt.microsecond:06d}000").replace("%s", str(int(epoch)))
    return dt.strftime(out)


def splunk_strptime(text: str, fmt: str) -> float | None:
    f = fmt
    for k, v in _STRF_EXTRA.items():
        f = f.replace(k, v)
    f = f.replace("%z", "%z").replace("%Z", "%Z")
    try:
        dt = datetime.strptime(text, f)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6
    return dt.timestamp()


@function("strftime", 2)
def _strftime(v: Any, fmt: Any) -> Any:
    n = to_number(v)
    if n is None or fmt is None:
        return None
    return splunk_strftime(float(n), to_str(fmt))


@function("strptime", 2)
def _strptime(v: Any, fmt: Any) -> Any:
    if v is None or fmt is None:
        return None
    return splunk_strptime(to_str(v), to_str(fmt))


@compiled_function("now", 0)
def _now(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    return lambda e: ctx.now


@compiled_function("time", 0)
def _time(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    return lambda e: time.time()


_REL = re.compile(r"^([+-]?)(\d*)([a-zA-Z]+)")
_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}


def _add_months(t: float, months: int) -> float:
    """``t`` moved by calendar months (the day clamped to the target month's length)."""
    dt = datetime.fromtimestamp(t, UTC)
    total = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(total, 12)
    day = min(dt.day, calendar.monthrange(year, month + 1)[1])
    return dt.replace(year=year, month=month + 1, day=day).timestamp()


def _snap(t: float, unit: str) -> float | None:
    u = unit.lower()
    dt = datetime.fromtimestamp(t, UTC)
    if u.startswith("w") and u[1:].isdigit():  # @w0 Sunday ... @w6 Saturday (w7 = w0)
        day = dt.replace(hour=0, minute=0, second=0, microsecond=0)
        back = (day.isoweekday() % 7 - int(u[1:]) % 7) % 7
        return day.timestamp() - back * 86400
    if u in ("w", "week", "weeks"):
        return _snap(t, "w0")
    mult = _unit_seconds(u)
    if mult is not None:
        if mult >= 86400:
            return dt.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        return t - (t % mult)
    months = _MONTH_UNITS.get(u)
    if months is None:
        return None
    first = (dt.month - 1) // months * months + 1 if months > 1 else dt.month
    return datetime(dt.year, first, 1, tzinfo=UTC).timestamp()


def relative_time(base: float, spec: str) -> float | None:
    """Splunk relative time modifiers: ``-1d``, ``+3h``, ``-1mon`` (calendar months),
    ``-1d@d``, ``@w1`` (snap to Monday), ``@q``, ``-1y@y+7d``, ``now`` (``None`` when invalid)."""
    s = spec.strip()
    if s in ("now", ""):
        return base
    t = base
    snap = None
    if "@" in s:
        s, snap = s.split("@", 1)
    t2 = _offsets(t, s)
    if t2 is None:
        return None
    t = t2
    if snap:
        m = re.match(r"^([a-zA-Z]+\d?)(.*)$", snap)
        if not m:
            return None
        snapped = _snap(t, m.group(1))
        if snapped is None:
            return None
        return _offsets(snapped, m.group(2))
    return t


def _offsets(t: float, s: str) -> float | None:
    while s:
        m = _REL.match(s)
        if not m:
            return None
        sign, num, unit = m.groups()
        n = int(num or 1) * (-1 if sign == "-" else 1)
        mult = _unit_seconds(unit)
        if mult is not None:
            t += n * mult
        elif unit.lower() in _MONTH_UNITS:
            t = _add_months(t, n * _MONTH_UNITS[unit.lower()])
        else:
            return None
        s = s[m.end() :]
    return t


def _unit_seconds(unit: str) -> int | None:
    return _UNITS.get(unit.lower())


@function("relative_time", 2)
def _relative_time(v: Any, spec: Any) -> Any:
    n = to_number(v)
    if n is None or spec is None:
        return None
    return relative_time(float(n), to_str(spec))


@function("md5", 1)
def _md5(v: Any) -> Any:
    import hashlib

    return None if v is None else hashlib.md5(to_str(v).encode()).hexdigest()


@function("sha256", 1)
def _sha256(v: Any) -> Any:
    import hashlib

    return None if v is None else hashlib.sha256(to_str(v).encode()).hexdigest()


@function("in", 1, None)
def _in(value: Any, *candidates: Any) -> Any:
    if value is None:
        return None
    wanted = {to_str(c) for c in candidates}
    return any(to_str(v) in wanted for v in as_list(value))


@compiled_function("mvmap", 2)
def _mvmap(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    names = sorted(_field_refs(call.args[0]))
    src, fn = args
    if not names:
        return lambda e: fn(e)
    name = names[0] if len(names) == 1 else None

    def f(e: Event) -> Any:
        vals = as_list(src(e))
        out = []
        for v in vals:
            probe = dict(e)
            if name is not None:
                probe[name] = v
            r = fn(probe)
            if r is not None:
                out.extend(as_list(r))
        return normalize(out)

    return f


# the other categories, each in its own module, register themselves on import
from . import functions_json, functions_math, functions_misc  # noqa: E402, F401
