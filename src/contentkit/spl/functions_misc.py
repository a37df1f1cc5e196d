"""Eval functions of the conversion, cryptographic, comparison, multivalue and text categories
that :mod:`contentkit.spl.functions` does not hold: ``printf`` with Splunk's conversions,
``nullif``, ``ipmask``, ``sha1``/``sha512``, ``mvrange``, ``commands`` and ``lookup``."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from typing import TYPE_CHECKING, Any

from .ast import Call
from .errors import SplError
from .evaluator import Compiled
from .functions import compiled_function, function
from .values import normalize, to_number, to_str

if TYPE_CHECKING:
    from .executor import Context


@function("nullif", 2)
def _nullif(a: Any, b: Any) -> Any:
    return None if to_str(a) == to_str(b) else a


@function("sha1", 1)
def _sha1(v: Any) -> Any:
    return None if v is None else hashlib.sha1(to_str(v).encode()).hexdigest()


@function("sha512", 1)
def _sha512(v: Any) -> Any:
    return None if v is None else hashlib.sha512(to_str(v).encode()).hexdigest()


@function("ipmask", 2)
def _ipmask(mask: Any, ip: Any) -> Any:
    """``ipmask("255.255.255.0", "10.20.30.120")`` = ``10.20.30.0``."""
    try:
        m = int(ipaddress.IPv4Address(to_str(mask).strip()))
        a = int(ipaddress.IPv4Address(to_str(ip).strip()))
    except ValueError:
        return None
    return str(ipaddress.IPv4Address(a & m))


_SPAN = re.compile(r"^(\d+)([a-z]+)$")


@function("mvrange", 2, 3)
def _mvrange(start: Any, end: Any, step: Any = 1) -> Any:
    """Numbers from ``start`` up to (not including) ``end``; ``step`` a number or a time span
    such as ``7d`` (``mvrange(1,11,2)`` = 1,3,5,7,9)."""
    a, b = to_number(start), to_number(end)
    if a is None or b is None:
        return None
    st = to_number(step)
    if st is None:
        from .functions import _unit_seconds

        m = _SPAN.match(to_str(step).strip().lower())
        mult = _unit_seconds(m.group(2)) if m else None
        if m is None or mult is None:
            return None
        st = int(m.group(1)) * mult
    if st == 0:
        return None
    out: list[Any] = []
    x = a
    while (x < b if st > 0 else x > b) and len(out) < 10000:
        out.append(x)
        x += st
    return normalize(out)


@function("commands", 1)
def _commands(v: Any) -> Any:
    """The command names of a search string, in order (``search`` for an implicit first one)."""
    from .parser import parse

    if v is None:
        return None
    try:
        pipeline = parse(to_str(v))
    except SplError:
        return None
    return normalize([c.command_name for c in pipeline.commands])


# ----------------------------------------------------------------------------- printf
_CONV = re.compile(r"%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d+))?([hlLqjzt]*)([diouxXeEfFgGcs%])")


@function("printf", 1, None)
def _printf(fmt: Any, *args: Any) -> Any:
    """C-style formatting as Splunk's printf: ``%d %i %u %o %x %X %f %F %e %E %g %G %c %s %%``,
    flags ``- + space # 0`` and ``'`` (thousands separator), ``*`` width and precision."""
    if fmt is None:
        return None
    queue = list(args)

    def take() -> Any:
        return queue.pop(0) if queue else None

    def rep(m: re.Match[str]) -> str:
        flags, width, prec, _, conv = m.groups()
        if conv == "%":
            return "%"
        if width == "*":
            width = str(int(to_number(take()) or 0))
        if prec == "*":
            prec = str(int(to_number(take()) or 0))
        value = take()
        commas = "'" in flags
        pyflags = flags.replace("'", "")
        spec = "%" + pyflags + (width or "") + (f".{prec}" if prec is not None else "")
        if conv in "diu":
            n = to_number(value)
            n = 0 if n is None else int(n)
            if commas:
                body = f"{abs(n):,}"
                sign = "-" if n < 0 else "+" if "+" in flags else ""
                return (sign + body).rjust(int(width or 0))
            return (spec + "d") % n
        if conv in "oxX":
            n = to_number(value)
            return (spec + conv) % (0 if n is None else int(n))
        if conv in "fFeEgG":
            n = to_number(value)
            x = 0.0 if n is None else float(n)
            if commas and conv in "fF":
                p = 6 if prec is None else int(prec)
                return f"{x:,.{p}f}".rjust(int(width or 0))
            return (spec + conv) % x
        if conv == "c":
            n = to_number(value)
            return chr(int(n)) if n is not None else to_str(value)[:1]
        return (spec + "s") % to_str(value)

    try:
        return _CONV.sub(rep, to_str(fmt))
    except (TypeError, ValueError, OverflowError):
        return None


# ----------------------------------------------------------------------------- lookup()
@compiled_function("lookup", 2, 3)
def _lookup(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    """``lookup("table", json_object("in_field", value), json_array("out_field"))``: the output
    fields of the first matching row as a JSON object (``{}`` when no row matches)."""
    table_arg, input_arg = args[0], args[1]
    output_arg = args[2] if len(args) > 2 else None

    def f(e: dict[str, Any]) -> Any:
        name = to_str(table_arg(e))
        table = ctx.lookups.get(name, call.pos, ctx.text)
        try:
            inputs = json.loads(to_str(input_arg(e)))
            outputs = json.loads(to_str(output_arg(e))) if output_arg is not None else None
        except ValueError:
            return None
        if not isinstance(inputs, dict):
            return None
        rows = table.match({str(k): to_str(v) for k, v in inputs.items()})
        if not rows:
            return "{}"
        row = rows[0]
        cols = (
            [str(c) for c in outputs]
            if isinstance(outputs, list)
            else [c for c in row if c not in inputs]
        )
        return json.dumps({c: row.get(c) for c in cols if c in row}, separators=(",", ":"))

    return f
