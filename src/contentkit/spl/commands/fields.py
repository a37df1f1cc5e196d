"""Field and row shaping: ``table``, ``fields``, ``rename``, ``fillnull``, ``dedup``, ``sort``,
``head``, ``tail``, ``reverse``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, Expr
from ..lexer import Kind, Token, quote, search_word
from ..values import as_list, to_number, to_str, wildcard_regex
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]


def _expand(patterns: tuple[str, ...], keys: list[str]) -> list[str]:
    out: list[str] = []
    for pat in patterns:
        if "*" in pat:
            rx = wildcard_regex(pat, True)
            out.extend(k for k in keys if rx.fullmatch(k) and k not in out)
        elif pat not in out:
            out.append(pat)
    return out


def _field_words(fields: tuple[str, ...]) -> str:
    return ", ".join(search_word(f) for f in fields)


@register("table")
@dataclass(frozen=True)
class TableCommand(Command):
    name = "table"
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> TableCommand:
        fields = p.parse_field_list(allow_parens=True)
        p.end_of_command("table")
        return cls(tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        return _field_words(self.fields)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if any("*" in f for f in self.fields):
            return None if fields is None else _expand(self.fields, fields)
        return list(self.fields)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return None if any("*" in f for f in self.fields) else set(self.fields)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        wild = any("*" in f for f in self.fields)
        for e in events:
            names = _expand(self.fields, list(e)) if wild else self.fields
            yield {n: e[n] for n in names if n in e}


@register("fields")
@dataclass(frozen=True)
class FieldsCommand(Command):
    name = "fields"
    remove: bool = False
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> FieldsCommand:
        remove = False
        tok = p.peek()
        if tok.kind is Kind.WORD and not tok.quoted and tok.value in ("-", "+"):
            remove = tok.value == "-"
            p.pos = tok.end
        fields = p.parse_field_list(allow_parens=True)
        if not fields:
            raise p.error("fields needs at least one field", p.peek().pos)
        p.end_of_command("fields")
        return cls(remove, tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        return ("- " if self.remove else "") + _field_words(self.fields)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return (
                None
                if not self.remove and any("*" in f for f in self.fields)
                else (None if self.remove else list(self.fields))
            )
        names = _expand(self.fields, fields)
        if self.remove:
            return [f for f in fields if f not in names]
        return [f for f in names if f in fields or "*" not in f]

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if self.remove or any("*" in f for f in self.fields):
            return downstream if self.remove and downstream is not None else None
        return set(self.fields) if downstream is None else set(self.fields) & downstream

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        for e in events:
            names = _expand(self.fields, list(e))
            if self.remove:
                for n in names:
                    e.pop(n, None)
                yield e
            else:
                keep = {n: e[n] for n in names if n in e}
                for k in ("_raw", "_time"):  # internal fields stay unless removed explicitly
                    if k in e and k not in keep:
                        keep[k] = e[k]
                yield keep


@register("rename")
@dataclass(frozen=True)
class RenameCommand(Command):
    name = "rename"
    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> RenameCommand:
        pairs: list[tuple[str, str]] = []
        while not p.at_command_end():
            if p.accept(Kind.COMMA):
                continue
            src = p.field_name("a field to rename")
            if not p.accept_word("as"):
                raise p.error(f"rename expects AS after {src!r}", p.peek().pos)
            dst = p.field_name("a new field name after AS")
            pairs.append((src, dst))
        if not pairs:
            raise p.error("rename needs 'field AS newname'", p.peek().pos)
        return cls(tuple(pairs), pos=name.pos)

    def args_spl(self) -> str:
        return ", ".join(f"{search_word(a)} AS {search_word(b)}" for a, b in self.pairs)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if downstream is None or any("*" in a or "*" in b for a, b in self.pairs):
            return None
        needed = set(downstream)
        for src, dst in reversed(self.pairs):
            if dst in needed:
                needed.discard(dst)
                needed.add(src)
        return needed

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return None
        out = list(fields)
        for src, dst in self.pairs:
            if "*" in src:
                return None
            out = [dst if f == src else f for f in out if f != dst or f == src]
        return out

    def _plans(self) -> list[tuple[str, str, re.Pattern[str] | None]]:
        plans: list[tuple[str, str, re.Pattern[str] | None]] = []
        for src, dst in self.pairs:
            if "*" in src:
                pattern = re.compile("^" + "(.*)".join(re.escape(x) for x in src.split("*")) + "$")
                plans.append((src, dst, pattern))
            else:
                plans.append((src, dst, None))
        return plans

    def in_place(self, layouts: Iterable[tuple[str, ...]]) -> dict[str, str] | None:
        """Old name -> new name when renaming events whose keys are any of ``layouts`` only
        changes names (every key keeps its position, none is dropped) and the same way for all
        layouts; else ``None``.  A command making such events can then name its fields so."""
        plans = self._plans()
        names: dict[str, str] = {}
        for layout in layouts:
            probe = _renamed({k: k for k in layout}, plans)  # new name -> old name
            if tuple(probe.values()) != layout:
                return None
            for new, old in probe.items():
                if names.setdefault(old, new) != new:
                    return None
        return names

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        plans = self._plans()
        # the renaming depends only on the field names: work it out once per layout of keys
        layouts: dict[tuple[str, ...], tuple[tuple[str, str], ...] | None] = {}
        for e in events:
            names = tuple(e)
            layout = layouts.get(names, _UNKNOWN)
            if layout is _UNKNOWN:
                probe = _renamed({k: k for k in e}, plans)  # new name -> old name
                layout = tuple(probe.items())
                if layout == tuple(zip(names, names, strict=True)):
                    layout = None
                if len(layouts) < 4096:
                    layouts[names] = layout
            if layout is None:
                yield e
            else:
                yield {new: e[old] for new, old in layout}


_UNKNOWN: Any = object()


def _renamed(e: Event, plans: list[tuple[str, str, re.Pattern[str] | None]]) -> Event:
    for src, dst, rx in plans:
        if rx is None:
            if src in e and src != dst:
                e = _rename_keys(e, {src: dst})
            continue
        mapping: dict[str, str] = {}
        for k in e:
            m = rx.match(k)
            if m is None:
                continue
            groups = iter(m.groups())
            mapping[k] = "".join(
                part if i == 0 else next(groups, "") + part for i, part in enumerate(dst.split("*"))
            )
        if mapping:
            e = _rename_keys(e, mapping)
    return e


def _rename_keys(e: Event, mapping: dict[str, str]) -> Event:
    """Rename keys keeping their position; a renamed field replaces an existing one."""
    targets = set(mapping.values())
    out: Event = {}
    for k, v in e.items():
        if k in mapping:
            out[mapping[k]] = v
        elif k not in targets:
            out[k] = v
    return out


@register("fillnull")
@dataclass(frozen=True)
class FillnullCommand(Command):
    name = "fillnull"
    preserves_fields = True
    value: str = "0"
    fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> FillnullCommand:
        opts = p.parse_options()
        fields = p.parse_field_list()
        opts.update(p.parse_options())
        p.end_of_command("fillnull")
        unknown = set(opts) - {"value"}
        if unknown:
            raise p.error(f"fillnull: unknown option {sorted(unknown)[0]!r}", name.pos)
        return cls(opts.get("value", "0"), tuple(fields), pos=name.pos)

    def args_spl(self) -> str:
        parts = [] if self.value == "0" else [f"value={search_word(self.value)}"]
        parts.extend(search_word(f) for f in self.fields)
        return " ".join(parts)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        # filling only fields seen in the results: restricting the input fields to those needed
        # later does not change the needed fields' values
        return downstream

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        if self.fields:
            for e in events:
                for f in self.fields:
                    if e.get(f) in (None, "", []):
                        e[f] = self.value
                yield e
            return
        buffered = list(events)
        seen: dict[str, None] = {}
        for e in buffered:
            if not seen.keys() >= e.keys():
                seen.update(dict.fromkeys(e))
        n = len(seen)
        for e in buffered:
            values = e.values()
            # the keys of e are among those seen: as many keys means none is missing
            if len(e) == n and None not in values and "" not in values and [] not in values:
                yield e
                continue
            get = e.get
            for k in seen:
                v = get(k)
                if v is None or (not v and (v == "" or v == [])):
                    e[k] = self.value
            yield e


@register("dedup")
@dataclass(frozen=True)
class DedupCommand(Command):
    name = "dedup"
    preserves_fields = True
    count: int = 1
    fields: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    sortby: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> DedupCommand:
        count = 1
        tok = p.peek()
        if tok.kind is Kind.WORD and not tok.quoted and tok.value.isdigit():
            count = int(tok.value)
            p.pos = tok.end
        opts = p.parse_options()
        fields = p.parse_field_list(stop_words=("sortby",))
        opts.update(p.parse_options())
        sortby: list[str] = []
        if p.accept_word("sortby"):
            sortby = _parse_sort_fields(p)
        opts.update(p.parse_options())
        if not fields:
            raise p.error("dedup needs at least one field", p.peek().pos)
        p.end_of_command("dedup")
        return cls(count, tuple(fields), tuple(opts.items()), tuple(sortby), pos=name.pos)

    def args_spl(self) -> str:
        parts = [str(self.count)] if self.count != 1 else []
        parts.extend(search_word(f) for f in self.fields)
        parts.extend(f"{k}={search_word(v)}" for k, v in self.options)
        if self.sortby:
            parts.append("sortby " + " ".join(search_word(s) for s in self.sortby))
        return " ".join(parts)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if downstream is None:
            return None
        return downstream | set(self.fields) | {s.lstrip("+-") for s in self.sortby}

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        keepempty = opts.get("keepempty", "f").lower() in ("t", "true", "1")
        consecutive = opts.get("consecutive", "f").lower() in ("t", "true", "1")
        # keepevents=t: duplicates stay, without the dedup fields (Search Reference "dedup")
        keepevents = opts.get("keepevents", "f").lower() in ("t", "true", "1")
        stream: Iterator[Event] = events
        if self.sortby:
            stream = iter(_sorted(list(events), self.sortby))
        seen: dict[tuple[Any, ...], int] = {}
        last: tuple[Any, ...] | None = None
        for e in stream:
            vals = [e.get(f) for f in self.fields]
            if any(v in (None, [], "") for v in vals):
                if keepempty:
                    yield e
                continue
            key = tuple(tuple(to_str(x) for x in as_list(v)) for v in vals)
            if consecutive:
                if key != last:
                    yield e
                elif keepevents:
                    yield _without(e, self.fields)
                last = key
                continue
            n = seen.get(key, 0)
            if n < self.count:
                seen[key] = n + 1
                yield e
            elif keepevents:
                yield _without(e, self.fields)


def _without(e: Event, names: tuple[str, ...]) -> Event:
    for n in names:
        e.pop(n, None)
    return e


def _parse_sort_fields(p: Parser) -> list[str]:
    out: list[str] = []
    pending = ""
    while True:
        tok = p.peek()
        if tok.kind is Kind.COMMA:
            p.pos = tok.end
            continue
        if tok.kind is not Kind.WORD or tok.is_word("desc", "d"):
            if tok.is_word("desc", "d") and out:
                p.pos = tok.end
                f = out.pop()
                out.append("-" + f.lstrip("+-"))
                continue
            break
        p.pos = tok.end
        if not tok.quoted and tok.value in ("-", "+"):
            pending = tok.value
            continue
        if pending:
            out.append(pending + tok.value)
            pending = ""
        else:
            nxt = p.peek()
            if (
                nxt.kind is Kind.LPAREN
                and nxt.pos == tok.end
                and tok.value.lower() in ("num", "str", "ip", "auto")
            ):
                p.pos = nxt.end
                inner = p.field_name()
                p.expect(Kind.RPAREN)
                out.append(f"{tok.value.lower()}({inner})")
                continue
            out.append(tok.value)
    return out


def _sort_value_key(value: Any, mode: str) -> tuple[int, float, bytes]:
    """Sort order of a value (Search Reference "sort"): ``auto`` and ``num`` put numbers first,
    in numeric order, then the other values lexicographically (UTF-8 bytes: digits before
    letters, uppercase before lowercase); ``str`` orders every value lexicographically; ``ip``
    orders IPv4/IPv6 addresses numerically, before the other values."""
    v = as_list(value)[0] if isinstance(value, list) and value else value
    text = to_str(v)
    if mode == "ip":
        import ipaddress

        try:
            return (0, float(int(ipaddress.ip_address(text.strip()))), b"")
        except ValueError:
            pass
    elif mode != "str":
        n = v if isinstance(v, int | float) and not isinstance(v, bool) else to_number(text)
        if n is not None:
            return (0, float(n), b"")
    return (1, 0.0, text.encode("utf-8", "surrogatepass"))


def _sorted(rows: list[Event], keys: tuple[str, ...]) -> list[Event]:
    import functools

    specs = []
    for k in keys:
        desc = k.startswith("-")
        name = k.lstrip("+-")
        m = re.fullmatch(r"(num|str|ip|auto)\((.+)\)", name)
        mode = "auto"
        if m:
            mode, name = m.group(1), m.group(2)
        specs.append((name, desc, mode))

    def cmp(a: Event, b: Event) -> int:
        for name, desc, mode in specs:
            va, vb = a.get(name), b.get(name)
            if va is None and vb is None:
                continue
            if va is None:
                return 1
            if vb is None:
                return -1
            ka, kb = _sort_value_key(va, mode), _sort_value_key(vb, mode)
            c = (ka > kb) - (ka < kb)
            if c:
                return -c if desc else c
        return 0

    return sorted(rows, key=functools.cmp_to_key(cmp))


@register("sort")
@dataclass(frozen=True)
class SortCommand(Command):
    name = "sort"
    preserves_fields = True
    limit: int | None = None
    keys: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> SortCommand:
        limit = None
        tok = p.peek()
        if tok.kind is Kind.WORD and not tok.quoted and tok.value.isdigit():
            limit = int(tok.value)
            p.pos = tok.end
        opts = p.parse_options()
        if set(opts) - {"limit"}:
            raise p.error(f"sort: unknown option {sorted(set(opts) - {'limit'})[0]!r}", name.end)
        if "limit" in opts:
            if not opts["limit"].isdigit():
                raise p.error("sort: limit must be a number", name.end)
            limit = int(opts["limit"])
        keys = _parse_sort_fields(p)
        if not keys:
            raise p.error("sort needs at least one field", p.peek().pos)
        p.end_of_command("sort")
        return cls(limit, tuple(keys), pos=name.pos)

    def args_spl(self) -> str:
        parts = [] if self.limit is None else [str(self.limit)]
        for i, k in enumerate(self.keys):
            if re.fullmatch(r"[+-]?(num|str|ip|auto)\(.+\)", k):
                parts.append(k)
            elif i == 0 and k.isdigit():
                parts.append(quote(k))  # not to be read back as the limit
            elif k.lstrip("+-").lower() in ("d", "desc"):
                # a field called d or desc: quoted, not to be read back as "descending"
                parts.append(k[: len(k) - len(k.lstrip("+-"))] + quote(k.lstrip("+-")))
            else:
                parts.append(search_word(k))
        return " ".join(parts)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if downstream is None:
            return None
        names = {re.sub(r"^(num|str|ip|auto)\((.+)\)$", r"\2", k.lstrip("+-")) for k in self.keys}
        return downstream | names

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        rows = _sorted(list(events), self.keys)
        limit = 10000 if self.limit is None else self.limit
        yield from rows[:limit] if limit else rows


@register("head")
@dataclass(frozen=True)
class HeadCommand(Command):
    """``head [<N> | (<eval-expression>)] [limit=<N>] [null=<bool>] [keeplast=<bool>]``: the
    first N results, or the results up to the first one for which the expression is false
    (``keeplast=t`` keeps that one too; ``null=t``: a null expression counts as true)."""

    name = "head"
    preserves_fields = True
    count: int = 10
    expr: Expr | None = None
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> HeadCommand:
        opts = p.parse_options()
        tok = p.peek()
        if tok.kind is Kind.LPAREN:
            p.pos = tok.end
            expr = p.parse_eval_expr()
            close = p.next()
            if close.kind is not Kind.RPAREN:
                raise p.error("unbalanced parentheses: missing ')' after head (", tok.pos)
            opts.update(p.parse_options())
            p.end_of_command("head")
            return cls(int(opts.pop("limit", "10") or 10), expr, tuple(opts.items()), pos=name.pos)
        n = _parse_count(p, cls.name, opts)
        return cls(n, pos=name.pos)

    def args_spl(self) -> str:
        if self.expr is None:
            return str(self.count)
        text = self.expr.to_spl()
        parts = [text if text.startswith("(") and text.endswith(")") else f"({text})"]
        if self.count != 10:
            parts.append(f"limit={self.count}")
        parts.extend(f"{k}={search_word(v)}" for k, v in self.options)
        return " ".join(parts)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if self.expr is None or downstream is None:
            return downstream if self.expr is None else None
        from ..ast import expr_fields

        return downstream | expr_fields(self.expr)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        if self.count <= 0:
            return
        if self.expr is not None:
            yield from self._while(events, ctx)
            return
        for i, e in enumerate(events):
            yield e
            if i + 1 >= self.count:
                return

    def _while(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        from ..evaluator import compile_expr, truthy

        assert self.expr is not None
        opts = {k.lower(): v.lower() for k, v in self.options}
        null_true = opts.get("null", "f") in ("t", "true", "1")
        keeplast = opts.get("keeplast", "f") in ("t", "true", "1")
        test = compile_expr(self.expr, ctx)
        for n, e in enumerate(events, 1):
            v = test(e)
            ok = null_true if v is None else truthy(v)
            if not ok:
                if keeplast:
                    yield e
                return
            yield e
            if n >= self.count:
                return


def _parse_count(p: Parser, command: str, given: dict[str, str] | None = None) -> int:
    n = 10
    opts = dict(given or {})
    opts.update(p.parse_options())
    if "limit" in opts:
        if not opts["limit"].isdigit():
            raise p.error(f"{command}: limit must be a number", p.pos)
        n = int(opts["limit"])
    tok = p.peek()
    if tok.kind is Kind.WORD and not tok.quoted:
        if not tok.value.isdigit():
            raise p.error(f"{command}: expected a number of results, found {tok.value!r}", tok.pos)
        n = int(tok.value)
        p.pos = tok.end
    p.parse_options()
    p.end_of_command(command)
    return n


@register("tail")
@dataclass(frozen=True)
class TailCommand(Command):
    name = "tail"
    preserves_fields = True
    count: int = 10

    @classmethod
    def parse(cls, p: Parser, name: Token) -> TailCommand:
        return cls(_parse_count(p, cls.name), pos=name.pos)

    def args_spl(self) -> str:
        return str(self.count)

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return downstream

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        rows = list(events)
        if self.count <= 0:
            return
        yield from reversed(rows[-self.count :])


@register("reverse")
@dataclass(frozen=True)
class ReverseCommand(Command):
    name = "reverse"
    preserves_fields = True

    @classmethod
    def parse(cls, p: Parser, name: Token) -> ReverseCommand:
        p.end_of_command("reverse")
        return cls(pos=name.pos)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        yield from reversed(list(events))
