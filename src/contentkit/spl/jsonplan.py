"""Fast extraction of the fields a search needs from a JSON event, with msgspec.

A search reads a handful of fields, while an event (a Kubernetes audit record with its request
object, a CloudTrail record) holds hundreds of values.  From the search's field plan (see
:func:`contentkit.spl.events.field_plan`) this module builds msgspec ``Struct`` types that name
only the keys on the plan's paths, so msgspec's decoder skips every other subtree in C instead of
building Python objects for it; the decoded structs are then read along the plan.

The result is the same as parsing the whole object and walking the plan
(:func:`contentkit.spl.events.json_fields` does that, and remains the path for anything this
one declines): values become strings the same way, arrays become multivalue fields, and keys that
themselves contain dots (``"objectRef.name": ...``) are resolved by the slow path, because
:func:`decode` declines every line in which such a key could occur (or any ``\\u`` escape, which
could spell one).  Input msgspec refuses (not an object, ``NaN``) also goes to the slow path.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import UNSET, Raw, UnsetType

from .literals import LiteralSet

#: a plan node: (field name of a scalar here, fields to read (attribute, node) when the value is
#: an object, node of array items, the struct type of objects here)
_Node = tuple[str | None, tuple[tuple[str, Any], ...], Any, type]


class _Empty(msgspec.Struct, gc=False):
    """An object none of whose keys is needed: decoded without looking inside."""


class _Plan:
    """The decoder and reader of one field plan (see :func:`compile_plan`)."""

    __slots__ = ("decode", "markers", "read")

    def __init__(
        self,
        decode: Callable[[bytes], Any],
        read: Callable[[Any, dict[str, Any], Callable[[str, str], str]], float | None],
        markers: LiteralSet,
    ) -> None:
        self.decode = decode
        self.read = read
        self.markers = markers


_SCALAR_TYPES = (str, int, float, bool, type(None))


def _union(*types: Any) -> Any:
    """The union of types made at run time (``a | b | ...``)."""
    return functools.reduce(operator.or_, types)


def _keys(node: dict[str, Any]) -> list[str]:
    return [k for k in node if k not in ("", "{}")]


def _value_type(node: dict[str, Any], counter: list[int]) -> tuple[Any, _Node]:
    """The msgspec type of a value at ``node`` and the node's reading plan."""
    keys = _keys(node)
    if keys:
        struct, fields = _struct(node, keys, counter)
    else:
        struct, fields = _Empty, ()
    item = node.get("{}")
    if item is not None:
        item_type, item_node = _value_type(item, counter)
        list_type: Any = list.__class_getitem__(item_type)
    else:
        list_type, item_node = list[Raw], None
    value_type = _union(struct, list_type, *_SCALAR_TYPES)
    return value_type, (node.get(""), fields, item_node, struct)


