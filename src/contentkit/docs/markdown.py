"""Jinja filters for the Markdown pages (GitHub-flavoured: tables, fenced code)."""

from __future__ import annotations

import re

_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")


def _longest_run(text: str) -> int:
    return max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)


def code(text: object) -> str:
    """Inline code that survives backticks inside (SPL macros are `name`)."""
    value = _SPACES.sub(" ", str(text)).strip()
    if not value:
        return ""
    fence = "`" * (_longest_run(value) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def fence(text: object, lang: str = "") -> str:
    """A fenced code block; the fence is longer than any run of backticks inside
    (SPL comments are ```...```)."""
    value = str(text).rstrip("\n")
    marks = "`" * max(3, _longest_run(value) + 1)
    return f"{marks}{lang}\n{value}\n{marks}"


def cell(text: object) -> str:
    """Text for a table cell: one line, pipes escaped."""
    value = _SPACES.sub(" ", str(text)).strip()
    return value.replace("|", "\\|")


def text(value: object) -> str:
    """Prose: HTML-looking text is escaped so that it shows as written."""
    return str(value).replace("<", "&lt;").strip()


def link_text(value: object) -> str:
    return cell(value).replace("[", "\\[").replace("]", "\\]")


FILTERS = {"mdcode": code, "mdfence": fence, "mdcell": cell, "mdtext": text, "mdlink": link_text}
