"""``top`` and ``rare`` as the Search Reference pages "top" and "rare" document them.

``top [<N>] [<top-options>...] <field-list> [BY <field-list>]``: a leading integer is the limit
(``top 5 host`` = ``top limit=5 host``; ``limit=0`` returns every tuple); ``countfield`` and
``percentfield`` name the output fields, ``showcount=f``/``showperc=f`` leave them out, and
``useother=t`` adds one row labelled ``otherstr`` (default ``OTHER``) for the tuples beyond the
limit. Tuples with the same count are ordered with the lexicographically last first (the page's
"Lexicographic order of results": ``top limit=1 location by user`` keeps ``Orlando`` over
``Atlanta``). ``rare`` is the same with the least frequent tuples first; its syntax has no
leading ``<N>``, which the engine accepts as the limit as for ``top`` (no field is named by a
bare integer), and ``useother``/``otherstr`` apply to ``top`` only.

These classes replace the registrations of ``top``/``rare`` made by ``commands.stats`` (this
module imports it first).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..lexer import Kind, search_word
from ..limits import check_combinations
from ..values import as_list, option_bool, option_flag
from . import register
from .stats import _group_key

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]

_BOOLS = ("showcount", "showperc", "useother")


def top_output_fields(
    fields: tuple[str, ...], by: tuple[str, ...], options: dict[str, str]
) -> list[str]:
    """The fields a ``top``/``rare`` row has, in order, given its (lower-cased) options."""
    out = [*by, *fields]
    if option_flag(options.get("showcount"), True):
        out.append(options.get("countfield", "count"))
    if option_flag(options.get("showperc"), True):
        out.append(options.get("percentfield", "percent"))
    return out


@dataclass(frozen=True)
class _TopRare(Command):
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> Any:
        options: dict[str, str] = {}
        first = p.peek()
        if first.kind is Kind.WORD and not first.quoted and first.value.isdigit():
            options["limit"] = first.value  # top [<N>]
            p.pos = first.end
        options.update(p.parse_options())
        fields = p.parse_field_list(stop_words=("by",))
        if not fields:
            raise p.error(f"{cls.name} needs at least one field", p.peek().pos)
        by: list[str] = []
        if p.accept_word("by"):
            by = p.parse_field_list()
        options.update(p.parse_options())
        p.end_of_command(cls.name)
        limit = options.get("limit")
        if limit is not None and not limit.isdigit():
            raise p.error(f"{cls.name}: limit must be a whole number, not {limit!r}", name.pos)
        for key in _BOOLS:
            value = options.get(key)
            if value is not None and option_bool(value) is None:
                raise p.error(f"{cls.name}: {key} must be true or false, not {value!r}", name.pos)
        return cls(tuple(options.items()), tuple(fields), tuple(by), pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        fields = [search_word(f) for f in self.fields]
        if not parts and fields and fields[0].isdigit():
            fields[0] = f'"{fields[0]}"'  # a leading bare number would read as the limit
        parts.extend(fields)
        if self.by:
            parts.append("BY " + ", ".join(search_word(b) for b in self.by))
        return " ".join(parts)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        return top_output_fields(self.fields, self.by, dict(self.options))

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return set(self.fields) | set(self.by)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        limit = int(opts.get("limit", "10"))
        countfield = opts.get("countfield", "count")
        percentfield = opts.get("percentfield", "percent")
        showcount = option_flag(opts.get("showcount"), True)
        showperc = option_flag(opts.get("showperc"), True)
        is_top = self.name == "top"
        useother = is_top and option_flag(opts.get("useother"), False)
        otherstr = opts.get("otherstr", "OTHER")
        counts: dict[tuple[str, ...], dict[tuple[str, ...], int]] = {}
        totals: dict[tuple[str, ...], int] = {}
        for e in events:
            bylists = [as_list(e.get(b)) for b in self.by]
            lists = [as_list(e.get(f)) for f in self.fields]
            if any(not v for v in lists) or any(not v for v in bylists):
                continue
            check_combinations(
                [*bylists, *lists], f"{self.name}: the multivalue fields of one event make"
            )
            for bk in itertools.product(*bylists):
                bkey = _group_key(bk)
                totals[bkey] = totals.get(bkey, 0) + 1
                group = counts.setdefault(bkey, {})
                for combo in itertools.product(*lists):
                    key = _group_key(combo)
                    group[key] = group.get(key, 0) + 1
        for bkey in sorted(counts):
            group = counts[bkey]
            # ties: the lexicographically last tuple first (stable sort, reversed value order)
            items = sorted(group.items(), key=lambda kv: kv[0], reverse=is_top)
            items.sort(key=lambda kv: -kv[1] if is_top else kv[1])
            other = 0
            if limit:
                other = sum(n for _, n in items[limit:])
                items = items[:limit]
            if useother and other:
                items = [*items, (tuple(otherstr for _ in self.fields), other)]
            for key, n in items:
                row: dict[str, Any] = dict(zip(self.by, bkey, strict=True))
                row.update(zip(self.fields, key, strict=True))
                if showcount:
                    row[countfield] = n
                if showperc:
                    row[percentfield] = round(100.0 * n / totals[bkey], 6)
                yield row


@register("top")
@dataclass(frozen=True)
class TopCommand(_TopRare):
    name = "top"


@register("rare")
@dataclass(frozen=True)
class RareCommand(_TopRare):
    name = "rare"
