"""The search language: what matches, as Splunk documents it."""

from __future__ import annotations

from typing import Any

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {"_raw": "Alice logged in from HOST-1", "user": "Alice", "action": "login", "host": "h1"},
    {"_raw": "bob failed login", "user": "bob", "action": "failure", "host": "h2"},
    {"_raw": "system heartbeat", "host": "h3"},
    {"_raw": "carol logged out", "user": "carol", "action": "logout", "groups": ["admins", "dev"]},
]


def users(search: str, events: list[dict[str, Any]] | None = None) -> list[str | None]:
    return [r.get("user") for r in spl.run(search, EVENTS if events is None else events)]


def test_terms_are_case_insensitive_segments_of_raw() -> None:
    assert users("LOGGED") == ["Alice", "carol"]
    assert users('"logged in"') == ["Alice"]


def test_field_value_is_case_insensitive() -> None:
    assert users("user=ALICE") == ["Alice"]
    assert users('action="LOGIN"') == ["Alice"]


def test_wildcards() -> None:
    assert users("user=*o*") == ["bob", "carol"]
    # a wildcard stays inside one segment: "logged in" has a space (major breaker) in between
    assert users("log*in") == ["bob"]


def test_field_star_means_present() -> None:
    assert users("user=*") == ["Alice", "bob", "carol"]


def test_not_equal_drops_events_without_the_field() -> None:
    assert users("user!=bob") == ["Alice", "carol"]


def test_not_field_keeps_events_without_the_field() -> None:
    assert users("NOT user=bob") == ["Alice", None, "carol"]


def test_in_list() -> None:
    assert users("user IN (bob, CAROL, dave)") == ["bob", "carol"]
    assert users('action IN ("log*")') == ["Alice", "carol"]


def test_precedence_not_or_and() -> None:
    # NOT binds first, then OR, then (implicit) AND: a AND ((NOT b) OR c)
    assert users("logged NOT user=alice OR action=login") == ["Alice", "carol"]
    assert users("(logged NOT user=alice) OR action=failure") == ["bob", "carol"]


def test_implicit_and() -> None:
    assert users("logged out") == ["carol"]


def test_multivalue_field_matches_any_value() -> None:
    assert users("groups=dev") == ["carol"]


def test_numeric_comparison_in_search() -> None:
    events = [{"_raw": "a", "n": "9"}, {"_raw": "b", "n": "10"}, {"_raw": "c", "n": "x"}]
    assert [r["_raw"] for r in spl.run("n>9", events)] == ["b"]
    assert [r["_raw"] for r in spl.run("n=10.0", events)] == ["b"]


def test_later_search_matches_result_fields() -> None:
    rows = spl.run("search * | stats count by user | search user=c* OR bo*", EVENTS)
    assert rows == [{"user": "bob", "count": 1}, {"user": "carol", "count": 1}]


def test_time_modifiers_are_ignored() -> None:
    assert users("earliest=-24h latest=now user=bob") == ["bob"]


def test_subsearch_becomes_a_filter() -> None:
    rows = spl.run(
        "search * [search action=failure | fields user] | table user",
        EVENTS,
    )
    assert rows == [{"user": "bob"}]


def test_empty_subsearch_matches_nothing() -> None:
    assert spl.run("search * [search nomatch | fields user]", EVENTS) == []


def test_required_terms_prefilter() -> None:
    terms = spl.required_terms(
        'source="k" "objectRef.resource"=daemonsets verb=create (alpha OR beta*) NOT c x!=y'
    )
    assert terms == [("daemonsets",), ("create",), ("alpha", "beta")]


def test_cidr_values_match_addresses_in_the_network() -> None:
    events: list[dict[str, Any]] = [
        {"_raw": "a", "user": "a", "ip": "10.1.2.3"},
        {"_raw": "b", "user": "b", "ip": "198.51.100.7"},
        {"_raw": "c", "user": "c", "ip": ["192.168.0.5", "203.0.113.1"]},
        {"_raw": "d", "user": "d", "ip": "not an address"},
        {"_raw": "e", "user": "e", "ip": "fd00::1"},
        {"_raw": "f", "user": "f"},
    ]
    assert users('ip="10.0.0.0/8"', events) == ["a"]
    assert users("ip=192.168.0.0/16", events) == ["c"]
    assert users('NOT ip="10.0.0.0/8"', events) == ["b", "c", "d", "e", "f"]
    assert users("ip!=10.0.0.0/8", events) == ["b", "c", "d", "e"]
    assert users("ip=fd00::/8", events) == ["e"]
    # the raw-text prefilter must not ask for the network address in the raw text
    assert users('search ip="10.0.0.0/8"', events) == ["a"]
