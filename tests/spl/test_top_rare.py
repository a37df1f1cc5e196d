"""``top`` and ``rare`` as the Search Reference pages "top" and "rare" document them, and the
output fields validation reads from a search that ends in ``top``."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl
from contentkit.content import searchscan
from contentkit.spl.errors import SplError

EVENTS: list[dict[str, Any]] = [
    {"_raw": "0", "user": "alice", "cat": "A", "product": "p1"},
    {"_raw": "1", "user": "alice", "cat": "A", "product": "p1"},
    {"_raw": "2", "user": "bob", "cat": "A", "product": "p2"},
    {"_raw": "3", "user": "carol", "cat": "B", "product": "p3"},
    {"_raw": "4", "user": "alice", "cat": "B", "product": "p3"},
    {"_raw": "5", "user": "bob", "cat": "B", "product": "p4"},
]


def run(search: str) -> list[dict[str, Any]]:
    return spl.run(f"search * | {search}", [dict(e) for e in EVENTS])


def test_a_leading_number_is_the_limit() -> None:
    # "top": <N> "The number of results to return"; `top limit=<int>` is the same as `top N`
    assert run("top 1 user") == [{"user": "alice", "count": 3, "percent": 50.0}]
    assert run("top 1 user") == run("top limit=1 user")
    assert len(run("top 2 user")) == 2


def test_limit_zero_returns_every_value() -> None:
    # "top": "To return all values, specify zero"
    assert [r["user"] for r in run("top limit=0 user")] == ["alice", "bob", "carol"]


def test_example_3_top_product_per_category_without_percent() -> None:
    # "top" Example 3: top 1 productName by categoryId showperc=f countfield=total
    assert run("top 1 product by cat showperc=f countfield=total") == [
        {"cat": "A", "product": "p1", "total": 2},
        {"cat": "B", "product": "p3", "total": 2},
    ]


def test_showcount_false_and_percentfield() -> None:
    assert run("top 1 user showcount=f percentfield=share") == [{"user": "alice", "share": 50.0}]


def test_useother_and_otherstr() -> None:
    assert run("top 1 user useother=t otherstr=rest") == [
        {"user": "alice", "count": 3, "percent": 50.0},
        {"user": "rest", "count": 3, "percent": 50.0},
    ]


def test_ties_keep_the_lexicographically_last_value() -> None:
    # "top", "Lexicographic order of results": top limit=1 location by user returns Orlando
    search = (
        '| makeresults | eval location="Orlando Dallas Atlanta" | makemv location '
        '| mvexpand location | eval user="Alex Kai Morgan" | makemv user | mvexpand user '
        "| top limit=1 location by user"
    )
    assert spl.run(search, []) == [
        {"user": u, "location": "Orlando", "count": 1, "percent": 33.333333}
        for u in ("Alex", "Kai", "Morgan")
    ]


def test_rare_takes_the_least_common_and_the_same_options() -> None:
    # "rare": operates identically to top, least frequent first
    assert run("rare limit=1 user") == [{"user": "carol", "count": 1, "percent": 16.666667}]
    assert run("rare 1 user countfield=n showperc=f") == [{"user": "carol", "n": 1}]


def test_output_fields_follow_the_options() -> None:
    pipeline = spl.parse("search * | top 1 user by cat showperc=f countfield=total")
    assert pipeline.commands[-1].output_fields(None) == ["cat", "user", "total"]


def test_validation_reads_tops_output_fields() -> None:
    fields = searchscan.output_fields("index=x | top 1 user by cat showperc=f countfield=total", {})
    assert fields == {"user", "cat", "total"}
    assert searchscan.output_fields("index=x | top limit=5 user", {}) == {
        "user",
        "count",
        "percent",
    }


def test_bad_limit_is_a_parse_error() -> None:
    with pytest.raises(SplError, match="limit must be a whole number"):
        spl.parse("search * | top limit=ten user")


def test_a_numeric_first_field_round_trips_without_becoming_the_limit() -> None:
    # found by the arbitrary-text property test: `top ,0` names the field "0"
    pipeline = spl.parse("search * | top ,0")
    assert pipeline.to_spl() == '* | top "0"'
    assert spl.parse(pipeline.to_spl()) == pipeline
