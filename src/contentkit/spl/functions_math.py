"""Mathematical, trigonometric, bitwise and statistical eval functions (Search Reference,
"Mathematical functions", "Trigonometry and Hyperbolic functions", "Statistical eval functions",
"Bitwise functions")."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ast import Binary, Call, Number
from .evaluator import Compiled
from .functions import compiled_function, function
from .values import as_list, to_number

if TYPE_CHECKING:
    from .executor import Context


def _num(fn: Callable[..., Any], arity: int) -> Callable[..., Any]:
    def f(*vs: Any) -> Any:
        ns = [to_number(v) for v in vs]
        if any(n is None for n in ns):
            return None
        try:
            return fn(*ns)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None

    return f


for _name in ("acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh"):
    function(_name, 1)(_num(getattr(math, _name), 1))
for _name in ("sin", "sinh", "tan", "tanh"):
    function(_name, 1)(_num(getattr(math, _name), 1))
function("atan2", 2)(_num(math.atan2, 2))
function("hypot", 2)(_num(math.hypot, 2))


@function("pi", 0)
def _pi() -> float:
    return 3.14159265358979  # the value the Search Reference shows


@function("exact", 1)
def _exact(v: Any) -> Any:
    return v


def _numbers(vs: tuple[Any, ...]) -> list[float | int] | None:
    out: list[float | int] = []
    for v in vs:
        for x in as_list(v):
            n = to_number(x)
            if n is None:
                return None
            out.append(n)
    return out


@function("sum", 1, None)
def _sum(*vs: Any) -> Any:
    ns = _numbers(vs)
    return None if not ns else sum(ns)


@function("avg", 1, None)
def _avg(*vs: Any) -> Any:
    ns = _numbers(vs)
    return None if not ns else sum(ns) / len(ns)


# ----------------------------------------------------------------------------- sigfig
def _sig_digits(text: str) -> int:
    """Significant digits of a number as written: ``1.00`` -> 3, ``1100`` -> 2, ``0.05`` -> 1."""
    t = text.strip().lstrip("+-")
    if "e" in t.lower():
        t = t.lower().split("e")[0]
    if "." in t:
        digits = t.replace(".", "").lstrip("0")
        return max(len(digits), 1)
    digits = t.lstrip("0").rstrip("0")
    return max(len(digits), 1)


def _decimals(text: str) -> int:
    t = text.strip()
    return len(t.split(".", 1)[1]) if "." in t else 0


def _round_sig(x: float, sig: int) -> float | int:
    if x == 0:
        return 0
    digits = sig - math.floor(math.log10(abs(x))) - 1
    r = round(x, digits)
    return int(r) if digits <= 0 else r


@compiled_function("sigfig", 1)
def _sigfig(call: Call, args: list[Compiled], ctx: Context) -> Compiled:
    """``sigfig(1.00*1111)`` = 1110: a product or quotient keeps the fewest significant figures
    of its operands; a sum or difference the fewest decimal places."""
    arg = call.args[0]
    inner = args[0]
    if isinstance(arg, Binary) and isinstance(arg.left, Number) and isinstance(arg.right, Number):
        lt, rt = arg.left.text, arg.right.text
        if arg.op in ("*", "/"):
            sig = min(_sig_digits(lt), _sig_digits(rt))

            def by_sig(e: dict[str, Any]) -> Any:
                n = to_number(inner(e))
                return None if n is None else _round_sig(float(n), sig)

            return by_sig
        if arg.op in ("+", "-"):
            dec = min(_decimals(lt), _decimals(rt))

            def by_dec(e: dict[str, Any]) -> Any:
                n = to_number(inner(e))
                if n is None:
                    return None
                r = round(float(n), dec)
                return int(r) if dec == 0 else r

            return by_dec
    return inner


# ----------------------------------------------------------------------------- bitwise
#: "Each argument must be in the range of 0 to 2^53 - 1" (Search Reference, "Bitwise functions")
_BITS_MAX = 2**53 - 1


def _ints(vs: tuple[Any, ...]) -> list[int] | None:
    """The arguments as integers in the documented range (``None`` when one is not)."""
    out = []
    for v in vs:
        n = to_number(v)
        if n is None or not float(n).is_integer() or not 0 <= n <= _BITS_MAX:
            return None
        out.append(int(n))
    return out


def _bitwise(op: Callable[[int, int], int]) -> Callable[..., Any]:
    def f(*vs: Any) -> Any:
        ns = _ints(vs)
        if not ns:
            return None
        acc = ns[0]
        for n in ns[1:]:
            acc = op(acc, n)
        return acc

    return f


function("bit_and", 2, None)(_bitwise(lambda a, b: a & b))
function("bit_or", 2, None)(_bitwise(lambda a, b: a | b))
function("bit_xor", 2, None)(_bitwise(lambda a, b: a ^ b))


@function("bit_not", 1, 2)
def _bit_not(v: Any, mask: Any = None) -> Any:
    ns = _ints((v,) if mask is None else (v, mask))
    if ns is None:
        return None
    return ~ns[0] if mask is None else ~ns[0] & ns[1]


@function("bit_shift_left", 2)
def _bit_shift_left(v: Any, n: Any) -> Any:
    ns = _ints((v, n))
    if ns is None or ns[1] > 53:  # (a huge offset filled memory)
        return None
    shifted = ns[0] << ns[1]
    return shifted if shifted <= _BITS_MAX else None


@function("bit_shift_right", 2)
def _bit_shift_right(v: Any, n: Any) -> Any:
    ns = _ints((v, n))
    return None if ns is None else ns[0] >> ns[1]
