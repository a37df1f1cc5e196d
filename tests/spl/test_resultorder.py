"""Result order of stats/chart rows (spl/resultorder.py): numbers first, numerically, then strings
by code point, field by field; equal keys keep their order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contentkit.spl.resultorder import KeyCoder, sorted_keys, value_code
from contentkit.spl.values import to_number


def _reference(s: str) -> tuple[int, float, bytes]:
    """The order written out as a tuple: (0, number) for numbers, (1, UTF-8 bytes) else."""
    if s and s[0] in "0123456789-+. ":
        n = to_number(s)
        if n is not None and float(n) == float(n):
            return (0, float(n), b"")
    return (1, 0.0, s.encode("utf-8", "surrogatepass"))


def test_numbers_sort_numerically_before_strings() -> None:
    keys = [("10",), ("9",), ("-1.5",), ("abc",), ("Abc",), ("",), ("1e3",), (" 7",), ("-0",)]
    assert sorted_keys(keys) == [
        ("-1.5",),
        ("-0",),
        (" 7",),
        ("9",),
        ("10",),
        ("1e3",),
        ("",),
        ("Abc",),
        ("abc",),
    ]


def test_keys_compare_field_by_field_and_equal_keys_keep_their_order() -> None:
    keys = [("a", "2"), ("a", "10"), ("ab", "1"), ("a", "02"), ("a\x00", "1")]
    # "2" and "02" are the same number: they keep their order
    assert sorted_keys(keys) == [("a", "2"), ("a", "02"), ("a", "10"), ("a\x00", "1"), ("ab", "1")]


VALUES = st.one_of(
    st.text(max_size=5),
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["0", "-0", "0.0", "+1", ".5", " 3", "1e2", "100", "a\x00", "a", "\x00"]),
)


@settings(max_examples=300, deadline=None)
@given(a=st.lists(VALUES, min_size=1, max_size=3), b=st.lists(VALUES, min_size=1, max_size=3))
def test_codes_compare_like_the_tuples_of_the_values(a: list[str], b: list[str]) -> None:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    coder = KeyCoder()
    ref_a = tuple(map(_reference, a))
    ref_b = tuple(map(_reference, b))
    ca, cb = coder.code(tuple(a)), coder.code(tuple(b))
    assert (ca < cb) == (ref_a < ref_b)
    assert (ca == cb) == (ref_a == ref_b)
    assert value_code(a[0]) == coder.code((a[0],))
