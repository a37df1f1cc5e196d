"""Event intake: read datasets into events with search-time field extraction.

Formats (by sourcetype, else sniffed from the content): JSON one object per line (nested keys
flattened with ``.``, arrays as multivalue fields named with ``{}``), Windows XML events
(``XmlWinEventLog``), ``key=value`` text and plain lines.  Every event gets ``_raw``, ``_time``,
``host``, ``source``, ``sourcetype`` and ``index``.

Line-oriented files: when the search's required literal terms are known, only lines containing
them (case-insensitively) are decoded and parsed.  The file is mapped into memory and searched in
place by Hyperscan when it is installed (:mod:`.literals`), else read in binary chunks that are
lower-cased and searched with ``bytes.find``.  Large files are split at line boundaries among
forked processes.  JSON events are decoded for the fields the search reads (:mod:`.jsonplan`).
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from . import jsonplan, literals
from .errors import SplError
from .values import add_value

Event = dict[str, Any]
CHUNK_SIZE = 2 * 1024 * 1024  # read buffer; larger buffers measured slower (cache)

#: JSON keys holding the event's own timestamp, in order of preference
TIME_KEYS = (
    "requestReceivedTimestamp",
    "stageTimestamp",
    "timestamp",
    "time",
    "@timestamp",
    "eventTime",
    "_time",
    "TimeCreated",
    "date",
    "ts",
    "EventTime",
    "creationTime",
    "CreationTime",
    "createdDateTime",
    "published",
    "activityDateTime",
)


DEFAULT_FIELDS = frozenset({"_raw", "_time", "host", "source", "sourcetype", "index"})


@dataclass(frozen=True)
class Dataset:
    """A file of events with its metadata (as given to a Splunk input)."""

    path: str | Path
    sourcetype: str = ""
    source: str = ""
    host: str = "contentkit"
    index: str = "main"

    @property
    def meta(self) -> dict[str, str]:
        return {
            "source": self.source or str(self.path),
            "sourcetype": self.sourcetype,
            "host": self.host,
            "index": self.index,
        }


@dataclass
class ScanStats:
    """Counters of one scan (for benchmarks and reports).

    ``count_events=False`` skips counting the lines of line-oriented files (``events_scanned``
    then counts only files read as whole events), which saves a pass over the data."""

    count_events: bool = True
    events_scanned: int = 0
    events_parsed: int = 0
    bytes_read: int = 0
    files: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- time
_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(value: Any) -> float | None:
    """Epoch seconds from an ISO 8601 string or an epoch number (s or ms)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        return v / 1000 if v > 1e11 else v
    s = str(value).strip()
    if not s:
        return None
    if s[0].isdigit() and s.replace(".", "", 1).isdigit():
        v = float(s)
        return v / 1000 if v > 1e11 else v
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        s2 = _FRACTION.sub(r"\1", s.replace("Z", "+00:00"))
        try:
            dt = datetime.fromisoformat(s2)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# ----------------------------------------------------------------------------- JSON
_scalar = jsonplan.scalar_text


def flatten_json(obj: Any, prefix: str, out: dict[str, Any]) -> None:
    """Flatten like Splunk's JSON extraction: ``a.b``, arrays as multivalue ``a{}``."""
    if isinstance(obj, dict):
        if not obj and prefix:
            return
        for k, v in obj.items():
            flatten_json(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, list):
        name = prefix + "{}"
        for item in obj:
            flatten_json(item, name, out)
    else:
        add_value(out, prefix, _scalar(obj))


_STEP = re.compile(r"\{\}|[^.{]+(?:\{(?!\})[^.{]*)*")


def field_plan(names: Iterable[str]) -> dict[str, Any]:
    """A trie of the flattened field names to extract: ``a.b{}.c`` -> a / b / {} / c.

    The key ``""`` of a node holds the field name a scalar reaching that node is stored under.
    """
    root: dict[str, Any] = {}
    for name in names:
        node = root
        for step in _STEP.findall(name):
            node = node.setdefault(step, {})
        node[""] = name
    return root


def flatten_selected(obj: Any, plan: dict[str, Any], out: dict[str, Any]) -> None:
    """Like :func:`flatten_json` but only for the fields of ``plan`` (see :func:`field_plan`):
    only the needed keys are looked up, other subtrees are never visited."""
    if isinstance(obj, dict):
        missing = False
        for key, child in plan.items():
            if key == "" or key == "{}":
                continue
            value = obj.get(key, _ABSENT)
            if value is _ABSENT:
                missing = True
            else:
                flatten_selected(value, child, out)
        if missing:  # keys that contain dots themselves, e.g. "authorization.k8s.io/decision"
            for k, value in obj.items():
                if "." in k:
                    node: dict[str, Any] | None = plan
                    for step in k.split("."):
                        node = node.get(step) if node is not None else None
                    if node is not None:
                        flatten_selected(value, node, out)
    elif isinstance(obj, list):
        child = plan.get("{}")
        if child is not None:
            for item in obj:
                flatten_selected(item, child, out)
    else:
        name = plan.get("")
        if name is not None:
            add_value(out, name, _scalar(obj))


_ABSENT = object()

#: a compiled field plan node: (field name of a scalar here, (key, node) of the dict keys to look
#: up, node of list items, the plan itself)
_Node = tuple[str | None, tuple[tuple[str, Any], ...], Any, dict[str, Any]]
_COMPILED: dict[int, tuple[dict[str, Any], Any]] = {}
_NAMES: dict[int, tuple[dict[str, Any], Any]] = {}


