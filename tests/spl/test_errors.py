"""Bad SPL gives one clear SplError with a position and a caret, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl
from contentkit.spl import SplError


def test_str_is_one_line_with_position() -> None:
    err = SplError("unknown command 'frobnicate'", 6, "index=x | frobnicate")
    assert str(err) == "unknown command 'frobnicate' (at position 6)"
    assert "\n" not in str(err)


def test_caret_points_at_position() -> None:
    err = SplError("boom", 4, "abc def")
    line, caret = err.caret().split("\n")
    assert line == "abc def"
    assert caret == "    ^"


def test_caret_on_multiline_search_shows_only_the_line() -> None:
    text = "index=x\n| stats count(\n| table a"
    err = SplError("bad", text.index("count("), text)
    assert err.line_col() == (2, 9)
    assert str(err) == "bad (line 2, column 9)"
    assert err.caret() == "| stats count(\n        ^"


@pytest.mark.parametrize(
    ("search", "message", "at"),
    [
        ('index=main "unterminated', "unbalanced quotes", '"unterminated'),
        ("index=main (a OR b", "unbalanced parentheses", "(a OR b"),
        ("index=main a OR b)", "unbalanced parentheses", ")"),
        ("index=main | eval x=if(a, b", "unbalanced parentheses", "(a, b"),
        ("index=main | stats count(x by y", "unbalanced parentheses", "(x by y"),
        ("index=main [search x", "unbalanced brackets", "[search x"),
        ("index=main | eval x=", "eval expects an expression", ""),
        ("index=main | eval = 3", "eval expects field=expression", "= 3"),
        ("index=main | stats frob(x)", "unknown stats function 'frob'", "frob(x)"),
        ("index=main | rename a b", "rename expects AS", "b"),
        ("index=main | head ten", "expected a number", "ten"),
        ("index=main | where", "where needs an expression", ""),
        ("index=main | x=1", "expected a command name", "x=1"),
        ("index=main ``` open comment", "unterminated ``` comment", "```"),
        ("index=main | convert foo(x)", "expected a conversion function", "foo(x)"),
    ],
)
def test_bad_spl_gives_positioned_error(search: str, message: str, at: str) -> None:
    with pytest.raises(SplError) as info:
        spl.parse(search)
    err = info.value
    assert message in err.message
    assert err.position is not None
    assert err.text == search
    if at:
        assert search[err.position :].startswith(at)
    else:
        assert err.position == len(search)
    caret = err.caret().split("\n")
    assert len(caret) == 2
    assert caret[1].endswith("^")


def test_unknown_command_only_in_strict_mode() -> None:
    pipeline = spl.parse("index=x | frobnicate a=1 b")
    assert pipeline.commands[1].command_name == "frobnicate"
    with pytest.raises(SplError) as info:
        spl.parse("index=x | frobnicate a=1 b", strict=True)
    assert info.value.message == "unknown command 'frobnicate'"
    assert info.value.position == 10


def test_known_but_unimplemented_command_fails_at_run_time() -> None:
    pipeline = spl.parse("| mpreview index=metrics", strict=True)
    with pytest.raises(SplError) as info:
        spl.run(pipeline, [])
    assert info.value.message == "unsupported command mpreview"
    assert info.value.position == 2


def test_data_model_search_without_apps_names_what_is_missing() -> None:
    pipeline = spl.parse(
        "| tstats count from datamodel=Endpoint.Processes by Processes.dest", strict=True
    )
    with pytest.raises(SplError) as info:
        spl.run(pipeline, [])
    assert info.value.message.startswith("app_unavailable: data model Endpoint needs the app")
    assert info.value.position == 2


def test_unsupported_command_later_in_pipeline_is_never_silently_skipped() -> None:
    with pytest.raises(SplError, match="unsupported command predict"):
        spl.run("search * | eval a=1 | predict a", [{"_raw": "x"}])


def test_unknown_eval_function_has_position() -> None:
    search = "search * | eval x=frob(1)"
    with pytest.raises(SplError) as info:
        spl.run(search, [{"_raw": "a"}])
    assert info.value.message == "unknown eval function frob()"
    assert info.value.position == search.index("frob")


def test_wrong_function_arity() -> None:
    with pytest.raises(SplError, match=r"function if\(\) takes 3 arguments, got 2"):
        spl.run("search * | eval x=if(a, b)", [{"_raw": "a"}])


def test_bad_regex_is_an_spl_error() -> None:
    with pytest.raises(SplError, match="invalid rex regular expression"):
        spl.run('search * | rex "(?<x>[a-"', [{"_raw": "a"}])


def test_unknown_lookup() -> None:
    with pytest.raises(SplError, match="unknown lookup 'nope'"):
        spl.run("search * | lookup nope a OUTPUT b", [{"_raw": "a", "a": "1"}])


def test_a_python_exception_inside_a_command_names_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from contentkit.spl.commands.charting import XyseriesCommand

    def broken(self: XyseriesCommand, events: Any, ctx: Any) -> Any:
        for _ in events:
            raise ZeroDivisionError("division by zero")
        yield from ()

    monkeypatch.setattr(XyseriesCommand, "execute", broken)
    search = "search * | eval a=1 | xyseries a b c"
    with pytest.raises(SplError) as info:
        spl.run(search, [{"_raw": "x"}])
    assert info.value.message == (
        "xyseries: error in the SPL engine: ZeroDivisionError: division by zero"
    )
    assert info.value.position == search.index("xyseries")
