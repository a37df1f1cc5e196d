"""YAML reading: fast loading with libyaml, and source positions only when an error needs them.

Loading uses libyaml's C parser and builds objects straight from its events. Timestamps stay
strings (as written), because the JSON Schemas and the conf files want the text, not a
`datetime.date`. Positions are recovered on demand by composing the file again and walking the
node tree along a field path.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "yes": True, "Yes": True, "YES": True, "no": False, "No": False, "NO": False,
    "on": True, "On": True, "ON": True, "off": False, "Off": False, "OFF": False,
    ".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan,
}  # fmt: skip
_NOKEY = object()
#: nodes a document may hold once its aliases are expanded: real content has a few thousand; an
#: "alias bomb" (anchors that alias each other nine times over) has billions
MAX_EXPANDED_NODES = 100_000


@dataclass(frozen=True)
class YamlSyntaxError(Exception):
    """A file that is not valid YAML, with the 1-based position libyaml reported."""

    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


def _plain(value: str) -> Any:
    """Resolve an untagged plain scalar: null, booleans, decimal numbers; all else is text.

    Timestamps stay text on purpose: schemas and conf files want the date as written.
    """
    if value in _SPECIAL:
        return _SPECIAL[value]
    first = value[0]
    if first.isdigit() or first in "-+.":
        if _INT.fullmatch(value):
            return int(value.replace("_", ""))
        if _FLOAT.fullmatch(value):
            return float(value.replace("_", ""))
    return value


def _build(data: bytes | str, duplicates: list[str] | None) -> Any:
    """Build Python objects straight from libyaml's events (about twice as fast as the
    constructor classes, which matters for thousands of files)."""
    scalar, mapping_start, mapping_end = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.MappingEndEvent,
    )
    sequence_start, sequence_end, alias = (
        yaml.SequenceStartEvent,
        yaml.SequenceEndEvent,
        yaml.AliasEvent,
    )
    stack: list[Any] = []
    keys: list[Any] = []
    anchors: dict[str, Any] = {}
    sizes: dict[str, int] = {}  # anchor -> nodes it expands to (known once it is complete)
    # (anchor, node count at its start, the container) of the open anchored containers only:
    # bookkeeping for plain containers would slow every file down
    opened: list[tuple[str, int, Any]] = []
    total = 0  # nodes so far, aliases expanded
    root: Any = None
    documents = 0
    parser = _Loader(data)
    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            kind = type(event)
            if kind is scalar:
                total += 1
                obj = event.value
                if not event.style and event.implicit[0] and event.tag is None:
                    obj = _plain(obj)
                elif event.tag not in (None, "!", "tag:yaml.org,2002:str"):
                    obj = _tagged(event.tag, obj)
            elif kind is mapping_start or kind is sequence_start:
                total += 1
                obj = {} if kind is mapping_start else []
                if event.anchor:
                    anchors[event.anchor] = obj
                    opened.append((event.anchor, total, obj))
                if kind is mapping_start:
                    keys.append(_NOKEY)
                stack.append(obj)
                continue
            elif kind is mapping_end or kind is sequence_end:
                obj = stack.pop()
                if kind is mapping_end:
                    keys.pop()
                if opened and opened[-1][2] is obj:
                    anchor, started, _ = opened.pop()
                    sizes[anchor] = total - started + 1
            elif kind is alias:
                if event.anchor not in anchors:
                    mark = event.start_mark
                    raise YamlSyntaxError(
                        f"invalid YAML: unknown alias *{event.anchor}",
                        mark.line + 1,
                        mark.column + 1,
                    )
                if event.anchor not in sizes:
                    mark = event.start_mark
                    raise YamlSyntaxError(
                        f"invalid YAML: alias *{event.anchor} refers to a node that contains it",
                        mark.line + 1,
                        mark.column + 1,
                    )
                total += sizes[event.anchor]
                if total > MAX_EXPANDED_NODES:
                    mark = event.start_mark
                    raise YamlSyntaxError(
                        f"invalid YAML: aliases expand the file to more than "
                        f"{MAX_EXPANDED_NODES} values (an alias bomb?)",
                        mark.line + 1,
                        mark.column + 1,
                    )
                obj = anchors[event.anchor]
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    raise YamlSyntaxError(
                        "invalid YAML: more than one document in the file", mark.line + 1, 1
                    )
                continue
            else:
                continue
            if kind is scalar and event.anchor:
                anchors[event.anchor] = obj
                sizes[event.anchor] = 1
            if not stack:
                root = obj
                continue
            parent = stack[-1]
            if type(parent) is list:
                parent.append(obj)
            elif keys[-1] is _NOKEY:
                if isinstance(obj, (dict, list)):
                    mark = event.start_mark
                    raise YamlSyntaxError(
                        "invalid YAML: a mapping or list cannot be a key",
                        mark.line + 1,
                        mark.column + 1,
                    )
                keys[-1] = obj
            else:
                key = keys[-1]
                if duplicates is not None and key in parent:
                    duplicates.append(str(key))
                parent[key] = obj
                keys[-1] = _NOKEY
    finally:
        parser.dispose()
    return root


def _tagged(tag: str, value: str) -> Any:
    if tag == "tag:yaml.org,2002:int":
        return int(value)
    if tag == "tag:yaml.org,2002:float":
        return float(value)
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in {"true", "yes", "on"}
    if tag == "tag:yaml.org,2002:null":
        return None
    return value


def load_yaml(data: bytes | str, duplicates: list[str] | None = None) -> Any:
    """Parse one YAML document; raise YamlSyntaxError with a position on bad input.

    Keys that occur twice in one mapping are appended to `duplicates` when it is given (the last
    value wins, as in PyYAML).
    """
    try:
        return _build(data, duplicates)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        raise YamlSyntaxError(f"invalid YAML: {problem}{context}", line, column) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", 1, 1) from None
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(f"not UTF-8 text: {exc.reason}", 1, 1) from None


class SourceMap:
    """Positions of the nodes of one YAML document, looked up by field path."""

    def __init__(self, data: bytes | str) -> None:
        try:
            self._root: yaml.Node | None = yaml.compose(data, Loader=_Loader)
        except yaml.YAMLError:
            self._root = None

    def position(self, path: tuple[str | int, ...], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the node at `path`, or of its nearest existing ancestor.

        With `key=True` and a path ending in a mapping key, the key itself is located (used for
        "unknown field" errors).
        """
        node = self._root
        if node is None:
            return (1, 1)
        best = node
        for index, step in enumerate(path):
            last = index == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                found = None
                for k_node, v_node in node.value:
                    if k_node.value == step:
                        found = k_node if (key and last) else v_node
                        break
                if found is None:
                    break
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    break
                node = node.value[step]
            else:
                break
            best = node
        mark = best.start_mark
        return (mark.line + 1, mark.column + 1)

    def duplicate_keys(self) -> list[tuple[str, int, int]]:
        """(key, line, column) of every key that repeats an earlier key of its mapping."""
        out: list[tuple[str, int, int]] = []
        todo = [self._root] if self._root is not None else []
        while todo:
            node = todo.pop()
            if isinstance(node, yaml.MappingNode):
                seen: set[str] = set()
                for k_node, v_node in node.value:
                    if k_node.value in seen:
                        mark = k_node.start_mark
                        out.append((str(k_node.value), mark.line + 1, mark.column + 1))
                    seen.add(k_node.value)
                    todo.append(v_node)
            elif isinstance(node, yaml.SequenceNode):
                todo.extend(node.value)
        return sorted(out, key=lambda item: (item[1], item[2]))


def top_level_position(data: bytes, key: str, *, at_key: bool = False) -> tuple[int, int] | None:
    """(line, column) of a top-level key's value (or of the key) found without composing the
    document: only when the key starts exactly one line at column 1 and its value starts on
    that line. None when that cannot be told this way (then compose with SourceMap)."""
    needle = key.encode("utf-8") + b":"
    hits = []
    start = 0
    while True:
        at = data.find(needle, start)
        if at < 0:
            break
        if at == 0 or data[at - 1 : at] == b"\n":
            hits.append(at)
        start = at + 1
    if len(hits) != 1:
        return None
    at = hits[0]
    line = data.count(b"\n", 0, at) + 1
    if at_key:
        return (line, 1)
    end = data.find(b"\n", at)
    rest = data[at + len(needle) : end if end >= 0 else len(data)]
    if not rest.strip() or rest[:1] not in (b" ", b"\t") or rest.lstrip().startswith(b"#"):
        return None
    offset = len(rest) - len(rest.lstrip(b" \t"))
    # columns count characters, not bytes: the key and blanks are ASCII here
    return (line, len(needle) + offset + 1)
