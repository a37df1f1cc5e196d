"""``search`` (first and later), ``where`` and ``regex``: commands that keep or drop events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, Expr, SearchExpr
from ..lexer import Kind, Token, quote, search_word
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]


@register("search")
@dataclass(frozen=True)
class SearchCommand(Command):
    """``search <expression>``; as the first command it selects events from the source."""

    name = "search"
    preserves_fields = True
    expr: SearchExpr | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> SearchCommand:
        expr = p.parse_search_expr()
        tok = p.peek()
        if tok.kind is Kind.RPAREN:
            raise p.error("unbalanced parentheses: unexpected ')'", tok.pos)
        return cls(expr, pos=name.pos)

    def args_spl(self) -> str:
        return self.expr.to_spl() if self.expr is not None else ""

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        from ..ast import search_fields

        mine = search_fields(self.expr)
        return None if mine is None or downstream is None else downstream | mine

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..matching import compile_search, matches_everything

        if self.expr is None or matches_everything(self.expr):  # e.g. a "search *" filter macro
            yield from events
            return

        pred = compile_search(self.expr, ctx)
        for e in events:
            if pred(e):
                yield e


@register("where")
@dataclass(frozen=True)
class WhereCommand(Command):
    name = "where"
    preserves_fields = True
    expr: Expr | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> WhereCommand:
        if p.at_command_end():
            raise p.error("where needs an expression", name.end)
        expr = p.parse_eval_expr()
        p.end_of_command("where")
        return cls(expr, pos=name.pos)

    def args_spl(self) -> str:
        return self.expr.to_spl() if self.expr is not None else ""

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        from ..ast import expr_fields

        if downstream is None or self.expr is None:
            return None
        return downstream | expr_fields(self.expr)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..evaluator import compile_expr

        assert self.expr is not None
        fn = compile_expr(self.expr, ctx)
        for e in events:
            v = fn(e)
            if v is True or (v is not None and v is not False and _truthy(v)):
                yield e


def _truthy(v: Any) -> bool:
    from ..evaluator import truthy

    return truthy(v)


@register("regex")
@dataclass(frozen=True)
class RegexCommand(Command):
    """``regex [field=|field!=]"<regex>"``: keep events whose field matches (or does not)."""

    name = "regex"
    preserves_fields = True
    field: str = "_raw"
    negate: bool = False
    pattern: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> RegexCommand:
        first, second = p.peek2()
        if first.kind is Kind.WORD and second.kind is Kind.OP and second.value in ("=", "!="):
            p.pos = second.end
            val = p.next()
            if val.kind is not Kind.WORD:
                raise p.error("regex needs a regular expression", val.pos)
            p.end_of_command("regex")
            return cls(first.value, second.value == "!=", val.value, pos=name.pos)
        if first.kind is not Kind.WORD:
            raise p.error("regex needs a regular expression", first.pos)
        p.pos = first.end
        p.end_of_command("regex")
        return cls("_raw", False, first.value, pos=name.pos)

    def args_spl(self) -> str:
        return f"{search_word(self.field)}{'!=' if self.negate else '='}{quote(self.pattern)}"

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return None if downstream is None else downstream | {self.field}

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..functions import regex
        from ..values import as_list, to_str

        rx = regex(self.pattern, "regex", self.pos, ctx.text)
        for e in events:
            vals = as_list(e.get(self.field))
            hit = any(rx.search(to_str(v)) for v in vals)
            if not vals:
                if self.negate:
                    yield e
                continue
            if hit != self.negate:
                yield e
