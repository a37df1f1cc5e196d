from __future__ import annotations

import pytest

from contentkit.spl.errors import SplError
from contentkit.spl.lexer import Kind, Mode, lex, quote, search_word


def tokens(text: str, mode: Mode = Mode.SEARCH) -> list[tuple[str, str]]:
    out = []
    pos = 0
    while True:
        tok = lex(text, pos, mode)
        if tok.kind is Kind.EOF:
            return out
        out.append((tok.kind.value, tok.value))
        pos = tok.end


def test_search_words_operators_and_punctuation() -> None:
    assert tokens("a=b c!=*d* e IN (1, 2) | f [g]") == [
        ("word", "a"),
        ("op", "="),
        ("word", "b"),
        ("word", "c"),
        ("op", "!="),
        ("word", "*d*"),
        ("word", "e"),
        ("word", "IN"),
        ("(", "("),
        ("word", "1"),
        (",", ","),
        ("word", "2"),
        (")", ")"),
        ("|", "|"),
        ("word", "f"),
        ("[", "["),
        ("word", "g"),
        ("]", "]"),
    ]


def test_quoted_word_unescapes_backslash_and_quote_only() -> None:
    tok = lex(r'"*\\C$\\* \"x\" \d"', 0, Mode.SEARCH)
    assert tok.value == r'*\C$\* "x" \d'
    assert tok.quoted


def test_quoted_and_bare_parts_join_but_two_quoted_strings_do_not() -> None:
    assert tokens('"Web".* x') == [("word", "Web.*"), ("word", "x")]
    assert tokens('"a"="b""c"="d"') == [
        ("word", "a"),
        ("op", "="),
        ("word", "b"),
        ("word", "c"),
        ("op", "="),
        ("word", "d"),
    ]


def test_comments_are_skipped() -> None:
    assert tokens("a ``` a comment | with pipe ``` b") == [("word", "a"), ("word", "b")]


def test_eval_mode_tokens() -> None:
    assert tokens("x = 'a b'.\"s\" + 1.5e3 - user.name", Mode.EVAL) == [
        ("ident", "x"),
        ("op", "="),
        ("qfield", "a b"),
        ("op", "."),
        ("string", "s"),
        ("op", "+"),
        ("number", "1.5e3"),
        ("op", "-"),
        ("ident", "user.name"),
    ]


def test_eval_identifier_starting_with_digit() -> None:
    assert tokens("3cx_domains", Mode.EVAL) == [("ident", "3cx_domains")]


def test_unbalanced_quote_positions() -> None:
    with pytest.raises(SplError) as info:
        lex('a "bc', 1, Mode.SEARCH)
    assert info.value.position == 2


@pytest.mark.parametrize("value", ["plain", "with space", 'q"uote', "back\\slash", "", "OR", "a|b"])
def test_search_word_round_trips(value: str) -> None:
    text = search_word(value)
    assert lex(text, 0, Mode.SEARCH).value == value
    assert lex(quote(value), 0, Mode.SEARCH).value == value
