"""Jinja filters for the Markdown pages (GitHub-flavoured: tables, fenced code), and the
escaping every other value of a Markdown template gets (:func:`inline`, the environment's
`finalize`): content is shown as written, never as links, images, emphasis or HTML.

Filters return :class:`Md` (a plain `str` subclass, cheaper to make than markupsafe's `Markup`)
so that what they made is not escaped a second time.
"""

from __future__ import annotations

import re
from urllib.parse import quote


class Md(str):
    """Markdown made by a filter: written as it is."""

    __slots__ = ()


_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")
# HTML's and Markdown's punctuation that can start a construct: tags and entities, code,
# emphasis, links and images, strikethrough, headings. `_` is left alone: GFM does not
# emphasise inside words, and slugs in link targets stay readable.
_TABLE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*[]!~#"}}
)
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"


def _escape(value: str) -> str:
    return value.translate(_TABLE)


def inline(value: object) -> object:
    """The Markdown of a value written with no filter: text escaped, numbers as they are."""
    if isinstance(value, Md) or value is None or isinstance(value, bool | int | float):
        return value
    return str(value).translate(_TABLE)


def _longest_run(text: str) -> int:
    return max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)


def code(text: object) -> Md:
    """Inline code that survives backticks inside (SPL macros are `name`)."""
    value = _SPACES.sub(" ", str(text)).strip()
    if not value:
        return Md("")
    fence = "`" * (_longest_run(value) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return Md(f"{fence}{pad}{value}{pad}{fence}")


def fence(text: object, lang: str = "") -> Md:
    """A fenced code block; the fence is longer than any run of backticks inside
    (SPL comments are ```...```)."""
    value = str(text).rstrip("\n")
    marks = "`" * max(3, _longest_run(value) + 1)
    return Md(f"{marks}{lang}\n{value}\n{marks}")


def cell(text: object) -> Md:
    """Text for a table cell: one line, pipes escaped (text not made by another filter is
    escaped first)."""
    value = text if isinstance(text, Md) else _escape(str(text))
    value = _SPACES.sub(" ", str(value)).strip()
    return Md(value.replace("|", "\\|"))


def text(value: object) -> Md:
    """Prose: shown as written (HTML and Markdown punctuation escaped)."""
    return Md(_escape(str(value).strip()))


def link_text(value: object) -> Md:
    return cell(text(value))


def url(value: object) -> Md:
    """A link target: http(s) only (anything else becomes `#`), with the characters that
    would end a Markdown link or autolink (spaces, parentheses, angle brackets) encoded."""
    value = str(value).strip()
    if not re.match(r"https?://", value, re.IGNORECASE):
        return Md("#")
    return Md(quote(value, safe=_URL_SAFE))


FILTERS = {
    "mdcode": code,
    "mdfence": fence,
    "mdcell": cell,
    "mdtext": text,
    "mdlink": link_text,
    "mdurl": url,
}
