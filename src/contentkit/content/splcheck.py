"""Fast structural checks of a search, cheap enough to run on every search of a repository:
quotes, parentheses and brackets that do not close, empty commands between pipes, and command
names Splunk does not know. (The full parser lives in `contentkit.spl`; `contentkit test` and
`contentkit search` use it.)"""

from __future__ import annotations

import re
from functools import cache

from contentkit.content.problems import did_you_mean
from contentkit.content.searchscan import strip_comments

_TOKENS = re.compile(r'\\.|["`()\[\]|]', re.S)
_WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")
_CLOSERS = {")": "(", "]": "["}


@cache
def _commands() -> frozenset[str]:
    from contentkit.spl.command_names import COMMAND_NAMES

    return COMMAND_NAMES


def prepare() -> None:
    """Load the list of known commands now (workers forked later share it)."""
    _commands()


def check(search: str) -> list[tuple[int, str]]:
    """(offset, message) of each structural problem in `search`, in order."""
    text = strip_comments(search)
    problems: list[tuple[int, str]] = []
    stack: list[tuple[str, int]] = []
    quote_at = -1
    macro_at = -1
    segments: list[tuple[int, int]] = []  # top-level commands: (start, end) offsets
    start = 0
    for match in _TOKENS.finditer(text):
        token, at = match.group(0), match.start()
        if len(token) == 2:  # an escaped character
            continue
        if quote_at >= 0:
            if token == '"':
                quote_at = -1
            continue
        if macro_at >= 0:
            if token == "`":
                macro_at = -1
            continue
        if token == '"':
            quote_at = at
        elif token == "`":
            macro_at = at
        elif token in "([":
            stack.append((token, at))
        elif token in ")]":
            if not stack or stack[-1][0] != _CLOSERS[token]:
                problems.append((at, f"'{token}' closes nothing"))
                return problems
            stack.pop()
        elif token == "|" and not stack:
            segments.append((start, at))
            start = at + 1
    segments.append((start, len(text)))
    if quote_at >= 0:
        return [*problems, (quote_at, 'this quote (") is never closed')]
    if macro_at >= 0:
        return [*problems, (macro_at, "this macro call (`) is never closed")]
    if stack:
        opener, at = stack[-1]
        return [*problems, (at, f"this '{opener}' is never closed")]
    known = _commands()
    for index, (begin, end) in enumerate(segments):
        body = text[begin:end]
        if not body.strip():
            if index == 0:  # a search may start with a pipe: `| tstats ...`
                continue
            problems.append((begin, "empty command between pipes"))
            continue
        if index == 0 and not text.lstrip().startswith("|"):
            continue  # the implicit `search` command
        word = _WORD.match(body)
        if word is None:
            continue  # starts with a macro call or something else the parser judges
        name = word.group(1).lower()
        if name not in known:
            hint = did_you_mean(name, known)
            problems.append((begin + word.start(1), f"unknown command '{word.group(1)}'{hint}"))
    return problems
