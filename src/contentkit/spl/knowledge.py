"""Search-time knowledge: what a Splunk search head does to each event between reading it and
the search, from the conf files of loaded apps (a :class:`contentkit.apps.KnowledgeBase`).

Hand-written: no library applies Splunk's props/transforms/eventtypes/tags semantics.  The order
is Splunk's documented search-time operation sequence:

1. inline ``EXTRACT-<class>`` (regex with named groups, ``in <field>`` for another source field),
2. ``REPORT-<class>`` through transforms.conf (``REGEX``/``FORMAT`` with ``$1::$2`` dynamic names
   and ``_KEY_n``/``_VAL_n`` groups, ``DELIMS``/``FIELDS``, ``SOURCE_KEY``, ``MV_ADD``,
   ``CLEAN_KEYS``, ``KEEP_EMPTY_VALS``),
3. automatic key/value extraction (``KV_MODE``: the engine's own JSON/XML/key=value extraction,
   which has already run when an event is made; ``KV_MODE = none`` removes what it found),
4. ``FIELDALIAS-<class>`` (``AS`` overwrites and removes the alias when the source is missing;
   ``ASNEW`` only fills an alias that is not there),
5. ``EVAL-<field>`` calculated fields: every eval of the stanza sees the event as it was before
   any of them ran (a null result removes the field),
6. automatic ``LOOKUP-<class>`` (``OUTPUT`` replaces, ``OUTPUTNEW`` fills missing fields),
7. event types (``eventtype``, multivalue, from eventtypes.conf searches),
8. tags (``tag`` and ``tag::<field>`` from tags.conf, on field=value pairs and on event types).

Inside one kind, settings apply in ASCII order of their class names.  The props stanzas that apply
to an event are ``[default]``, ``[<sourcetype>]``, ``[host::<pattern>]`` and
``[source::<pattern>]``, merged key by key in that order of precedence (source wins); among
patterns of one kind a literal pattern beats a wildcard one, then a higher ``priority``, then the
ASCII-first pattern.

Extraction is lazy: :meth:`Knowledge.enricher` keeps only the operations whose outputs a search
needs (and, transitively, the operations that produce their inputs).  Searches on ``tag`` and
``eventtype`` are rewritten into the searches they stand for (:meth:`Knowledge.expand_search`),
as Splunk does, so the raw-text prefilter still applies; :meth:`Knowledge.raw_unsafe` names the
fields whose values need not occur in the raw text (calculated fields, lookup outputs), for which
the prefilter must not require the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .ast import And, Call, Compare, Expr, FieldRef, InList, Not, Number, Or, SearchExpr, String
from .errors import SplError
from .values import as_list, to_str, wildcard_regex

if TYPE_CHECKING:
    from contentkit.apps.model import KnowledgeBase

    from .lookups import LookupTable
    from .macros import MacroDef

Event = dict[str, Any]
Apply = Callable[[Event], None]

#: a field no event has: a search on it matches nothing
NO_FIELD = "__contentkit_nothing__"
NOTHING: SearchExpr = Compare(NO_FIELD, "=", "*")

_DEFAULTS = frozenset({"_raw", "_time", "host", "source", "sourcetype", "index"})
_META_KEYS = {
    "_raw": "_raw",
    "metadata:source": "source",
    "metadata:host": "host",
    "metadata:sourcetype": "sourcetype",
    "metadata:index": "index",
}


@dataclass
class Op:
    """One search-time operation of a props stanza."""

    kind: str  # EXTRACT, REPORT, KV, FIELDALIAS, EVAL, LOOKUP, EVENTTYPE, TAG
    name: str  # the class name (or field of an EVAL)
    inputs: frozenset[str]
    outputs: frozenset[str] | None  # None: fields named by the data
    apply: Apply
    #: output field -> None (values are substrings of the inputs) or the literal strings it may
    #: also take; a field missing here takes values that need not be in the raw text
    provenance: dict[str, tuple[str, ...] | None] = field(default_factory=dict)


def _truthy_setting(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "t", "yes", "y")


def _enabled(stanza: Mapping[str, str]) -> bool:
    return not _truthy_setting(stanza.get("disabled"))


# ----------------------------------------------------------------------------- props stanzas
@lru_cache(maxsize=512)
def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A ``source::``/``host::`` pattern: ``...`` any text, ``*`` any text but ``/`` and ``\\``,
    ``(a|b)`` alternatives; ``(?i)`` at the start makes it case-insensitive."""
    flags = 0
    if pattern.startswith("(?i)"):
        flags, pattern = re.IGNORECASE, pattern[4:]
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("...", i):
            out.append(".*")
            i += 3
            continue
        c = pattern[i]
        if c == "*":
            out.append(r"[^/\\]*")
        elif c in "()|":
            out.append(c)
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), flags | re.DOTALL)


def _is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "..." in pattern or "(" in pattern or "|" in pattern


