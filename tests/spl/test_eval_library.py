"""The eval function library, category by category, with the Search Reference's own examples.

Doc pages (Search Reference > Evaluation functions): "Comparison and Conditional functions",
"Conversion functions", "Cryptographic functions", "Date and Time functions", "Informational
functions", "JSON functions", "Mathematical functions", "Multivalue eval functions", "Statistical
eval functions", "Text functions", "Trigonometry and Hyperbolic functions", "Bitwise functions".
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from contentkit import spl
from contentkit.spl.functions import FUNCTIONS, relative_time

#: every function the Search Reference lists (Splunk Enterprise 9.x)
DOCUMENTED = """
case cidrmatch coalesce false if in like lookup match null nullif searchmatch true validate
ipmask printf tonumber tostring md5 sha1 sha256 sha512 now relative_time strftime strptime time
isbool isint isnotnull isnull isnum isstr typeof json_object json_append json_array
json_array_to_mv json_delete json_entries json_extend json_extract json_extract_exact
json_has_key_exact json_keys json_set json_set_exact json_valid abs ceiling ceil exact exp floor
ln log pi pow round sigfig sqrt sum commands mvappend mvcount mvdedup mvfilter mvfind mvindex
mvjoin mvmap mvrange mvsort mvzip mv_to_json_array split avg max min random len lower ltrim
replace rtrim spath substr trim upper urldecode acos acosh asin asinh atan atan2 atanh cos cosh
hypot sin sinh tan tanh bit_and bit_or bit_not bit_xor bit_shift_left bit_shift_right
""".split()  # noqa: SIM905 - the list as the doc pages print it


def ev(expr: str, **fields: Any) -> Any:
    rows = spl.run(f"| makeresults | eval out={expr}", [], now=1_700_000_000)
    if fields:
        rows = spl.run(f"search * | eval out={expr}", [{"_raw": "r", **fields}], now=1_700_000_000)
    return rows[0].get("out")


def test_every_documented_function_exists() -> None:
    assert [f for f in DOCUMENTED if f not in FUNCTIONS] == []


def test_an_unknown_function_is_a_parse_error() -> None:
    with pytest.raises(spl.SplError) as err:
        spl.parse("| makeresults | eval x=frobnicate(1)")
    assert "unknown eval function frobnicate()" in str(err.value)
    assert err.value.position == 23  # the function name


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # Conversion functions
        ('printf("%04d", 42)', "0042"),
        ('printf("%.2f", 3.14159)', "3.14"),
        ('printf("%\'d", 12345678)', "12,345,678"),
        ('printf("%-5s|", "ab")', "ab   |"),
        ('printf("%x %X %o", 255, 255, 8)', "ff FF 10"),
        ('printf("%*d", 5, 42)', "   42"),
        ('printf("%d%%", 50)', "50%"),
        ('tostring(15, "hex")', "0xF"),
        ('tostring(12345.6789, "commas")', "12,345.68"),
        ('tostring(615, "duration")', "00:10:15"),
        ('tonumber("0A4", 16)', 164),
        ('ipmask("255.255.255.0", "10.20.30.120")', "10.20.30.0"),
        ("tostring(0.1 + 0.2)", "0.3"),  # 16 significant digits, not Python's repr
        ("tostring(1 / 3)", "0.3333333333333333"),
        # Comparison and conditional
        ("nullif(1, 1)", None),
        ('nullif("a", "b")', "a"),
        # Cryptographic
        ('sha1("abc")', hashlib.sha1(b"abc").hexdigest()),
        ('sha512("abc")', hashlib.sha512(b"abc").hexdigest()),
        # Mathematical
        ("sigfig(1.00*1111)", 1110),
        ("pi()", 3.14159265358979),
        ("exact(3.14 * 2)", 6.28),
        ("sum(1, 2, 3)", 6),
        ("avg(1, 2, 3, 4)", 2.5),
        ("round(2.555, 2)", 2.56),
        # Trigonometry
        ("round(atan2(1, 1), 6)", round(math.pi / 4, 6)),
        ("hypot(3, 4)", 5.0),
        ("acos(1)", 0.0),
        # Bitwise
        ("bit_and(12, 10)", 8),
        ("bit_or(12, 10)", 14),
        ("bit_xor(12, 10)", 6),
        ("bit_shift_left(1, 4)", 16),
        ("bit_shift_right(16, 2)", 4),
        ("bit_not(5, 15)", 10),
        # Multivalue
        ("mvrange(1, 11, 2)", [1, 3, 5, 7, 9]),
        ('commands("search foo | stats count | sort count")', ["search", "stats", "sort"]),
        ('mv_to_json_array(split("a,b", ","))', '["a","b"]'),
        # JSON
        ('json_object("name", "maria", "age", 30)', '{"name":"maria","age":30}'),
        ('json_array(1, "b", json_object("c", 2))', '[1,"b",{"c":2}]'),
        ('json_extract(json_object("a", json_array(1, 2)), "a{1}")', "2"),
        ('json_extract_exact("{\\"a.b\\": 3}", "a.b")', "3"),
        ('json_keys("{\\"a\\": 1, \\"b\\": 2}")', '["a","b"]'),
        ('json_valid("{\\"a\\": 1}")', True),
        ('json_valid("{a")', False),
        ('json_has_key_exact("{\\"a.b\\": 1}", "a.b")', True),
        ('json_array_to_mv("[\\"x\\",\\"y\\"]")', ["x", "y"]),
        ('json_set("{\\"a\\": 1}", "b", 2)', '{"a":1,"b":2}'),
        ('json_append("{\\"a\\": [1]}", "a", 2)', '{"a":[1,2]}'),
        ('json_extend("{\\"a\\": [1]}", "a", json_array(2, 3))', '{"a":[1,2,3]}'),
        ('json_delete("{\\"a\\": 1, \\"b\\": 2}", "a")', '{"b":2}'),
        ('json_entries("{\\"a\\": 1}")', '[{"key":"a","value":1}]'),
        # Text: spath() as an eval function
        ('spath("{\\"x\\": [{\\"y\\": 1}, {\\"y\\": 2}]}", "x{}.y")', ["1", "2"]),
        ('spath("<a><b id=\\"7\\">t</b></a>", "a.b{@id}")', "7"),
    ],
)
def test_documented_examples(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def _ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # Search Reference "Time modifiers": snapping and calendar units
        ("-1d@d", _ts(2024, 3, 30)),
        ("-1mon", _ts(2024, 2, 29, 15, 42, 10)),  # calendar month, clamped to February's end
        ("@w1", _ts(2024, 3, 25)),  # the Monday before
        ("@w0", _ts(2024, 3, 31)),  # the Sunday itself
        ("@q", _ts(2024, 1, 1)),
        ("-1y@y+7d", _ts(2023, 1, 8)),
        ("-15m@m", _ts(2024, 3, 31, 15, 27)),
        ("+1d@d-1s", _ts(2024, 3, 31, 23, 59, 59)),
    ],
)
def test_relative_time_snapping(spec: str, expected: float) -> None:
    base = _ts(2024, 3, 31, 15, 42, 10)  # a Sunday
    assert relative_time(base, spec) == expected


def test_lookup_function_returns_a_json_object(tmp_path: Any) -> None:
    csv = tmp_path / "users.csv"
    csv.write_text("user,dept\nalice,eng\nbob,ops\n")
    tables = {"users": spl.LookupTable(name="users", path=csv)}
    rows = spl.run(
        '| makeresults | eval out=lookup("users", json_object("user", "bob"), json_array("dept"))',
        lookups=tables,
    )
    assert rows[0]["out"] == '{"dept":"ops"}'
