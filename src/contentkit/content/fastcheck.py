"""A compiled yes/no check for the subset of JSON Schema that contentkit's schemas use.

jsonschema explains errors well but costs about a millisecond per document; thousands of valid
documents need only a yes. This module turns a schema into nested closures that answer
"valid?" in microseconds. It is conservative by construction: any keyword it does not know makes
compilation fail, and callers then fall back to jsonschema for everything. A document it calls
invalid is always re-checked by jsonschema, which produces the messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_IGNORED = {"$schema", "$id", "$defs", "title", "description", "default", "examples", "$comment"}


class Unsupported(Exception):
    """The schema uses a keyword this checker does not implement."""


def _is_type(name: str) -> Check:
    if name == "string":
        return lambda v: isinstance(v, str)
    if name == "integer":
        return lambda v: (type(v) is int) or (type(v) is float and v.is_integer())
    if name == "number":
        return lambda v: type(v) in (int, float)
    if name == "boolean":
        return lambda v: type(v) is bool
    if name == "object":
        return lambda v: isinstance(v, dict)
    if name == "array":
        return lambda v: isinstance(v, list)
    if name == "null":
        return lambda v: v is None
    raise Unsupported(f"type {name}")


def _enum_key(value: Any) -> Any:
    # JSON Schema equality: 1 == 1.0 but True != 1
    return (type(value) is bool, value) if not isinstance(value, (dict, list)) else repr(value)


def compile_schema(root: dict[str, Any]) -> Check:
    """Compile `root` (with local `#/$defs/...` references) into a boolean check."""
    cache: dict[str, Check] = {}

    def ref(pointer: str) -> Check:
        if pointer in cache:
            return cache[pointer]
        if not pointer.startswith("#/$defs/"):
            raise Unsupported(f"$ref {pointer}")
        name = pointer[len("#/$defs/") :]
        holder: list[Check] = []
        cache[pointer] = lambda v: holder[0](v)
        holder.append(build(root["$defs"][name]))
        return cache[pointer]

    def build(schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks: list[Check] = []
        handled: set[str] = set()
        if schema.get("type") == "object" and "properties" in schema:
            # the common shape, checked in one loop: type, properties, additionalProperties, required
            checks.append(object_check(schema))
            handled = {"type", "properties", "additionalProperties", "required"}
        for keyword, value in schema.items():
            if keyword in _IGNORED or keyword in handled:
                continue
            checks.append(keyword_check(keyword, value, schema))
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda v: first(v) and second(v)
        return lambda v: all(c(v) for c in checks)

    def object_check(schema: dict[str, Any]) -> Check:
        props = {k: build(s) for k, s in schema["properties"].items()}
        additional = schema.get("additionalProperties", True)
        extra: Check | None = None if additional is False else build(additional)
        required = tuple(schema.get("required", ()))

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return False
            for key in required:
                if key not in v:
                    return False
            for key, item in v.items():
                test = props.get(key)
                if test is None:
                    if extra is None or not extra(item):
                        return False
                elif not test(item):
                    return False
            return True

        return check

    def keyword_check(keyword: str, value: Any, schema: dict[str, Any]) -> Check:
        if keyword == "type":
            names = value if isinstance(value, list) else [value]
            tests = [_is_type(n) for n in names]
            if len(tests) == 1:
                return tests[0]
            return lambda v: any(t(v) for t in tests)
        if keyword == "properties":
            props = {k: build(s) for k, s in value.items()}
            return lambda v: (
                not isinstance(v, dict) or all(props[k](x) for k, x in v.items() if k in props)
            )
        if keyword == "additionalProperties":
            known = set(schema.get("properties", {}))
            if value is False:
                return lambda v: not isinstance(v, dict) or all(k in known for k in v)
            extra = build(value)
            return lambda v: (
                not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
            )
        if keyword == "required":
            needed = list(value)
            return lambda v: not isinstance(v, dict) or all(k in v for k in needed)
        if keyword == "enum":
            allowed = {_enum_key(x) for x in value}
            return lambda v: _enum_key(v) in allowed
        if keyword == "const":
            key = _enum_key(value)
            return lambda v: _enum_key(v) == key
        if keyword == "pattern":
            rx = re.compile(value)
            return lambda v: not isinstance(v, str) or rx.search(v) is not None
        if keyword == "minLength":
            return lambda v: not isinstance(v, str) or len(v) >= value
        if keyword == "maxLength":
            return lambda v: not isinstance(v, str) or len(v) <= value
        if keyword == "minItems":
            return lambda v: not isinstance(v, list) or len(v) >= value
        if keyword == "maxItems":
            return lambda v: not isinstance(v, list) or len(v) <= value
        if keyword == "items":
            item = build(value)

            def items(v: Any) -> bool:
                if isinstance(v, list):
                    for x in v:
                        if not item(x):
                            return False
                return True

            return items
        if keyword == "minimum":
            return lambda v: type(v) not in (int, float) or v >= value
        if keyword == "maximum":
            return lambda v: type(v) not in (int, float) or v <= value
        if keyword == "anyOf":
            subs = [build(s) for s in value]
            return lambda v: any(s(v) for s in subs)
        if keyword == "allOf":
            subs = [build(s) for s in value]
            return lambda v: all(s(v) for s in subs)
        if keyword == "oneOf":
            subs = [build(s) for s in value]
            return lambda v: sum(1 for s in subs if s(v)) == 1
        if keyword == "$ref":
            return ref(value)
        raise Unsupported(keyword)

    return build(root)