def _per_plan(cache: dict[int, tuple[dict[str, Any], Any]], plan: dict[str, Any], make: Any) -> Any:
    """``make(plan)``, computed once per plan object (a scan reuses one plan for every event)."""
    found = cache.get(id(plan))
    if found is not None and found[0] is plan:
        return found[1]
    value = make(plan)
    if len(cache) >= 64:
        cache.clear()
    cache[id(plan)] = (plan, value)
    return value


def _compiled(plan: dict[str, Any]) -> _Node:
    node: _Node = _per_plan(_COMPILED, plan, _compile_plan)
    return node


def _compile_plan(plan: dict[str, Any]) -> _Node:
    items = tuple((k, _compile_plan(v)) for k, v in plan.items() if k not in ("", "{}"))
    child = plan.get("{}")
    return plan.get(""), items, None if child is None else _compile_plan(child), plan


def _extract(obj: dict[str, Any], node: _Node, out: dict[str, Any], memo: dict[str, str]) -> None:
    """:func:`flatten_selected` of a dict, with fast paths for strings, dicts and lists.

    String values go through ``memo``: equal values of different events become one object
    (hashed once, compared by identity, pickled once)."""
    missing = False
    for key, child in node[1]:
        value = obj.get(key, _ABSENT)
        if value is _ABSENT:
            missing = True
            continue
        t = type(value)
        if t is str:
            name = child[0]
            if name is not None:
                value = memo.setdefault(value, value)
                cur = out.get(name)
                if cur is None:
                    out[name] = value
                elif isinstance(cur, list):
                    cur.append(value)
                else:
                    out[name] = [cur, value]
        elif t is dict:
            _extract(value, child, out, memo)
        elif t is list:
            item_node = child[2]
            if item_node is not None:
                for item in value:
                    if type(item) is str:
                        name = item_node[0]
                        if name is not None:
                            item = memo.setdefault(item, item)
                            cur = out.get(name)
                            if cur is None:
                                out[name] = item
                            elif isinstance(cur, list):
                                cur.append(item)
                            else:
                                out[name] = [cur, item]
                    elif type(item) is dict:
                        _extract(item, item_node, out, memo)
                    else:
                        flatten_selected(item, item_node[3], out)
        else:
            flatten_selected(value, child[3], out)
    if missing:  # keys that contain dots themselves, e.g. "authorization.k8s.io/decision"
        plan = node[3]
        for k, value in obj.items():
            if "." in k:
                step_node: dict[str, Any] | None = plan
                for step in k.split("."):
                    step_node = step_node.get(step) if step_node is not None else None
                if step_node is not None:
                    flatten_selected(value, step_node, out)


_decode_any = msgspec.json.Decoder().decode

#: decode JSON events for a field plan with msgspec (see :mod:`contentkit.spl.jsonplan`)
FAST_JSON = True
_FAST: dict[int, tuple[dict[str, Any], Any]] = {}


def _fast_plan(plan: dict[str, Any]) -> jsonplan._Plan | None:
    return jsonplan.compile_plan(plan, TIME_KEYS, parse_time)


def _loads(raw: str) -> Any:
    """``json.loads`` through msgspec (about 2.5x faster, and exact for integers of any size,
    which orjson turns into floats beyond 64 bits); what msgspec refuses but Python's parser
    accepts (``NaN``) goes to Python's parser."""
    try:
        return _decode_any(raw)
    except msgspec.DecodeError:
        return json.loads(raw)


def json_fields(
    raw: str,
    plan: dict[str, Any] | None = None,
    memo: dict[str, str] | None = None,
    data: bytes | None = None,
) -> tuple[dict[str, Any], float | None] | None:
    """(fields, time) of a JSON event (``None`` when ``raw`` is no JSON object, or one nested
    too deeply to read: its text is then read as key=value text); ``data``: the UTF-8 bytes
    ``raw`` was decoded from, if the caller has them."""
    try:
        return _json_fields(raw, plan, memo, data)
    except RecursionError:
        return None


def _json_fields(
    raw: str,
    plan: dict[str, Any] | None,
    memo: dict[str, str] | None,
    data: bytes | None,
) -> tuple[dict[str, Any], float | None] | None:
    if plan is not None and FAST_JSON:
        fast = _per_plan(_FAST, plan, _fast_plan)
        if fast is not None:
            if data is None:
                data = raw.encode("utf-8", "surrogatepass")
            decoded = jsonplan.decode(data, fast, {} if memo is None else memo)
            if decoded is not None:
                return decoded
    try:
        obj = _loads(raw)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    out: dict[str, Any] = {}
    if plan is None:
        flatten_json(obj, "", out)
    elif type(obj) is dict:
        _extract(obj, _compiled(plan), out, {} if memo is None else memo)
    else:
        flatten_selected(obj, plan, out)
    t = None
    for key in TIME_KEYS:
        if key in obj and not isinstance(obj[key], dict | list):
            t = parse_time(obj[key])
            if t is not None:
                break
    return out, t


# ----------------------------------------------------------------------------- XML
_XML_ENT = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'"}
_ENT_RE = re.compile(r"&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);")
_SYSTEM = re.compile(r"<System>(.*?)</System>", re.DOTALL)
_ELEM = re.compile(
    r"<(\w+)((?:\s+[\w:]+\s*=\s*(?:'[^']*'|\"[^\"]*\"))*)\s*(?:/>|>([^<]*)</\1>)", re.DOTALL
)
_ATTR = re.compile(r"([\w:]+)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")")
_DATA = re.compile(
    r"<Data(?:\s+Name\s*=\s*(?:'([^']*)'|\"([^\"]*)\"))?\s*(?:/>|>(.*?)</Data>)", re.DOTALL
)
_USERDATA = re.compile(r"<UserData>(.*?)</UserData>", re.DOTALL)
_LEAF = re.compile(r"<(\w+)(?:\s[^>]*)?>([^<]*)</\1>")


