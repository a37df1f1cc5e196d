"""``eval``: compute fields from eval-language expressions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, Expr, FieldRef
from ..lexer import Kind, Mode, Token
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]


@register("eval")
@dataclass(frozen=True)
class EvalCommand(Command):
    name = "eval"
    assignments: tuple[tuple[str, Expr], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> EvalCommand:
        out: list[tuple[str, Expr]] = []
        while True:
            tok = p.peek(Mode.EVAL)
            if tok.kind not in (Kind.QFIELD, Kind.STRING):
                # the target is read as a search-language word: Splunk accepts odd names
                # such as -time or feature_-value on the left of '='
                tok = p.peek(Mode.SEARCH)
            if tok.kind not in (Kind.WORD, Kind.QFIELD, Kind.STRING):
                raise p.error("eval expects field=expression", tok.pos)
            p.pos = tok.end
            eq = p.next(Mode.EVAL)
            if eq.kind is not Kind.OP or eq.value != "=":
                raise p.error(f"eval expects '=' after {tok.value!r}", eq.pos)
            if p.at_command_end():
                raise p.error(f"eval expects an expression after {tok.value}=", eq.end)
            out.append((tok.value, p.parse_eval_expr()))
            nxt = p.peek(Mode.EVAL)
            if nxt.kind is Kind.COMMA:
                p.pos = nxt.end
                continue
            if nxt.kind in (Kind.PIPE, Kind.RBRACKET, Kind.EOF):
                break
            raise p.error(f"unexpected {nxt.value!r} in eval expression", nxt.pos)
        return cls(tuple(out), pos=name.pos)

    def args_spl(self) -> str:
        return ", ".join(f"{FieldRef(n).to_spl()}={e.to_spl()}" for n, e in self.assignments)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..evaluator import compile_expr

        compiled = [(n, compile_expr(e, ctx)) for n, e in self.assignments]
        for e in events:
            for n, fn in compiled:
                v = fn(e)
                if v is None or v == []:
                    e.pop(n, None)
                else:
                    e[n] = v
            yield e

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        from ..ast import expr_fields

        if downstream is None:
            return None
        needed = set(downstream)
        for name, expr in reversed(self.assignments):
            needed.discard(name)
            needed |= expr_fields(expr)
        return needed

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return None
        out = list(fields)
        for n, _ in self.assignments:
            if n not in out:
                out.append(n)
        return out
