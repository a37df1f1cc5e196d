"""Jinja filters for the Markdown pages (GitHub-flavoured: tables, fenced code), and the
escaping every other value of a Markdown template gets (:func:`inline`, the environment's
`finalize`): content is shown as written, never as links, images, emphasis or HTML.

Filters return `Markup` so that what they made is not escaped a second time.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from markupsafe import Markup

_BACKTICKS = re.compile(r"`+")
_SPACES = re.compile(r"\s+")
# Markdown's punctuation that can start a construct: code, emphasis, links and images,
# strikethrough, headings; `_` inside words is left alone (GFM does not emphasise it there)
_SPECIAL = re.compile(r"([\\`*\[\]!~#]|(?<!\w)_|_(?!\w))")
_URL_SAFE = ":/?#@!$&'*+,;=%~-._"


def _escape(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", value)


def inline(value: object) -> object:
    """The Markdown of a value written with no filter: text escaped, numbers as they are."""
    if isinstance(value, Markup) or value is None or isinstance(value, bool | int | float):
        return value
    return Markup(_escape(str(value)))


def _longest_run(text: str) -> int:
    return max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)


def code(text: object) -> Markup:
    """Inline code that survives backticks inside (SPL macros are `name`)."""
    value = _SPACES.sub(" ", str(text)).strip()
    if not value:
        return Markup("")
    fence = "`" * (_longest_run(value) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return Markup(f"{fence}{pad}{value}{pad}{fence}")


def fence(text: object, lang: str = "") -> Markup:
    """A fenced code block; the fence is longer than any run of backticks inside
    (SPL comments are ```...```)."""
    value = str(text).rstrip("\n")
    marks = "`" * max(3, _longest_run(value) + 1)
    return Markup(f"{marks}{lang}\n{value}\n{marks}")


def cell(text: object) -> Markup:
    """Text for a table cell: one line, pipes escaped (text not made by another filter is
    escaped first)."""
    value = text if isinstance(text, Markup) else _escape(str(text))
    value = _SPACES.sub(" ", str(value)).strip()
    return Markup(value.replace("|", "\\|"))


def text(value: object) -> Markup:
    """Prose: shown as written (HTML and Markdown punctuation escaped)."""
    return Markup(_escape(str(value).strip()))


def link_text(value: object) -> Markup:
    return cell(text(value))


def url(value: object) -> Markup:
    """A link target: http(s) only (anything else becomes `#`), with the characters that
    would end a Markdown link or autolink (spaces, parentheses, angle brackets) encoded."""
    value = str(value).strip()
    if not re.match(r"https?://", value, re.IGNORECASE):
        return Markup("#")
    return Markup(quote(value, safe=_URL_SAFE))


FILTERS = {
    "mdcode": code,
    "mdfence": fence,
    "mdcell": cell,
    "mdtext": text,
    "mdlink": link_text,
    "mdurl": url,
}