def _unescape(s: str) -> str:
    if "&" not in s:
        return s

    def rep(m: re.Match[str]) -> str:
        t = m.group(0)
        if t in _XML_ENT:
            return _XML_ENT[t]
        try:
            return chr(int(t[3:-1], 16)) if t[2] in "xX" else chr(int(t[2:-1]))
        except ValueError:
            return t

    return _ENT_RE.sub(rep, s)


def xml_fields(
    raw: str, names: frozenset[str] | None = None
) -> tuple[dict[str, Any], float | None]:
    """Fields of a Windows XML event (``<System>`` and ``<EventData>``/``<UserData>``);
    ``names``: only these fields of the event data are kept (the ``<System>`` fields and the
    time are always read), with the same values as a full extraction."""
    if names is not None:
        return _xml_selected(raw, names)
    out: dict[str, Any] = {}
    t = None
    m = _SYSTEM.search(raw)
    if m:
        for el in _ELEM.finditer(m.group(1)):
            name, attrs, text = el.group(1), el.group(2), el.group(3)
            if text is not None and text.strip():
                out[name] = _unescape(text.strip())
            for a in _ATTR.finditer(attrs or ""):
                aval = _unescape(a.group(2) if a.group(2) is not None else a.group(3))
                out.setdefault(a.group(1), aval)
                if a.group(1) == "SystemTime":
                    t = parse_time(aval)
        if "EventID" in out:
            out["EventCode"] = out["EventID"]
    for d in _DATA.finditer(raw):
        dname = d.group(1) if d.group(1) is not None else d.group(2)
        value = d.group(3)
        if value is None:
            continue
        add_value(out, dname or "Data", _unescape(value))
    u = _USERDATA.search(raw)
    if u:
        for leaf in _LEAF.finditer(u.group(1)):
            if leaf.group(2).strip():
                add_value(out, leaf.group(1), _unescape(leaf.group(2)))
    return out, t


#: in the field names of a light event (see :func:`_early_spec`): its time is not needed
_NO_TIME = "\x00no-time"
_TIME_ATTR = re.compile(r"\sSystemTime\s*=\s*(?:'([^']*)'|\"([^\"]*)\")")


@lru_cache(maxsize=256)
def _selectors(
    names: frozenset[str],
) -> tuple[list[tuple[str, re.Pattern[str], re.Pattern[str]]], re.Pattern[str] | None]:
    """Per wanted name, the regexes of a ``<System>`` element and attribute of that name; one
    regex for the wanted ``<Data Name=...>`` elements (``None``: no event data wanted)."""
    wanted = sorted(n for n in names if n not in _NOT_DATA and n != _NO_TIME)
    system = []
    for n in wanted:
        key = "EventID" if n == "EventCode" else n
        if not re.fullmatch(r"\w+", key):
            continue
        element = re.compile(rf"<{key}(?:\s[^>]*)?(?:/>|>([^<]*)</{key}>)")
        attr = re.compile(rf"\s{key}\s*=\s*(?:'([^']*)'|\"([^\"]*)\")")
        system.append((n, element, attr))
    if not wanted:
        return system, None
    alternatives = "|".join(re.escape(n) for n in wanted)
    data = re.compile(
        rf"<Data\s+Name\s*=\s*(?:'({alternatives})'|\"({alternatives})\")\s*(?:/>|>(.*?)</Data>)",
        re.DOTALL,
    )
    return system, data


def _xml_selected(raw: str, names: frozenset[str]) -> tuple[dict[str, Any], float | None]:
    """:func:`xml_fields` restricted to ``names``: the same values, without reading the rest."""
    out: dict[str, Any] = {}
    t = None
    m = _SYSTEM.search(raw)
    system_parts, data = _selectors(names)
    if m:
        block = m.group(1)
        tm = None if _NO_TIME in names else _TIME_ATTR.search(block)
        if tm:
            t = parse_time(_unescape(tm.group(1) if tm.group(1) is not None else tm.group(2)))
        for name, element, attr in system_parts:
            el = element.search(block)
            if el and el.group(1) is not None and el.group(1).strip():
                out[name] = _unescape(el.group(1).strip())
                continue
            at = attr.search(block)
            if at:
                out[name] = _unescape(at.group(1) if at.group(1) is not None else at.group(2))
    if data is not None:
        if "Data" in names:  # unnamed <Data> elements: read them all
            return _xml_slow(raw, names)
        for d in data.finditer(raw):
            value = d.group(3)
            if value is not None:
                add_value(out, d.group(1) or d.group(2), _unescape(value))
        u = _USERDATA.search(raw)
        if u:
            for leaf in _LEAF.finditer(u.group(1)):
                if leaf.group(1) in names and leaf.group(2).strip():
                    add_value(out, leaf.group(1), _unescape(leaf.group(2)))
    return out, t


def _xml_slow(raw: str, names: frozenset[str]) -> tuple[dict[str, Any], float | None]:
    """The fields of ``names`` from a full extraction (unnamed ``<Data>`` elements)."""
    full, t = xml_fields(raw)
    return {k: v for k, v in full.items() if k in names}, t


#: fields that are never event data (no event data is read when only these are wanted)
_NOT_DATA = frozenset({"_raw", "_time", "host", "source", "sourcetype", "index"})


def _plan_names(plan: dict[str, Any]) -> frozenset[str]:
    """The field names a :func:`field_plan` trie holds."""
    names: set[str] = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        for key, child in node.items():
            if key == "":
                names.add(child)
            else:
                stack.append(child)
    return frozenset(names)


def _plan_names_cached(plan: dict[str, Any]) -> frozenset[str]:
    names: frozenset[str] = _per_plan(_NAMES, plan, _plan_names)
    return names


