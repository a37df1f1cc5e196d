"""Search macros: `` `name` `` and `` `name(a,b)` `` expanded before parsing.

Macros are looked up as ``name`` (no arguments) or ``name(N)`` (N arguments), arguments are
substituted for ``$argname$`` in the definition, and the result is expanded again (nested macros)
with a guard against cycles.  Triple-backtick comments and double-quoted strings are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import SplError

MAX_DEPTH = 50


@dataclass(frozen=True)
class MacroDef:
    name: str
    definition: str
    arguments: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Lookup key: ``name`` or ``name(N)``."""
        return f"{self.name}({len(self.arguments)})" if self.arguments else self.name


@dataclass(frozen=True)
class MacroCall:
    name: str
    args: tuple[str, ...]
    pos: int  # offset of the opening backtick
    end: int  # offset after the closing backtick

    @property
    def arity(self) -> int:
        return len(self.args)

    @property
    def key(self) -> str:
        return f"{self.name}({self.arity})" if self.args else self.name


def macro_table(
    macros: Mapping[str, MacroDef] | list[MacroDef] | tuple[MacroDef, ...],
) -> dict[str, MacroDef]:
    """Index macros by ``name``/``name(N)``; accepts a mapping (any keys) or a sequence."""
    values = macros.values() if isinstance(macros, Mapping) else macros
    table: dict[str, MacroDef] = {}
    for m in values:
        table[m.key] = m
    if isinstance(macros, Mapping):
        for k, m in macros.items():
            table.setdefault(k, m)
    return table


def _split_args(body: str, base: int, text: str) -> tuple[str, ...]:
    args: list[str] = []
    depth = 0
    cur: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == '"':
            j = i + 1
            while j < n and body[j] != '"':
                j += 2 if body[j] == "\\" else 1
            if j >= n:
                raise SplError("unbalanced quotes in macro arguments", base + i, text)
            cur.append(body[i : j + 1])
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    args.append("".join(cur).strip())
    return tuple(args)


def _skip_string(text: str, i: int) -> int:
    """Return the offset after the double-quoted string starting at ``i`` (or len on no close)."""
    n = len(text)
    j = i + 1
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    return n


def find_macro_calls(text: str) -> list[MacroCall]:
    """The macro calls in ``text`` (not expanded), in order; raises on an unterminated call."""
    calls: list[MacroCall] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            i = _skip_string(text, i)
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise SplError("unterminated ``` comment", i, text)
            i = end + 3
            continue
        if c == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise SplError("unterminated macro call: missing closing `", i, text)
            body = text[i + 1 : end].strip()
            if not body:
                raise SplError("empty macro call ``", i, text)
            paren = body.find("(")
            if paren >= 0:
                if not body.endswith(")"):
                    raise SplError(f"malformed macro call `{body}`: missing ')'", i, text)
                name = body[:paren].strip()
                inner_start = text.index("(", i) + 1
                args = _split_args(body[paren + 1 : -1], inner_start, text)
            else:
                name, args = body, ()
            if not name or any(ch.isspace() for ch in name):
                raise SplError(f"malformed macro call `{body}`", i, text)
            calls.append(MacroCall(name, args, i, end + 1))
            i = end + 1
            continue
        i += 1
    return calls


def expand(
    text: str, macros: Mapping[str, MacroDef] | list[MacroDef] | tuple[MacroDef, ...]
) -> str:
    """Expand every macro call in ``text`` recursively; errors carry the outermost position."""
    return _expand(text, macro_table(macros), (), text, None)


def _expand(
    text: str,
    table: Mapping[str, MacroDef],
    stack: tuple[str, ...],
    root: str,
    root_pos: int | None,
) -> str:
    calls = find_macro_calls(text) if "`" in text else []
    if not calls:
        return text
    out: list[str] = []
    last = 0
    for call in calls:
        where = call.pos if root_pos is None else root_pos
        macro = table.get(call.key)
        if macro is None:
            others = sorted(k for k in table if k == call.name or k.startswith(call.name + "("))
            chain = f" (inside {' -> '.join(stack)})" if stack else ""
            if others:
                raise SplError(
                    f"macro `{call.name}` called with {call.arity} argument(s), but only "
                    f"{', '.join(others)} is defined{chain}",
                    where,
                    root,
                )
            raise SplError(f"unknown macro `{call.key}`{chain}", where, root)
        if call.key in stack or len(stack) >= MAX_DEPTH:
            raise SplError(f"macro cycle: {' -> '.join((*stack, call.key))}", where, root)
        body = macro.definition
        for argname, value in zip(macro.arguments, call.args, strict=False):
            body = body.replace(f"${argname}$", value)
        body = _expand(body, table, (*stack, call.key), root, where)
        out.append(text[last : call.pos])
        out.append(body)
        last = call.end
    out.append(text[last:])
    return "".join(out)
