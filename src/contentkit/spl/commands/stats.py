"""``stats``, ``eventstats``, ``streamstats``, ``top`` and ``rare``, with the aggregation functions."""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command, Expr
from ..errors import SplError
from ..lexer import Kind, Token, search_word
from ..limits import check_combinations, check_rows
from ..resultorder import KeyCoder, sorted_keys
from ..values import as_list, compare_values, normalize, to_number, to_str, wildcard_regex
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..parser import Parser

Event = dict[str, Any]

# ----------------------------------------------------------------------------- aggregators


class Agg:
    """State of one aggregation function for one group."""

    def add(self, values: list[Any], event: Event) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def result(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def partial(self) -> Any:  # pragma: no cover - interface
        """The state, picklable, for :meth:`absorb` (aggregations that merge exactly)."""
        raise NotImplementedError

    def absorb(self, partial: Any) -> None:  # pragma: no cover - interface
        """Add the :meth:`partial` state of the same aggregation over other events."""
        raise NotImplementedError

    @staticmethod
    def final(partial: Any) -> Any:  # pragma: no cover - interface
        """The :meth:`result` of an aggregation whose :meth:`partial` state this is."""
        raise NotImplementedError


class Count(Agg):
    def __init__(self) -> None:
        self.n = 0

    def add(self, values: list[Any], event: Event) -> None:
        self.n += len(values)

    def result(self) -> Any:
        return self.n

    def partial(self) -> Any:
        return self.n

    def absorb(self, partial: Any) -> None:
        self.n += partial

    @staticmethod
    def final(partial: Any) -> Any:
        return partial


class DistinctCount(Agg):
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def add(self, values: list[Any], event: Event) -> None:
        for v in values:
            self.seen.add(to_str(v))

    def result(self) -> Any:
        return len(self.seen)

    def partial(self) -> Any:
        return self.seen

    def absorb(self, partial: Any) -> None:
        self.seen |= partial

    @staticmethod
    def final(partial: Any) -> Any:
        return len(partial)


class Values(Agg):
    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def add(self, values: list[Any], event: Event) -> None:
        seen = self.seen
        for v in values:
            seen.setdefault(v if type(v) is str else to_str(v), v)

    def result(self) -> Any:
        return self.final(self.seen)

    def partial(self) -> Any:
        return self.seen

    def absorb(self, partial: Any) -> None:
        seen = self.seen
        for k, v in partial.items():
            seen.setdefault(k, v)

    @staticmethod
    def final(partial: Any) -> Any:
        if len(partial) == 1:
            return next(iter(partial))
        # code point order is UTF-8 byte order (also for lone surrogates, "surrogatepass")
        return normalize(sorted(partial))


class ListAgg(Agg):
    LIMIT = 100

    def __init__(self) -> None:
        self.items: list[Any] = []

    def add(self, values: list[Any], event: Event) -> None:
        room = self.LIMIT - len(self.items)
        if room > 0:
            self.items.extend(values[:room])

    def result(self) -> Any:
        return normalize(self.items)


class MinMax(Agg):
    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.num: int | float | None = None
        self.text: str | None = None

    def add(self, values: list[Any], event: Event) -> None:
        for v in values:
            n = to_number(v)
            if n is not None:
                if self.num is None or (n - self.num) * self.sign > 0:
                    self.num = n
            else:
                s = to_str(v)
                if self.text is None or compare_values(s, self.text) * self.sign > 0:
                    self.text = s

    def result(self) -> Any:
        return self.num if self.num is not None else self.text


class Numeric(Agg):
    def __init__(self, kind: str, param: float | None = None) -> None:
        self.kind = kind
        self.param = param
        self.nums: list[float] = []
        self.total: float = 0
        self.n = 0

    def add(self, values: list[Any], event: Event) -> None:
        for v in values:
            x = to_number(v)
            if x is None:
                continue
            self.n += 1
            self.total += x
            if self.kind not in ("sum", "avg"):
                self.nums.append(x)

    def result(self) -> Any:
        if self.n == 0:
            return None
        k = self.kind
        if k == "sum":
            return self.total
        if k == "avg":
            return self.total / self.n
        nums = sorted(self.nums)
        if k in ("stdev", "var", "stdevp", "varp"):
            mean = self.total / self.n
            dof = self.n if k.endswith("p") else self.n - 1
            if dof <= 0:
                return None if not k.endswith("p") else 0
            var = sum((x - mean) ** 2 for x in nums) / dof
            return math.sqrt(var) if k.startswith("stdev") else var
        if k == "range":
            return nums[-1] - nums[0]
        if k == "sumsq":
            return sum(x * x for x in nums)
        if k == "median":  # an even count: "the higher of the two values" (median's page)
            return nums[len(nums) // 2]
        if k == "mode":
            best = max(set(nums), key=nums.count)
            return best
        return _percentile(nums, self.param or 50)


def _percentile(nums: list[float], p: float) -> float:
    if len(nums) == 1:
        return nums[0]
    idx = (p / 100) * (len(nums) - 1)
    lo = math.floor(idx)
    hi = math.ceil(idx)
    return nums[lo] + (nums[hi] - nums[lo]) * (idx - lo)


class Mode(Agg):
    """The most frequent value (strings or numbers; the first seen wins a tie)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, Any] = {}

    def add(self, values: list[Any], event: Event) -> None:
        for v in values:
            k = to_str(v)
            if k not in self.counts:
                self.counts[k] = 0
                self.first[k] = v
            self.counts[k] += 1

    def result(self) -> Any:
        if not self.counts:
            return None
        best = max(self.counts, key=self.counts.__getitem__)  # max keeps the first of ties
        return self.first[best]


class Rate(Agg):
    """``rate(X)``: (latest X - earliest X) / (latest _time - earliest _time), for counters."""

    def __init__(self) -> None:
        self.early: tuple[float, float] | None = None
        self.late: tuple[float, float] | None = None

    def add(self, values: list[Any], event: Event) -> None:
        t = to_number(event.get("_time"))
        nums = [n for n in (to_number(v) for v in values) if n is not None]
        if t is None or not nums:
            return
        point = (float(t), float(nums[0]))
        if self.early is None or point[0] < self.early[0]:
            self.early = point
        if self.late is None or point[0] >= self.late[0]:
            self.late = point

    def result(self) -> Any:
        if self.early is None or self.late is None or self.late[0] == self.early[0]:
            return None
        return (self.late[1] - self.early[1]) / (self.late[0] - self.early[0])


class Pick(Agg):
    """first / last (event order) and earliest / latest (by _time)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.value: Any = None
        self.time: float | None = None
        self.set = False

    def add(self, values: list[Any], event: Event) -> None:
        if not values:
            return
        v = normalize(values)
        k = self.kind
        if k == "first":
            if not self.set:
                self.value, self.set = v, True
        elif k == "last":
            self.value, self.set = v, True
        else:
            t = to_number(event.get("_time"))
            t = 0.0 if t is None else float(t)
            if (
                not self.set
                or (k in ("earliest", "earliest_time") and t < (self.time or 0))
                or (k in ("latest", "latest_time") and t >= (self.time or 0))
            ):
                self.value, self.time, self.set = v, t, True

    def result(self) -> Any:
        if self.kind in ("earliest_time", "latest_time"):
            return self.time
        return self.value


_FUNCS: dict[str, Callable[[float | None], Agg]] = {
    "count": lambda p: Count(),
    "c": lambda p: Count(),
    "dc": lambda p: DistinctCount(),
    "distinct_count": lambda p: DistinctCount(),
    "estdc": lambda p: DistinctCount(),
    "values": lambda p: Values(),
    "list": lambda p: ListAgg(),
    "min": lambda p: MinMax(-1),
    "max": lambda p: MinMax(1),
    "avg": lambda p: Numeric("avg"),
    "mean": lambda p: Numeric("avg"),
    "sum": lambda p: Numeric("sum"),
    "stdev": lambda p: Numeric("stdev"),
    "stdevp": lambda p: Numeric("stdevp"),
    "var": lambda p: Numeric("var"),
    "varp": lambda p: Numeric("varp"),
    "median": lambda p: Numeric("median"),
    "mode": lambda p: Mode(),
    "rate": lambda p: Rate(),
    "range": lambda p: Numeric("range"),
    "sumsq": lambda p: Numeric("sumsq"),
    "perc": lambda p: Numeric("perc", p),
    "earliest": lambda p: Pick("earliest"),
    "latest": lambda p: Pick("latest"),
    "earliest_time": lambda p: Pick("earliest_time"),
    "latest_time": lambda p: Pick("latest_time"),
    "first": lambda p: Pick("first"),
    "last": lambda p: Pick("last"),
}
#: constructors of the aggregations without a parameter (no wrapper call per group)
_DIRECT: dict[str, Callable[[], Agg]] = {
    "count": Count,
    "c": Count,
    "dc": DistinctCount,
    "distinct_count": DistinctCount,
    "estdc": DistinctCount,
    "values": Values,
    "list": ListAgg,
}
_PERC = re.compile(r"^(?:perc|p|percentile|exactperc|upperperc)(\d+(?:\.\d+)?)$", re.IGNORECASE)
#: parse-only aggregation names (accepted by the parser, rejected when run)
_PARSE_ONLY = {
    "sparkline",
    "per_second",
    "per_minute",
    "per_hour",
    "per_day",
    "avg_over_time",
}


def agg_factory(func: str) -> Callable[[], Agg] | None:
    f = func.lower()
    if f in _DIRECT:
        return _DIRECT[f]
    if f in _FUNCS:
        maker = _FUNCS[f]
        return lambda: maker(None)
    m = _PERC.match(f)
    if m:
        p = float(m.group(1))
        return lambda: Numeric("perc", p)
    return None


def is_agg_name(func: str) -> bool:
    return agg_factory(func) is not None or func.lower() in _PARSE_ONLY


@dataclass(frozen=True)
class Aggregation:
    """One ``func(arg) [as alias]`` of a stats-like command."""

    func: str
    field: str | None = None
    expr: Expr | None = None
    alias: str | None = None
    pos: int = dataclasses.field(default=0, compare=False)

    @property
    def output_name(self) -> str:
        if self.alias:
            return self.alias
        return self.default_name

    @property
    def default_name(self) -> str:
        if self.expr is not None:
            return f"{self.func}(eval({self.expr.to_spl()}))"
        if self.field is not None:
            return f"{self.func}({self.field})"
        return self.func

    def to_spl(self) -> str:
        if self.expr is not None:
            text = f"{self.func}(eval({self.expr.to_spl()}))"
        elif self.field is not None and self.func == "sparkline":
            text = f"{self.func}({self.field})"
        elif self.field is not None:
            text = f"{self.func}({search_word(self.field)})"
        else:
            text = self.func
        if self.alias:
            text += f" AS {search_word(self.alias)}"
        return text


def _is_wildcard(a: Aggregation) -> bool:
    return a.expr is None and a.field is not None and "*" in a.field and a.func != "sparkline"


def wildcard_aggregations(
    agg: Aggregation, names: Iterable[str], field_of: Callable[[str], str] | None = None
) -> list[Aggregation]:
    """The aggregations ``func(<wc-field>) [AS <wc-field>]`` stands for (Search Reference
    "stats": "You can use wild card characters in field names"): one per name matching the
    pattern, in name order, named ``func(name)``, or by the alias with each ``*`` replaced by
    what the pattern's ``*`` in the same place matched (by the whole name when the alias and
    the pattern have different numbers of ``*``).  Names of
    internal fields (``_time``) match only a pattern that starts with ``_``.  ``field_of``: the
    field an aggregation reads for a name (default: the name itself)."""
    pattern = agg.field or ""
    match = wildcard_regex(pattern, case_sensitive=True).fullmatch
    out = []
    for name in sorted(set(names)):
        if name.startswith("_") and not pattern.startswith("_"):
            continue
        m = match(name)
        if m is None:
            continue
        if agg.alias is None:
            alias = f"{agg.func}({name})"
        elif agg.alias.count("*") == len(m.groups()):  # each * of the alias takes its part
            pieces = agg.alias.split("*")
            alias = pieces[0] + "".join(g + r for g, r in zip(m.groups(), pieces[1:], strict=True))
        else:
            alias = agg.alias.replace("*", name)
        field = name if field_of is None else field_of(name)
        out.append(dataclasses.replace(agg, field=field, alias=alias))
    return out


def expand_wildcards(
    aggregations: tuple[Aggregation, ...], events: Iterable[Event]
) -> tuple[Aggregation, ...]:
    """``aggregations`` with each wildcard one replaced by those it stands for over the fields
    of ``events`` (see :func:`wildcard_aggregations`)."""
    if not any(map(_is_wildcard, aggregations)):
        return aggregations
    names = {name for e in events for name in e}
    return tuple(
        x
        for a in aggregations
        for x in (wildcard_aggregations(a, names) if _is_wildcard(a) else [a])
    )


def _keyword_hint(word: str, keywords: tuple[str, ...]) -> str:
    """`` (did you mean BY?)`` when ``word`` looks like a misspelt clause keyword, which the
    parser otherwise reads as one more function name."""
    import difflib

    near = difflib.get_close_matches(word.lower(), keywords, n=1, cutoff=0.6)
    return f" (did you mean {near[0].upper()}?)" if near else ""


def parse_aggregations(
    p: Parser, command: str, stop: tuple[str, ...] = ("by",)
) -> list[Aggregation]:
    from ..lexer import Mode

    aggs: list[Aggregation] = []
    while True:
        tok = p.peek()
        if tok.kind is Kind.COMMA:
            p.pos = tok.end
            continue
        if tok.kind is not Kind.WORD or tok.is_word(*stop):
            break
        if tok.quoted:
            raise p.error(
                f"expected an aggregation function in {command}, found {tok.value!r}", tok.pos
            )
        func = tok.value
        if not is_agg_name(func):
            raise p.error(
                f"unknown {command} function {func!r}{_keyword_hint(func, stop)}", tok.pos
            )
        p.pos = tok.end
        field = None
        expr = None
        nxt = p.peek()
        if func.lower() == "sparkline" and nxt.kind is Kind.LPAREN and nxt.pos == tok.end:
            field = p.raw_parenthesized()
        elif nxt.kind is Kind.LPAREN and nxt.pos == tok.end:
            p.pos = nxt.end
            inner, after = p.peek2()
            if inner.is_word("eval") and after.kind is Kind.LPAREN:
                p.pos = after.end
                expr = p.parse_eval_expr()
                p.expect(Kind.RPAREN, Mode.EVAL, "')' closing eval(")
            elif inner.kind is Kind.WORD:
                p.pos = inner.end
                field = inner.value
            else:
                raise p.error(f"expected a field name in {func}(...)", inner.pos)
            close = p.next()
            if close.kind is not Kind.RPAREN:
                raise p.error(f"unbalanced parentheses: missing ')' after {func}(", nxt.pos)
        alias = None
        if p.accept_word("as"):
            alias = p.field_name("a name after AS", allow_parens=True)
        aggs.append(Aggregation(func.lower(), field, expr, alias, pos=tok.pos))
    return aggs


def _agg_spl(
    options: tuple[tuple[str, str], ...], aggs: tuple[Aggregation, ...], by: tuple[str, ...]
) -> str:
    parts = [f"{k}={search_word(v)}" for k, v in options]
    parts.extend(a.to_spl() for a in aggs)
    if by:
        parts.append("BY " + ", ".join(search_word(b) for b in by))
    return " ".join(parts)


class _Grouper:
    """Shared aggregation machinery of stats, eventstats and streamstats."""

    def __init__(
        self, aggs: tuple[Aggregation, ...], by: tuple[str, ...], ctx: Context, text_pos: int
    ) -> None:
        from ..evaluator import compile_expr, truthy

        self.by = by
        self.makers: list[Callable[[], Agg]] = []
        self.getters: list[Callable[[Event], list[Any]]] = []
        for a in aggs:
            if a.func == "sparkline":
                self._add_sparkline(a, ctx)
                continue
            maker = agg_factory(a.func)
            if maker is None:
                raise SplError(f"unsupported aggregation {a.func}()", a.pos, ctx.text)
            self.makers.append(maker)
            if a.expr is not None:
                fn = compile_expr(a.expr, ctx)
                if a.func in ("count", "c"):
                    self.getters.append(_truth_getter(fn, truthy))
                else:
                    self.getters.append(_expr_getter(fn))
            elif a.field is not None:
                self.getters.append(_field_getter(a.field))
            elif a.func in ("count", "c"):
                self.getters.append(lambda e: [1])
            else:
                raise SplError(f"{a.func}() needs a field", a.pos, ctx.text)
        self.names = [a.output_name for a in aggs]

    def _add_sparkline(self, a: Aggregation, ctx: Context) -> None:
        from .sparkline import Sparkline, parse_spec

        spec = parse_spec(a.field)
        if spec is None:
            raise SplError(f"sparkline({a.field or ''}): unsupported arguments", a.pos, ctx.text)
        self.makers.append(lambda: Sparkline(spec))  # type: ignore[arg-type,return-value]
        self.getters.append(lambda e: [1])

    def keys(self, e: Event) -> list[tuple[Any, ...]]:
        if not self.by:
            return [()]
        fast = tuple(map(e.get, self.by))
        if set(map(type, fast)) == _ONLY_STR:  # the usual case: one string per field
            return [fast]
        vals = []
        multi = False
        get = e.get
        for b in self.by:
            v = get(b)
            if v is None:
                return []
            if type(v) is list:
                if not v:
                    return []
                if len(v) == 1:
                    v = v[0]
                else:
                    multi = True
            vals.append(v)
        if not multi:
            return [tuple(vals)]
        lists = [v if type(v) is list else [v] for v in vals]
        check_combinations(lists, "the multivalue BY fields of one event make")
        return list(itertools.product(*lists))

    def new_state(self) -> list[Agg]:
        return [m() for m in self.makers]

    def add(self, state: list[Agg], e: Event) -> None:
        for agg, get in zip(state, self.getters, strict=True):
            agg.add(get(e), e)

    def results(self, state: list[Agg]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, agg in zip(self.names, state, strict=True):
            v = agg.result()
            if v is not None:
                out[name] = v
        return out


_ONLY_STR = {str}


def _truth_getter(
    fn: Callable[[Event], Any], truthy: Callable[[Any], bool]
) -> Callable[[Event], list[Any]]:
    return lambda e: [1] if truthy(fn(e)) else []


def _expr_getter(fn: Callable[[Event], Any]) -> Callable[[Event], list[Any]]:
    return lambda e: as_list(fn(e))


def _field_getter(name: str) -> Callable[[Event], list[Any]]:
    return lambda e: as_list(e.get(name))


def _agg_inputs(aggs: tuple[Aggregation, ...], by: tuple[str, ...]) -> set[str]:
    from ..ast import expr_fields

    out = set(by)
    for a in aggs:
        if a.field is not None and a.func != "sparkline":
            out.add(a.field)
        if a.expr is not None:
            out |= expr_fields(a.expr)
    return out


def _group_key(key: tuple[Any, ...]) -> tuple[str, ...]:
    for k in key:
        if type(k) is not str:
            return tuple(to_str(k) for k in key)
    return key


def _parse_stats_like(cls: Any, p: Parser, name: Token, command: str) -> Any:
    options = p.parse_options()
    aggs = parse_aggregations(p, command)
    if not aggs:
        raise p.error(f"{command} needs at least one aggregation function", p.peek().pos)
    by: list[str] = []
    if p.accept_word("by"):
        by = p.parse_field_list()
        if not by:
            raise p.error(f"{command} BY needs at least one field", p.peek().pos)
    options.update(p.parse_options())
    p.end_of_command(command)
    if command != "stats":
        for a in aggs:
            if _is_wildcard(a):
                raise p.error(f"{command}: wildcard field names are not supported", a.pos)
    return cls(tuple(options.items()), tuple(aggs), tuple(by), pos=name.pos)


@register("stats")
@dataclass(frozen=True)
class StatsCommand(Command):
    name = "stats"
    options: tuple[tuple[str, str], ...] = ()
    aggregations: tuple[Aggregation, ...] = ()
    by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> StatsCommand:
        result: StatsCommand = _parse_stats_like(cls, p, name, cls.name)
        return result

    def args_spl(self) -> str:
        return _agg_spl(self.options, self.aggregations, self.by)

    @property
    def has_wildcards(self) -> bool:
        """Whether a function names its field with a wildcard (see :func:`expand_wildcards`)."""
        return any(map(_is_wildcard, self.aggregations))

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if self.has_wildcards:
            return None  # named after the fields the events have
        return list(self.by) + [a.output_name for a in self.aggregations]

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if self.has_wildcards:
            return None  # every field may match
        return _agg_inputs(self.aggregations, self.by)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        if self.has_wildcards:
            # the fields a wildcard stands for are those of the events
            buffered = list(events)
            aggregations = expand_wildcards(self.aggregations, buffered)
            if not aggregations:
                return
            concrete = dataclasses.replace(self, aggregations=aggregations)
            yield from concrete.execute(iter(buffered), ctx)
            return
        g = _Grouper(self.aggregations, self.by, ctx, self.pos)
        yield from self._rows(g, self._groups(g, events))

    def _groups(
        self, g: _Grouper, events: Iterable[Event], firsts: list[Event] | None = None
    ) -> dict[tuple[str, ...], tuple[tuple[Any, ...], list[Agg]]]:
        """The groups (key as a string tuple -> key as first seen, states) in order of first
        appearance; ``firsts`` receives the event each group first appeared in."""
        groups: dict[tuple[str, ...], tuple[tuple[Any, ...], list[Agg]]] = {}
        keys, new_state, getters = g.keys, g.new_state, g.getters
        by = self.by

        def new_group(k: tuple[str, ...], key: tuple[Any, ...], e: Event) -> Any:
            entry = groups[k] = (key, new_state())
            if firsts is not None:
                firsts.append(e)
            if not len(groups) & 1023:
                check_rows(len(groups), "stats would produce")
            return entry

        for e in events:
            if by:
                key: tuple[Any, ...] = tuple(map(e.get, by))
                try:
                    entry = groups.get(key)  # a group of string keys (no other key is stored)
                except TypeError:  # a multivalue field (a list) in the key
                    entry = None
                if entry is None and set(map(type, key)) == _ONLY_STR:
                    entry = new_group(key, key, e)  # one string per field: the key
                if entry is not None:
                    for agg, get in zip(entry[1], getters):  # noqa: B905 - as long
                        agg.add(get(e), e)
                    continue
            for key in keys(e):
                k = _group_key(key)
                entry = groups.get(k)
                if entry is None:
                    entry = new_group(k, key, e)
                for agg, get in zip(entry[1], getters):  # noqa: B905 - as long (new_state)
                    agg.add(get(e), e)
        return groups

    def _rows(
        self, g: _Grouper, groups: dict[tuple[str, ...], tuple[tuple[Any, ...], list[Agg]]]
    ) -> Iterator[Event]:
        if not groups and not self.by:
            groups[()] = ((), g.new_state())
        by, names = self.by, g.names
        for k in sorted_keys(groups):
            key, state = groups[k]
            yield _row(by, key, names, state)

    # partial aggregation: parts of the events are aggregated separately (e.g. by the processes
    # scanning parts of a file), then the parts are merged

    def mergeable(self) -> bool:
        """Whether :meth:`partial` / :meth:`merge` apply: every aggregation merges exactly
        whatever the order of the events (count, dc, values of fields)."""
        return not self.has_wildcards and all(
            a.expr is None and a.func in _MERGEABLE for a in self.aggregations
        )

    def partial(
        self,
        events: Iterable[Event],
        ctx: Context,
        order: bool = True,
        rename: dict[str, str] | None = None,
    ) -> list[Any]:
        """The partial aggregation of a part of the events (in their order), picklable: per
        group, in result order, (code of its key (see :mod:`..resultorder`), minus the time of
        its first event, string key, its result row, the states of its aggregations).  The
        process scanning a part does this, the sorting and the result rows included, so that
        :meth:`merge` is left little to do.  ``order``: the events are newest first (groups
        then merge by the time of their first events).  ``rename``: see :meth:`merge`."""
        g = _Grouper(self.aggregations, self.by, ctx, self.pos)
        firsts: list[Event] = []
        groups = self._groups(g, events, firsts)
        by, names = self._names(g, rename)
        code = KeyCoder().code
        entries = []
        for (k, (key, state)), first in zip(groups.items(), firsts, strict=True):
            row: dict[str, Any] = dict(zip(by, key, strict=True))
            for name, agg in zip(names, state):  # noqa: B905 - as long
                v = agg.result()
                if v is not None:
                    row[name] = v
            t = -_event_time(first) if order else 0.0
            entries.append((code(k), t, k, row, [a.partial() for a in state]))
        entries.sort(key=_entry_order)  # stable: ties keep the order of first appearance
        return entries

    def _names(
        self, g: _Grouper, rename: dict[str, str] | None
    ) -> tuple[tuple[str, ...], list[str]]:
        if not rename:
            return self.by, g.names
        return tuple(rename.get(b, b) for b in self.by), [rename.get(n, n) for n in g.names]

    def layouts(self) -> list[tuple[str, ...]] | None:
        """The possible field names of the result rows, in order (an aggregation without a
        value is left out), when there are few (``None``: too many, or a name repeats)."""
        names = [a.output_name for a in self.aggregations]
        if len(set(self.by) | set(names)) != len(self.by) + len(names) or len(names) > 6:
            return None
        return [
            self.by + tuple(n for i, n in enumerate(names) if mask >> i & 1)
            for mask in range(1 << len(names))
        ]

    def merge(
        self, parts: Iterable[list[Any]], ctx: Context, rename: dict[str, str] | None = None
    ) -> Iterator[Event]:
        """The results of the events whose parts (in event order) were aggregated by
        :meth:`partial`: identical to :meth:`execute` over all the events (with the fields
        named by ``rename`` (old -> new), see :meth:`RenameCommand.in_place`).

        The events of all parts in order, newest first, would be the events of each part merged
        by time (ties: earlier parts first); a group first appears with its first event, and
        groups whose keys compare equal keep the order of their first appearance.  Each part is
        sorted by (key code, first appearance): sorting their concatenation (stably, by the
        same) merges the sorted runs, and a group's first entry comes first."""
        entries: list[Any] = []
        for part in parts:
            entries.extend(part)
        entries.sort(key=_entry_order)
        g = _Grouper(self.aggregations, self.by, ctx, self.pos)
        by, names = self._names(g, rename)
        finals = [type(agg).final for agg in g.new_state()]
        rows: list[dict[str, Any]] = []
        states_of: list[list[Any]] = []
        seen: dict[tuple[str, ...], int] = {}  # string key -> index of its row
        in_several: set[int] = set()  # the rows of groups found in several parts
        for _, _, k, row, states in entries:
            at = seen.get(k)
            if at is None:
                seen[k] = len(rows)
                rows.append(row)
                states_of.append(states)
                continue
            combined = g.new_state()
            for agg, p, q in zip(combined, states_of[at], states):  # noqa: B905 - as long
                agg.absorb(p)
                agg.absorb(q)
            states_of[at] = [agg.partial() for agg in combined]
            in_several.add(at)
        for at in in_several:
            row = {b: rows[at][b] for b in by}
            for name, final, p in zip(names, finals, states_of[at]):  # noqa: B905 - as long
                v = final(p)
                if v is not None:
                    row[name] = v
            rows[at] = row
        if not rows and not self.by:
            rows.append(_row(by, (), names, g.new_state()))
        yield from rows


def _row(by: tuple[str, ...], key: tuple[Any, ...], names: list[str], state: list[Agg]) -> Event:
    row: dict[str, Any] = dict(zip(by, key, strict=True))
    for name, agg in zip(names, state, strict=True):
        v = agg.result()
        if v is not None:
            row[name] = v
    return row


#: the order of partial entries: (key code, minus the time of the group's first event)
_entry_order = operator.itemgetter(0, 1)


#: aggregation functions whose partial states merge exactly (see :meth:`Agg.absorb`)
_MERGEABLE = frozenset({"count", "c", "dc", "distinct_count", "estdc", "values"})


def _event_time(event: Event) -> float:
    t = event.get("_time")
    return float(t) if isinstance(t, int | float) else 0.0


@dataclass(frozen=True)
class _AddsStats(Command):
    """eventstats and streamstats: stats added to each event instead of replacing them."""

    name = ""
    options: tuple[tuple[str, str], ...] = ()
    aggregations: tuple[Aggregation, ...] = ()
    by: tuple[str, ...] = ()

    @classmethod
    def parse(cls, p: Parser, name: Token) -> Any:
        return _parse_stats_like(cls, p, name, cls.name)

    def args_spl(self) -> str:
        return _agg_spl(self.options, self.aggregations, self.by)

    def output_fields(self, fields: list[str] | None) -> list[str] | None:
        if fields is None:
            return None
        return fields + [a.output_name for a in self.aggregations if a.output_name not in fields]

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        if downstream is None:
            return None
        return downstream | _agg_inputs(self.aggregations, self.by)


@register("eventstats")
@dataclass(frozen=True)
class EventstatsCommand(_AddsStats):
    name = "eventstats"

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        g = _Grouper(self.aggregations, self.by, ctx, self.pos)
        buffered = list(events)
        groups: dict[tuple[str, ...], list[Agg]] = {}
        for e in buffered:
            for key in g.keys(e):
                k = _group_key(key)
                state = groups.get(k)
                if state is None:
                    state = groups[k] = g.new_state()
                g.add(state, e)
        cache = {k: g.results(s) for k, s in groups.items()}
        for e in buffered:
            keys = g.keys(e)
            if keys:
                e.update(cache.get(_group_key(keys[0]), {}))
            yield e


@register("streamstats")
@dataclass(frozen=True)
class StreamstatsCommand(_AddsStats):
    name = "streamstats"

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = dict(self.options)
        current = opts.get("current", "t").lower() not in ("f", "false", "0")
        window = int(to_number(opts.get("window", "0")) or 0)
        g = _Grouper(self.aggregations, self.by, ctx, self.pos)
        history: dict[tuple[str, ...], list[Event]] = {}
        states: dict[tuple[str, ...], list[Agg]] = {}
        for e in events:
            keys = g.keys(e)
            if not keys:
                yield e
                continue
            k = _group_key(keys[0])
            if window:
                hist = history.setdefault(k, [])
                hist.append(e)
                if len(hist) > window + (0 if current else 1):
                    hist.pop(0)
                state = g.new_state()
                for h in hist if current else hist[:-1]:
                    g.add(state, h)
                e.update(g.results(state))
                yield e
                continue
            found = states.get(k)
            if found is None:
                found = states[k] = g.new_state()
            state = found
            if current:
                g.add(state, e)
                e.update(g.results(state))
            else:
                e.update(g.results(state))
                g.add(state, e)
            yield e
