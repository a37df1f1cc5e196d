"""Search-language matching: compile a search expression into a predicate over events, and derive
the literal fragments every matching raw event must contain (the raw-text prefilter)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .ast import And, Compare, InList, Not, Or, SearchExpr, Subsearch, Term
from .errors import SplError
from .segments import compile_term
from .values import as_list, compare_values, to_number, to_str, wildcard_regex

if TYPE_CHECKING:
    from .executor import Context

Event = dict[str, Any]
Predicate = Callable[[Event], bool]

#: fields that are not part of the raw text (metadata and time modifiers)
METADATA_FIELDS = frozenset(
    {
        "index",
        "source",
        "sourcetype",
        "host",
        "splunk_server",
        "eventtype",
        "tag",
        "linecount",
        "_time",
        "_indextime",
        "punct",
        "date_hour",
        "date_mday",
        "date_minute",
        "date_month",
        "date_second",
        "date_wday",
        "date_year",
        "date_zone",
        "timestartpos",
        "timeendpos",
    }
)
TIME_MODIFIERS = frozenset(
    {
        "earliest",
        "latest",
        "_index_earliest",
        "_index_latest",
        "starttime",
        "endtime",
        "starttimeu",
        "endtimeu",
        "timeformat",
        "daysago",
        "hoursago",
        "minutesago",
        "searchtimespan",
    }
)


_CIDR = re.compile(r"^[0-9A-Fa-f:.]+/\d{1,3}$")


def _cidr(pattern: str) -> Any:
    """The network of a CIDR value (``10.0.0.0/8``, ``fd00::/8``), else None."""
    if not _CIDR.match(pattern.strip()):
        return None
    import ipaddress

    try:
        return ipaddress.ip_network(pattern.strip(), strict=False)
    except ValueError:
        return None


def _cidr_matcher(net: Any) -> Callable[[Any], bool]:
    import ipaddress

    def m(v: Any) -> bool:
        try:
            return ipaddress.ip_address(to_str(v).strip()) in net
        except ValueError:
            return False

    return m


def _value_matcher(pattern: str) -> Callable[[Any], bool]:
    """Case-insensitive full-value match with ``*`` wildcards (numbers compare numerically; a
    CIDR block matches the IP addresses inside it)."""
    net = _cidr(pattern)
    if net is not None:
        return _cidr_matcher(net)
    if "*" in pattern:
        rx = wildcard_regex(pattern)
        return lambda v: rx.fullmatch(to_str(v)) is not None
    low = pattern.lower()
    num = to_number(pattern)

    def m(v: Any) -> bool:
        if isinstance(v, str):
            if v == pattern or v.lower() == low:
                return True
            if num is not None:
                n = to_number(v)
                return n is not None and n == num
            return False
        if num is not None and isinstance(v, int | float):
            return v == num
        return to_str(v).lower() == low

    return m


def matches_everything(expr: SearchExpr | None) -> bool:
    """Whether ``expr`` is a lone ``*`` (any number of them): every event matches it."""
    return isinstance(expr, Term) and expr.value.strip("*") == ""


def _term_matcher(term: Term) -> Predicate:
    """A bare term, quoted phrase, ``TERM()`` or ``CASE()`` matched against the segments of the
    raw text (see :mod:`contentkit.spl.segments`)."""
    value = term.value
    if matches_everything(term):
        return lambda e: True
    match = compile_term(
        value, major_only=term.directive == "TERM", case_sensitive=term.directive == "CASE"
    )

    def m(e: Event) -> bool:
        raw = e.get("_raw")
        if raw is not None:
            return match(raw if type(raw) is str else to_str(raw))
        return any(match(to_str(x)) for v in e.values() for x in as_list(v))

    return m


def compile_search(expr: SearchExpr, ctx: Context) -> Predicate:
    """Return a predicate implementing the search-language semantics of ``expr``."""
    if isinstance(expr, Term):
        return _term_matcher(expr)
    if isinstance(expr, Compare):
        return _compile_compare(expr)
    if isinstance(expr, InList):
        matchers = [_value_matcher(v) for v in expr.values]
        name = expr.field

        def in_list(e: Event) -> bool:
            for v in as_list(e.get(name)):
                for m in matchers:
                    if m(v):
                        return True
            return False

        return in_list
    if isinstance(expr, Not):
        inner = compile_search(expr.operand, ctx)
        return lambda e: not inner(e)
    if isinstance(expr, And):
        preds = [compile_search(i, ctx) for i in expr.items]

        def conj(e: Event) -> bool:
            for p in preds:  # noqa: SIM110 - a plain loop is faster than all(genexpr)
                if not p(e):
                    return False
            return True

        return conj
    if isinstance(expr, Or):
        preds = [compile_search(i, ctx) for i in expr.items]

        def disj(e: Event) -> bool:
            for p in preds:  # noqa: SIM110 - a plain loop is faster than any(genexpr)
                if p(e):
                    return True
            return False

        return disj
    if isinstance(expr, Subsearch):
        from .executor import subsearch_filter

        return compile_search(subsearch_filter(expr, ctx), ctx)
    raise SplError(f"cannot match {type(expr).__name__}", getattr(expr, "pos", None), ctx.text)


def _compile_compare(expr: Compare) -> Predicate:
    name, op, value = expr.field, expr.op, expr.value
    if name.lower() in TIME_MODIFIERS:
        return lambda e: True
    if op == "=":
        if value == "*":
            return lambda e: e.get(name) not in (None, [], "")
        m = _value_matcher(value)

        def eq(e: Event) -> bool:
            v = e.get(name)
            if type(v) is str:
                return m(v)
            return any(m(x) for x in as_list(v))

        return eq
    if op == "!=":  # the field must have a (non-empty) value: "fieldA!=* never returns any events"
        if value == "*":
            return lambda e: False
        m = _value_matcher(value)

        def ne(e: Event) -> bool:
            vals = [v for v in as_list(e.get(name)) if v != ""]
            return bool(vals) and not any(m(v) for v in vals)

        return ne

    numeric = to_number(value) is not None

    def rel(e: Event) -> bool:
        for v in as_list(e.get(name)):
            if numeric and to_number(v) is None:
                continue  # a numeric bound only matches numeric values
            c = compare_values(v, value)
            if (
                (op == "<" and c < 0)
                or (op == "<=" and c <= 0)
                or (op == ">" and c > 0)
                or (op == ">=" and c >= 0)
            ):
                return True
        return False

    return rel


# ----------------------------------------------------------------------------- prefilter
_FRAGMENT = re.compile(r"[A-Za-z0-9_.\-:@]{2,}")


def _fragment(value: str) -> str | None:
    """Longest literal piece of a term that must occur in the raw text (ASCII, lower-cased).

    Wildcards, backslashes, quotes and non-ASCII split the value, because such characters may be
    escaped differently in the raw event (JSON, XML entities).
    """
    if _cidr(value) is not None:
        return None  # 10.0.0.0/8 matches 10.1.2.3: no literal in common
    num = to_number(value)
    if num is not None and not (isinstance(num, int) and str(num) == value.strip()):
        return None  # 10.0 also matches a raw 10: no safe literal
    best = None
    for m in _FRAGMENT.finditer(value):
        frag = m.group(0)
        if best is None or len(frag) > len(best):
            best = frag
    return best.lower() if best else None


#: field -> ``None`` (its values need not occur in the raw text) or the literal values it may
#: take besides pieces of the raw text (see ``spl.knowledge``)
Unsafe = Mapping[str, "tuple[str, ...] | None"]


def required_fragments(
    expr: SearchExpr | None, unsafe: Unsafe | None = None
) -> list[tuple[str, ...]]:
    """Groups of raw-text fragments: a matching event contains at least one of each group.
    ``unsafe``: fields computed at search time, whose values need not be in the raw text."""
    if expr is None:
        return []
    items = expr.items if isinstance(expr, And) else (expr,)
    groups: list[tuple[str, ...]] = []
    for item in items:
        g = _alternatives(item, unsafe or {})
        if g:
            groups.append(g)
    return groups


def _field_fragment(name: str, value: str, unsafe: Unsafe) -> str | None:
    """The fragment of ``name=value`` that the raw text must contain, if any."""
    low = name.lower()
    if low in METADATA_FIELDS or low in TIME_MODIFIERS or low.startswith(("_", "tag::")):
        return None
    f = _fragment(value)
    if f is None or name not in unsafe:
        return f
    literals = unsafe[name]
    if literals is None or any(f in lit.lower() for lit in literals):
        return None
    return f


def _alternatives(expr: SearchExpr, unsafe: Unsafe) -> tuple[str, ...] | None:
    if isinstance(expr, Term):
        f = _fragment(expr.value)
        return (f,) if f else None
    if isinstance(expr, Compare):
        if expr.op != "=":
            return None
        f = _field_fragment(expr.field, expr.value, unsafe)
        return (f,) if f else None
    if isinstance(expr, InList):
        out = []
        for v in expr.values:
            f = _field_fragment(expr.field, v, unsafe)
            if not f:
                return None
            out.append(f)
        return tuple(out) if out else None
    if isinstance(expr, Or):
        alts: list[str] = []
        for i in expr.items:
            a = _alternatives(i, unsafe)
            if not a:
                return None
            alts.extend(a)
        return tuple(alts)
    if isinstance(expr, And):
        # any one required group of the conjunction will do
        for i in expr.items:
            a = _alternatives(i, unsafe)
            if a:
                return a
        return None
    return None


def metadata_filter(expr: SearchExpr | None) -> list[Compare | InList]:
    """Top-level conjuncts on metadata fields (index/source/sourcetype/host)."""
    if expr is None:
        return []
    items = expr.items if isinstance(expr, And) else (expr,)
    out: list[Compare | InList] = []
    for i in items:
        if isinstance(i, Compare | InList) and i.field.lower() in (
            "index",
            "source",
            "sourcetype",
            "host",
        ):
            out.append(i)
    return out