# ----------------------------------------------------------------------------- key=value
_KV = re.compile(r"(?<![\w.])([A-Za-z_][\w.:-]*)=(?:\"([^\"]*)\"|'([^']*)'|([^\s,;\"']*))")
_LEADING_TS = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
)


def kv_fields(raw: str) -> tuple[dict[str, Any], float | None]:
    out: dict[str, Any] = {}
    for m in _KV.finditer(raw):
        val = (
            m.group(2)
            if m.group(2) is not None
            else m.group(3)
            if m.group(3) is not None
            else m.group(4)
        )
        if m.group(1) not in out:
            out[m.group(1)] = val
    t = None
    ts = _LEADING_TS.match(raw)
    if ts:
        t = parse_time(ts.group(1).replace(" ", "T", 1))
    return out, t


# ----------------------------------------------------------------------------- format
def detect_format(sourcetype: str, sample: str) -> str:
    st = sourcetype.lower()
    if "xml" in st:
        return "xml"
    if "json" in st:
        return "json"
    s = sample.lstrip()
    if s.startswith("{"):
        return "json"
    if s.startswith("<Event") or s.startswith("<?xml"):
        return "xml"
    return "text"


def make_event(
    raw: str,
    fmt: str,
    meta: dict[str, str],
    default_time: float,
    plan: dict[str, Any] | None = None,
    memo: dict[str, str] | None = None,
    data: bytes | None = None,
) -> Event:
    """One event from its raw text; ``plan``: extract only these fields (JSON, see
    :func:`field_plan`); ``memo``: shared by the events of a scan (see :func:`_extract`);
    ``data``: the raw text as read, when the caller has it (saves encoding it again)."""
    fields: dict[str, Any]
    t: float | None
    if fmt == "json":
        parsed = json_fields(raw, plan, memo, data)
        if parsed is None:
            fields, t = kv_fields(raw)
        else:
            fields, t = parsed
    elif fmt == "xml":
        fields, t = xml_fields(raw, None if plan is None else _plan_names_cached(plan))
    else:
        fields, t = kv_fields(raw)
    event: Event = fields
    event["_raw"] = raw
    event["_time"] = t if t is not None else default_time
    event.update(meta)
    return event


# ----------------------------------------------------------------------------- scanning
#: a driver plan: (fragments searched with ``find``, single required fragments, groups of alternatives)
_Plan = tuple[tuple[bytes, ...], list[bytes], list[tuple[bytes, ...]]]


#: bytes of the first chunk of a range used to estimate the cost of each group as the driver
PLAN_SAMPLE = 1 << 20


def _make_plan(
    groups: Sequence[tuple[bytes, ...]], sample: bytes | bytearray | None = None
) -> _Plan:
    """Pick the group whose fragments are searched for (the "driver"); the other groups are
    checked only on the lines around its hits.

    With a lower-cased ``sample`` of the data the group with the cheapest estimated scan wins
    (hits cost a Python-level check each, short fragments scan slower); else the group with the
    longest shortest fragment."""
    best = 0
    if sample is not None and len(groups) > 1:
        n = len(sample)
        best_cost = None
        for i, g in enumerate(groups):
            cost = sum(sample.count(f) * 1000 + n * (0.3 + 1.5 / len(f)) for f in g)
            if best_cost is None or cost < best_cost:
                best, best_cost = i, cost
    else:
        best_len = -1
        for i, g in enumerate(groups):
            ln = min(len(f) for f in g)
            if ln > best_len:
                best, best_len = i, ln
    others = [g for i, g in enumerate(groups) if i != best]
    return groups[best], [g[0] for g in others if len(g) == 1], [g for g in others if len(g) > 1]


