"""Problems found in content: one record per error or warning, with a precise location."""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: `file:line:col: field.path: message`."""

    file: str
    line: int = 0
    column: int = 0
    field: str = ""
    message: str = ""
    severity: Severity = "error"
    code: str = dataclasses.field(default="", compare=False)

    def format(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        parts = [where, self.severity]
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + f": {self.message}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def field_path(path: Sequence[Any]) -> str:
    """Render a path like ('tags', 'analytic_story', 0) as `tags.analytic_story[0]`; a key that
    YAML read as something else than text (``null:``, ``true:``) is shown as YAML writes it."""
    out = ""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + key_text(step)
    return out


def key_text(key: Any) -> str:
    """A mapping key as YAML writes it (`null`, `true`, `1`, or the text itself)."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def did_you_mean(name: str, choices: Iterable[str], *, cutoff: float = 0.75) -> str:
    """A ` (did you mean 'x'?)` suffix for near-miss names, or an empty string."""
    pool = list(choices)
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return f" (did you mean '{lowered[name.lower()]}'?)"
    # Names of very different length are never close, and a typo rarely hits the first letter:
    # skipping those candidates keeps this cheap on pools of thousands of names.
    slack = max(3, len(name) // 3)
    first = name[:1].lower()
    pool = [c for c in pool if abs(len(c) - len(name)) <= slack and c[:1].lower() == first]
    close = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


def problems_to_json(problems: Sequence[Problem]) -> str:
    return json.dumps([p.as_dict() for p in problems], indent=2)
