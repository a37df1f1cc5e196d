"""JSON eval functions (Search Reference, "JSON functions"), ``spath()`` and ``tojson``-style
conversion of multivalue fields.

Paths use Splunk's JSON path syntax: ``a.b``, ``a{}`` (every element), ``a{0}`` (one element);
``json_*_exact`` functions take the key literally (dots included). JSON text is written compactly
(``{"a":1}``) as Splunk writes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .functions import function
from .values import add_value, as_list, normalize, to_number, to_str

_MISSING = object()
_STEP = re.compile(r"([^.{}]+)|\{(\d*)\}")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _load(v: Any) -> Any:
    if v is None:
        return _MISSING
    if not isinstance(v, str):
        return v
    try:
        return json.loads(v)
    except (ValueError, RecursionError):  # no JSON, or nested beyond what can be read
        return _MISSING


def _steps(path: str) -> list[tuple[str, str | None]]:
    """``a.b{1}.c{}`` -> [(key a), (key b), (index 1), (key c), (all)]."""
    out: list[tuple[str, str | None]] = []
    for m in _STEP.finditer(path):
        if m.group(1) is not None:
            out.append(("key", m.group(1)))
        else:
            out.append(("index", m.group(2) or None))
    return out


def get_path(obj: Any, path: str) -> list[Any]:
    """The values at ``path`` (several when it walks through ``{}``)."""
    current = [obj]
    for kind, arg in _steps(path):
        nxt: list[Any] = []
        for c in current:
            if kind == "key":  # an object member only: arrays need an explicit {} or {N}
                if isinstance(c, dict) and arg in c:
                    nxt.append(c[arg])
            elif isinstance(c, list):
                if arg is None:
                    nxt.extend(c)
                elif int(arg) < len(c):
                    nxt.append(c[int(arg)])
        current = nxt
    return current


def json_field(value: Any) -> Any:
    """A JSON value as an eval value: strings as is, other scalars and containers as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    return dumps(value)