def stanzas_for(
    props: Mapping[str, Mapping[str, str]], sourcetype: str, source: str, host: str
) -> list[str]:
    """Names of the props stanzas that apply, lowest precedence first."""
    chosen: list[str] = []
    if "default" in props:
        chosen.append("default")
    if sourcetype and sourcetype in props:
        chosen.append(sourcetype)
    for kind, value in (("host::", host), ("source::", source)):
        hits: list[tuple[int, int, str, str]] = []
        for name, stanza in props.items():
            if not name.startswith(kind):
                continue
            pattern = name[len(kind) :]
            if pattern_regex(pattern).fullmatch(value or "") is None:
                continue
            literal = not _is_wildcard(pattern)
            try:
                priority = int(stanza.get("priority", "0"))
            except ValueError:
                priority = 0
            hits.append((int(literal), priority, pattern, name))
        # applied in ascending precedence; ties: the ASCII-first pattern is applied last (wins)
        hits.sort(key=lambda h: h[2], reverse=True)
        hits.sort(key=lambda h: (h[0], h[1]))  # stable: keeps the pattern order of ties
        chosen.extend(h[3] for h in hits)
    return chosen


def merged_settings(
    props: Mapping[str, Mapping[str, str]], sourcetype: str, source: str, host: str
) -> dict[str, str]:
    settings: dict[str, str] = {}
    for name in stanzas_for(props, sourcetype, source, host):
        settings.update(props[name])
    return settings


# ----------------------------------------------------------------------------- regex extraction
_NAMED = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


def splunk_regex(pattern: str, where: str) -> re.Pattern[str]:
    """Compile a PCRE pattern as Splunk writes it (``(?<name>...)`` groups), with the engine's
    guard against catastrophic backtracking (see ``spl.limits``): apps are input too."""
    from .functions import pcre_to_python
    from .limits import compile_regex, may_backtrack

    python = pcre_to_python(pattern)
    try:
        compiled: re.Pattern[str] = compile_regex(python)
        if may_backtrack(python) and not isinstance(compiled, re.Pattern):
            # a linear-time engine costs far more per call than `re` on the short values
            # extractions mostly see: `re` where the input is too short to blow up
            return _ByLength(re.compile(python), compiled, python)
    except re.error as exc:
        raise SplError(f"invalid regular expression in {where}: {exc}") from None
    return compiled


class _ByLength:
    """A pattern run by Python's ``re`` on inputs short enough that backtracking stays cheap
    (``n ** k`` under a million steps, ``k`` the unbounded quantifiers; exponential patterns
    never), by the guarded engine on longer ones."""

    def __init__(self, fast: re.Pattern[str], safe: Any, pattern: str) -> None:
        from .limits import _nested, _unbounded_quantifiers

        self.fast, self.safe = fast, safe
        self.groupindex = fast.groupindex
        k = max(2, _unbounded_quantifiers(pattern))
        self.short = 0 if _nested(pattern) else int(10 ** (6 / k))

    def search(self, text: str) -> Any:
        return (self.fast if len(text) <= self.short else self.safe).search(text)

    def finditer(self, text: str) -> Any:
        return (self.fast if len(text) <= self.short else self.safe).finditer(text)


def clean_key(key: str) -> str:
    """``CLEAN_KEYS``: characters other than letters, digits and ``_`` become ``_``; leading
    underscores and digits are dropped."""
    key = re.sub(r"[^A-Za-z0-9_]", "_", key)
    return key.lstrip("_0123456789")