def candidate_lines(
    block: bytes, groups: Sequence[tuple[bytes, ...]], start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """Lines of ``block[start:end]`` containing (ASCII case-insensitively) one fragment of every
    group; ``end`` must be at a line boundary."""
    stop = len(block) if end is None else end
    if not groups:
        if start == 0 and stop == len(block):
            yield from block.splitlines()
        else:
            yield from block[start:stop].splitlines()
        return
    for line_start, line_end in _spans(block.lower(), _make_plan(groups), start, stop):
        yield block[line_start:line_end]


def _holds(
    find: Callable[[bytes, int, int], int],
    start: int,
    end: int,
    singles: Sequence[bytes],
    multis: Sequence[tuple[bytes, ...]],
) -> bool:
    """Whether the bytes ``[start, end)`` that ``find`` searches hold every one of ``singles``
    and one fragment of each group of ``multis``."""
    for f in singles:
        if find(f, start, end) < 0:
            return False
    return all(any(find(f, start, end) >= 0 for f in g) for g in multis)


def _spans(low: bytes | bytearray, plan: _Plan, start: int, stop: int) -> list[tuple[int, int]]:
    """(start, end) of the lines of lower-cased ``low[start:stop]`` that match ``plan``: the
    driver fragments are searched for, line boundaries are found only around their hits."""
    driver, singles, multis = plan
    find = low.find
    rfind = low.rfind
    spans: list[tuple[int, int]] = []
    for frag in driver:
        i = find(frag, start, stop)
        while i >= 0:
            line_start = rfind(b"\n", start, i) + 1 or start
            line_end = find(b"\n", i, stop)
            if line_end < 0:
                line_end = stop
            i = find(frag, line_end, stop)
            if _holds(find, line_start, line_end, singles, multis):
                spans.append((line_start, line_end))
    if len(driver) > 1:
        spans = sorted(set(spans))
    return spans


#: files at least this large are scanned by several processes (when the platform can fork)
PARALLEL_MIN_BYTES = 96 * 1024 * 1024
MAX_WORKERS = 8
#: parse candidate events in the worker processes (else in the calling process)
PARSE_IN_WORKERS = True

#: a test an event must pass before it is made in full: (field plan of the fields it reads,
#: predicate over an event with just those fields); see :func:`scan_dataset`
Early = tuple[dict[str, Any], Callable[[Event], bool], Callable[[Event], None] | None]
#: the same as given to :func:`scan_dataset`: (field names, predicate, enrichment)
EarlyTest = tuple[Iterable[str], Callable[[Event], bool], Callable[[Event], None] | None]
#: (format, metadata, default time, field plan, search-time enrichment of each event, early test)
_ParseSpec = tuple[
    str,
    dict[str, str],
    float,
    dict[str, Any] | None,
    Callable[[Event], None] | None,
    Early | None,
]
#: reduces the events of one part of a dataset (in file order) to a picklable result
Reducer = Callable[[list[Event]], Any]


def scan_file_lines(
    path: str | Path,
    groups: Sequence[tuple[str, ...]],
    stats: ScanStats | None = None,
    parse: _ParseSpec | None = None,
    workers: int | None = None,
    reduce: Reducer | None = None,
) -> Iterator[Any]:
    """Decoded candidate lines of a line-oriented file (see :func:`candidate_lines`).

    The file is read in binary chunks into a reused buffer; each chunk is lower-cased once and
    searched with ``bytes.find`` for the fragments of the cheapest group; only lines around hits
    are examined further (lines are counted, when ``stats`` asks for it, in the same pass).
    Large files are split at line boundaries: the calling process scans the first range while
    forked processes scan the others.
    With ``parse`` = (format, metadata, default time, field plan) events are yielded instead of
    lines (those of the forked processes' ranges parsed there when :data:`PARSE_IN_WORKERS`).
    With ``parse`` and ``reduce``, ``reduce(events of a range)`` is yielded for each range, in
    order, each computed by the process scanning the range (``stats.events_parsed`` counts
    the events).
    """
    if reduce is not None and parse is None:
        raise ValueError("reduce needs parse")
    bgroups = [tuple(f.lower().encode() for f in g) for g in groups]
    count = stats is not None and stats.count_events
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise SplError(f"cannot read dataset {path}: {exc.strerror}") from None
    if workers is None:
        workers = _workers_for(size) if bgroups else 1
    if workers > 1 and not hasattr(os, "fork"):
        workers = 1
    bounds = _line_bounds(str(path), size, workers) if workers > 1 else [0, size]
    children: list[_Child] = []
    try:
        for i in range(1, len(bounds) - 1):
            children.append(
                _fork_scan(str(path), bgroups, bounds[i], bounds[i + 1], count, parse, reduce)
            )
        counters = [0, 0]
        try:
            lines = _iter_range(str(path), bgroups, bounds[0], bounds[1], count, counters)
            if reduce is not None and parse is not None:
                events = list(_parse_lines(lines, parse))
                if stats is not None:
                    stats.events_parsed += len(events)
                yield reduce(events)
            else:
                yield from _decode(lines) if parse is None else _parse_lines(lines, parse)
        finally:
            if stats is not None:
                stats.events_scanned += counters[0]
                stats.bytes_read += counters[1]
        for child in children:
            items, parsed, scanned, nbytes = child.collect()
            if stats is not None:
                stats.events_scanned += scanned
                stats.bytes_read += nbytes
            if reduce is not None:
                reduced, n = items
                if stats is not None:
                    stats.events_parsed += n
                yield reduced
            elif parse is not None and not parsed:
                yield from _parse_lines(items, parse)
            else:
                yield from items
    finally:
        for child in children:  # reaped last: a child's exit overlaps the use of its result
            child.close()


def _workers_for(size: int) -> int:
    if size < PARALLEL_MIN_BYTES or not hasattr(os, "fork"):
        return 1
    cpus = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    return max(1, min(cpus, MAX_WORKERS, size // (32 * 1024 * 1024)))


def _line_bounds(path: str, size: int, parts: int) -> list[int]:
    """``parts + 1`` offsets, each (but the ends) just after a newline."""
    bounds = [0]
    with open(path, "rb") as fh:
        for i in range(1, parts):
            target = max(size * i // parts, bounds[-1])
            fh.seek(target)
            pos = target
            while True:
                block = fh.read(1 << 16)
                if not block:
                    pos = size
                    break
                nl = block.find(b"\n")
                if nl >= 0:
                    pos += nl + 1
                    break
                pos += len(block)
            bounds.append(pos)
    bounds.append(size)
    return bounds


def _parse_lines(lines: Iterable[bytes | str], parse: _ParseSpec) -> Iterator[Event]:
    """Events of lines, as read (bytes: decoded here, blank ones skipped) or decoded."""
    fmt, meta, default_time, plan, enrich, early = parse
    memo: dict[str, str] = {}
    early_plan, early_ok, early_enrich = early if early is not None else (None, None, None)
    for item in lines:
        data: bytes | None = None
        if type(item) is bytes:
            data = item
            text = _line_text(item)
            if text is None:
                continue
            line = text
        else:
            line = item  # type: ignore[assignment]
        if len(memo) > 100_000:  # mostly distinct values: not worth it
            memo.clear()
        if early_ok is not None:
            light = make_event(line, fmt, meta, default_time, early_plan, memo)
            if early_enrich is not None:
                early_enrich(light)
            if not early_ok(light):
                continue
        event = make_event(line, fmt, meta, default_time, plan, memo, data)
        if enrich is not None:
            enrich(event)
        yield event


class _Child:
    """A process scanning one range: it writes its result to an anonymous file, then one byte
    to a pipe (so the result can be used before the process has finished exiting)."""

    def __init__(self, pid: int, result_fd: int, done_fd: int) -> None:
        self.pid = pid
        self.result_fd = result_fd
        self.done_fd = done_fd
        self.collected = False

    def collect(self) -> tuple[Any, bool, int, int]:
        """(items, parsed?, lines scanned, bytes read) of the range; waits for them."""
        import pickle

        done = os.read(self.done_fd, 1)  # b"" when the process died without a result
        self.collected = True
        with open(self.result_fd, "rb", closefd=False) as fh:
            fh.seek(0)  # the offset is shared with the writer
            data = fh.read() if done else b""
        try:
            result = pickle.loads(data)
        except Exception:
            raise SplError("a dataset scanning process failed") from None
        if result[0] != "ok":
            raise SplError(str(result[1]), *result[2:])
        _, items, parsed, scanned, nbytes = result
        return items, parsed, scanned, nbytes

    def close(self) -> None:
        """Stop the process (unless its result was collected), reap it, close the files."""
        import signal

        if not self.collected:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        for fd in (self.result_fd, self.done_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _fork_scan(
    path: str,
    bgroups: list[tuple[bytes, ...]],
    start: int,
    end: int,
    count: bool,
    parse: _ParseSpec | None,
    reduce: Reducer | None = None,
) -> _Child:
    """Scan ``[start, end)`` in a forked process.

    The result goes to an in-memory file rather than a pipe: the child never waits for the
    parent (busy scanning its own range) to read it, and the parent reads it in one go."""
    import pickle

    result_fd = _result_file()
    done_read, done_write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for fd in (result_fd, done_read, done_write):
            os.close(fd)
        raise
    if pid == 0:  # pragma: no cover - the child (coverage does not follow forks)
        status = 1
        try:
            import gc

            gc.disable()  # short-lived; collections would also touch (copy) the parent's pages
            os.close(done_read)
            try:
                result: tuple[Any, ...] = (
                    "ok",
                    *_scan_range(path, bgroups, start, end, count, parse, reduce),
                )
            except SplError as exc:
                result = ("error", exc.message, exc.position, exc.text)
            except BaseException as exc:
                result = ("error", f"cannot scan dataset {path}: {type(exc).__name__}: {exc}")
            with open(result_fd, "wb", closefd=True) as out:
                pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.write(done_write, b"1")
            status = 0
        finally:
            os._exit(status)
    os.close(done_write)
    return _Child(pid, result_fd, done_read)


def _result_file() -> int:
    """A file descriptor of a new anonymous file (in memory where the platform allows)."""
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.memfd_create("contentkit-scan", os.MFD_CLOEXEC)
    import tempfile

    with tempfile.TemporaryFile() as tmp:
        return os.dup(tmp.fileno())


def _scan_range(
    path: str,
    bgroups: list[tuple[bytes, ...]],
    start: int,
    end: int,
    count: bool,
    parse: _ParseSpec | None,
    reduce: Reducer | None = None,
) -> tuple[Any, bool, int, int]:
    counters = [0, 0]
    lines = _iter_range(path, bgroups, start, end, count, counters)
    if reduce is not None and parse is not None:
        events = list(_parse_lines(lines, parse))
        return (reduce(events), len(events)), True, counters[0], counters[1]
    in_worker = parse is not None and PARSE_IN_WORKERS
    items = list(_parse_lines(lines, parse) if in_worker and parse is not None else _decode(lines))
    return items, in_worker, counters[0], counters[1]


#: average line length from which lines are counted by finding each newline (``memchr``) rather
#: than with ``bytes.count`` (which looks at every byte)
LONG_LINE = 600


def _count_long_lines(buf: bytearray | mmap.mmap, end: int, start: int = 0) -> int:
    """The number of newlines in ``buf[start:end]``; fast when lines are long."""
    find = buf.find
    n = 0
    i = find(b"\n", start, end)
    while i >= 0:
        n += 1
        i = find(b"\n", i + 1, end)
    return n


def _count_lines(
    buf: bytearray | mmap.mmap, start: int, end: int, long_lines: bool
) -> tuple[int, bool]:
    """(newlines in ``buf[start:end]``, whether the next piece's lines are counted as long):
    by finding each newline when the lines so far were long, else by ``count`` (which looks at
    every byte; an mmap has no ``count``, so its piece is copied first)."""
    if long_lines:
        lines = _count_long_lines(buf, end, start)
    elif isinstance(buf, bytearray):
        lines = buf.count(b"\n", start, end)
    else:
        lines = buf[start:end].count(b"\n")
    return lines, end - start >= LONG_LINE * lines


def _iter_range(
    path: str,
    bgroups: Sequence[tuple[bytes, ...]],
    start: int,
    end: int,
    count: bool,
    counters: list[int],
) -> Iterator[bytes]:
    """Candidate lines among the lines of ``path`` in ``[start, end)`` (``start`` at a line start);
    ``counters`` receives [lines scanned (when ``count``), bytes read].

    With Hyperscan (see :mod:`contentkit.spl.literals`) the range is mapped into memory and
    searched in place; else it is read in chunks (:func:`_iter_chunks`)."""
    if (
        bgroups
        and MAPPED_SCAN
        and literals.hyperscan() is not None
        and not any(not f or b"\n" in f for g in bgroups for f in g)
    ):
        return _iter_mapped(path, bgroups, start, end, count, counters)
    return _iter_chunks(path, bgroups, start, end, count, counters)


#: scan line-oriented files mapped into memory with Hyperscan, when it is installed
MAPPED_SCAN = True
#: bytes of a mapped range searched at a time (the lines around their hits are kept meanwhile)
SEGMENT_SIZE = 32 * 1024 * 1024


@lru_cache(maxsize=64)
def _line_finder(driver: tuple[bytes, ...]) -> literals.LineFinder:
    return literals.LineFinder(driver)


def _iter_mapped(
    path: str,
    bgroups: Sequence[tuple[bytes, ...]],
    start: int,
    end: int,
    count: bool,
    counters: list[int],
) -> Iterator[bytes]:
    """:func:`_iter_range` over the file mapped into memory: Hyperscan reports the lines holding
    a driver fragment (ASCII case-insensitively; no lower-cased copy of the data is made), and
    the other groups are checked on those lines, as in :func:`_spans`."""
    if end <= start:
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise SplError(f"cannot read dataset {path}: {exc.strerror}") from None
    offset = start - start % mmap.ALLOCATIONGRANULARITY
    try:
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        m = mmap.mmap(fh.fileno(), end - offset, flags=flags, prot=mmap.PROT_READ, offset=offset)
    except (OSError, ValueError):  # a file that cannot be mapped (a pipe, a special file system)
        fh.close()
        yield from _iter_chunks(path, bgroups, start, end, count, counters)
        return
    fh.close()
    view = memoryview(m)
    try:
        first, stop = start - offset, end - offset
        sample = m[first : first + PLAN_SAMPLE].lower() if len(bgroups) > 1 else None
        driver, singles, multis = _make_plan(bgroups, sample)
        try:
            finder = _line_finder(driver)
        except ValueError:  # fragments Hyperscan cannot take: read the range in chunks
            yield from _iter_chunks(path, bgroups, start, end, count, counters)
            return
        counters[1] += stop - first
        rfind, find = m.rfind, m.find
        a = first
        long_lines = False
        while a < stop:
            b = rfind(b"\n", a, min(a + SEGMENT_SIZE, stop)) + 1
            if b <= a:  # a line longer than a segment (or the last line): up to its end
                b = m.find(b"\n", a + SEGMENT_SIZE, stop) + 1 or stop
            if count:
                lines, long_lines = _count_lines(m, a, b, long_lines)
                counters[0] += lines
            spans: list[tuple[int, int]] = []

            def on_line(to: int, a: int = a, spans: list[tuple[int, int]] = spans) -> None:
                line_end = a + to - 1
                line_start = rfind(b"\n", a, line_end) + 1 or a
                # the fragments are lower-case: most lines hold them as they are, found in
                # place; only a line that does not is lower-cased (copied) to be sure
                if (singles or multis) and not _holds(find, line_start, line_end, singles, multis):
                    low = m[line_start:line_end].lower()
                    if not _holds(low.find, 0, len(low), singles, multis):
                        return
                spans.append((line_start, line_end))

            with view[a:b] as segment:
                finder.scan(segment, on_line)
            for line_start, line_end in spans:
                yield m[line_start:line_end]
            if b == stop and m[b - 1 : b] != b"\n":  # the last line has no newline
                if count:
                    counters[0] += 1
                yield from candidate_lines(m[rfind(b"\n", a, b) + 1 or a : b], bgroups)
            a = b
    finally:
        view.release()
        m.close()


def _iter_chunks(
    path: str,
    bgroups: Sequence[tuple[bytes, ...]],
    start: int,
    end: int,
    count: bool,
    counters: list[int],
) -> Iterator[bytes]:
    """:func:`_iter_range` by reading chunks.

    Chunks are read into one reused buffer; the unfinished line at its end is moved to its start
    before the next read (the buffer grows for lines longer than itself)."""
    try:
        fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in finally (generator)
    except OSError as exc:
        raise SplError(f"cannot read dataset {path}: {exc.strerror}") from None
    try:
        fh.seek(start)
        pos = start
        buf = bytearray(max(CHUNK_SIZE, 16))
        carry = 0  # bytes of the unfinished line at the start of buf
        plan: _Plan | None = None
        long_lines = False
        while True:
            want = min(len(buf) - carry, end - pos)
            n = fh.readinto(memoryview(buf)[carry : carry + want]) if want > 0 else 0
            if not n:
                if carry:  # the last line has no newline
                    if count:
                        counters[0] += 1
                    yield from candidate_lines(bytes(buf[:carry]), bgroups)
                break
            pos += n
            counters[1] += n
            filled = carry + n
            cut = buf.rfind(b"\n", carry, filled) + 1
            if cut == 0:  # no line ends in the buffer yet
                carry = filled
                if carry == len(buf):
                    buf.extend(bytes(len(buf)))
                continue
            if count:  # in the same pass, with the method that suits this file's lines
                lines, long_lines = _count_lines(buf, 0, cut, long_lines)
                counters[0] += lines
            if bgroups:
                low = buf.lower()
                if plan is None:
                    sample = low[: min(cut, PLAN_SAMPLE)] if len(bgroups) > 1 else None
                    plan = _make_plan(bgroups, sample)
                for line_start, line_end in _spans(low, plan, 0, cut):
                    yield bytes(buf[line_start:line_end])
            else:
                yield from bytes(buf[:cut]).splitlines()
            carry = filled - cut
            if carry:
                buf[:carry] = buf[cut:filled]
    finally:
        fh.close()


def _line_text(line: bytes) -> str | None:
    """A line as read, decoded (``None`` when it is blank)."""
    text = line.decode("utf-8", "replace").rstrip("\r")
    return text if text and not text.isspace() else None


def _decode(lines: Iterable[bytes]) -> Iterator[str]:
    for line in lines:
        text = _line_text(line)
        if text is not None:
            yield text


_XML_SPLIT = re.compile(r"(?=<Event[\s>])")


def split_xml_events(text: str) -> list[str]:
    parts = [p.strip() for p in _XML_SPLIT.split(text)]
    return [p for p in parts if p.startswith("<Event")]


def _raw_ok(raw: str, groups: Sequence[tuple[str, ...]]) -> bool:
    if not groups:
        return True
    low = raw.lower()
    return all(any(f in low for f in g) for g in groups)


def scan_dataset(
    ds: Dataset,
    groups: Sequence[tuple[str, ...]] = (),
    *,
    now: float | None = None,
    stats: ScanStats | None = None,
    fields: Iterable[str] | None = None,
    workers: int | None = None,
    enrich: Callable[[Event], None] | None = None,
    early: EarlyTest | None = None,
) -> Iterator[Event]:
    """Events of a dataset; with ``groups`` only raw events containing the fragments are parsed;
    with ``fields`` only those fields are extracted from JSON events (plus the default fields);
    ``workers``: processes scanning a line-oriented file (default: by file size and CPUs);
    ``enrich``: search-time knowledge applied to each event once made (see ``spl.knowledge``);
    ``early``: (fields, predicate) a Windows XML event must pass, tried on an event with just
    those fields, before it is made in full (a test the search applies anyway: only faster)."""
    default_time = time.time() if now is None else now
    # default fields come from the dataset, never from the event's JSON
    plan = None if fields is None else field_plan(f for f in fields if f not in DEFAULT_FIELDS)
    meta = ds.meta
    path = Path(ds.path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError as exc:
        raise SplError(f"cannot read dataset {path}: {exc.strerror}") from None
    fmt = detect_format(ds.sourcetype, head)
    early_spec = _early_spec(early, fmt)
    if stats is not None:
        stats.files += 1
    if fmt == "xml" and not _one_event_per_line(head):
        text = path.read_text("utf-8", "replace")
        if stats is not None:
            stats.bytes_read += len(text)
        for raw in split_xml_events(text):
            if stats is not None:
                stats.events_scanned += 1
            if _raw_ok(raw, groups):
                if early_spec is not None:
                    light = make_event(raw, fmt, meta, default_time, early_spec[0])
                    if early_spec[2] is not None:
                        early_spec[2](light)
                    if not early_spec[1](light):
                        continue
                if stats is not None:
                    stats.events_parsed += 1
                event = make_event(raw, fmt, meta, default_time, plan)
                if enrich is not None:
                    enrich(event)
                yield event
        return
    spec = (fmt, meta, default_time, plan, enrich, early_spec)
    for event in scan_file_lines(path, groups, stats, spec, workers):
        if stats is not None:
            stats.events_parsed += 1
        yield event


def reduce_dataset(
    ds: Dataset,
    reduce: Reducer,
    groups: Sequence[tuple[str, ...]] = (),
    *,
    now: float | None = None,
    stats: ScanStats | None = None,
    fields: Iterable[str] | None = None,
    workers: int | None = None,
    enrich: Callable[[Event], None] | None = None,
    early: EarlyTest | None = None,
) -> list[Any]:
    """``reduce`` applied to the events of each part of a dataset (parts in file order, events
    as :func:`scan_dataset` yields them): a process scanning a range of a large file reduces
    its events itself, so that only the (smaller) result is shipped to the caller."""
    default_time = time.time() if now is None else now
    plan = None if fields is None else field_plan(f for f in fields if f not in DEFAULT_FIELDS)
    path = Path(ds.path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError as exc:
        raise SplError(f"cannot read dataset {path}: {exc.strerror}") from None
    fmt = detect_format(ds.sourcetype, head)
    if fmt == "xml" and not _one_event_per_line(head):  # one part
        events = list(
            scan_dataset(
                ds, groups, now=now, stats=stats, fields=fields, enrich=enrich, early=early
            )
        )
        return [reduce(events)]
    if stats is not None:
        stats.files += 1
    spec = (fmt, ds.meta, default_time, plan, enrich, _early_spec(early, fmt))
    return list(scan_file_lines(path, groups, stats, spec, workers, reduce))


def _early_spec(early: EarlyTest | None, fmt: str) -> Early | None:
    """The early test of a scan: for Windows XML only, where reading a few fields of an event
    costs much less than reading all of them (JSON is parsed whole either way)."""
    if early is None or fmt != "xml":
        return None
    names, predicate, enrich = early
    wanted = [n for n in names if n not in DEFAULT_FIELDS]
    if "_time" not in names:
        wanted.append(_NO_TIME)  # the test does not read the time: do not parse it
    return field_plan(wanted), predicate, enrich


def _one_event_per_line(head: str) -> bool:
    lines = [ln for ln in head.splitlines()[:3] if ln.strip()]
    return len(lines) >= 2 and all(ln.lstrip().startswith("<Event") for ln in lines[:2])


def read_events(
    path_or_lines: str | Path | Iterable[str],
    *,
    sourcetype: str = "",
    source: str = "",
    host: str = "contentkit",
    index: str = "main",
    now: float | None = None,
) -> Iterator[Event]:
    """Events with extracted fields from a file path or from raw lines/strings."""
    if isinstance(path_or_lines, str | Path):
        yield from scan_dataset(
            Dataset(path_or_lines, sourcetype, source or str(path_or_lines), host, index), now=now
        )
        return
    default_time = time.time() if now is None else now
    meta = {"source": source, "sourcetype": sourcetype, "host": host, "index": index}
    fmt: str | None = None
    for raw in path_or_lines:
        if not raw.strip():
            continue
        if fmt is None:
            fmt = detect_format(sourcetype, raw)
        if fmt == "xml" and raw.count("<Event") > 1:
            for part in split_xml_events(raw):
                yield make_event(part, fmt, meta, default_time)
            continue
        yield make_event(raw.rstrip("\r\n"), fmt, meta, default_time)
