"""Commands that run other searches or build search text: ``foreach``, ``map``, ``multisearch``,
``union``, ``return``, ``format`` and ``gentimes`` (Search Reference pages of the same names)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..ast import Command, Pipeline, Subsearch
from ..errors import SplError
from ..lexer import Kind, quote, search_word
from ..values import as_list, to_number, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]


def _bracket_body(p: Parser, command: str) -> str:
    """The raw text between ``[`` and its matching ``]`` (quotes respected); consumes both."""
    tok = p.peek()
    if tok.kind is not Kind.LBRACKET:
        raise p.error(f"{command} needs a subsearch in [ ]", tok.pos)
    text = p.text
    i = tok.end
    depth = 1
    quote_char = ""
    while i < len(text):
        c = text[i]
        if quote_char:
            if c == "\\":
                i += 2
                continue
            if c == quote_char:
                quote_char = ""
        elif c == '"':
            quote_char = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                p.pos = i + 1
                return text[tok.end : i].strip()
        i += 1
    raise p.error(f"unbalanced brackets: missing ']' for {command}", tok.pos)


def _run_commands(pipeline: Pipeline, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
    stream = events
    for cmd in pipeline.commands:
        stream = cmd.execute(stream, ctx)
    return stream


def _parse_text(text: str, ctx: Context, pos: int, command: str) -> Pipeline:
    from ..macros import expand
    from ..parser import parse

    try:
        if "`" in text:
            text = expand(text, ctx.macros or {})
        return parse(text)
    except SplError as exc:
        raise SplError(f"{command}: {exc.message}", pos, ctx.text) from None


# ----------------------------------------------------------------------------- foreach
_TOKEN = re.compile(r"<<(FIELD|MATCHSTR|MATCHSEG\d+|ITEM|ITER)>>")


@register("foreach")
@dataclass(frozen=True)
class ForeachCommand(Command):
    """``foreach [mode=multifield] <wc-field>... [ <commands with <<FIELD>> tokens> ]``: run the
    commands once per matching field of each result, ``<<FIELD>>`` replaced by its name and
    ``<<MATCHSTR>>`` / ``<<MATCHSEGn>>`` by the parts its wildcards matched (``mode=multivalue``:
    once per value of one field, as ``<<ITEM>>`` and ``<<ITER>>``)."""

    name = "foreach"
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    body: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ForeachCommand:
        opts = p.parse_options()
        fields = p.parse_field_list()
        opts.update(p.parse_options())
        body = _bracket_body(p, "foreach")
        p.end_of_command("foreach")
        if not fields:
            raise p.error("foreach needs at least one field (wildcards allowed)", name.pos)
        try:  # the template must parse once its tokens are filled
            from ..parser import parse

            parse("| " + _TOKEN.sub("x", body))
        except SplError as exc:
            raise p.error(f"foreach: {exc.message}", name.pos) from None
        return cls(tuple(opts.items()), tuple(fields), body, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.extend(search_word(f) for f in self.fields)
        parts.append(f"[{self.body}]")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        mode = opts.get("mode", "multifield").lower()
        tokens = {
            "FIELD": opts.get("fieldstr", "<<FIELD>>"),
            "MATCHSTR": opts.get("matchstr", "<<MATCHSTR>>"),
            "ITEM": opts.get("itemstr", "<<ITEM>>"),
            "ITER": opts.get("iterstr", "<<ITER>>"),
        }
        patterns = [
            re.compile("^" + "(.*)".join(re.escape(part) for part in f.split("*")) + "$", re.DOTALL)
            for f in self.fields
        ]
        cache: dict[str, Pipeline] = {}

        def run(e: Event, values: dict[str, str]) -> Event:
            text = self.body
            for key, val in values.items():
                text = text.replace(tokens.get(key, f"<<{key}>>"), val)
            pipeline = cache.get(text)
            if pipeline is None:
                pipeline = cache[text] = _parse_text("| " + text, ctx, self.pos, "foreach")
            out = list(_run_commands(pipeline, iter([e]), ctx))
            return out[0] if out else e

        for e in events:
            if mode == "multivalue":
                name = self.fields[0]
                for i, item in enumerate(as_list(e.get(name))):
                    e = run(e, {"ITEM": to_str(item), "ITER": str(i), "FIELD": name})
                yield e
                continue
            names = [k for k in e if not k.startswith("_")]
            for rx in patterns:
                for name in names:
                    m = rx.match(name)
                    if m is None:
                        continue
                    values = {"FIELD": name, "MATCHSTR": "".join(m.groups())}
                    for i, seg in enumerate(m.groups(), 1):
                        values[f"MATCHSEG{i}"] = seg
                    e = run(e, values)
            yield e


# ----------------------------------------------------------------------------- map
_DOLLAR = re.compile(r"\$([^$\s]+)\$")


@register("map")
@dataclass(frozen=True)
class MapCommand(Command):
    """``map search="<search with $field$ tokens>" [maxsearches=10]``: the search runs once per
    input result (up to ``maxsearches``), ``$field$`` replaced by the result's value."""

    name = "map"
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MapCommand:
        opts = p.parse_options()
        tok = p.peek()
        if "search" not in opts and tok.kind is Kind.WORD and tok.quoted:
            p.pos = tok.end
            opts["search"] = tok.value
        opts.update(p.parse_options())
        p.end_of_command("map")
        if "search" not in opts:
            raise p.error('map needs search="<search>" (saved searches are not run here)', name.pos)
        return cls(tuple(opts.items()), pos=name.pos)

    def args_spl(self) -> str:
        return " ".join(
            f"{k}={quote(v) if k == 'search' else search_word(v)}" for k, v in self.options
        )

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..executor import Context as _Context
        from ..executor import execute

        opts = dict(self.options)
        template = opts["search"]
        limit = int(to_number(opts.get("maxsearches", "10")) or 10)
        for i, row in enumerate(events):
            if i >= limit:
                break

            def fill(m: re.Match[str], row: Event = row) -> str:
                v = row.get(m.group(1))
                return to_str(as_list(v)[0]) if as_list(v) else ""

            text = _DOLLAR.sub(fill, template)
            text = text if not text.lstrip().lower().startswith("search ") else text.lstrip()[7:]
            pipeline = _parse_text(text, ctx, self.pos, "map")
            sub = _Context(
                text=pipeline.text or text,
                now=ctx.now,
                lookups=ctx.lookups,
                source=ctx.source,
                stats=ctx.stats,
            )
            sub.macros = ctx.macros
            yield from execute(pipeline, sub)


