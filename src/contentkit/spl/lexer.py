"""On-demand SPL tokenizer.

SPL has two lexical languages: the *search* language (terms, ``field=value``, boolean keywords,
command arguments) and the *eval* language (``eval``/``where`` expressions: operators, function
calls, ``'field names'`` and ``"string literals"``).  The parser asks for the next token in the mode
it needs, so one cursor serves both.  Triple-backtick comments are skipped like whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import SplError


class Mode(Enum):
    SEARCH = "search"
    EVAL = "eval"


class Kind(Enum):
    WORD = "word"  # search mode: bare or quoted term (value unescaped)
    STRING = "string"  # eval mode: "literal"
    QFIELD = "qfield"  # eval mode: 'field name'
    NUMBER = "number"  # eval mode
    IDENT = "ident"  # eval mode: bare name
    OP = "op"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    LBRACKET = "["
    RBRACKET = "]"
    PIPE = "|"
    EOF = "eof"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: str
    pos: int
    end: int
    quoted: bool = False  # search mode: the word was entirely one quoted string

    def is_word(self, *values: str) -> bool:
        """True for an unquoted word/ident equal (case-insensitively) to one of ``values``."""
        return (
            self.kind in (Kind.WORD, Kind.IDENT)
            and not self.quoted
            and self.value.lower() in {v.lower() for v in values}
        )


_SINGLE = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    ",": Kind.COMMA,
    "[": Kind.LBRACKET,
    "]": Kind.RBRACKET,
    "|": Kind.PIPE,
}
_SEARCH_STOP = set(' \t\r\n()=!<>,[]|"')
_EVAL_IDENT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_{}@$:#?\\")
_DIGITS = set("0123456789")


def skip_space(text: str, pos: int) -> int:
    """Skip whitespace and ```comments``` starting at ``pos``."""
    n = len(text)
    while pos < n:
        c = text[pos]
        if c in " \t\r\n":
            pos += 1
        elif text.startswith("```", pos):
            end = text.find("```", pos + 3)
            if end < 0:
                raise SplError("unterminated ``` comment", pos, text)
            pos = end + 3
        else:
            break
    return pos


def read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a double-quoted string at ``pos``; return (unescaped value, end position).

    ``\\\\`` becomes one backslash and ``\\"`` a quote; any other backslash is kept as is.
    """
    quote = text[pos]
    i = pos + 1
    n = len(text)
    out: list[str] = []
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
            out.append(text[i + 1])
            i += 2
            continue
        if c == quote:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise SplError("unbalanced quotes: missing closing " + quote, pos, text)


def lex(text: str, pos: int, mode: Mode) -> Token:
    """Return the token starting at (or after whitespace from) ``pos``."""
    pos = skip_space(text, pos)
    n = len(text)
    if pos >= n:
        return Token(Kind.EOF, "", n, n)
    c = text[pos]
    if c in _SINGLE:
        return Token(_SINGLE[c], c, pos, pos + 1)
    two = text[pos : pos + 2]
    if two in ("!=", "<=", ">=", "=="):
        return Token(Kind.OP, two, pos, pos + 2)
    if c in "=<>":
        return Token(Kind.OP, c, pos, pos + 1)
    if mode is Mode.SEARCH:
        return _lex_search_word(text, pos)
    return _lex_eval(text, pos)


def _lex_search_word(text: str, pos: int) -> Token:
    n = len(text)
    i = pos
    parts: list[str] = []
    quoted_parts = 0
    unquoted_parts = 0
    while i < n:
        c = text[i]
        if c == '"':
            if quoted_parts and i > pos and text[i - 1] == '"':
                break  # two adjacent quoted strings are two words
            value, i = read_quoted(text, i)
            parts.append(value)
            quoted_parts += 1
            continue
        if c == "!" and i + 1 < n and text[i + 1] == "=":
            break
        if c in _SEARCH_STOP and c != "!":
            break
        if text.startswith("```", i):
            break
        j = i
        piece: list[str] = []
        while j < n and text[j] not in _SEARCH_STOP and text[j] != '"':
            if text[j] == "!" and j + 1 < n and text[j + 1] == "=":
                break
            if text[j] == "`" and text.startswith("```", j):
                break
            if text[j] == "\\" and j + 1 < n and text[j + 1] == '"':
                piece.append('"')  # an escaped quote inside a bare word
                j += 2
                continue
            piece.append(text[j])
            j += 1
        if j == i:  # a lone '!' not followed by '='
            piece.append(text[i])
            j = i + 1
        parts.append("".join(piece))
        unquoted_parts += 1
        i = j
    return Token(
        Kind.WORD, "".join(parts), pos, i, quoted=quoted_parts == 1 and unquoted_parts == 0
    )


def _lex_eval(text: str, pos: int) -> Token:
    n = len(text)
    c = text[pos]
    if c == '"':
        value, end = read_quoted(text, pos)
        return Token(Kind.STRING, value, pos, end, quoted=True)
    if c == "'":
        end = text.find("'", pos + 1)
        if end < 0:
            raise SplError("unbalanced quotes: missing closing '", pos, text)
        return Token(Kind.QFIELD, text[pos + 1 : end], pos, end + 1, quoted=True)
    if c in _DIGITS or (c == "." and pos + 1 < n and text[pos + 1] in _DIGITS):
        i = pos
        while i < n and text[i] in _DIGITS:
            i += 1
        if i < n and text[i] == "." and i + 1 < n and text[i + 1] in _DIGITS:
            i += 1
            while i < n and text[i] in _DIGITS:
                i += 1
        if i < n and text[i] in "eE":
            j = i + 1
            if j < n and text[j] in "+-":
                j += 1
            if j < n and text[j] in _DIGITS:
                i = j
                while i < n and text[i] in _DIGITS:
                    i += 1
        if i < n and text[i] in _EVAL_IDENT:  # e.g. 3cx_domains: an identifier
            return _lex_ident(text, pos)
        return Token(Kind.NUMBER, text[pos:i], pos, i)
    if c in _EVAL_IDENT:
        return _lex_ident(text, pos)
    if c in "+-*/%.!":
        return Token(Kind.OP, c, pos, pos + 1)
    raise SplError(f"unexpected character {c!r}", pos, text)


def _lex_ident(text: str, pos: int) -> Token:
    n = len(text)
    i = pos
    while i < n:
        c = text[i]
        if c in _EVAL_IDENT:
            i += 1
        elif c == "." and i + 1 < n and text[i + 1] in _EVAL_IDENT and i > pos:
            i += 1  # dotted field name such as user.name
        else:
            break
    return Token(Kind.IDENT, text[pos:i], pos, i)


_NEEDS_QUOTE = set(' \t\r\n()=!<>,[]|"`')


def quote(value: str) -> str:
    """Quote a string as an SPL double-quoted literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_word(value: str, keywords: bool = True) -> str:
    """Render a search-language word, quoting it only when needed."""
    if (
        not value
        or any(c in _NEEDS_QUOTE for c in value)
        or "\\" in value
        or (keywords and value in ("AND", "OR", "NOT", "IN"))
    ):
        return quote(value)
    return value
