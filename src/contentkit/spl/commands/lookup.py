"""``lookup`` and ``inputlookup`` over CSV lookup tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, SearchExpr
from ..lexer import Kind, Token, search_word
from ..values import as_list, normalize, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..lookups import LookupTable
    from ..parser import Parser

Event = dict[str, Any]


def _pairs(p: Parser, stop: tuple[str, ...]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    while True:
        tok = p.peek()
        if tok.kind is Kind.COMMA:
            p.pos = tok.end
            continue
        if tok.kind is not Kind.WORD or tok.is_word(*stop):
            return out
        p.pos = tok.end
        alias = tok.value
        if p.accept_word("as"):
            alias = p.field_name("a field name after AS")
        out.append((tok.value, alias))


def _pairs_spl(pairs: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(
        search_word(a) if a == b else f"{search_word(a)} AS {search_word(b)}" for a, b in pairs
    )


@register("lookup")
@dataclass(frozen=True)
class LookupCommand(Command):
    name = "lookup"
    options: tuple[tuple[str, str], ...] = ()
    table: str = ""
    inputs: tuple[tuple[str, str], ...] = ()
    mode: str = "OUTPUT"
    outputs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> LookupCommand:
        opts = p.parse_options()
        table = p.field_name("a lookup name")
        inputs = _pairs(p, ("output", "outputnew"))
        if not inputs:
            raise p.error("lookup needs at least one input field", p.peek().pos)
        mode = "OUTPUT"
        outputs: list[tuple[str, str]] = []
        tok = p.accept_word("output", "outputnew")
        if tok is not None:
            mode = tok.value.upper()
            outputs = _pairs(p, ())
            if not outputs:
                raise p.error(f"{mode} needs at least one field", p.peek().pos)
        p.end_of_command("lookup")
        return cls(tuple(opts.items()), table, tuple(inputs), mode, tuple(outputs), pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.append(search_word(self.table))
        parts.append(_pairs_spl(self.inputs))
        if self.outputs:
            parts.append(self.mode)
            parts.append(_pairs_spl(self.outputs))
        return " ".join(parts)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None or not self.outputs:
            return None
        return fields + [b for _, b in self.outputs if b not in fields]

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        table = ctx.lookups.get(self.table, self.pos, ctx.text)
        in_cols = [a for a, _ in self.inputs]
        outputs = list(self.outputs) or [(c, c) for c in table.columns if c not in in_cols]
        cache: dict[tuple[str, ...], list[dict[str, str]]] = {}
        inputs = list(self.inputs)
        for e in events:
            apply_lookup(e, table, inputs, outputs, self.mode, cache)
            yield e


def apply_lookup(
    e: Event,
    table: LookupTable,
    inputs: list[tuple[str, str]],
    outputs: list[tuple[str, str]],
    mode: str,
    cache: dict[tuple[str, ...], list[dict[str, str]]],
) -> None:
    """Enrich one event from ``table`` (``lookup`` command and automatic ``LOOKUP-``):
    ``inputs``/``outputs`` are (table column, event field) pairs; ``mode`` is ``OUTPUT`` (replace)
    or ``OUTPUTNEW`` (fill only missing fields); ``cache`` is shared by the events of one run."""
    in_cols = [a for a, _ in inputs]
    value_lists = [as_list(e.get(ev)) for _, ev in inputs]
    if any(not v for v in value_lists):
        return
    matches: list[dict[str, str]] = []
    for combo in _combos(value_lists):
        key = tuple(to_str(v) for v in combo)
        rows = cache.get(key)
        if rows is None:
            rows = cache[key] = table.match(dict(zip(in_cols, key, strict=True)))
        matches.extend(rows)
    if len(matches) < table.min_matches and table.default_match is not None:
        for _, ev_name in outputs:
            if mode == "OUTPUT" or e.get(ev_name) is None:
                e[ev_name] = table.default_match
        return
    if not matches:
        if mode == "OUTPUT":  # OUTPUT replaces: no match leaves the fields null
            for _, ev_name in outputs:
                e.pop(ev_name, None)
        return
    for col, ev_name in outputs:
        if mode == "OUTPUTNEW" and e.get(ev_name) is not None:
            continue
        vals = [r.get(col) for r in matches]
        vals2 = [v for v in vals if v not in (None, "")]
        value = normalize(vals2)
        if value is None:
            e.pop(ev_name, None)
        else:
            e[ev_name] = value


def _combos(lists: list[list[Any]]) -> list[tuple[Any, ...]]:
    import itertools

    from ..limits import check_combinations

    check_combinations(lists, "lookup: the multivalue input fields of one event make")
    return list(itertools.product(*lists))


@register("inputlookup")
@dataclass(frozen=True)
class InputlookupCommand(Command):
    name = "inputlookup"
    generating = True
    options: tuple[tuple[str, str], ...] = ()
    table: str = ""
    where: SearchExpr | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> InputlookupCommand:
        opts = p.parse_options()
        table = p.field_name("a lookup name or file")
        opts.update(p.parse_options())
        where = None
        if p.accept_word("where"):
            where = p.parse_search_expr()
            if where is None:
                raise p.error("inputlookup where needs a search expression", p.peek().pos)
        p.end_of_command("inputlookup")
        return cls(tuple(opts.items()), table, where, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.append(search_word(self.table))
        if self.where is not None:
            parts.append("where " + self.where.to_spl())
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..matching import compile_search

        opts = dict(self.options)
        append = opts.get("append", "f").lower() in ("t", "true", "1")
        if append:
            yield from events
        table = ctx.lookups.get(self.table, self.pos, ctx.text)
        pred = compile_search(self.where, ctx) if self.where is not None else None
        start = int(opts.get("start", "0") or 0) if opts.get("start", "0").isdigit() else 0
        maximum = int(opts["max"]) if opts.get("max", "").isdigit() else None
        n = 0
        for i, row in enumerate(table.rows()):
            if i < start:
                continue
            ev: Event = {k: v for k, v in row.items() if v != ""}
            if pred is not None and not pred(ev):
                continue
            yield ev
            n += 1
            if maximum is not None and maximum and n >= maximum:
                break
