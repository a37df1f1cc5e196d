"""Value and row reshaping: ``replace``, ``filldown``, ``strcat``, ``nomv``, ``mvcombine``,
``addtotals``, ``uniq``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..lexer import Kind, Token, quote, search_word
from ..values import as_list, normalize, to_number, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]


def _wild_to_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + "(.*)".join(re.escape(p) for p in pattern.split("*")) + "$", re.DOTALL)


@register("replace")
@dataclass(frozen=True)
class ReplaceCommand(Command):
    """``replace <old> WITH <new> [, <old> WITH <new>]... [IN <fields>]`` (``*`` wildcards)."""

    name = "replace"
    preserves_fields = True
    pairs: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ReplaceCommand:
        pairs: list[tuple[str, str]] = []
        fields: list[str] = []
        while not p.at_command_end():
            if p.accept(Kind.COMMA):
                continue
            if p.accept_word("in"):
                fields = p.parse_field_list()
                break
            old = p.field_name("a value to replace")
            while p.accept(Kind.COMMA):  # tolerated: "a", with "b"
                pass
            if not p.accept_word("with"):
                raise p.error(f"replace expects WITH after {old!r}", p.peek().pos)
            new = p.field_name("a replacement value after WITH")
            pairs.append((old, new))
        p.end_of_command("replace")
        if not pairs:
            raise p.error("replace needs '<value> WITH <value>'", name.end)
        return cls(tuple(pairs), tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        text = ", ".join(f"{quote(a)} WITH {quote(b)}" for a, b in self.pairs)
        if self.fields:
            text += " IN " + ", ".join(search_word(f) for f in self.fields)
        return text

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return downstream

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        plans = [(_wild_to_regex(a), b) for a, b in self.pairs]

        def convert(value: Any) -> Any:
            s = to_str(value)
            for rx, new in plans:
                m = rx.match(s)
                if m:
                    groups = iter(m.groups())
                    parts = new.split("*")
                    return parts[0] + "".join(next(groups, "") + part for part in parts[1:])
            return value

        for e in events:
            names = self.fields or tuple(k for k in e if not k.startswith("_"))
            for f in names:
                if f in e:
                    v = e[f]
                    e[f] = [convert(x) for x in v] if isinstance(v, list) else convert(v)
            yield e


@register("filldown")
@dataclass(frozen=True)
class FilldownCommand(Command):
    name = "filldown"
    preserves_fields = True
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> FilldownCommand:
        fields = p.parse_field_list()
        p.end_of_command("filldown")
        return cls(tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        return " ".join(search_word(f) for f in self.fields)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        last: dict[str, Any] = {}
        for e in events:
            names = self.fields or tuple(set(last) | set(e))
            for f in names:
                if e.get(f) is None and f in last:
                    e[f] = last[f]
                elif e.get(f) is not None:
                    last[f] = e[f]
            yield e


@register("strcat")
@dataclass(frozen=True)
class StrcatCommand(Command):
    name = "strcat"
    allrequired: bool = False
    sources: tuple[tuple[str, bool], ...] = ()  # (text, is_literal)
    dest: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> StrcatCommand:
        opts = p.parse_options()
        parts: list[tuple[str, bool]] = []
        while not p.at_command_end():
            tok = p.next()
            if tok.kind is not Kind.WORD:
                raise p.error(f"strcat: unexpected {tok.value!r}", tok.pos)
            if not tok.quoted and search_word(tok.value, keywords=False) != tok.value:
                raise p.error(
                    f"strcat: {tok.value!r} is neither a field name nor a quoted string", tok.pos
                )
            parts.append((tok.value, tok.quoted))
        if len(parts) < 2:
            raise p.error("strcat needs source fields and a destination field", name.end)
        allreq = opts.get("allrequired", "f").lower() in ("t", "true", "1")
        return cls(allreq, tuple(parts[:-1]), parts[-1][0], pos=name.pos)

    def args_spl(self) -> str:
        parts = ["allrequired=t"] if self.allrequired else []
        parts.extend(quote(t) if lit else search_word(t, keywords=False) for t, lit in self.sources)
        parts.append(search_word(self.dest, keywords=False))
        return " ".join(parts)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        return None if fields is None else fields + ([self.dest] if self.dest not in fields else [])

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        for e in events:
            out: list[str] = []
            complete = True
            for text, literal in self.sources:
                if literal:
                    out.append(text)
                elif e.get(text) is None:
                    complete = False
                else:
                    out.append(to_str(as_list(e[text])[0]))
            if complete or not self.allrequired:
                e[self.dest] = "".join(out)
            yield e


@register("nomv")
@dataclass(frozen=True)
class NomvCommand(Command):
    name = "nomv"
    preserves_fields = True
    field: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> NomvCommand:
        field = p.field_name()
        p.end_of_command("nomv")
        return cls(field, pos=name.pos)

    def args_spl(self) -> str:
        return search_word(self.field)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        for e in events:
            if isinstance(e.get(self.field), list):
                e[self.field] = "\n".join(to_str(v) for v in e[self.field])
            yield e


@register("mvcombine")
@dataclass(frozen=True)
class MvcombineCommand(Command):
    name = "mvcombine"
    preserves_fields = True
    delim: str | None = None
    field: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MvcombineCommand:
        opts = p.parse_options()
        field = p.field_name()
        p.end_of_command("mvcombine")
        return cls(opts.get("delim"), field, pos=name.pos)

    def args_spl(self) -> str:
        prefix = f"delim={quote(self.delim)} " if self.delim is not None else ""
        return prefix + search_word(self.field)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        groups: dict[tuple[Any, ...], Event] = {}
        order: list[tuple[Any, ...]] = []
        for e in events:
            key = tuple(
                sorted(
                    (k, to_str(v))
                    for k, v in e.items()
                    if k != self.field and not k.startswith("_")
                )
            )
            if key not in groups:
                groups[key] = dict(e)
                groups[key][self.field] = []
                order.append(key)
            groups[key][self.field].extend(as_list(e.get(self.field)))
        for key in order:
            row = groups[key]
            vals = row[self.field]
            row[self.field] = normalize(vals)
            if row[self.field] is None:
                del row[self.field]
            yield row


@register("addtotals")
@dataclass(frozen=True)
class AddtotalsCommand(Command):
    name = "addtotals"
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> AddtotalsCommand:
        opts = p.parse_options()
        fields = p.parse_field_list()
        opts.update(p.parse_options())
        p.end_of_command("addtotals")
        return cls(tuple(opts.items()), tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.extend(search_word(f) for f in self.fields)
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..values import wildcard_regex

        opts = {k: v for k, v in self.options}
        row = opts.get("row", "t").lower() in ("t", "true", "1")
        col = opts.get("col", "f").lower() in ("t", "true", "1")
        name = opts.get("fieldname", "Total")
        pats = [wildcard_regex(f, True) for f in self.fields]
        rows = list(events) if col else None
        source = rows if rows is not None else events
        totals: dict[str, float] = {}
        for e in source:
            total = 0.0
            for k, v in list(e.items()):
                if (
                    k.startswith("_")
                    or k == name
                    or (pats and not any(p.fullmatch(k) for p in pats))
                ):
                    continue
                n = to_number(v)
                if n is not None:
                    total += n
                    totals[k] = totals.get(k, 0) + n
            if row:
                e[name] = int(total) if float(total).is_integer() else total
            if rows is None:
                yield e
        if rows is not None:
            yield from rows
            summary: Event = {
                k: (int(v) if float(v).is_integer() else v) for k, v in totals.items()
            }
            label = opts.get("labelfield")
            if label:
                summary[label] = opts.get("label", "Total")
            yield summary


@register("uniq")
@dataclass(frozen=True)
class UniqCommand(Command):
    name = "uniq"
    preserves_fields = True

    @classmethod
    def parse(cls, p: Parser, name: Token) -> UniqCommand:
        p.end_of_command("uniq")
        return cls(pos=name.pos)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        last: Event | None = None
        for e in events:
            if e != last:
                yield e
            last = e
