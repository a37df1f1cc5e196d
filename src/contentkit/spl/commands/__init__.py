"""Registry of SPL commands.

Each command is a frozen dataclass (an AST node) registered under one or more names with
:func:`register`.  It parses its own arguments (``parse(parser, name_token)``) and executes as a
generator over events (``execute(events, ctx)``).  Commands that are not implemented still parse
(:class:`GenericCommand` keeps their arguments verbatim) and raise ``unsupported command X`` when
executed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..ast import Command
from ..command_names import PARSE_ONLY_COMMANDS
from ..errors import SplError
from ..lexer import Kind, Token

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]
_REGISTRY: dict[str, type[Command]] = {}
_LOADED = False

C = TypeVar("C", bound=type[Command])


def register(*names: str) -> Callable[[C], C]:
    def deco(cls: C) -> C:
        for n in names:
            _REGISTRY[n] = cls
        return cls

    return deco


def _load() -> None:
    global _LOADED
    if not _LOADED:
        from . import (  # noqa: F401
            anomaly,
            charting,
            combine,
            evaluation,
            extraction,
            fields,
            flow,
            geo,
            lookup,
            mstats,
            outputs,
            reshape,
            search,
            stats,
            text,
            toprare,  # after stats: replaces its top/rare
            transaction,
            tstats,
        )

        _LOADED = True


def lookup_command(name: str) -> type[Command] | None:
    _load()
    return _REGISTRY.get(name.lower())


def implemented_commands() -> list[str]:
    _load()
    return sorted(_REGISTRY)


#: Splunk commands (core, ES, common apps) that parse generically but do not execute here.
KNOWN_COMMANDS = PARSE_ONLY_COMMANDS

GENERATING = frozenset(
    {
        "tstats",
        "mstats",
        "datamodel",
        "from",
        "rest",
        "savedsearch",
        "dbinspect",
        "metadata",
        "loadjob",
        "inputcsv",
        "gentimes",
        "eventcount",
        "pivot",
        "metasearch",
        "multisearch",
        "mpreview",
        "msearch",
        "union",
        "dbxquery",
        "history",
        "audit",
        "datamodelsimple",
        "inputintelligence",
        "tscollect",
        "typeahead",
        "walklex",
    }
)


def is_known_command(name: str) -> bool:
    return name.lower() in KNOWN_COMMANDS or lookup_command(name) is not None


@dataclass(frozen=True)
class GenericCommand(Command):
    """A command kept with its raw argument text; parsing only."""

    command: str = ""
    args: str = ""

    @property
    def command_name(self) -> str:
        return self.command

    def args_spl(self) -> str:
        return self.args

    def starts_pipeline(self) -> bool:
        return self.command.lower() in GENERATING

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        raise SplError(f"unsupported command {self.command}", self.pos, ctx.text)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        return None


def scan_generic_args(p: Parser) -> str:
    """Consume the arguments of a command up to its end; return their raw text."""
    start = p.pos
    depth = 0
    brackets: list[int] = []
    while True:
        tok = p.peek()
        if tok.kind is Kind.EOF:
            if brackets:
                raise p.error("unbalanced brackets: missing ']'", brackets[-1])
            if depth:
                raise p.error("unbalanced parentheses: missing ')'", tok.pos)
            break
        if tok.kind in (Kind.PIPE, Kind.RBRACKET) and not brackets and depth == 0:
            break
        if tok.kind is Kind.LBRACKET:
            brackets.append(tok.pos)
        elif tok.kind is Kind.RBRACKET:
            if not brackets:
                raise p.error("unbalanced parentheses: ']' before ')'", tok.pos)
            brackets.pop()
        elif tok.kind is Kind.LPAREN and not brackets:
            depth += 1
        elif tok.kind is Kind.RPAREN and not brackets:
            if depth == 0:
                raise p.error("unbalanced parentheses: unexpected ')'", tok.pos)
            depth -= 1
        p.pos = tok.end
    if depth and not brackets:
        raise p.error("unbalanced parentheses: missing ')'", start)
    return p.text[start : p.pos].strip()


def parse_generic(p: Parser, name: Token) -> GenericCommand:
    args = scan_generic_args(p)
    return GenericCommand(command=name.value, args=args, pos=name.pos)
