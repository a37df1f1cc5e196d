"""The JSON Schemas shipped in the package, and schema validation with readable messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from contentkit.content.problems import did_you_mean, key_text

KINDS = (
    "detection",
    "baseline",
    "investigation",
    "story",
    "macro",
    "lookup",
    "data_source",
    "deployment",
    "dashboard",
    "removed",
    "contentctl",
)


def schema_text(kind: str) -> str:
    """The schema of `kind` as shipped (JSON text)."""
    return (resources.files("contentkit.content") / "schemas" / f"{kind}.schema.json").read_text(
        encoding="utf-8"
    )


@cache
def schema(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text(kind))
    return data


@cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(kind))


@cache
def _fast(kind: str) -> Any:
    from contentkit.content.fastcheck import Unsupported, compile_schema

    try:
        return compile_schema(schema(kind))
    except Unsupported:
        return None


@dataclass(frozen=True)
class SchemaFinding:
    """One schema violation: where (path into the document), what, and whether a key is meant."""

    path: tuple[str | int, ...]
    message: str
    at_key: bool = False


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
    }.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain(error: Any) -> Iterator[SchemaFinding]:
    path = tuple(error.absolute_path)
    validator = error.validator
    if validator in ("anyOf", "oneOf", "allOf") and error.context:
        # Report the most specific sub-error rather than "is not valid under any of the given schemas".
        if validator == "anyOf" and all(c.validator == "required" for c in error.context):
            needed = " or ".join(f"'{c.validator_value[0]}'" for c in error.context)
            yield SchemaFinding(path, f"missing required field: one of {needed}")
            return
        best = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
        yield from _explain(best)
        return
    if validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extras = [k for k in error.instance if k not in allowed]
        for key in extras:
            if not isinstance(key, str):  # `null:`, `1:`, `&a:` (an anchor with no key text)
                text = key_text(key)
                yield SchemaFinding(
                    (*path, text), f"a key must be a field name, not {text}", at_key=True
                )
                continue
            hint = did_you_mean(key, allowed)
            yield SchemaFinding((*path, key), f"unknown field '{key}'{hint}", at_key=True)
        return
    if validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            yield SchemaFinding(path, f"missing required field '{key}'")
        return
    if validator == "enum":
        choices = [str(c) for c in error.validator_value]
        hint = did_you_mean(str(error.instance), choices, cutoff=0.6)
        yield SchemaFinding(
            path, f"{_short(error.instance)} is not one of: {', '.join(choices)}{hint}"
        )
        return
    if validator == "const":
        yield SchemaFinding(path, f"must be {_short(error.validator_value)}")
        return
    if validator == "type":
        expected = error.validator_value
        names = " or ".join(expected) if isinstance(expected, list) else expected
        yield SchemaFinding(path, f"expected {names}, got {_type_name(error.instance)}")
        return
    if validator == "pattern":
        description = error.schema.get("description", "")
        what = f" ({description.rstrip('.')})" if description else ""
        yield SchemaFinding(path, f"{_short(error.instance)} has the wrong format{what}")
        return
    if validator == "minLength" and error.validator_value == 1:
        yield SchemaFinding(path, "must not be empty")
        return
    if validator == "minItems":
        yield SchemaFinding(path, f"needs at least {error.validator_value} item(s)")
        return
    yield SchemaFinding(path, error.message)


def check(kind: str, document: Any) -> list[SchemaFinding]:
    """Every violation of the `kind` schema in `document`, in document order."""
    fast = _fast(kind)
    if fast is not None and fast(document):
        return []
    validator = _validator(kind)
    findings: dict[SchemaFinding, None] = {}  # jsonschema reports a `required` list once per
    for error in validator.iter_errors(document):  # missing key: keep each finding once
        findings.update(dict.fromkeys(_explain(error)))
    return list(findings)