# ----------------------------------------------------------------------------- multisearch / union
def _parse_subsearches(
    p: Parser, command: str
) -> tuple[tuple[tuple[str, str], ...], tuple[Subsearch, ...]]:
    opts = p.parse_options()
    subs: list[Subsearch] = []
    while p.peek().kind is Kind.LBRACKET:
        subs.append(p.parse_subsearch())
        while p.accept(Kind.COMMA):
            pass
    opts.update(p.parse_options())
    p.end_of_command(command)
    return tuple(opts.items()), tuple(subs)


def _time_of(e: Event) -> float:
    t = to_number(e.get("_time"))
    return float(t) if t is not None else 0.0


@register("multisearch")
@dataclass(frozen=True)
class MultisearchCommand(Command):
    """``multisearch [search ...] [search ...] ...``: the events of all the searches, newest
    first (streaming searches only, as Splunk requires)."""

    name = "multisearch"
    generating = True
    options: tuple[tuple[str, str], ...] = ()
    subsearches: tuple[Subsearch, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MultisearchCommand:
        opts, subs = _parse_subsearches(p, "multisearch")
        if len(subs) < 2:
            raise p.error("multisearch needs at least two subsearches", name.pos)
        return cls(opts, subs, pos=name.pos)

    def starts_pipeline(self) -> bool:
        return True

    def args_spl(self) -> str:
        return " ".join(s.to_spl() for s in self.subsearches)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..executor import execute

        rows: list[Event] = []
        for sub in self.subsearches:
            rows.extend(execute(sub.pipeline, ctx))
        rows.sort(key=_time_of, reverse=True)
        yield from rows


@register("union")
@dataclass(frozen=True)
class UnionCommand(Command):
    """``union [subsearch] [subsearch] ...``: the results of the datasets one after another
    (the incoming results first when ``union`` is not the first command)."""

    name = "union"
    generating = True
    options: tuple[tuple[str, str], ...] = ()
    subsearches: tuple[Subsearch, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> UnionCommand:
        opts, subs = _parse_subsearches(p, "union")
        if not subs:
            raise p.error(
                "union needs subsearches in [ ] (named datasets are not run here)", name.pos
            )
        return cls(opts, subs, pos=name.pos)

    def starts_pipeline(self) -> bool:
        return True

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.extend(s.to_spl() for s in self.subsearches)
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..executor import execute

        yield from events
        for sub in self.subsearches:
            yield from execute(sub.pipeline, ctx)


# ----------------------------------------------------------------------------- return / format
def _term(field: str, value: Any) -> str:
    return f"{field}={quote(to_str(value))}"


@register("return")
@dataclass(frozen=True)
class ReturnCommand(Command):
    """``return [<count>] [<alias>=<field>] [<field>] [$<field>]``: the first ``count`` results
    as one search string (``field="value"``, ``alias="value"`` or the bare value for ``$field``),
    in a field named ``search``."""

    name = "return"
    count: int = 1
    items: tuple[tuple[str, str], ...] = ()  # (output name or "$", field)

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ReturnCommand:
        count = 1
        items: list[tuple[str, str]] = []
        while not p.at_command_end():
            tok = p.peek()
            if tok.kind is not Kind.WORD:
                raise p.error(f"return: unexpected {tok.value!r}", tok.pos)
            if not items and tok.value.isdigit():
                count = int(tok.value)
                p.pos = tok.end
                continue
            opts = p.parse_options()
            if opts:
                items.extend((alias, field) for alias, field in opts.items())
                continue
            p.pos = tok.end
            if tok.value.startswith("$"):
                items.append(("$", tok.value[1:]))
            else:
                items.append((tok.value, tok.value))
        p.end_of_command("return")
        if not items:
            raise p.error("return needs at least one field", name.pos)
        return cls(count, tuple(items), pos=name.pos)

    def args_spl(self) -> str:
        parts = [str(self.count)] if self.count != 1 else []
        for alias, field in self.items:
            if alias == "$":
                parts.append("$" + field)
            elif alias == field:
                parts.append(search_word(field))
            else:
                parts.append(f"{search_word(alias)}={search_word(field)}")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        rows: list[str] = []
        for i, e in enumerate(events):
            if i >= self.count:
                break
            parts = []
            for alias, field in self.items:
                v = e.get(field)
                if v is None:
                    continue
                first = as_list(v)[0] if as_list(v) else ""
                parts.append(to_str(first) if alias == "$" else _term(alias, first))
            if parts:
                rows.append(" ".join(parts))
        if not rows:
            yield {"search": ""}
        elif len(rows) == 1:
            yield {"search": rows[0]}
        else:
            yield {"search": " OR ".join(f"({r})" for r in rows)}


@register("format")
@dataclass(frozen=True)
class FormatCommand(Command):
    """``format [mvsep=<str>] [maxresults=<n>] ["<row prefix>" "<column prefix>" "<column
    separator>" "<column end>" "<row separator>" "<row end>"]``: the results as one search string
    in ``search`` (defaults ``( ( a="1" AND b="2" ) OR ( ... ) )``; ``NOT ()`` when empty)."""

    name = "format"
    options: tuple[tuple[str, str], ...] = ()
    parts: tuple[str, ...] = ("(", "(", "AND", ")", "OR", ")")

    @classmethod
    def parse(cls, p: Parser, name: Token) -> FormatCommand:
        opts = p.parse_options()
        words: list[str] = []
        while not p.at_command_end():
            tok = p.peek()
            if tok.kind is not Kind.WORD:
                raise p.error(f"format: unexpected {tok.value!r}", tok.pos)
            p.pos = tok.end
            words.append(tok.value)
            opts.update(p.parse_options())
        p.end_of_command("format")
        if words and len(words) != 6:
            raise p.error(
                "format takes six strings: row prefix, column prefix, column separator, "
                "column end, row separator, row end",
                name.pos,
            )
        parts = tuple(words) if words else ("(", "(", "AND", ")", "OR", ")")
        return cls(tuple(opts.items()), parts, pos=name.pos)

    def args_spl(self) -> str:
        out = [f"{k}={search_word(v)}" for k, v in self.options]
        if self.parts != ("(", "(", "AND", ")", "OR", ")"):
            out.extend(quote(w) for w in self.parts)
        return " ".join(out)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        row_pre, col_pre, col_sep, col_end, row_sep, row_end = self.parts
        mvsep = opts.get("mvsep", "OR")
        maxresults = int(to_number(opts.get("maxresults", "0")) or 0)
        rows: list[str] = []
        for i, e in enumerate(events):
            if maxresults and i >= maxresults:
                break
            cols: list[str] = []
            for k, v in e.items():
                if k.startswith("_"):
                    continue
                vals = as_list(v)
                if not vals:
                    continue
                if len(vals) == 1:
                    cols.append(_term(k, vals[0]))
                else:
                    cols.append("( " + f" {mvsep} ".join(_term(k, x) for x in vals) + " )")
            if cols:
                rows.append(f"{col_pre} " + f" {col_sep} ".join(cols) + f" {col_end}")
        if not rows:
            yield {"search": "NOT ()"}
            return
        yield {"search": f"{row_pre} " + f" {row_sep} ".join(rows) + f" {row_end}"}


# ----------------------------------------------------------------------------- gentimes
def _gentime(text: str, now: float, end: bool) -> float | None:
    t = text.strip()
    n = to_number(t)
    if n is not None and "/" not in t:  # days relative to today
        day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return day.timestamp() + int(n) * 86400
    for fmt in ("%m/%d/%Y:%H:%M:%S", "%m/%d/%Y"):
        try:
            dt = datetime.strptime(t, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if fmt == "%m/%d/%Y" and end:
            return dt.timestamp() + 86400 - 1
        return dt.timestamp()
    return None


@register("gentimes")
@dataclass(frozen=True)
class GentimesCommand(Command):
    """``gentimes start=<time> [end=<time>] [increment=<n>(s|m|h|d)]``: one result per
    interval with ``starttime``, ``endtime``, ``starthuman`` and ``endhuman`` (times are
    ``MM/DD/YYYY[:HH:MM:SS]`` or whole days relative to today)."""

    name = "gentimes"
    generating = True
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> GentimesCommand:
        opts = p.parse_options()
        p.end_of_command("gentimes")
        if "start" not in opts:
            raise p.error("gentimes needs start=<time>", name.pos)
        return cls(tuple(opts.items()), pos=name.pos)

    def starts_pipeline(self) -> bool:
        return True

    def args_spl(self) -> str:
        return " ".join(f"{k}={search_word(v)}" for k, v in self.options)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from .text import span_seconds

        opts = dict(self.options)
        start = _gentime(opts["start"], ctx.now, False)
        end = _gentime(opts["end"], ctx.now, True) if "end" in opts else None
        if end is None and "end" not in opts:
            day = datetime.fromtimestamp(ctx.now, UTC).replace(hour=0, minute=0, second=0)
            end = day.timestamp() + 86400 - 1
        step = span_seconds(opts.get("increment", "1d"))
        if start is None or end is None or not step or step <= 0:
            raise SplError("gentimes: invalid start, end or increment", self.pos, ctx.text)
        t = start
        n = 0
        while t <= end and n < 100_000:
            stop = t + step - 1
            yield {
                "starttime": int(t),
                "endtime": int(stop),
                "starthuman": time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(t)),
                "endhuman": time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(stop)),
            }
            t += step
            n += 1