def _struct(
    node: dict[str, Any], keys: list[str], counter: list[int], extra: tuple[str, ...] = ()
) -> tuple[type, tuple[tuple[str, Any], ...]]:
    counter[0] += 1
    spec: list[tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    fields: list[tuple[str, Any]] = []
    for i, key in enumerate(keys):
        attr = f"f{i}"
        value_type, child = _value_type(node[key], counter)
        spec.append((attr, _union(value_type, UnsetType), UNSET))
        rename[attr] = key
        fields.append((attr, child))
    for j, key in enumerate(extra):
        attr = f"t{j}"
        time_type = _union(_Empty, list[Raw], *_SCALAR_TYPES, UnsetType)
        spec.append((attr, time_type, UNSET))
        rename[attr] = key
    struct = msgspec.defstruct(f"_S{counter[0]}", spec, rename=rename, gc=False)
    return struct, tuple(fields)


# The reader of a plan is generated Python code: one statement per plan step, with the struct
# types, field names and attribute names as constants, which runs about twice as fast as a
# loop interpreting the plan.  Only names under an array step ("a{}.b") can receive several
# values; every other name is assigned once.


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {
            "UNSET": UNSET,
            "_SC": _SCALAR_TYPES[1:],
            "_TS": _SCALAR_TYPES,
            "_scalar": scalar_text,
        }

    def const(self, value: Any) -> str:
        name = f"c{len(self.consts)}"
        self.consts[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def store(self, depth: int, name: str, expr: str, multi: bool) -> None:
        key = repr(name)
        if not multi:
            self.emit(depth, f"out[{key}] = {expr}")
            return
        self.emit(depth, f"x = {expr}")
        self.emit(depth, f"c = out.get({key})")
        self.emit(depth, "if c is None:")
        self.emit(depth + 1, f"out[{key}] = x")
        self.emit(depth, "elif c.__class__ is list:")
        self.emit(depth + 1, "c.append(x)")
        self.emit(depth, "else:")
        self.emit(depth + 1, f"out[{key}] = [c, x]")

    def value(self, node: _Node, var: str, depth: int, multi: bool) -> None:
        name, fields, item, struct = node
        t = f"t{depth}"
        self.emit(depth, f"{t} = {var}.__class__")
        keyword = "if"
        if name is not None:
            self.emit(depth, f"if {t} is str:")
            self.store(depth + 1, name, f"memo({var}, {var})", multi)
            self.emit(depth, f"elif {t} in _SC:")
            self.store(depth + 1, name, f"_scalar({var})", multi)
            keyword = "elif"
        if item is not None:
            self.emit(depth, f"{keyword} {t} is list:")
            loop_var = f"i{depth}"
            self.emit(depth + 1, f"for {loop_var} in {var}:")
            self.value(item, loop_var, depth + 2, True)
            keyword = "elif"
        if fields:
            self.emit(depth, f"{keyword} {t} is {self.const(struct)}:")
            self.fields(fields, var, depth + 1, multi)

    def fields(
        self, fields: tuple[tuple[str, Any], ...], var: str, depth: int, multi: bool
    ) -> None:
        for attr, child in fields:
            v = f"v{depth}"
            self.emit(depth, f"{v} = {var}.{attr}")
            self.emit(depth, f"if {v} is not UNSET:")
            self.value(child, v, depth + 1, multi)
        if not fields:
            self.emit(depth, "pass")


def _reader(
    fields: tuple[tuple[str, Any], ...],
    time_attrs: tuple[str, ...],
    parse_time: Callable[[Any], float | None],
) -> Any:
    """``read(struct, out, memo.setdefault)``: fills ``out`` with the plan's fields and returns
    the event's time (the first time key with a scalar value :func:`parse_time` reads)."""
    w = _Writer()
    w.emit(0, "def read(o, out, memo):")
    w.fields(fields, "o", 1, False)
    for attr in time_attrs:
        w.emit(1, f"v = o.{attr}")
        w.emit(1, "if v is not UNSET and v.__class__ in _TS:")
        w.emit(2, "t = parse_time(v)")
        w.emit(2, "if t is not None:")
        w.emit(3, "return t")
    w.emit(1, "return None")
    code = "\n".join(w.lines)
    namespace = dict(w.consts, parse_time=parse_time)
    exec(compile(code, "<contentkit json plan>", "exec"), namespace)
    return namespace["read"]


def _all_keys(node: dict[str, Any], out: set[str]) -> None:
    for key, child in node.items():
        if key != "":
            if key != "{}":
                out.add(key)
            _all_keys(child, out)


def compile_plan(
    plan: dict[str, Any],
    time_keys: tuple[str, ...],
    parse_time: Callable[[Any], float | None],
) -> _Plan | None:
    """The fast decoder of ``plan`` (``None`` when it cannot be used for this plan: a key that
    JSON would have to escape); an event's time is ``parse_time`` of the value of the first of
    ``time_keys`` it has with a scalar value that ``parse_time`` reads."""
    keys: set[str] = set()
    _all_keys(plan, keys)
    if any(ch in key for key in keys for ch in '"\\') or any(
        ord(ch) < 0x20 for key in keys for ch in key
    ):
        return None
    try:
        markers = LiteralSet([f'"{k}.'.encode() for k in sorted(keys)] + [b"\\u"])
    except ValueError:  # too many keys for Hyperscan: the full parse reads this plan
        return None
    top = _keys(plan)
    extra = tuple(k for k in time_keys if k not in top)
    counter = [0]
    struct, fields = _struct(plan, top, counter, extra)
    attr_of = {key: f"f{i}" for i, key in enumerate(top)}
    attr_of.update({key: f"t{j}" for j, key in enumerate(extra)})
    return _Plan(
        msgspec.json.Decoder(struct).decode,
        _reader(fields, tuple(attr_of[k] for k in time_keys), parse_time),
        markers,
    )


def decode(
    data: bytes, compiled: _Plan, memo: dict[str, str]
) -> tuple[dict[str, Any], float | None] | None:
    """(fields of the plan, the event's time if it has one) of the JSON object in the UTF-8
    bytes ``data``, or ``None`` when the slow path must decide (see the module's comment)."""
    if compiled.markers.search(data):
        return None
    try:
        obj = compiled.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    out: dict[str, Any] = {}
    return out, compiled.read(obj, out, memo.setdefault)


def scalar_text(v: Any) -> str:
    """A JSON scalar as Splunk's JSON extraction writes it (``true``, ``null``, ``1.5``)."""
    if type(v) is str:
        return v
    if type(v) is int:
        return str(v)  # as json.dumps() writes it
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    return json.dumps(v)