def _native(value: Any) -> Any:
    """An eval value as a JSON value (numbers as numbers, JSON text of containers parsed)."""
    if isinstance(value, list):
        return [_native(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    s = to_str(value)
    if s[:1] in ("{", "["):
        try:
            return json.loads(s)
        except ValueError:
            return s
    n = to_number(s)
    return n if n is not None else s


@function("json_extract", 1, None)
def json_extract(v: Any, *paths: Any) -> Any:
    obj = _load(v)
    if obj is _MISSING:
        return None
    if not paths:  # the JSON as a native value: a string as is, null as null
        return None if obj is None else json_field(obj)
    out: list[Any] = []
    for p in paths:
        path = to_str(p)
        found = get_path(obj, path)
        if ("index", None) in _steps(path):  # {}: every element, always an array
            out.append(found if found else None)
        else:
            out.append(found[0] if len(found) == 1 else found if found else None)
    if len(out) == 1:
        return None if out[0] is None else json_field(out[0])
    return dumps(out)


@function("json_extract_exact", 1, None)
def json_extract_exact(v: Any, *keys: Any) -> Any:
    obj = _load(v)
    if not isinstance(obj, dict):
        return None
    vals = [obj.get(to_str(k)) for k in keys]
    if len(vals) == 1:
        return None if vals[0] is None else json_field(vals[0])
    return dumps(vals)


@function("spath", 2)
def spath(v: Any, path: Any) -> Any:
    """``spath(X, Y)``: the values at path Y of the JSON (or XML) in X (multivalue for ``{}``)."""
    if v is None or path is None:
        return None
    text = to_str(v).strip()
    if text.startswith("<"):
        return normalize(xml_path_values(text, to_str(path)))
    obj = _load(text)
    if obj is _MISSING:
        return None
    found = get_path(obj, to_str(path))
    return normalize([json_field(x) for x in found])


@function("json_object", 0, None)
def json_object(*kv: Any) -> Any:
    if len(kv) % 2:
        return None
    return dumps({to_str(k): _native(v) for k, v in zip(kv[0::2], kv[1::2], strict=True)})


@function("json_array", 0, None)
def json_array(*vs: Any) -> Any:
    return dumps([_native(v) for v in vs])


@function("json_valid", 1)
def json_valid(v: Any) -> Any:
    return v is not None and _load(to_str(v)) is not _MISSING


@function("json_keys", 1)
def json_keys(v: Any) -> Any:
    obj = _load(v)
    return dumps(list(obj)) if isinstance(obj, dict) else None


@function("json_has_key_exact", 2)
def json_has_key_exact(v: Any, key: Any) -> Any:
    obj = _load(v)
    return isinstance(obj, dict) and to_str(key) in obj


@function("json_array_to_mv", 1, 2)
def json_array_to_mv(v: Any, quotes: Any = False) -> Any:
    obj = _load(v)
    if not isinstance(obj, list):
        return None
    keep = to_str(quotes).lower() in ("true", "1", "t")
    return normalize([dumps(x) if keep or not isinstance(x, str) else x for x in obj])


@function("mv_to_json_array", 1, 2)
def mv_to_json_array(v: Any, infer: Any = False) -> Any:
    if v is None:
        return None
    typed = to_str(infer).lower() in ("true", "1", "t")
    return dumps([_native(x) if typed else to_str(x) for x in as_list(v)])


def _set_path(obj: Any, path: str, value: Any, *, exact: bool, mode: str) -> None:
    steps = [("key", path)] if exact else _steps(path)
    cur = obj
    for i, (kind, arg) in enumerate(steps):
        last = i == len(steps) - 1
        if kind == "key" and isinstance(cur, dict) and arg is not None:
            if last:
                if mode == "set":
                    cur[arg] = value
                elif mode == "append" and isinstance(cur.get(arg), list):
                    cur[arg].append(value)
                elif mode == "extend" and isinstance(cur.get(arg), list):
                    cur[arg].extend(value if isinstance(value, list) else [value])
                elif mode == "delete":
                    cur.pop(arg, None)
                return
            if arg not in cur and mode == "set":
                cur[arg] = {}
            cur = cur.get(arg)
        elif kind == "index" and isinstance(cur, list) and arg is not None and int(arg) < len(cur):
            if last:
                if mode == "set":
                    cur[int(arg)] = value
                elif mode == "delete":
                    del cur[int(arg)]
                return
            cur = cur[int(arg)]
        else:
            return


def _modify(v: Any, pairs: tuple[Any, ...], *, exact: bool, mode: str) -> Any:
    obj = _load(v)
    if obj is _MISSING or not isinstance(obj, dict | list):
        return None
    if mode == "delete":
        for p in pairs:
            _set_path(obj, to_str(p), None, exact=exact, mode=mode)
        return dumps(obj)
    if len(pairs) % 2:
        return None
    for path, value in zip(pairs[0::2], pairs[1::2], strict=True):
        _set_path(obj, to_str(path), _native(value), exact=exact, mode=mode)
    return dumps(obj)


@function("json_set", 3, None)
def json_set(v: Any, *pairs: Any) -> Any:
    return _modify(v, pairs, exact=False, mode="set")


@function("json_set_exact", 3, None)
def json_set_exact(v: Any, *pairs: Any) -> Any:
    return _modify(v, pairs, exact=True, mode="set")


@function("json_append", 3, None)
def json_append(v: Any, *pairs: Any) -> Any:
    return _modify(v, pairs, exact=False, mode="append")


@function("json_extend", 3, None)
def json_extend(v: Any, *pairs: Any) -> Any:
    return _modify(v, pairs, exact=False, mode="extend")


@function("json_delete", 2, None)
def json_delete(v: Any, *paths: Any) -> Any:
    return _modify(v, paths, exact=False, mode="delete")


@function("json_entries", 1)
def json_entries(v: Any) -> Any:
    obj = _load(v)
    if not isinstance(obj, dict):
        return None
    return dumps([{"key": k, "value": val} for k, val in obj.items()])


# XML, as spath reads it: an element is named by its tag without namespace (``<e:Rule
# xmlns:e="...">`` and ``<Rule xmlns="...">`` are both ``Rule``), fields are the tags from the
# root down joined by dots, and an attribute is ``{@name}`` after its element's path (namespace
# declarations, ``xmlns=...``, are not attributes here).  The standard library's expat parser
# resolves no external entity and bounds entity expansion.

_XML_STEP = re.compile(r"([^.{}]+)((?:\{[^}]*\})*)")


def _xml_root(text: str) -> Any:
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(text)
    except (ET.ParseError, ValueError):
        return None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def xml_path_values(text: str, path: str) -> list[str]:
    """Values at an spath path of an XML document: ``a.b.c`` (elements from the root, which
    is named first), ``{N}`` after a step for the N-th such element (counted from 1, as XPath
    does) and a final ``{@attr}`` for an attribute."""
    root = _xml_root(text)
    if root is None:
        return []
    attr = None
    m = re.search(r"\{@([^}]+)\}$", path)
    if m:
        attr, path = m.group(1), path[: m.start()]
    steps = _XML_STEP.findall(path)
    if not steps or "".join(n + i for n, i in steps).replace(".", "") != path.replace(".", ""):
        return []
    nodes = [root]
    for depth, (name, index) in enumerate(steps):
        if depth:
            nodes = [c for n in nodes for c in n if _local(c.tag) == name]
        elif _local(root.tag) != name:
            return []
        for k in re.findall(r"\{(\d*)\}", index):
            if k:  # {N}: the N-th of the elements found so far
                nodes = nodes[int(k) - 1 : int(k)] if int(k) > 0 else []
    if attr is not None:
        return [v for n in nodes for a, v in n.attrib.items() if _local(a) == attr or a == attr]
    return [n.text or "" for n in nodes if len(n) == 0]


def xml_fields(text: str) -> dict[str, Any] | None:
    """Every field of an XML document as spath extracts it without a path (``None`` when the
    text is no XML): each element's text under its path (elements with child elements: only
    text that is not blank), each attribute as ``path{@name}``; a path found several times
    is a multivalue field, in document order."""
    root = _xml_root(text)
    if root is None:
        return None
    out: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        path = f"{prefix}.{_local(node.tag)}" if prefix else _local(node.tag)
        for a, v in node.attrib.items():
            add_value(out, f"{path}{{@{_local(a)}}}", v)
        text = node.text or ""
        if len(node) == 0:
            if text:
                add_value(out, path, text)
        elif text.strip():
            add_value(out, path, text.strip())
        for child in node:
            if isinstance(child.tag, str):  # not a comment or processing instruction
                walk(child, path)

    try:
        walk(root, "")
    except RecursionError:  # nested beyond what can be read
        return None
    return out
