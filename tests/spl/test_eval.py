"""eval / where semantics and the eval function registry."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl


def ev(expr: str, **fields: Any) -> Any:
    rows = spl.run(f"search * | eval out={expr}", [{"_raw": "r", **fields}], now=1_700_000_000)
    return rows[0].get("out")


def test_where_comparisons_are_case_sensitive() -> None:
    events = [{"_raw": "1", "user": "Alice"}, {"_raw": "2", "user": "alice"}]
    assert [r["_raw"] for r in spl.run('search * | where user="alice"', events)] == ["2"]
    assert [r["_raw"] for r in spl.run('search * | search user="alice"', events)] == ["1", "2"]


def test_quoted_strings_are_literals_and_single_quotes_are_fields() -> None:
    assert ev('"user"', user="bob") == "user"
    assert ev("'user name'", **{"user name": "bob"}) == "bob"
    assert ev("user", user="bob") == "bob"


def test_where_field_to_field() -> None:
    events = [{"_raw": "1", "a": "x", "b": "x"}, {"_raw": "2", "a": "x", "b": "y"}]
    assert [r["_raw"] for r in spl.run("search * | where a=b", events)] == ["1"]


def test_numeric_and_string_comparison() -> None:
    assert ev('if("10" > 9, "num", "str")') == "num"
    assert ev('if("abc" < "abd", 1, 0)') == 1


def test_arithmetic_and_concatenation() -> None:
    assert ev("a * 2 + 1", a="4") == 9
    assert ev('a . "-" . b', a="x", b=3) == "x-3"
    assert ev("a / 0", a=1) is None
    assert ev("-a", a="2.5") == -2.5


def test_null_propagation_and_field_removal() -> None:
    rows = spl.run("search * | eval x=missing + 1, y=null()", [{"_raw": "r", "y": "old"}])
    assert "x" not in rows[0]
    assert "y" not in rows[0]


def test_sequential_assignments_see_earlier_ones() -> None:
    assert spl.run("search * | eval a=1, b=a+1", [{"_raw": "r"}])[0]["b"] == 2


@pytest.mark.parametrize(
    ("expr", "fields", "expected"),
    [
        ('case(x=1, "one", x=2, "two", true(), "many")', {"x": "2"}, "two"),
        ('case(x=1, "one")', {"x": "5"}, None),
        ("coalesce(a, b, c)", {"b": "B", "c": "C"}, "B"),
        ("isnull(a)", {}, True),
        ("isnotnull(a)", {"a": "1"}, True),
        ("len(a)", {"a": "hello"}, 5),
        ("lower(a) . upper(a)", {"a": "Ab"}, "abAB"),
        ("substr(a, 2, 3)", {"a": "abcdef"}, "bcd"),
        ("substr(a, -2)", {"a": "abcdef"}, "ef"),
        ('replace(a, "(\\d+)-(\\d+)", "\\2-\\1")', {"a": "12-34"}, "34-12"),
        ('split(a, ",")', {"a": "x,y,z"}, ["x", "y", "z"]),
        ("mvcount(a)", {"a": ["x", "y"]}, 2),
        ("mvindex(a, -1)", {"a": ["x", "y", "z"]}, "z"),
        ("mvindex(a, 0, 1)", {"a": ["x", "y", "z"]}, ["x", "y"]),
        ('mvjoin(a, ";")', {"a": ["x", "y"]}, "x;y"),
        ('mvfilter(match(a, "^y"))', {"a": ["x", "y1", "y2"]}, ["y1", "y2"]),
        ('mvappend(a, "z")', {"a": ["x", "y"]}, ["x", "y", "z"]),
        ("mvdedup(a)", {"a": ["x", "y", "x"]}, ["x", "y"]),
        ('match(a, "^c.*exe$")', {"a": "cmd.exe"}, True),
        ('like(a, "cmd%")', {"a": "cmd.exe"}, True),
        ('a LIKE "_md.exe"', {"a": "cmd.exe"}, True),
        ('cidrmatch("10.0.0.0/8", a)', {"a": "10.2.3.4"}, True),
        ('cidrmatch("10.0.0.0/8", a)', {"a": "192.168.0.1"}, False),
        ("tonumber(a)", {"a": "0042"}, 42),
        ("tonumber(a, 16)", {"a": "ff"}, 255),
        ("tostring(a)", {"a": 5}, "5"),
        (
            'tostring(a, "hex")',
            {"a": 255},
            "0xFF",
        ),  # Search Reference "Conversion functions": tostring(15,"hex") = 0xF
        ('tostring(a, "duration")', {"a": 3725}, "01:02:05"),
        ('strftime(a, "%Y-%m-%dT%H:%M:%S")', {"a": 0}, "1970-01-01T00:00:00"),
        ('strptime(a, "%Y-%m-%d %H:%M:%S")', {"a": "1970-01-02 00:00:00"}, 86400),
        ("now()", {}, 1_700_000_000),
        ('relative_time(a, "-1d@d")', {"a": 86400 * 3 + 500}, 86400 * 2),
        ("round(a, 2)", {"a": "3.14159"}, 3.14),
        ("round(a)", {"a": "2.5"}, 3),
        ("abs(a)", {"a": "-3"}, 3),
        ("floor(a) + ceil(a)", {"a": "1.5"}, 3),
        ("urldecode(a)", {"a": "a%20b%2Fc"}, "a b/c"),
        ("trim(a) . ltrim(a) . rtrim(a)", {"a": " x "}, "xx  x"),
        ('trim(a, "*")', {"a": "**x*"}, "x"),
        ("isnum(a)", {"a": "1.5"}, True),
        ("isstr(a)", {"a": "1.5"}, False),
        ('if(searchmatch("user=bo*"), 1, 0)', {"user": "bob"}, 1),
        ('in(a, "x", "y")', {"a": "y"}, True),
        ("a IN (1, 2)", {"a": "2"}, True),
        ("true()", {}, True),
        ("NOT false()", {}, True),
    ],
)
def test_eval_functions(expr: str, fields: dict[str, Any], expected: Any) -> None:
    assert ev(expr, **fields) == expected


def test_function_registry_is_extensible() -> None:
    from contentkit.spl import functions

    @functions.function("test_double", 1)
    def _double(v: Any) -> Any:
        return None if v is None else 2 * int(v)

    try:
        assert ev("test_double(a)", a="21") == 42
    finally:
        del functions.FUNCTIONS["test_double"]
