"""``transaction`` (Search Reference "transaction"): group events that share field values into
transactions, bounded by ``maxspan``/``maxpause``/``maxevents`` and ``startswith``/``endswith``.

A transaction is one result: ``_raw`` of its events joined by newlines (oldest first), ``_time``
of its oldest event, ``duration`` (newest minus oldest ``_time``), ``eventcount``,
``closed_txn`` (1 when an ``endswith`` closed it, or when no ``endswith`` was given and it ended
by a limit or the end of input), ``field_match_sum`` and every other field merged as a
multivalue field of its distinct values (``mvlist=t``: all values in event order).
Transactions come out newest first, as Splunk returns them. Open transactions that never met
their ``endswith`` are evicted (dropped) unless ``keepevicted=t`` (then ``closed_txn=0``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, SearchExpr
from ..errors import SplError
from ..lexer import Kind, quote, search_word
from ..values import as_list, normalize, to_number, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]
_BOUNDARY_OPTS = ("startswith", "endswith")


def _parse_boundary(p: Parser, opt: str) -> tuple[str, str]:
    """``startswith=(search)``, ``="search"`` or ``=eval(expr)``: (kind, source text)."""
    tok = p.peek()
    if tok.kind is Kind.LPAREN:
        return "search", p.raw_parenthesized().strip()
    if tok.kind is Kind.WORD and tok.value.lower() == "eval" and not tok.quoted:
        p.pos = tok.end
        return "eval", p.raw_parenthesized().strip()
    if tok.kind is Kind.WORD:
        p.pos = tok.end
        return "search", tok.value
    raise p.error(f"transaction: expected a search after {opt}=", tok.pos)


@register("transaction")
@dataclass(frozen=True)
class TransactionCommand(Command):
    name = "transaction"
    fields: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    boundaries: tuple[tuple[str, str, str], ...] = ()  # (option, kind, text)

    @classmethod
    def parse(cls, p: Parser, name: Token) -> TransactionCommand:
        fields: list[str] = []
        opts: dict[str, str] = {}
        bounds: list[tuple[str, str, str]] = []
        while not p.at_command_end():
            first, second = p.peek2()
            if (
                first.kind is Kind.WORD
                and first.value.lower() in _BOUNDARY_OPTS
                and second.kind is Kind.OP
                and second.value == "="
            ):
                p.pos = second.end
                kind, text = _parse_boundary(p, first.value.lower())
                bounds.append((first.value.lower(), kind, text))
                continue
            if first.kind is Kind.WORD and second.kind is Kind.OP and second.value == "=":
                p.pos = second.end
                value = p.next()
                if value.kind is not Kind.WORD:
                    raise p.error(f"transaction: expected a value for {first.value}", value.pos)
                opts[first.value.lower()] = value.value
                continue
            if first.kind is Kind.COMMA:
                p.pos = first.end
                continue
            if first.kind is not Kind.WORD:
                raise p.error(f"transaction: unexpected {first.value!r}", first.pos)
            p.pos = first.end
            fields.append(first.value)
        p.end_of_command("transaction")
        for opt in ("maxspan", "maxpause"):
            if opt in opts and _duration(opts[opt]) is None:
                raise p.error(f"transaction: invalid {opt} {opts[opt]!r}", name.pos)
        for _opt, kind, text in bounds:  # parse errors surface now, not at run time
            _compile_boundary(kind, text, None, name.pos)
        return cls(tuple(fields), tuple(opts.items()), tuple(bounds), pos=name.pos)

    def args_spl(self) -> str:
        parts = [search_word(f) for f in self.fields]
        parts.extend(f"{k}={search_word(v)}" for k, v in self.options)
        for opt, kind, text in self.boundaries:
            parts.append(f"{opt}=eval({text})" if kind == "eval" else f"{opt}={quote(text)}")
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = {k.lower(): v for k, v in self.options}
        maxspan = _duration(opts.get("maxspan", "-1"))
        maxpause = _duration(opts.get("maxpause", "-1"))
        maxevents = int(to_number(opts.get("maxevents", "1000")) or 1000)
        keepevicted = opts.get("keepevicted", "f").lower() in ("t", "true", "1")
        mvlist = opts.get("mvlist", "f").lower() in ("t", "true", "1")
        connected = opts.get("connected", "t").lower() in ("t", "true", "1")
        starts = ends = None
        for opt, kind, text in self.boundaries:
            pred = _compile_boundary(kind, text, ctx, self.pos)
            if opt == "startswith":
                starts = pred
            else:
                ends = pred
        evs = list(events)
        evs.sort(key=_time)  # oldest first
        open_txns: list[_Txn] = []
        done: list[_Txn] = []

        def close(t: _Txn, closed: bool) -> None:
            open_txns.remove(t)
            t.closed = closed
            done.append(t)

        for e in evs:
            values = {f: as_list(e.get(f)) for f in self.fields}
            present = {f: v for f, v in values.items() if v}
            if self.fields and not present:
                continue
            now = _time(e)
            # expire transactions that this event can no longer join
            for t in list(open_txns):
                if (maxspan is not None and maxspan >= 0 and now - t.first > maxspan) or (
                    maxpause is not None and maxpause >= 0 and now - t.last > maxpause
                ):
                    close(t, ends is None)
            txn = None
            for t in reversed(open_txns):
                if t.accepts(present, connected):
                    txn = t
                    break
            is_start = starts is not None and starts(e)
            if txn is not None and is_start:
                close(txn, ends is None)
                txn = None
            if txn is None:
                if starts is not None and not is_start:
                    continue  # an event before any start: not part of a transaction
                txn = _Txn(now)
                open_txns.append(txn)
            txn.add(e, present)
            if (ends is not None and ends(e)) or len(txn.events) >= maxevents:
                close(txn, ends is None or ends(e))
        for t in list(open_txns):
            close(t, ends is None)
        out = [t.result(mvlist, self.fields) for t in done if t.closed or keepevicted]
        out.sort(key=_time, reverse=True)
        yield from out


class _Txn:
    def __init__(self, first: float) -> None:
        self.first = first
        self.last = first
        self.events: list[Event] = []
        self.values: dict[str, set[str]] = {}
        self.closed = False

    def accepts(self, present: dict[str, list[Any]], connected: bool) -> bool:
        shared = False
        for f, vals in present.items():
            mine = self.values.get(f)
            if mine is None:
                continue
            if not mine & {to_str(v) for v in vals}:
                return False
            shared = True
        return shared or (not connected and not present)

    def add(self, e: Event, present: dict[str, list[Any]]) -> None:
        self.events.append(e)
        self.last = _time(e)
        for f, vals in present.items():
            self.values.setdefault(f, set()).update(to_str(v) for v in vals)

    def result(self, mvlist: bool, fields: tuple[str, ...]) -> Event:
        merged: dict[str, list[Any]] = {}
        for e in self.events:
            for k, v in e.items():
                if k in ("_raw", "_time"):
                    continue
                bucket = merged.setdefault(k, [])
                for x in as_list(v):
                    if mvlist or x not in bucket:
                        bucket.append(x)
        out: Event = {
            k: normalize(v if mvlist else sorted(v, key=to_str)) for k, v in merged.items()
        }
        out["_raw"] = "\n".join(to_str(e.get("_raw", "")) for e in self.events)
        out["_time"] = self.events[0].get("_time", self.first)
        duration = self.last - self.first
        out["duration"] = int(duration) if float(duration).is_integer() else duration
        out["eventcount"] = len(self.events)
        out["closed_txn"] = 1 if self.closed else 0
        out["field_match_sum"] = sum(1 for e in self.events for f in fields if e.get(f) is not None)
        out["linecount"] = sum(to_str(e.get("_raw", "")).count("\n") + 1 for e in self.events)
        return out


def _time(e: Event) -> float:
    t = to_number(e.get("_time"))
    return float(t) if t is not None else 0.0


_DURATION = re.compile(r"^(-?\d+(?:\.\d+)?)([smhd]?)$")


def _duration(text: str) -> float | None:
    m = _DURATION.match(text.strip().lower())
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _compile_boundary(
    kind: str, text: str, ctx: Context | None, pos: int
) -> Callable[[Event], bool]:
    from ..parser import Parser

    p = Parser(text)
    try:
        if kind == "eval":
            expr = p.parse_eval_expr()
            if ctx is None:
                return lambda e: False
            from ..evaluator import compile_expr, truthy

            fn = compile_expr(expr, ctx)
            return lambda e: truthy(fn(e))
        sexpr: SearchExpr | None = p.parse_search_expr()
    except SplError as exc:
        raise SplError(f"transaction: {exc.message}", pos, ctx.text if ctx else None) from None
    if ctx is None or sexpr is None:
        return lambda e: sexpr is None
    from ..matching import compile_search

    return compile_search(sexpr, ctx)
