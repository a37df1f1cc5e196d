"""Compile eval-language expressions into Python callables over events."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ast import Binary, Call, Expr, FieldRef, Number, String, Unary
from .errors import SplError
from .values import as_list, to_number, to_str

if TYPE_CHECKING:
    from .executor import Context

Event = dict[str, Any]
Compiled = Callable[[Event], Any]


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, str):
        return value != "" and value.lower() not in ("false", "f", "0")
    return bool(value)


def get_field(event: Event, name: str) -> Any:
    return event.get(name)


def compile_expr(expr: Expr, ctx: Context) -> Compiled:
    """Return a function evaluating ``expr`` on an event."""
    if isinstance(expr, Number):
        value = expr.value
        return lambda _e: value
    if isinstance(expr, String):
        s = expr.value
        return lambda _e: s
    if isinstance(expr, FieldRef):
        name = expr.name
        return lambda e: e.get(name)
    if isinstance(expr, Unary):
        inner = compile_expr(expr.operand, ctx)
        if expr.op == "NOT":
            return lambda e: _not(inner(e))
        if expr.op == "-":
            return lambda e: _neg(inner(e))
        return lambda e: to_number(inner(e))
    if isinstance(expr, Binary):
        return _compile_binary(expr, ctx)
    if isinstance(expr, Call):
        from .functions import get_function

        spec = get_function(expr.name)
        if spec is None:
            raise SplError(f"unknown eval function {expr.name}()", expr.pos, ctx.text)
        n = len(expr.args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            want = (
                str(spec.min_args)
                if spec.max_args == spec.min_args
                else f"{spec.min_args}..{spec.max_args if spec.max_args is not None else 'n'}"
            )
            raise SplError(
                f"function {expr.name}() takes {want} arguments, got {n}", expr.pos, ctx.text
            )
        from .limits import format_too_wide, overflow_safe  # overflow gives null, as in Splunk

        first = expr.args[0] if expr.args else None
        if expr.name == "printf" and isinstance(first, String) and format_too_wide(first.value):
            return lambda _e: None  # a width that would build a gigabyte string
        return overflow_safe(spec.compile(expr, [compile_expr(a, ctx) for a in expr.args], ctx))
    raise SplError(f"cannot evaluate {type(expr).__name__}", getattr(expr, "pos", None), ctx.text)


def _not(v: Any) -> Any:
    if v is None:
        return None
    return not truthy(v)


def _neg(v: Any) -> Any:
    n = to_number(v)
    return None if n is None else -n


def _num_op(op: str) -> Callable[[Any, Any], Any]:
    from .limits import finite

    def f(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        x, y = to_number(a), to_number(b)
        if x is None or y is None:
            if op == "+" and isinstance(a, str) and isinstance(b, str):
                return a + b
            return None
        try:
            if op == "+":
                return finite(x + y)
            if op == "-":
                return finite(x - y)
            if op == "*":
                return finite(x * y)
            if op == "/":
                if y == 0:
                    return None
                return finite(x / y)
            if y == 0:
                return None
            return finite(x % y)
        except (OverflowError, ValueError):  # inf - inf, inf % 1: no number
            return None

    return f


def compare(op: str, a: Any, b: Any) -> Any:
    """Eval-language comparison: case-sensitive, numeric when both sides are numbers.

    A comparison with a null side is false, not null, so ``where NOT x="a"`` keeps the events
    without ``x`` and ``where x!="a"`` drops them: the difference the Search Reference ("search",
    example 6, "Using the NOT or != comparisons") documents between ``NOT`` and ``!=``.
    """
    if a is None or b is None:
        return False
    if isinstance(a, list):
        return any(compare(op, x, b) for x in a)
    if isinstance(b, list):
        return any(compare(op, a, y) for y in b)
    x, y = to_number(a), to_number(b)
    if x is not None and y is not None:
        left, right = x, y
        if op == "=":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right
    ls, rs = to_str(a), to_str(b)
    if op == "=":
        return ls == rs
    if op == "!=":
        return ls != rs
    if op == "<":
        return ls < rs
    if op == "<=":
        return ls <= rs
    if op == ">":
        return ls > rs
    return ls >= rs


def like_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for ch in pattern:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def like(value: Any, pattern: Any) -> Any:
    if value is None or pattern is None:
        return None
    rx = like_regex(to_str(pattern))
    return any(rx.fullmatch(to_str(v)) is not None for v in as_list(value))


def _compile_binary(expr: Binary, ctx: Context) -> Compiled:
    left = compile_expr(expr.left, ctx)
    right = compile_expr(expr.right, ctx)
    op = expr.op
    if op == "AND":

        def f_and(e: Event) -> Any:
            a = left(e)
            if not truthy(a):
                return False if a is not None else None
            b = right(e)
            return None if b is None else truthy(b)

        return f_and
    if op == "OR":

        def f_or(e: Event) -> Any:
            a = left(e)
            if truthy(a):
                return True
            b = right(e)
            if truthy(b):
                return True
            return None if a is None and b is None else False

        return f_or
    if op == "XOR":
        return lambda e: truthy(left(e)) != truthy(right(e))
    if op == ".":

        def f_cat(e: Event) -> Any:
            a, b = left(e), right(e)
            if a is None or b is None:
                return None
            return to_str(a) + to_str(b)

        return f_cat
    if op in ("+", "-", "*", "/", "%"):
        f = _num_op(op)
        return lambda e: f(left(e), right(e))
    if op == "LIKE":
        return lambda e: like(left(e), right(e))
    return lambda e: compare(op, left(e), right(e))