def _group_pairs(rx: re.Pattern[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Plain named groups, and ``(_KEY_n, _VAL_n)`` pairs."""
    names = [n for n in rx.groupindex if not n.startswith(("_KEY_", "_VAL_"))]
    pairs = [
        (n, "_VAL_" + n[5:])
        for n in rx.groupindex
        if n.startswith("_KEY_") and "_VAL_" + n[5:] in rx.groupindex
    ]
    return names, pairs


def _extract_op(cls: str, value: str) -> Op:
    """``EXTRACT-<cls> = <regex> [in <field>]``: the first match's named groups."""
    source = "_raw"
    m = re.match(r"^(.*)\s+in\s+([A-Za-z_][\w.:{}-]*)\s*$", value, re.DOTALL)
    if m:
        value, source = m.group(1), m.group(2)
    rx = splunk_regex(value.strip(), f"EXTRACT-{cls}")
    names, pairs = _group_pairs(rx)

    def apply(event: Event) -> None:
        for text in as_list(event.get(source)):
            hit = rx.search(to_str(text))
            if hit is None:
                continue
            for n in names:
                v = hit.group(n)
                if v is not None and v != "":
                    event[n] = v
            for k, v in pairs:
                key, val = hit.group(k), hit.group(v)
                if key and val:
                    event[clean_key(key)] = val
            return

    outputs = None if pairs else frozenset(names)
    prov: dict[str, tuple[str, ...] | None] = dict.fromkeys(names)
    return Op("EXTRACT", cls, frozenset({source}), outputs, apply, prov)


_FORMAT_ITEM = re.compile(r"(\S+?)::(\"[^\"]*\"|\S*)")


def _report_op(cls: str, transform_name: str, t: Mapping[str, str]) -> Op | None:
    """``REPORT-<cls> = <transform>[, <transform>...]`` for one transform."""
    source_key = t.get("SOURCE_KEY", "_raw").strip()
    source = _META_KEYS.get(source_key.lower(), source_key)
    if source.lower().startswith("field:"):
        source = source[6:]
    mv_add = _truthy_setting(t.get("MV_ADD"))
    clean = _truthy_setting(t.get("CLEAN_KEYS"), True)
    keep_empty = _truthy_setting(t.get("KEEP_EMPTY_VALS"))
    where = f"transforms.conf [{transform_name}]"
    if t.get("DELIMS"):
        return _delims_op(cls, transform_name, t, source, mv_add, clean, keep_empty)
    pattern = t.get("REGEX")
    if not pattern:
        return None
    rx = splunk_regex(pattern, where)
    fmt = t.get("FORMAT", "").strip()
    names, pairs = _group_pairs(rx)
    items = [(k, v.strip('"')) for k, v in _FORMAT_ITEM.findall(fmt)] if fmt else []
    outputs: set[str] | None = set()
    prov: dict[str, tuple[str, ...] | None] = {}
    for k, v in items:
        if "$" in k:
            outputs = None
        elif outputs is not None:
            outputs.add(k)
            literal = re.sub(r"\$\d+", "", v)
            prov[k] = (literal,) if literal else None
            if literal and re.search(r"\$\d", v):
                prov.pop(k)  # a value built from pieces: not a substring of the raw text
    if not items:
        if pairs:
            outputs = None
        elif outputs is not None:
            outputs.update(names)
        prov.update(dict.fromkeys(names))

    def group(hit: re.Match[str], ref: str) -> str:
        return re.sub(r"\$(\d+)", lambda m: hit.group(int(m.group(1))) or "", ref)

    def apply(event: Event) -> None:
        for text in as_list(event.get(source)):
            for hit in rx.finditer(to_str(text)):
                if items:
                    for k, v in items:
                        key = group(hit, k)
                        if "$" in k and clean:
                            key = clean_key(key)
                        _store(event, key, group(hit, v), mv_add, keep_empty)
                else:
                    for n in names:
                        val = hit.group(n)
                        if val is not None:
                            _store(event, n, val, mv_add, keep_empty)
                    for k, v in pairs:
                        key, val = hit.group(k), hit.group(v)
                        if key and val is not None:
                            _store(event, clean_key(key) if clean else key, val, mv_add, keep_empty)
                if hit.end() == hit.start():
                    break

    out = None if outputs is None else frozenset(outputs)
    return Op("REPORT", f"{cls}/{transform_name}", frozenset({source}), out, apply, prov)


def _store(event: Event, name: str, value: str, mv_add: bool, keep_empty: bool) -> None:
    """A value found by a transform: a new field, or (``MV_ADD``) one more value of an existing
    field; without ``MV_ADD`` the first value found by this search-time step stays."""
    if not name or (value == "" and not keep_empty):
        return
    seen: set[str] = event.setdefault("\x00set", set())
    cur = event.get(name)
    if name not in seen:
        event[name] = value
        seen.add(name)
        return
    if not mv_add:
        return
    if isinstance(cur, list):
        cur.append(value)
    else:
        event[name] = [cur, value]


def _delims(spec: str) -> list[str]:
    return [
        bytes(m, "utf-8").decode("unicode_escape") for m in re.findall(r'"((?:[^"\\]|\\.)*)"', spec)
    ]


def _delims_op(
    cls: str,
    transform_name: str,
    t: Mapping[str, str],
    source: str,
    mv_add: bool,
    clean: bool,
    keep_empty: bool,
) -> Op:
    """``DELIMS = "<pair delimiters>", "<key/value delimiters>"`` or ``DELIMS = "<delims>"``
    with ``FIELDS = a, b, c``."""
    delims = _delims(t.get("DELIMS", ""))
    names = [f.strip().strip('"') for f in t.get("FIELDS", "").split(",") if f.strip()]

    def split(text: str, chars: str) -> list[str]:
        if not chars:
            return [text]
        return re.split("[" + re.escape(chars) + "]", text)

    def apply(event: Event) -> None:
        for text in as_list(event.get(source)):
            s = to_str(text)
            if names:
                values = [v for v in split(s, delims[0] if delims else "") if v != ""]
                for n, v in zip(names, values, strict=False):
                    _store(event, n, v, mv_add, keep_empty)
            elif len(delims) >= 2:
                for pair in split(s, delims[0]):
                    kv = split(pair, delims[1])
                    if len(kv) >= 2 and kv[0]:
                        key = clean_key(kv[0]) if clean else kv[0]
                        _store(event, key, kv[1], mv_add, keep_empty)

    outputs = frozenset(names) if names else None
    return Op(
        "REPORT",
        f"{cls}/{transform_name}",
        frozenset({source}),
        outputs,
        apply,
        dict.fromkeys(names),
    )


_ALIAS = re.compile(r"(\"[^\"]+\"|\S+)\s+(AS|ASNEW)\s+(\"[^\"]+\"|\S+)", re.IGNORECASE)


def _alias_op(cls: str, value: str) -> Op:
    pairs = [
        (a.strip('"'), b.strip('"'), mode.upper() == "ASNEW")
        for a, mode, b in _ALIAS.findall(value)
    ]

    def apply(event: Event) -> None:
        found = [(event.get(src), dst, asnew) for src, dst, asnew in pairs]
        for value, dst, asnew in found:
            if asnew:
                if value is not None and event.get(dst) is None:
                    event[dst] = list(value) if isinstance(value, list) else value
            elif value is None:
                event.pop(dst, None)
            else:
                event[dst] = list(value) if isinstance(value, list) else value

    op = Op(
        "FIELDALIAS",
        cls,
        frozenset(s for s, _, _ in pairs),
        frozenset(d for _, d, _ in pairs),
        apply,
        {d: None for _, d, _ in pairs},
    )
    op.alias_of = {d: s for s, d, _ in pairs}  # type: ignore[attr-defined]
    return op


# ----------------------------------------------------------------------------- calculated fields
_SUBSTRING_FIRST = frozenset(
    {
        "lower",
        "upper",
        "trim",
        "ltrim",
        "rtrim",
        "mvindex",
        "split",
        "substr",
        "mvdedup",
        "mvsort",
        "nullif",
        "mvfilter",
    }
)
_SUBSTRING_ALL = frozenset({"coalesce", "mvappend", "min", "max"})


def value_sources(expr: Expr) -> tuple[set[str], list[str]] | None:
    """The fields whose (case-changed) substrings an eval expression returns, and the literal
    strings it may return instead; ``None`` when its values may be any text (concatenation,
    ``replace``, arithmetic …)."""
    if isinstance(expr, FieldRef):
        return {expr.name}, []
    if isinstance(expr, String):
        return set(), [expr.value]
    if isinstance(expr, Number):
        return set(), [expr.text]
    if isinstance(expr, Call):
        name = expr.name.lower()
        if name == "null":
            return set(), []
        if name == "if" and len(expr.args) == 3:
            parts: list[Expr] = list(expr.args[1:])
        elif name == "case":
            parts = list(expr.args[1::2])
        elif name in _SUBSTRING_ALL:
            parts = list(expr.args)
        elif name in _SUBSTRING_FIRST and expr.args:
            parts = [expr.args[0]]
        else:
            return None
        fields: set[str] = set()
        literals: list[str] = []
        for p in parts:
            got = value_sources(p)
            if got is None:
                return None
            fields |= got[0]
            literals += got[1]
        return fields, literals
    return None


def _eval_op(assignments: list[tuple[str, Expr]], ctx: Any) -> Op:
    """The ``EVAL-`` settings of one stanza: all computed from the event before any is set."""
    from .ast import expr_fields
    from .evaluator import compile_expr

    compiled = [(name, compile_expr(expr, ctx)) for name, expr in assignments]

    def apply(event: Event) -> None:
        results = [(name, fn(event)) for name, fn in compiled]
        for name, value in results:
            if value is None or value == []:
                event.pop(name, None)
            else:
                event[name] = _stored(value)

    inputs: set[str] = set()
    prov: dict[str, tuple[str, ...] | None] = {}
    sources: dict[str, set[str]] = {}
    for name, expr in assignments:
        inputs |= expr_fields(expr)
        got = value_sources(expr)
        if got is not None:
            prov[name] = tuple(got[1]) or None
            sources[name] = got[0]
    op = Op(
        "EVAL",
        ",".join(n for n, _ in assignments),
        frozenset(inputs),
        frozenset(n for n, _ in assignments),
        apply,
        prov,
    )
    op.value_fields = sources  # type: ignore[attr-defined]
    op.assignments = assignments  # type: ignore[attr-defined]
    return op


def _stored(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_stored(v) for v in value]
    return value


# ----------------------------------------------------------------------------- lookups
_LOOKUP_WORD = re.compile(r"\"[^\"]*\"|\S+")


def parse_lookup_setting(
    value: str,
) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]], str]:
    """``<table> (<col> [AS <field>])+ [OUTPUT|OUTPUTNEW (<col> [AS <field>])+]`` ->
    (table, inputs (col, field), outputs (col, field), mode)."""
    words = [w.strip('"') for w in _LOOKUP_WORD.findall(value.replace(",", " "))]
    if not words:
        raise SplError("empty LOOKUP setting")
    table, rest = words[0], words[1:]
    inputs: list[tuple[str, str]] = []
    outputs: list[tuple[str, str]] = []
    mode = "OUTPUT"
    target = inputs
    i = 0
    while i < len(rest):
        w = rest[i]
        if w.upper() in ("OUTPUT", "OUTPUTNEW"):
            mode, target = w.upper(), outputs
            i += 1
            continue
        if (
            i + 2 < len(rest) + 1
            and i + 1 < len(rest)
            and rest[i + 1].upper() == "AS"
            and i + 2 < len(rest)
        ):
            target.append((w, rest[i + 2]))
            i += 3
            continue
        target.append((w, w))
        i += 1
    return table, inputs, outputs, mode


