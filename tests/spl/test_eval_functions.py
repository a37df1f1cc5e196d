"""The eval functions the other tests leave out, with the values Splunk documents for them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from contentkit import spl

NOW = 1_700_000_000


def ev(expr: str, **fields: Any) -> Any:
    rows = spl.run(f"search * | eval out={expr}", [{"_raw": "r", **fields}], now=NOW)
    return rows[0].get("out")


@pytest.mark.parametrize(
    ("expr", "fields", "expected"),
    [
        # arithmetic
        ("ceiling(2.1)", {}, 3),
        ("ceiling(-2.1)", {}, -2),
        ("ceiling(x)", {"x": "4"}, 4),
        ("exp(0)", {}, 1.0),
        ("exp(1)", {}, 2.718281828459045),
        ("ln(exp(2))", {}, 2.0),
        ("ln(0)", {}, None),
        ("log(100)", {}, 2.0),
        ("log(8, 2)", {}, 3.0),
        ("log(-1)", {}, None),
        ("pow(2, 10)", {}, 1024),
        ("pow(2, -1)", {}, 0.5),
        ("pow(x, 2)", {"x": "3"}, 9),
        ("sqrt(16)", {}, 4.0),
        ("sqrt(2)", {}, 1.4142135623730951),
        ("sqrt(-1)", {}, None),
        # hashes and formatting
        ('md5("abc")', {}, "900150983cd24fb0d6963f7d28e17f72"),
        ("md5(x)", {"x": "hello"}, "5d41402abc4b2a76b9719d911017c592"),
        ('printf("%04d %s %.2f", 7, "x", 3.14159)', {}, "0007 x 3.14"),
        ('printf("%d%%", 50)', {}, "50%"),
        ('printf("%5s|%-5s|", "ab", "cd")', {}, "   ab|cd   |"),
        ('printf("%x %o", 255, 8)', {}, "ff 10"),
        # types
        ('if(isbool(true()), "y", "n")', {}, "y"),
        ('if(isbool(1), "y", "n")', {}, "n"),
        ('if(isint(3), "y", "n")', {}, "y"),
        ('if(isint(3.5), "y", "n")', {}, "n"),
        ('if(isint(x), "y", "n")', {"x": "7"}, "y"),
        ('if(isint(x), "y", "n")', {"x": "abc"}, "n"),
        ("typeof(12)", {}, "Number"),
        ("typeof(1.5)", {}, "Number"),
        ("typeof(x)", {"x": "12"}, "Number"),
        ('typeof("abc")', {}, "String"),
        ("typeof(true())", {}, "Boolean"),
        ("typeof(null())", {}, "Invalid"),
        ("typeof(missing)", {}, "Invalid"),
        # JSON
        ('json_extract(j, "a.b")', {"j": '{"a": {"b": 5}}'}, "5"),
        ('json_extract(j, "a")', {"j": '{"a": {"b": 5}}'}, '{"b":5}'),  # compact, as Splunk
        ('json_extract(j, "s")', {"j": '{"s": "text"}'}, "text"),
        ("json_extract(j)", {"j": '{"a":1}'}, '{"a":1}'),
        ('json_extract(j, "x")', {"j": '{"a": 1}'}, None),
        ('json_extract(j, "a")', {"j": "not json"}, None),
        # multivalues
        ('mvfind(m, "^b")', {"m": ["a", "bb", "b"]}, 1),
        ('mvfind(m, "z")', {"m": ["a", "bb"]}, None),
        ("mvmap(m, m * 2)", {"m": ["1", "2", "3"]}, [2, 4, 6]),
        ("mvmap(m, upper(m))", {"m": "x"}, "X"),
        ("mvsort(m)", {"m": ["b", "a", "10", "2"]}, ["10", "2", "a", "b"]),
        ("mvzip(a, b)", {"a": ["x", "y"], "b": ["1", "2", "3"]}, ["x,1", "y,2"]),
        ('mvzip(a, b, "=")', {"a": ["x", "y"], "b": ["1", "2"]}, ["x=1", "y=2"]),
    ],
)
def test_functions(expr: str, fields: dict[str, Any], expected: Any) -> None:
    assert ev(expr, **fields) == expected


def test_time_is_the_wall_clock_and_now_the_searchs_time() -> None:
    before = time.time()
    value = ev("time()")
    after = time.time()
    assert isinstance(value, float) and before <= value <= after
    assert ev("now()") == NOW
