"""Search-language matching, one rule at a time (Splunk's documented `search` semantics), and the
raw-text prefilter: the fragments every matching event must contain, and the metadata terms."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl
from contentkit.spl.matching import metadata_filter, required_fragments


def matches(search: str, events: list[dict[str, Any]]) -> list[str]:
    """The `id` of the events `search` keeps (events without `_raw` are matched on values)."""
    return [r["id"] for r in spl.run(f"search {search}", [dict(e) for e in events])]


E = [
    {"id": "1", "_raw": "user=Alice action=login count=10", "user": "Alice", "count": "10"},
    {"id": "2", "_raw": "user=bob action=logout count=9.0", "user": "bob", "count": "9.0"},
    {"id": "3", "_raw": "user=carol count=x", "user": "carol", "count": "x"},
    {"id": "4", "_raw": "no user here", "user": ["dave", "erin"]},
    {"id": "5", "_raw": "empty"},
]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # field=value: case-insensitive, whole value, wildcards, multivalues
        ("user=alice", ["1"]),
        ("user=ALICE", ["1"]),
        ("user=ali", []),
        ("user=a*", ["1"]),
        ("user=*o*", ["2", "3"]),
        ("user=erin", ["4"]),
        ("user=*", ["1", "2", "3", "4"]),
        # numbers compare as numbers
        ("count=10.0", ["1"]),
        ("count=9", ["2"]),
        ("count=x", ["3"]),
        # != and NOT: != needs the field, NOT does not
        ("user!=bob", ["1", "3", "4"]),
        ("NOT user=bob", ["1", "3", "4", "5"]),
        ("user!=*", []),  # "search" example 6: "fieldA!=* never returns any events"
        ("NOT user=*", ["5"]),
        ("count!=10", ["2", "3"]),
        # relational: numeric bounds only match numbers
        ("count>9", ["1"]),
        ("count>=9", ["1", "2"]),
        ("count<10", ["2"]),
        ("count<=10", ["1", "2"]),
        ("count<5", []),
        ("user>bob", ["3", "4"]),  # string bounds compare strings
        # IN lists
        ("user IN (bob, carol)", ["2", "3"]),
        ("user IN (ERIN, x*)", ["4"]),
        ("count IN (10, 2)", ["1"]),
        # free terms search the raw text, case-insensitively, wildcards inside
        ("LOGIN", ["1"]),
        ("log*", ["1", "2"]),
        ("*", ["1", "2", "3", "4", "5"]),
        ("user=*o* OR no", ["2", "3", "4"]),
        ("user=a* OR user=b*", ["1", "2"]),
        ("user=* count>9", ["1"]),
        ("NOT (user=alice OR user=bob)", ["3", "4", "5"]),
        # time modifiers do not filter here
        ("earliest=-24h user=bob", ["2"]),
        ("latest=now", ["1", "2", "3", "4", "5"]),
    ],
)
def test_search_semantics(search: str, expected: list[str]) -> None:
    assert matches(search, E) == expected


def test_terms_match_field_values_when_there_is_no_raw_text() -> None:
    rows = [{"id": "a", "user": "Mallory", "n": 3}, {"id": "b", "user": ["x", "trent"]}]
    assert matches("mallory", rows) == ["a"]
    assert matches("tre*", rows) == ["b"]
    assert matches("3", rows) == ["a"]
    assert matches("*all*", rows) == ["a"]


def test_an_empty_value_is_no_value() -> None:
    rows = [{"id": "a", "user": ""}, {"id": "b", "user": []}, {"id": "c", "user": "x"}]
    assert matches("user=*", rows) == ["c"]
    assert matches("NOT user=*", rows) == ["a", "b"]
    assert matches("user!=*", rows) == []
    assert matches("user!=y", rows) == ["c"]  # != needs a value
    assert matches("NOT user=y", rows) == ["a", "b", "c"]


def test_numbers_in_events_and_searches() -> None:
    rows = [{"id": "a", "n": 10}, {"id": "b", "n": 10.5}, {"id": "c", "n": "ten"}]
    assert matches("n=10", rows) == ["a"]
    assert matches("n=10.5", rows) == ["b"]
    assert matches("n=TEN", rows) == ["c"]
    assert matches("n>10", rows) == ["b"]


def _expr(search: str) -> Any:
    return spl.parse(f"search {search}").commands[0].expr


@pytest.mark.parametrize(
    ("search", "groups"),
    [
        ("user=alice", [("alice",)]),
        ("Mallory@Example.com", [("mallory@example.com",)]),
        ('"objectRef.resource"=daemonsets verb=create', [("daemonsets",), ("create",)]),
        ("a=x", []),  # one character is too short to be worth a scan
        ("user=ali*ce_long", [("ce_long",)]),  # the longest literal piece
        ("user IN (alice, bob)", [("alice", "bob")]),
        ("user IN (alice, *)", []),
        ("user=alice OR action=login", [("alice", "login")]),
        ("user=ab*cd", [("ab",)]),  # of two pieces as long, the first
        ("x", []),  # a one-character term gives no fragment
        ("index IN (main, other) user=bob", [("bob",)]),
        ("_raw IN (aaa, bbb) user=bob", [("bob",)]),
        ("user=alice OR count>5", []),
        ("(user=alice verb=create) OR action=login", [("alice", "login")]),
        ("(count>5 verb=create) OR login", [("create", "login")]),
        ("NOT user=alice", []),
        ("user!=alice", []),
        ("count>10", []),
        ("index=main sourcetype=json host=web1 user=alice", [("alice",)]),
        ("_raw=something earliest=-1d user=bob", [("bob",)]),
        ("count=10", [("10",)]),
        ("count=10.0", []),  # a raw 10 also matches
        ("count=007", []),
        ("path=C:\\\\Windows\\\\system32", [("system32",)]),
        ("name=naïve_user", [("ve_user",)]),  # non-ASCII splits the value
        ("index=main", []),
        ("_time=5", []),
    ],
)
def test_required_fragments(search: str, groups: list[tuple[str, ...]]) -> None:
    assert required_fragments(_expr(search)) == groups


def test_required_fragments_of_nothing() -> None:
    assert required_fragments(None) == []
    assert metadata_filter(None) == []


def test_metadata_filter_takes_top_level_index_source_sourcetype_host() -> None:
    expr = _expr("INDEX=main source=a* sourcetype IN (x, y) host=h user=u (index=other OR x)")
    found = metadata_filter(expr)
    assert [(t.field, getattr(t, "value", getattr(t, "values", None))) for t in found] == [
        ("INDEX", "main"),
        ("source", "a*"),
        ("sourcetype", ("x", "y")),
        ("host", "h"),
    ]
    assert [t.field for t in metadata_filter(_expr("index=main"))] == ["index"]
    assert metadata_filter(_expr("user=u")) == []


def test_terms_search_the_raw_text_not_the_fields_when_there_is_one() -> None:
    rows = [{"id": "a", "_raw": "abc", "user": "zzz"}, {"id": "b", "_raw": "zzz"}]
    assert matches("zzz", rows) == ["b"]
    assert matches("LOG*IN", [{"id": "c", "_raw": "user login ok"}]) == ["c"]
    # a wildcard stays inside one major segment: a newline is a major breaker
    assert matches("first*second", [{"id": "d", "_raw": "first\nsecond"}]) == []
    assert matches("first*second", [{"id": "e", "_raw": "first-to-second"}]) == ["e"]
    # every event matches *, even one with no text at all
    assert spl.run("search *", [{"x": None}]) == [{"x": None}]


def test_more_value_rules() -> None:
    rows = [{"id": "a", "n": 10}, {"id": "b", "flag": True}, {"id": "c", "m": ["x", "10"]}]
    assert matches("n=10.0", rows) == ["a"]  # an integer equals its float form
    assert matches("flag=true", rows) == ["b"]
    assert matches("m>5", rows) == ["c"]  # a non-number value is skipped, not the end
    assert matches("count<=9.5", E) == ["2"]


def test_subsearches_inside_not_and_and() -> None:
    events = [{"id": "1", "_raw": "a", "user": "bob"}, {"id": "2", "_raw": "b", "user": "al"}]
    sub = '[| makeresults | eval user="bob" | fields user]'
    assert matches(f"NOT {sub}", events) == ["2"]
    assert matches(f"_raw=* {sub}", events) == ["1"]
    assert matches(f"_raw=b OR {sub}", events) == ["1", "2"]
