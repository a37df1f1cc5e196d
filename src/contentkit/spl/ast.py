"""Syntax tree of a search: a pipeline of commands, search expressions and eval expressions.

Every node is a small frozen dataclass that prints itself back as SPL with ``to_spl()``.
Positions (``pos``) are offsets into the parsed text; they do not take part in equality, so a tree
printed and parsed again compares equal to the original.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import SplError
from .lexer import quote, search_word

if TYPE_CHECKING:
    from .executor import Context
    from .lexer import Token
    from .parser import Parser

Event = dict[str, Any]


class Node:
    """Base of all syntax-tree nodes."""

    def to_spl(self) -> str:  # pragma: no cover - every node overrides
        raise NotImplementedError


# --------------------------------------------------------------------------- search language


class SearchExpr(Node):
    """An expression of the search language (``search`` command, implicit first search)."""


@dataclass(frozen=True)
class Term(SearchExpr):
    """A free-text term or quoted phrase, matched against the segments of the raw event (``*``
    wildcards); ``directive`` is ``TERM`` or ``CASE`` for ``TERM(...)``/``CASE(...)``."""

    value: str
    quoted: bool = dc_field(default=False, compare=False)
    directive: str = ""
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        text = quote(self.value) if self.quoted else search_word(self.value)
        return f"{self.directive}({text})" if self.directive else text


@dataclass(frozen=True)
class Compare(SearchExpr):
    """``field=value``, ``field!=value``, ``field<value`` ... in the search language."""

    field: str
    op: str
    value: str
    field_quoted: bool = dc_field(default=False, compare=False)
    value_quoted: bool = dc_field(default=False, compare=False)
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        f = quote(self.field) if self.field_quoted else search_word(self.field)
        v = quote(self.value) if self.value_quoted else search_word(self.value)
        return f"{f}{self.op}{v}"


@dataclass(frozen=True)
class InList(SearchExpr):
    """``field IN (v1, v2, ...)``."""

    field: str
    values: tuple[str, ...]
    field_quoted: bool = dc_field(default=False, compare=False)
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        f = quote(self.field) if self.field_quoted else search_word(self.field)
        return f"{f} IN ({', '.join(search_word(v) for v in self.values)})"


@dataclass(frozen=True)
class Not(SearchExpr):
    operand: SearchExpr
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return f"NOT {_wrap(self.operand)}"


@dataclass(frozen=True)
class And(SearchExpr):
    items: tuple[SearchExpr, ...]
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return " ".join(_wrap(i) for i in self.items)


@dataclass(frozen=True)
class Or(SearchExpr):
    items: tuple[SearchExpr, ...]
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return " OR ".join(_wrap(i) for i in self.items)


@dataclass(frozen=True)
class Subsearch(SearchExpr):
    """``[ search ... | ... ]``: runs first, its results become a filter (or arguments)."""

    pipeline: Pipeline
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return "[" + self.pipeline.to_spl(subsearch=True) + "]"


def _wrap(expr: SearchExpr) -> str:
    if isinstance(expr, And | Or):
        return "(" + expr.to_spl() + ")"
    return expr.to_spl()


# --------------------------------------------------------------------------- eval language


class Expr(Node):
    """An expression of the eval language (``eval``, ``where``, ``stats ... eval(...)``)."""


@dataclass(frozen=True)
class String(Expr):
    value: str
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return quote(self.value)


@dataclass(frozen=True)
class Number(Expr):
    text: str
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    @property
    def value(self) -> int | float:
        try:
            return int(self.text)
        except ValueError:
            return float(self.text)

    def to_spl(self) -> str:
        return self.text


@dataclass(frozen=True)
class FieldRef(Expr):
    name: str
    quoted: bool = dc_field(default=False, compare=False)
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        if self.quoted or not _plain_ident(self.name):
            return "'" + self.name + "'"
        return self.name


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return f"{self.name}({', '.join(a.to_spl() for a in self.args)})"


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # + - * / % . = == != < > <= >= LIKE AND OR XOR
    left: Expr
    right: Expr
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        return f"({self.left.to_spl()} {self.op} {self.right.to_spl()})"


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # - + NOT
    operand: Expr
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    def to_spl(self) -> str:
        if self.op == "NOT":
            return f"(NOT {self.operand.to_spl()})"
        return f"{self.op}{self.operand.to_spl()}"


def expr_fields(expr: Expr) -> set[str]:
    """Field names an eval expression reads."""
    if isinstance(expr, FieldRef):
        return {expr.name}
    if isinstance(expr, Binary):
        return expr_fields(expr.left) | expr_fields(expr.right)
    if isinstance(expr, Unary):
        return expr_fields(expr.operand)
    if isinstance(expr, Call):
        out: set[str] = set()
        for a in expr.args:
            out |= expr_fields(a)
        return out
    return set()


def search_fields(expr: SearchExpr | None) -> set[str] | None:
    """Field names a search expression reads (``None`` when unknowable, e.g. subsearches)."""
    if expr is None or isinstance(expr, Term):
        return set()
    if isinstance(expr, Compare | InList):
        return {expr.field}
    if isinstance(expr, Not):
        return search_fields(expr.operand)
    if isinstance(expr, And | Or):
        out: set[str] = set()
        for i in expr.items:
            sub = search_fields(i)
            if sub is None:
                return None
            out |= sub
        return out
    return None


_IDENT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_{}@$:#?")
EVAL_KEYWORDS = frozenset({"and", "or", "not", "xor", "like"})


def _plain_ident(name: str) -> bool:
    if not name or name[0] in "0123456789." or name.lower() in EVAL_KEYWORDS:
        return False
    parts = name.split(".")
    return all(p and all(c in _IDENT_CHARS for c in p) for p in parts)


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command(Node):
    """A command of the pipeline.  Subclasses (in ``commands/``) parse their own arguments."""

    name: ClassVar[str] = ""
    #: generating commands start a pipeline and ignore their input
    generating: ClassVar[bool] = False
    pos: int = dc_field(default=0, compare=False, kw_only=True)

    @classmethod
    def parse(cls, p: Parser, name: Token) -> Command:
        """Parse the arguments following the command name (subclasses implement this)."""
        raise NotImplementedError

    @property
    def command_name(self) -> str:
        return self.name

    def args_spl(self) -> str:
        return ""

    def to_spl(self) -> str:
        args = self.args_spl()
        return f"{self.command_name} {args}" if args else self.command_name

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        raise SplError(f"unsupported command {self.command_name}", self.pos, ctx.text)

    #: the command keeps its input's fields as they are (filters, reordering)
    preserves_fields: ClassVar[bool] = False

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        """Fields known to be produced, given the input's (``None``: unknown)."""
        return fields if self.preserves_fields else None

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        """Fields this command reads or passes on, given those needed after it (``None``: all).

        Lets the source extract only the fields a pipeline can use.
        """
        return None


@dataclass(frozen=True)
class Pipeline(Node):
    commands: tuple[Command, ...]
    pos: int = dc_field(default=0, compare=False, kw_only=True)
    #: the text the pipeline was parsed from (error positions refer to it)
    text: str = dc_field(default="", compare=False, kw_only=True, repr=False)

    def to_spl(self, subsearch: bool = False) -> str:
        parts: list[str] = []
        for i, cmd in enumerate(self.commands):
            if i == 0 and cmd.command_name == "search" and not subsearch:
                text = cmd.args_spl()
                parts.append(text if text else "search")
            elif i == 0:
                parts.append("| " + cmd.to_spl())
            else:
                parts.append(cmd.to_spl())
        return " | ".join(parts)

    @property
    def search(self) -> SearchExpr | None:
        """The expression of the first command when it is a ``search``."""
        if self.commands and self.commands[0].command_name == "search":
            return getattr(self.commands[0], "expr", None)
        return None