def _lookup_op(cls: str, value: str, tables: Mapping[str, LookupTable]) -> Op | None:
    from .commands.lookup import apply_lookup

    table_name, inputs, outputs, mode = parse_lookup_setting(value)
    table = tables.get(table_name)
    if table is None:
        return None
    if not outputs:
        in_cols = {c for c, _ in inputs}
        try:
            outputs = [(c, c) for c in table.columns if c not in in_cols]
        except SplError:
            return None
    cache: dict[tuple[str, ...], list[dict[str, str]]] = {}

    def apply(event: Event) -> None:
        apply_lookup(event, table, inputs, outputs, mode, cache)

    return Op(
        "LOOKUP",
        cls,
        frozenset(f for _, f in inputs),
        frozenset(f for _, f in outputs),
        apply,
        {},
    )


# ----------------------------------------------------------------------------- the plan
@dataclass
class Plan:
    """The operations that apply to the events of one (sourcetype, source, host)."""

    ops: list[Op]
    kv_none: bool = False

    def raw_unsafe(self) -> dict[str, tuple[str, ...] | None]:
        """Field -> ``None`` (its values need not be in the raw text at all) or the literal values
        it may take besides substrings of the raw text.  Fields not named are raw substrings."""
        unsafe: dict[str, tuple[str, ...] | None] = {}
        for op in self.ops:
            if op.kind in ("EVENTTYPE", "TAG") or op.outputs is None:
                continue  # dynamic names: the values are pieces of the raw text
            alias_of: dict[str, str] = getattr(op, "alias_of", {})
            value_fields: dict[str, set[str]] = getattr(op, "value_fields", {})
            for name in op.outputs:
                if name not in op.provenance:
                    unsafe[name] = None
                    continue
                if op.kind in ("EXTRACT", "REPORT"):
                    sources: set[str] = set(op.inputs)
                elif name in alias_of:
                    sources = {alias_of[name]}
                else:
                    sources = value_fields.get(name, set())
                if any(s in unsafe and unsafe[s] is None for s in sources):
                    unsafe[name] = None
                    continue
                literals = list(op.provenance[name] or ())
                for s in sources:
                    literals += list(unsafe.get(s) or ())
                if literals and (name not in unsafe or unsafe[name] is not None):
                    unsafe[name] = tuple(unsafe.get(name) or ()) + tuple(literals)
        return unsafe


