"""Field extraction and value shaping: ``rex``, ``spath``, ``bin``/``bucket``, ``convert``,
``makemv``, ``mvexpand``, ``makeresults``."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..errors import SplError
from ..lexer import Kind, Token, quote, search_word
from ..values import as_list, finite_number, normalize, to_number, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]


def _opts_spl(options: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"{k}={search_word(v)}" for k, v in options]


@register("rex")
@dataclass(frozen=True)
class RexCommand(Command):
    name = "rex"
    pattern: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> RexCommand:
        opts = p.parse_options()
        tok = p.peek()
        if tok.kind is not Kind.WORD:
            raise p.error("rex needs a regular expression", tok.pos)
        p.pos = tok.end
        opts.update(p.parse_options())
        p.end_of_command("rex")
        mode = opts.get("mode", "").lower()
        if mode not in ("", "sed"):
            raise p.error(f"rex: unknown mode {opts['mode']!r}", name.pos)
        return cls(tok.value, tuple(opts.items()), pos=name.pos)

    def args_spl(self) -> str:
        return " ".join([*_opts_spl(self.options), quote(self.pattern)])

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return None
        names = re.findall(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>", self.pattern)
        return fields + [n for n in names if n not in fields]

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..functions import regex

        opts = dict(self.options)
        field = opts.get("field", "_raw")
        if opts.get("mode", "").lower() == "sed":
            sub = _sed(self.pattern, self.pos, ctx)
            for e in events:
                v = e.get(field)
                if v is not None:
                    e[field] = normalize([sub(to_str(x)) for x in as_list(v)])
                yield e
            return
        rx = regex(self.pattern, "rex regular expression", self.pos, ctx.text)
        max_match = int(to_number(opts.get("max_match", "1")) or 0)
        names = [n for n in rx.groupindex]
        for e in events:
            v = e.get(field)
            if v is None:
                yield e
                continue
            found: dict[str, list[Any]] = {n: [] for n in names}
            count = 0
            for text in as_list(v):
                for m in rx.finditer(to_str(text)):
                    for n in names:
                        g = m.group(n)
                        if g is not None:
                            found[n].append(g)
                    count += 1
                    if max_match and count >= max_match:
                        break
                if max_match and count >= max_match:
                    break
            for n, vals in found.items():
                if vals:
                    e[n] = normalize(vals)
            yield e


def _sed(expr: str, pos: int, ctx: Context) -> Any:
    from ..functions import regex

    if len(expr) < 2 or expr[0] not in "sy":
        raise SplError(
            f"rex mode=sed expects s/regex/replacement/flags, got {expr!r}", pos, ctx.text
        )
    delim = expr[1]
    parts: list[str] = []
    cur: list[str] = []
    i = 2
    while i < len(expr):
        c = expr[i]
        if c == "\\" and i + 1 < len(expr) and expr[i + 1] == delim:
            cur.append(delim)
            i += 2
            continue
        if c == delim:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    if expr[0] == "y":
        if len(parts) < 2 or len(parts[0]) != len(parts[1]):
            raise SplError(
                "rex mode=sed y/// needs two equal-length character lists", pos, ctx.text
            )
        table = str.maketrans(parts[0], parts[1])
        return lambda s: s.translate(table)
    if len(parts) < 2:
        raise SplError(
            f"rex mode=sed expects s/regex/replacement/flags, got {expr!r}", pos, ctx.text
        )
    rx = regex(parts[0], "sed expression", pos, ctx.text)
    from ..functions import python_replacement

    repl = python_replacement(parts[1], ampersand=True)
    flags = parts[2] if len(parts) > 2 else ""
    count = 0 if "g" in flags else 1
    return lambda s: rx.sub(repl, s, count=count)


@register("spath")
@dataclass(frozen=True)
class SpathCommand(Command):
    name = "spath"
    options: tuple[tuple[str, str], ...] = ()
    path: str | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> SpathCommand:
        opts = p.parse_options()
        path = None
        tok = p.peek()
        if tok.kind is Kind.WORD:
            path = tok.value
            p.pos = tok.end
        opts.update(p.parse_options())
        p.end_of_command("spath")
        if "path" in opts:
            path = opts.pop("path")
        return cls(tuple(opts.items()), path, pos=name.pos)

    def args_spl(self) -> str:
        parts = _opts_spl(self.options)
        if self.path is not None:
            parts.append(f"path={search_word(self.path)}")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        src = opts.get("input", "_raw")
        out = opts.get("output", self.path)
        for e in events:
            values = as_list(e.get(src))  # an empty multivalue field has nothing to read
            found = self._read(to_str(values[0])) if values else None
            if isinstance(found, dict):  # no path: every field, the event's own ones kept
                for k, v in found.items():
                    e.setdefault(k, v)
            elif found is not None and out:
                e[out] = found
            yield e

    def _read(self, text: str) -> Any:
        """What ``text`` (XML, or JSON from its first ``{`` or ``[``) holds: without a path
        every field as a dict, with one the value(s) at the path; ``None`` when it holds no
        document (or one nested beyond what can be read) or nothing at the path."""
        import json

        from ..events import flatten_json
        from ..functions_json import get_path, json_field, xml_fields, xml_path_values

        if text.lstrip().startswith("<"):
            if self.path is None:
                return xml_fields(text.strip())
            return normalize(xml_path_values(text.strip(), self.path))
        start = text.find("{")
        startl = text.find("[")
        if start < 0 or (0 <= startl < start):
            start = startl
        try:
            obj = json.loads(text[start:] if start > 0 else text)
            if self.path is None:
                flat: dict[str, Any] = {}
                flatten_json(obj, "", flat)
                return flat
            # the values at the path; {} walks every element, {N} one
            return normalize([json_field(x) for x in get_path(obj, self.path)])
        except (ValueError, RecursionError):
            return None


_SPAN = re.compile(r"^(\d+(?:\.\d+)?)([a-zA-Z]*)$")


def span_seconds(span: str) -> float | None:
    from ..functions import _UNITS

    m = _SPAN.match(span.strip())
    if not m:
        return None
    n = float(m.group(1))
    unit = m.group(2).lower()
    if not unit:
        return n
    if unit in _UNITS:
        return n * _UNITS[unit]
    if unit in ("mon", "month", "months"):
        return n * 30 * 86400
    return None


@register("bin", "bucket", "discretize")
@dataclass(frozen=True)
class BinCommand(Command):
    name = "bin"
    options: tuple[tuple[str, str], ...] = ()
    field: str = "_time"
    alias: str | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> BinCommand:
        opts = p.parse_options()
        field = p.field_name("a field to bin")
        alias = None
        if p.accept_word("as"):
            alias = p.field_name("a name after AS")
        opts.update(p.parse_options())
        p.end_of_command(name.value)
        if (
            "span" in opts
            and span_seconds(opts["span"]) is None
            and not re.match(r"^\d+(\.\d+)?[a-zA-Z]*(@\w+)?$", opts["span"])
        ):
            raise p.error(f"{name.value}: invalid span {opts['span']!r}", name.pos)
        return cls(tuple(opts.items()), field, alias, pos=name.pos)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return None
        return [*fields, self.alias] if self.alias and self.alias not in fields else fields

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return None if downstream is None else downstream | {self.field}

    def args_spl(self) -> str:
        parts = _opts_spl(self.options)
        parts.append(search_word(self.field))
        if self.alias:
            parts.append(f"AS {search_word(self.alias)}")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..timebins import bucketer, parse_span, span_for_bins

        opts = {k.lower(): v for k, v in self.options}
        span_text = opts.get("span")
        out = self.alias or self.field
        timeish = self.field == "_time" or bool(span_text and re.search(r"[a-zA-Z]", span_text))
        bins = to_number(opts.get("bins")) if "bins" in opts else None
        rows: list[Event] | None = None
        if span_text is None:  # bins=N (default 100): the span comes from the data's range
            rows = list(events)
            nums = [float(n) for e in rows if (n := finite_number(e.get(self.field))) is not None]
            lo = min(nums, default=0.0)
            hi = max(nums, default=0.0)
            if "start" in opts and to_number(opts["start"]) is not None:
                lo = min(lo, float(to_number(opts["start"]) or 0))
            if "end" in opts and to_number(opts["end"]) is not None:
                hi = max(hi, float(to_number(opts["end"]) or 0))
            count = int(bins or 100)
            if timeish:
                span = span_for_bins(lo, hi, count)
            else:
                width = max(hi - lo, 1e-9)
                span = (float(10 ** math.ceil(math.log10(width / count))), 0)
        else:
            parsed = parse_span(span_text.split("@")[0])
            if parsed is None:
                raise SplError(
                    f"{self.command_name}: invalid span {span_text!r}", self.pos, ctx.text
                )
            span = parsed
        align = 0.0
        aligntime = opts.get("aligntime")
        if aligntime is not None and timeish:
            n = to_number(aligntime)
            if n is None:
                from ..functions import relative_time

                n = relative_time(ctx.now, aligntime)
            if n is None:
                raise SplError(
                    f"{self.command_name}: invalid aligntime {aligntime!r}", self.pos, ctx.text
                )
            align = float(n)
        bucket = bucketer(span, align)
        width = span[0]
        for e in events if rows is None else rows:
            n = finite_number(e.get(self.field))  # an infinite value stays as it is
            lo_v = None if n is None else bucket(float(n))
            if lo_v is not None:
                if timeish or not width:
                    e[out] = lo_v
                else:
                    hi = lo_v + width
                    e[out] = f"{lo_v}-{int(hi) if float(hi).is_integer() else hi}"
            yield e


_CONVERT_FUNCS = (
    "ctime",
    "mktime",
    "dur2sec",
    "num",
    "auto",
    "none",
    "rmcomma",
    "rmunit",
    "memk",
    "mstime",
)


@register("convert")
@dataclass(frozen=True)
class ConvertCommand(Command):
    name = "convert"
    options: tuple[tuple[str, str], ...] = ()
    conversions: tuple[tuple[str, str, str | None], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ConvertCommand:
        opts = p.parse_options()
        convs: list[tuple[str, str, str | None]] = []
        while not p.at_command_end():
            if p.accept(Kind.COMMA):
                continue
            more = p.parse_options()
            if more:
                opts.update(more)
                continue
            tok = p.next()
            if tok.kind is not Kind.WORD or tok.value.lower() not in _CONVERT_FUNCS:
                raise p.error(
                    f"convert: expected a conversion function such as ctime(field), found {tok.value!r}",
                    tok.pos,
                )
            p.expect(Kind.LPAREN, what="'(' after " + tok.value)
            field = p.field_name()
            p.expect(Kind.RPAREN, what="')'")
            alias = None
            if p.accept_word("as"):
                alias = p.field_name("a name after AS")
            convs.append((tok.value.lower(), field, alias))
        if not convs:
            raise p.error("convert needs a conversion such as ctime(field)", p.peek().pos)
        return cls(tuple(opts.items()), tuple(convs), pos=name.pos)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return None
        extra = [a for _, _, a in self.conversions if a and a not in fields]
        return fields + extra

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if downstream is None:
            return None
        return downstream | {f for _, f, _ in self.conversions}

    def args_spl(self) -> str:
        parts = _opts_spl(self.options)
        for fn, field, alias in self.conversions:
            parts.append(
                f"{fn}({search_word(field)})" + (f" AS {search_word(alias)}" if alias else "")
            )
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..functions import splunk_strftime, splunk_strptime

        fmt = dict(self.options).get("timeformat", "%m/%d/%Y %H:%M:%S")

        def conv(fn: str, v: Any) -> Any:
            if fn == "ctime":
                n = to_number(v)
                text = splunk_strftime(float(n), fmt) if n is not None else None
                return v if text is None else text  # no such time: the value is kept
            if fn == "mktime":
                r = splunk_strptime(to_str(v), fmt)
                return v if r is None else r
            if fn in ("num", "auto"):
                n = to_number(v)
                return n if n is not None else (v if fn == "auto" else None)
            if fn == "rmcomma":
                return to_number(to_str(v).replace(",", ""))
            if fn == "rmunit":
                m = re.match(r"^\s*([-+]?\d+(?:\.\d+)?)", to_str(v))
                return to_number(m.group(1)) if m else None
            if fn == "dur2sec":
                m = re.match(r"^(?:(\d+)\+)?(\d+):(\d+):(\d+)$", to_str(v))
                if not m:
                    return None
                d, h, mi, s = (int(x or 0) for x in m.groups())
                return d * 86400 + h * 3600 + mi * 60 + s
            if fn == "memk":
                m = re.match(r"^([\d.]+)([kmg]?)$", to_str(v).lower())
                if not m:
                    return None
                return float(m.group(1)) * {"": 1, "k": 1, "m": 1024, "g": 1024 * 1024}[m.group(2)]
            return v

        for e in events:
            for fn, field, alias in self.conversions:
                v = e.get(field)
                if v is None:
                    continue
                vals = [conv(fn, x) for x in as_list(v)]
                vals = [x for x in vals if x is not None]
                if vals:
                    e[alias or field] = normalize(vals)
            yield e


@register("makemv")
@dataclass(frozen=True)
class MakemvCommand(Command):
    name = "makemv"
    preserves_fields = True
    options: tuple[tuple[str, str], ...] = ()
    field: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MakemvCommand:
        opts = p.parse_options()
        field = p.field_name()
        opts.update(p.parse_options())
        p.end_of_command("makemv")
        return cls(tuple(opts.items()), field, pos=name.pos)

    def args_spl(self) -> str:
        return " ".join([*_opts_spl(self.options), search_word(self.field)])

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..functions import regex

        opts = dict(self.options)
        allowempty = opts.get("allowempty", "f").lower() in ("t", "true", "1")
        tokenizer = opts.get("tokenizer")
        rx = regex(tokenizer, "tokenizer", self.pos, ctx.text) if tokenizer else None
        delim = opts.get("delim", " ")
        for e in events:
            v = e.get(self.field)
            if v is not None and not isinstance(v, list):
                s = to_str(v)
                if rx is not None:
                    parts = [m.group(1) if m.groups() else m.group(0) for m in rx.finditer(s)]
                else:
                    parts = s.split(delim)
                if not allowempty:
                    parts = [x for x in parts if x != ""]
                e[self.field] = normalize(parts)
                if not parts:
                    e.pop(self.field, None)
            yield e


@register("mvexpand")
@dataclass(frozen=True)
class MvexpandCommand(Command):
    name = "mvexpand"
    preserves_fields = True
    field: str = ""
    limit: int | None = None

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MvexpandCommand:
        field = p.field_name()
        opts = p.parse_options()
        p.end_of_command("mvexpand")
        limit = int(opts["limit"]) if opts.get("limit", "").isdigit() else None
        return cls(field, limit, pos=name.pos)

    def args_spl(self) -> str:
        return search_word(self.field) + (f" limit={self.limit}" if self.limit is not None else "")

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        for e in events:
            v = e.get(self.field)
            if v is None:
                continue
            vals = as_list(v)
            if self.limit:
                vals = vals[: self.limit]
            for x in vals:
                row = dict(e)
                row[self.field] = x
                yield row


@register("makeresults")
@dataclass(frozen=True)
class MakeresultsCommand(Command):
    name = "makeresults"
    generating = True
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MakeresultsCommand:
        opts = p.parse_options()
        p.end_of_command("makeresults")
        return cls(tuple(opts.items()), pos=name.pos)

    def args_spl(self) -> str:
        return " ".join(_opts_spl(self.options))

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        count = int(to_number(dict(self.options).get("count", "1")) or 0)
        for _ in range(count):
            yield {"_time": int(ctx.now)}


@register("fromjson")
@dataclass(frozen=True)
class FromjsonCommand(Command):
    """``fromjson <field> [prefix=<string>]``: top-level keys of a JSON object become fields."""

    name = "fromjson"
    field: str = ""
    prefix: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> FromjsonCommand:
        field = p.field_name()
        opts = p.parse_options()
        p.end_of_command("fromjson")
        return cls(field, opts.get("prefix", ""), pos=name.pos)

    def args_spl(self) -> str:
        return search_word(self.field) + (
            f" prefix={search_word(self.prefix)}" if self.prefix else ""
        )

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        import json

        for e in events:
            v = e.get(self.field)
            if v is not None:
                try:
                    obj = json.loads(to_str(as_list(v)[0]))
                except ValueError:
                    obj = None
                if isinstance(obj, dict):
                    for k, val in obj.items():
                        if isinstance(val, list):
                            e[self.prefix + k] = normalize(
                                [x if isinstance(x, str) else json.dumps(x) for x in val]
                            )
                        elif isinstance(val, dict):
                            e[self.prefix + k] = json.dumps(val)
                        elif val is not None:
                            e[self.prefix + k] = val if isinstance(val, str) else json.dumps(val)
            yield e


_XML_PAIR = re.compile(r"<([A-Za-z_][\w.:-]*)(?:\s[^>]*)?>([^<]*)</\1>")


@register("xmlkv")
@dataclass(frozen=True)
class XmlkvCommand(Command):
    """``xmlkv [<field>]``: ``<tag>value</tag>`` pairs become fields."""

    name = "xmlkv"
    field: str = "_raw"

    @classmethod
    def parse(cls, p: Parser, name: Token) -> XmlkvCommand:
        p.parse_options()
        field = "_raw"
        if not p.at_command_end():
            field = p.field_name()
        p.parse_options()
        p.end_of_command("xmlkv")
        return cls(field, pos=name.pos)

    def args_spl(self) -> str:
        return "" if self.field == "_raw" else search_word(self.field)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..events import _unescape

        for e in events:
            for text in as_list(e.get(self.field)):
                for m in _XML_PAIR.finditer(to_str(text)):
                    e.setdefault(m.group(1), _unescape(m.group(2)))
            yield e
