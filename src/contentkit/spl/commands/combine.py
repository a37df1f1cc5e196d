"""``join`` and ``append``: combine the pipeline with the results of a subsearch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, Pipeline, Subsearch
from ..lexer import Kind, Token, search_word
from ..values import to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]


@register("join")
@dataclass(frozen=True)
class JoinCommand(Command):
    name = "join"
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    subsearch: Subsearch | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> JoinCommand:
        opts = p.parse_options()
        fields: list[str] = []
        while True:
            tok = p.peek()
            if tok.kind is Kind.COMMA:
                p.pos = tok.end
                continue
            if tok.kind is not Kind.WORD:
                break
            _, second = p.peek2()
            if second.kind is Kind.OP and second.value == "=":
                opts.update(p.parse_options())
                continue
            p.pos = tok.end
            fields.append(tok.value)
        if p.peek().kind is not Kind.LBRACKET:
            raise p.error("join needs a subsearch in [ ]", p.peek().pos)
        sub = p.parse_subsearch()
        p.end_of_command("join")
        return cls(tuple(opts.items()), tuple(fields), sub, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.extend(search_word(f) for f in self.fields)
        assert self.subsearch is not None
        parts.append(self.subsearch.to_spl())
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..executor import run_subsearch

        assert self.subsearch is not None
        opts = {k: v.lower() for k, v in self.options}
        kind = opts.get("type", "inner")
        maximum = int(opts.get("max", "1")) if opts.get("max", "1").isdigit() else 1
        overwrite = opts.get("overwrite", "t") in ("t", "true", "1")
        right = run_subsearch(self.subsearch, ctx)
        fields = list(self.fields)
        if not fields:
            fields = [f for f in (right[0] if right else {}) if not f.startswith("_")]
        index: dict[tuple[str, ...], list[Event]] = {}
        for r in right:
            if all(r.get(f) is not None for f in fields):
                index.setdefault(tuple(to_str(r[f]) for f in fields), []).append(r)
        for e in events:
            if any(e.get(f) is None for f in fields):
                if kind in ("outer", "left"):
                    yield e
                continue
            matches = index.get(tuple(to_str(e[f]) for f in fields), [])
            if maximum:
                matches = matches[:maximum]
            if not matches:
                if kind in ("outer", "left"):
                    yield e
                continue
            for m in matches:
                row = dict(e)
                for k, v in m.items():
                    if overwrite or k not in row:
                        row[k] = v
                yield row


@register("append")
@dataclass(frozen=True)
class AppendCommand(Command):
    name = "append"
    options: tuple[tuple[str, str], ...] = ()
    subsearch: Subsearch | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> AppendCommand:
        opts = p.parse_options()
        if p.peek().kind is not Kind.LBRACKET:
            raise p.error("append needs a subsearch in [ ]", p.peek().pos)
        sub = p.parse_subsearch()
        p.end_of_command("append")
        return cls(tuple(opts.items()), sub, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        assert self.subsearch is not None
        parts.append(self.subsearch.to_spl())
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..executor import run_subsearch

        assert self.subsearch is not None
        yield from events
        yield from run_subsearch(self.subsearch, ctx)


@register("appendpipe")
@dataclass(frozen=True)
class AppendpipeCommand(Command):
    """``appendpipe [<commands>]``: append the results of running the commands on the results."""

    name = "appendpipe"
    options: tuple[tuple[str, str], ...] = ()
    pipeline: Pipeline | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> AppendpipeCommand:
        opts = p.parse_options()
        if p.peek().kind is not Kind.LBRACKET:
            raise p.error("appendpipe needs commands in [ ]", p.peek().pos)
        pipeline = p.parse_subpipeline()
        p.end_of_command("appendpipe")
        return cls(tuple(opts.items()), pipeline, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        assert self.pipeline is not None
        parts.append("[" + " | ".join(c.to_spl() for c in self.pipeline.commands) + "]")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        assert self.pipeline is not None
        rows = list(events)
        yield from rows
        stream: Iterator[Event] = iter([dict(r) for r in rows])
        for cmd in self.pipeline.commands:
            stream = cmd.execute(stream, ctx)
        yield from stream
