"""Search-time extraction commands: ``extract``/``kv`` (key/value pairs with given delimiters)
and ``multikv`` (table-formatted events, one result per row); and ``outlier`` (Search Reference
pages of the same names)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..lexer import search_word
from ..values import as_list, to_number, to_str
from . import register
from .stats import _percentile

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]


def _opts_spl(options: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"{k}={search_word(v)}" for k, v in options]


def _true(value: str | None, default: bool) -> bool:
    return default if value is None else value.lower() in ("t", "true", "1", "yes")


_CLEAN = re.compile(r"[^A-Za-z0-9_]")


@register("extract", "kv")
@dataclass(frozen=True)
class ExtractCommand(Command):
    """``extract [pairdelim=<chars>] [kvdelim=<chars>] [limit=50] [clean_keys=t] [mv_add=f]``:
    ``key=value`` pairs of ``_raw`` (split at any ``pairdelim`` character, key and value at the
    first ``kvdelim`` character) become fields; without delimiters, automatic ``key=value``
    extraction. Fields that already exist keep their values."""

    name = "extract"
    options: tuple[tuple[str, str], ...] = ()
    extractors: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ExtractCommand:
        opts = p.parse_options()
        names = p.parse_field_list()
        opts.update(p.parse_options())
        p.end_of_command(name.value)
        return cls(tuple(opts.items()), tuple(names), pos=name.pos)

    def args_spl(self) -> str:
        return " ".join([*_opts_spl(self.options), *map(search_word, self.extractors)])

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..events import kv_fields

        opts = {k.lower(): v for k, v in self.options}
        pairdelim = opts.get("pairdelim")
        kvdelim = opts.get("kvdelim")
        limit = int(to_number(opts.get("limit", "50")) or 50)
        clean = _true(opts.get("clean_keys"), True)
        mv_add = _true(opts.get("mv_add"), False)
        for e in events:
            raw = to_str(e.get("_raw", ""))
            if pairdelim is None and kvdelim is None:
                found = list(kv_fields(raw)[0].items())
            else:
                pairs = re.split("[" + re.escape(pairdelim or " ") + "]", raw)
                kv = re.compile("[" + re.escape(kvdelim or "=") + "]")
                found = []
                for pair in pairs:
                    parts = kv.split(pair, maxsplit=1)
                    if len(parts) == 2 and parts[0].strip():
                        found.append((parts[0].strip(), parts[1].strip()))
            for key, value in found[:limit]:
                if clean:
                    key = _CLEAN.sub("_", key)
                cur = e.get(key)
                if cur is None:
                    e[key] = value
                elif mv_add:
                    e[key] = [*as_list(cur), value]
            yield e


@register("multikv")
@dataclass(frozen=True)
class MultikvCommand(Command):
    """``multikv [noheader=f] [fields <f>...] [filter <term>...]``: a table-formatted event
    (a header line, then rows of whitespace-separated values) becomes one result per row with
    the header names as fields (``Column_1``... with ``noheader=t``)."""

    name = "multikv"
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> MultikvCommand:
        opts = p.parse_options()
        fields: list[str] = []
        filters: list[str] = []
        while not p.at_command_end():
            if p.accept_word("fields"):
                fields.extend(p.parse_field_list(stop_words=("filter",)))
            elif p.accept_word("filter"):
                filters.extend(p.parse_field_list(stop_words=("fields",)))
            else:
                got = p.parse_options()
                if not got:
                    raise p.error("multikv: expected fields, filter or an option", p.peek().pos)
                opts.update(got)
        p.end_of_command("multikv")
        return cls(tuple(opts.items()), tuple(fields), tuple(filters), pos=name.pos)

    def args_spl(self) -> str:
        parts = _opts_spl(self.options)
        if self.fields:
            parts.append("fields " + " ".join(map(search_word, self.fields)))
        if self.filters:
            parts.append("filter " + " ".join(map(search_word, self.filters)))
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = {k.lower(): v for k, v in self.options}
        noheader = _true(opts.get("noheader"), False)
        for e in events:
            lines = [ln for ln in to_str(e.get("_raw", "")).splitlines() if ln.strip()]
            if not lines:
                continue
            if noheader:
                width = max(len(ln.split()) for ln in lines)
                header = [f"Column_{i + 1}" for i in range(width)]
                rows = lines
            else:
                header = [_CLEAN.sub("_", h) for h in lines[0].split()]
                rows = lines[1:]
            for line in rows:
                if self.filters and not any(f.lower() in line.lower() for f in self.filters):
                    continue
                values = line.split(None, len(header) - 1)
                out = {k: v for k, v in e.items() if k != "_raw"}
                out["_raw"] = line
                for h, v in zip(header, values, strict=False):
                    if not self.fields or h in self.fields:
                        out[h] = v
                yield out


@register("outlier")
@dataclass(frozen=True)
class OutlierCommand(Command):
    """``outlier [action=remove|transform] [param=2.5] [uselower=f] [mark=f] [<field>...]``:
    values beyond ``param`` inter-quartile ranges past the quartiles are outliers: ``remove``
    (``RM``) drops their results, ``transform`` (``TF``, the default) clamps them to the bound
    (``mark=t`` prefixes them with ``000``); only high values count unless ``uselower=t``."""

    name = "outlier"
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> OutlierCommand:
        opts = p.parse_options()
        fields = p.parse_field_list()
        opts.update(p.parse_options())
        p.end_of_command("outlier")
        return cls(tuple(opts.items()), tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        return " ".join([*_opts_spl(self.options), *map(search_word, self.fields)])

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = {k.lower(): v for k, v in self.options}
        action = opts.get("action", "transform").lower()
        remove = action in ("remove", "rm")
        param = float(to_number(opts.get("param", "2.5")) or 2.5)
        uselower = _true(opts.get("uselower"), False)
        mark = _true(opts.get("mark"), False)
        rows = list(events)
        names = list(self.fields) or sorted(
            {
                k
                for r in rows
                for k, v in r.items()
                if not k.startswith("_") and to_number(v) is not None
            }
        )
        bounds: dict[str, tuple[float, float]] = {}
        for f in names:
            nums = sorted(float(n) for r in rows if (n := to_number(r.get(f))) is not None)
            if not nums:
                continue
            q1, q3 = _percentile(nums, 25), _percentile(nums, 75)
            iqr = q3 - q1
            bounds[f] = (q1 - param * iqr, q3 + param * iqr)
        for r in rows:
            drop = False
            for f, (lo, hi) in bounds.items():
                n = to_number(r.get(f))
                if n is None:
                    continue
                if n > hi or (uselower and n < lo):
                    if remove:
                        drop = True
                        break
                    bound = hi if n > hi else lo
                    value: Any = int(bound) if float(bound).is_integer() else bound
                    r[f] = f"000{value}" if mark else value
            if not drop:
                yield r