def _class_key(key: str) -> tuple[str, str]:
    kind, _, cls = key.partition("-")
    return kind.upper(), cls


class Knowledge:
    """The search-time knowledge of a :class:`KnowledgeBase`, ready to apply to events."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        extra_macros: Mapping[str, MacroDef] | None = None,
        extra_lookups: Mapping[str, LookupTable] | None = None,
    ) -> None:
        self.kb = kb
        self.props = {k: v for k, v in kb.conf("props").items()}
        self.transforms = kb.conf("transforms")
        self._extra_macros = dict(extra_macros or {})
        self._extra_lookups = dict(extra_lookups or {})
        self._plans: dict[tuple[str, str, str], Plan] = {}
        self._eventtypes: dict[str, SearchExpr] | None = None
        self._tag_index: tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]] | None = None
        self._models: dict[str, Any] = {}
        self._macros: dict[str, MacroDef] | None = None
        self._lookups: dict[str, LookupTable] | None = None

    # -- what the apps define for searches
    def macros(self) -> dict[str, MacroDef]:
        """Macros of the apps (``name`` / ``name(N)`` keys)."""
        if self._macros is None:
            from .macros import MacroDef

            out: dict[str, MacroDef] = {}
            for stanza, settings in self.kb.conf("macros").items():
                if not _enabled(settings) or "definition" not in settings:
                    continue
                m = re.match(r"^(.+?)\((\d+)\)$", stanza.strip())
                name = m.group(1) if m else stanza.strip()
                args = tuple(a.strip() for a in settings.get("args", "").split(",") if a.strip())
                if m and int(m.group(2)) != len(args):
                    args = tuple(f"arg{i + 1}" for i in range(int(m.group(2))))
                macro = MacroDef(name, settings["definition"], args)
                out[macro.key] = macro
            self._macros = out
        return self._macros

    def lookups(self) -> dict[str, LookupTable]:
        """Lookup tables of the apps (transforms.conf stanzas with a ``filename``)."""
        if self._lookups is None:
            from .lookups import LookupTable

            out: dict[str, LookupTable] = {}
            for name, t in self.transforms.items():
                filename = t.get("filename")
                if not filename:
                    continue
                path = self.kb.lookup_files.get(filename)
                if path is None:
                    continue
                match_type = tuple(s.strip() for s in [t.get("match_type", "")] if s.strip())
                out[name] = LookupTable(
                    name=name,
                    path=path,
                    case_sensitive_match=_truthy_setting(t.get("case_sensitive_match"), True),
                    match_type=match_type,
                    min_matches=int(t.get("min_matches", "0") or 0),
                    max_matches=int(t.get("max_matches", "100") or 100),
                    default_match=t.get("default_match"),
                )
            self._lookups = out
        return self._lookups

    def _all_lookups(self) -> dict[str, LookupTable]:
        return {**self.lookups(), **self._extra_lookups}

    def _all_macros(self) -> dict[str, MacroDef]:
        return {**self.macros(), **self._extra_macros}

    # -- per-event operations
    def plan(self, sourcetype: str, source: str, host: str) -> Plan:
        key = (sourcetype, source, host)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(*key)
        return plan

    def _make_plan(self, sourcetype: str, source: str, host: str) -> Plan:
        from .executor import make_context

        settings = merged_settings(self.props, sourcetype, source, host)
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for key, value in settings.items():
            kind, cls = _class_key(key)
            if cls and kind in ("EXTRACT", "REPORT", "FIELDALIAS", "EVAL", "LOOKUP"):
                by_kind.setdefault(kind, []).append((cls, value))
        ops: list[Op] = []
        for cls, value in sorted(by_kind.get("EXTRACT", [])):
            ops.append(_extract_op(cls, value))
        for cls, value in sorted(by_kind.get("REPORT", [])):
            for tname in (t.strip() for t in value.split(",")):
                t = self.transforms.get(tname)
                if t is None:
                    continue
                op = _report_op(cls, tname, t)
                if op is not None:
                    ops.append(op)
        for cls, value in sorted(by_kind.get("FIELDALIAS", [])):
            ops.append(_alias_op(cls, value))
        evals = sorted(by_kind.get("EVAL", []))
        if evals:
            from .parser import Parser

            ctx = make_context("")
            assignments = []
            for name, text in evals:
                try:
                    assignments.append((name, Parser(text).parse_eval_expr()))
                except SplError as exc:
                    raise SplError(
                        f"props.conf EVAL-{name} (events of sourcetype {sourcetype!r}, source "
                        f"{source!r}): {exc.message}"
                    ) from None
            # one operation per field, so that a search pays only for the fields it needs;
            # the enricher runs the chosen ones together (see :meth:`enricher`)
            ops.extend(_eval_op([assignment], ctx) for assignment in assignments)
        tables = self._all_lookups()
        for cls, value in sorted(by_kind.get("LOOKUP", [])):
            op = _lookup_op(cls, value, tables)
            if op is not None:
                ops.append(op)
        kv_none = settings.get("KV_MODE", "").strip().lower() == "none"
        return Plan(ops, kv_none)

    def _eval_ctx(self) -> Any:
        from .executor import make_context

        return make_context("")

    def provenance(self, sourcetype: str, source: str, host: str) -> dict[str, str]:
        """Field -> the knowledge that sets it on events of this sourcetype/source/host
        (``props.conf EVAL-dest``, ``eventtypes.conf``, ...; the last one, when several do)."""
        where = {
            "EXTRACT": "props.conf EXTRACT-{}",
            "REPORT": "props.conf REPORT-{} (transforms.conf)",
            "FIELDALIAS": "props.conf FIELDALIAS-{}",
            "EVAL": "props.conf EVAL-{}",
            "LOOKUP": "props.conf LOOKUP-{}",
        }
        out: dict[str, str] = {}
        for op in self.plan(sourcetype, source, host).ops:
            for name in op.outputs or ():
                out[name] = where[op.kind].format(op.name)
        if self.eventtypes():
            out["eventtype"] = "eventtypes.conf"
        by_et, by_pair = self._tags()
        for f, _ in by_pair:
            out[f"tag::{f}"] = "tags.conf"
        if by_et or by_pair:
            out["tag"] = out["tag::eventtype"] = "tags.conf"
        return out

    def enricher(
        self, sourcetype: str, source: str, host: str, needed: Iterable[str] | None
    ) -> tuple[Apply | None, frozenset[str]]:
        """A function adding the search-time fields of ``needed`` (``None``: all) to an event of
        this sourcetype/source/host (``None`` when nothing applies), and the fields it reads."""
        plan = self.plan(sourcetype, source, host)
        ops = list(plan.ops)
        want = None if needed is None else set(needed)
        tags_needed = want is None or any(f == "tag" or f.startswith("tag::") for f in want)
        eventtype_needed = tags_needed or want is None or "eventtype" in want
        extra: list[Op] = []
        if eventtype_needed and self.eventtypes():
            extra.append(self._eventtype_op())
        if tags_needed and (self._tags()[0] or self._tags()[1]):
            extra.append(self._tag_op())
        chosen = _closure(ops + extra, want)
        reads = frozenset().union(*(op.inputs for op in chosen)) if chosen else frozenset()
        if not chosen and not plan.kv_none:
            return None, reads
        applies: list[Apply] = []
        evals: list[tuple[str, Expr]] = []
        for op in chosen:
            if op.kind == "EVAL":
                evals.extend(getattr(op, "assignments", ()))
                continue
            if evals:  # the EVAL- settings of a stanza see the event before any of them
                applies.append(_eval_op(evals, self._eval_ctx()).apply)
                evals = []
            applies.append(op.apply)
        if evals:
            applies.append(_eval_op(evals, self._eval_ctx()).apply)
        kv_none = plan.kv_none

        def enrich(event: Event) -> None:
            if kv_none:
                for k in [k for k in event if k not in _DEFAULTS]:
                    del event[k]
            for fn in applies:
                fn(event)
            event.pop("\x00set", None)

        return enrich, reads

    def raw_unsafe(
        self, metas: Iterable[tuple[str, str, str]]
    ) -> dict[str, tuple[str, ...] | None]:
        out: dict[str, tuple[str, ...] | None] = {}
        for meta in metas:
            for name, lits in self.plan(*meta).raw_unsafe().items():
                if name in out and (out[name] is None or lits is None):
                    out[name] = None
                else:
                    out[name] = tuple(out.get(name) or ()) + tuple(lits or ())
        return out

    # -- event types and tags
    def eventtypes(self) -> dict[str, SearchExpr]:
        """Enabled event types -> their search (macros expanded, tags/event types rewritten)."""
        if self._eventtypes is None:
            raw = {
                name: s["search"]
                for name, s in self.kb.conf("eventtypes").items()
                if _enabled(s) and s.get("search", "").strip()
            }
            parsed: dict[str, SearchExpr] = {}
            for name, text in raw.items():
                expr = self._parse_search(text, f"eventtypes.conf [{name}]")
                if expr is not None:
                    parsed[name] = expr
            # rewrite references to tags/other event types inside event type searches (while
            # that runs, `eventtypes()` gives the parsed searches; see `_expand_term`)
            self._eventtypes = parsed
            self._eventtypes = {
                name: self.expand_search(expr, _depth=1) or expr for name, expr in parsed.items()
            }
        return self._eventtypes

    def _parse_search(self, text: str, where: str) -> SearchExpr | None:
        from .macros import expand
        from .parser import Parser

        try:
            if "`" in text:
                text = expand(text, self._all_macros())
            return Parser(text).parse_search_expr()
        except SplError as exc:
            raise SplError(f"{where}: {exc.message}") from None

    def _tags(self) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
        """(event type -> tags, (field, value lower-cased) -> tags), enabled tags only."""
        if self._tag_index is None:
            by_et: dict[str, list[str]] = {}
            by_pair: dict[tuple[str, str], list[str]] = {}
            for stanza, settings in self.kb.conf("tags").items():
                f, sep, v = stanza.partition("=")
                if not sep:
                    continue
                tags = sorted(
                    t for t, state in settings.items() if state.strip().lower() == "enabled"
                )
                if not tags:
                    continue
                f, v = f.strip(), _unquote_tag_value(v.strip())
                if f == "eventtype":
                    by_et.setdefault(v, []).extend(tags)
                else:
                    by_pair.setdefault((f, v.lower()), []).extend(tags)
            self._tag_index = (by_et, by_pair)
        return self._tag_index

    def _eventtype_op(self) -> Op:
        from .ast import search_fields
        from .executor import make_context
        from .matching import compile_search

        ctx = make_context("")
        compiled = [
            (name, compile_search(expr, ctx)) for name, expr in sorted(self.eventtypes().items())
        ]
        inputs: set[str] = set()
        for expr in self.eventtypes().values():
            inputs |= search_fields(expr) or set()

        def apply(event: Event) -> None:
            hits = [name for name, pred in compiled if pred(event)]
            if hits:
                event["eventtype"] = hits if len(hits) > 1 else hits[0]
            else:
                event.pop("eventtype", None)

        return Op("EVENTTYPE", "eventtypes", frozenset(inputs), frozenset({"eventtype"}), apply, {})

    def _tag_op(self) -> Op:
        by_et, by_pair = self._tags()
        fields = sorted({f for f, _ in by_pair})

        def apply(event: Event) -> None:
            found: dict[str, list[str]] = {}
            for et in as_list(event.get("eventtype")):
                for t in by_et.get(to_str(et), ()):
                    found.setdefault("eventtype", []).append(t)
            for f in fields:
                for v in as_list(event.get(f)):
                    for t in by_pair.get((f, to_str(v).lower()), ()):
                        found.setdefault(f, []).append(t)
            if not found:
                return
            every: list[str] = []
            for f, tags in found.items():
                uniq = sorted(set(tags))
                event[f"tag::{f}"] = uniq if len(uniq) > 1 else uniq[0]
                every.extend(uniq)
            uniq_all = sorted(set(every))
            event["tag"] = uniq_all if len(uniq_all) > 1 else uniq_all[0]

        outputs = frozenset({"tag", "tag::eventtype", *(f"tag::{f}" for f in fields)})
        return Op("TAG", "tags", frozenset({"eventtype", *fields}), outputs, apply, {})

    def expand_search(self, expr: SearchExpr | None, _depth: int = 0) -> SearchExpr | None:
        """Rewrite ``tag=``, ``tag::<field>=`` and ``eventtype=`` terms into the searches they
        stand for (as Splunk does), so that they can be matched and prefiltered without
        computing tags on every event."""
        if expr is None or _depth > 10:
            return expr
        if isinstance(expr, Compare) and expr.op in ("=", "!="):
            rewritten = self._expand_term(expr.field, [expr.value], _depth)
            if rewritten is None:
                return expr
            return rewritten if expr.op == "=" else Not(rewritten, pos=expr.pos)
        if isinstance(expr, InList):
            rewritten = self._expand_term(expr.field, list(expr.values), _depth)
            return expr if rewritten is None else rewritten
        if isinstance(expr, Not):
            inner = self.expand_search(expr.operand, _depth)
            return expr if inner is expr.operand else Not(inner, pos=expr.pos)  # type: ignore[arg-type]
        if isinstance(expr, And | Or):
            items = tuple(self.expand_search(i, _depth) for i in expr.items)
            if all(a is b for a, b in zip(items, expr.items, strict=True)):
                return expr
            return type(expr)(items, pos=expr.pos)  # type: ignore[arg-type]
        return expr

    def _expand_term(self, name: str, values: list[str], depth: int) -> SearchExpr | None:
        low = name.lower()
        if low == "eventtype":
            ets = self.eventtypes()
            found: list[SearchExpr] = []
            for n in _matching(ets, values):
                sub = self.expand_search(ets[n], depth + 1) if depth else ets[n]
                if sub is not None:
                    found.append(sub)
            return _any_of(found)
        if low == "tag" or low.startswith("tag::"):
            only = name[5:] if low.startswith("tag::") else None
            by_et, by_pair = self._tags()
            pats = [wildcard_regex(v) for v in values]

            def wanted(tags: list[str]) -> bool:
                return any(p.fullmatch(t) for t in tags for p in pats)

            alts: list[SearchExpr] = []
            if only in (None, "eventtype"):
                for et in sorted(by_et):
                    if wanted(by_et[et]):
                        sub = self._expand_term("eventtype", [et], depth)
                        if sub is not None:
                            alts.append(sub)
            if only != "eventtype":
                for (f, v), tags in sorted(by_pair.items()):
                    if (only is None or f == only) and wanted(tags):
                        alts.append(Compare(f, "=", v, value_quoted=True))
            return _any_of(alts)
        return None

    # -- data models
    def datamodel(self, name: str) -> Any:
        """The :class:`contentkit.spl.datamodels.DataModel` named ``name`` (KeyError if none)."""
        model = self._models.get(name)
        if model is None:
            from .datamodels import DataModel

            data = self.kb.datamodels.get(name)
            if data is None:
                for key, value in self.kb.datamodels.items():
                    if key.lower() == name.lower():
                        data = value
                        break
            if data is None:
                raise KeyError(name)
            model = self._models[name] = DataModel.from_json(data, self)
        return model


def _unquote_tag_value(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1]
    from urllib.parse import unquote

    return unquote(v) if "%" in v else v


def _matching(names: Mapping[str, Any], patterns: list[str]) -> list[str]:
    out = []
    for n in sorted(names):
        if any(wildcard_regex(p).fullmatch(n) for p in patterns):
            out.append(n)
    return out


def _any_of(alts: list[SearchExpr]) -> SearchExpr:
    if not alts:
        return NOTHING
    return alts[0] if len(alts) == 1 else Or(tuple(alts))


def _closure(ops: list[Op], want: set[str] | None) -> list[Op]:
    """The operations (in order) needed for the fields of ``want`` (``None``: all)."""
    if want is None:
        return ops
    need = set(want)
    keep = [False] * len(ops)
    changed = True
    while changed:
        changed = False
        for i in range(len(ops) - 1, -1, -1):
            if keep[i]:
                continue
            op = ops[i]
            if op.outputs is None or op.outputs & need:
                keep[i] = True
                need |= op.inputs
                changed = True
    return [op for op, k in zip(ops, keep, strict=True) if k]


__all__ = [
    "NOTHING",
    "Knowledge",
    "Op",
    "Plan",
    "clean_key",
    "merged_settings",
    "parse_lookup_setting",
    "pattern_regex",
    "stanzas_for",
    "value_sources",
]
