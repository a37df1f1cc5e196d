from __future__ import annotations

import pytest

from contentkit import spl
from contentkit.spl import MacroDef, SplError


def test_simple_and_argument_macros() -> None:
    macros = [
        MacroDef("kube_audit", 'source="kubernetes"'),
        MacroDef("ctime", 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)', ("field",)),
    ]
    out = spl.expand("`kube_audit` verb=create | `ctime(firstTime)`", macros)
    assert (
        out
        == 'source="kubernetes" verb=create | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)'
    )


def test_arity_selects_the_definition() -> None:
    macros = {
        "m": MacroDef("m", "zero"),
        "m(1)": MacroDef("m", "one=$a$", ("a",)),
        "m(2)": MacroDef("m", "two=$a$,$b$", ("a", "b")),
    }
    assert spl.expand("`m` `m(x)` `m(x, y)`", macros) == "zero one=x two=x,y"


def test_nested_expansion_and_argument_passing() -> None:
    macros = [
        MacroDef("outer", "`inner($v$)` | `leaf`", ("v",)),
        MacroDef("inner", "search f=$x$", ("x",)),
        MacroDef("leaf", "head 1"),
    ]
    assert spl.expand("`outer(abc)`", macros) == "search f=abc | head 1"


def test_quoted_arguments_keep_commas() -> None:
    macros = [MacroDef("pair", "a=$x$ b=$y$", ("x", "y"))]
    assert spl.expand('`pair("1, 2", f(3,4))`', macros) == 'a="1, 2" b=f(3,4)'


def test_quoted_argument_then_rename_wildcard_parses() -> None:
    macros = [MacroDef("drop_dm_object_name", "rename $object$.* AS *", ("object",))]
    text = spl.expand('| tstats count by Web.url | `drop_dm_object_name("Web")`', macros)
    pipeline = spl.parse(text)
    assert pipeline.commands[1].to_spl() == "rename Web.* AS *"


def test_unknown_macro_error_has_position() -> None:
    search = "index=x | `nope`"
    with pytest.raises(SplError) as info:
        spl.expand(search, [])
    assert info.value.message == "unknown macro `nope`"
    assert info.value.position == search.index("`nope`")
    assert info.value.caret().endswith("          ^")


def test_wrong_arity_error() -> None:
    macros = [MacroDef("m", "x=$a$", ("a",))]
    with pytest.raises(SplError) as info:
        spl.expand("a `m(1,2)`", macros)
    assert "called with 2 argument(s), but only m(1) is defined" in info.value.message
    assert info.value.position == 2


def test_cycle_is_detected() -> None:
    macros = [MacroDef("a", "`b`"), MacroDef("b", "x `a`")]
    with pytest.raises(SplError, match=r"macro cycle: a -> b -> a"):
        spl.expand("`a`", macros)


def test_comments_and_strings_are_not_expanded() -> None:
    assert spl.expand('x ``` `not_a_macro` ``` "`q`"', []) == 'x ``` `not_a_macro` ``` "`q`"'


def test_macro_calls_lists_without_expanding() -> None:
    calls = spl.macro_calls('`a` x | `b(1, "2,3")` ``` `c` ```')
    assert [(c.name, c.arity, c.pos) for c in calls] == [("a", 0, 0), ("b", 2, 8)]
    assert calls[1].args == ("1", '"2,3"')
    assert calls[1].key == "b(2)"


def test_unterminated_macro_call() -> None:
    with pytest.raises(SplError, match="unterminated macro call"):
        spl.macro_calls("x `abc")


def test_run_expands_macros() -> None:
    macros = [MacroDef("only_a", "search a")]
    rows = spl.run("`only_a` | stats count", [{"_raw": "a b"}, {"_raw": "c"}], macros=macros)
    assert rows == [{"count": 1}]
