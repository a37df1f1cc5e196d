"""Bare terms, phrases, TERM(), CASE() and CIDR values, as the Search Reference documents them.

Doc pages: Search Reference > "search" (terms, phrases, wildcards, TERM and CASE directives,
CIDR matching in field=value, comparison operators, IN, NOT/OR/AND precedence), Search Manual >
"Event segmentation and searching" (major and minor breakers, as in segmenters.conf's defaults).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contentkit import spl
from contentkit.spl.events import Dataset
from contentkit.spl.segments import compile_term, segments

RAWS = [
    "user root logged in",
    "uid=root gid=0",
    "chroot /var/empty",
    "rootkit detected",
    "password changed",
    "login bypassed",
    "Failed password for invalid user admin from 10.1.2.3 port 22 ssh2",
    "Accepted publickey for ROOT from 192.168.1.5",
    "src 10.0.0.1 dst 10.0.0.10",
    "x10.0.0.1y",
    "user:admin action=update",
    "path=C:/Windows/System32/cmd.exe",
]
EVENTS: list[dict[str, Any]] = [{"_raw": r} for r in RAWS]


def raws(search: str, events: list[dict[str, Any]] | None = None) -> list[str]:
    return [e["_raw"] for e in spl.run(search, EVENTS if events is None else events)]


# --------------------------------------------------------------------- segmentation ("search")
def test_bare_term_matches_whole_segments_only() -> None:
    # "root" is a segment of "user root logged in" (major breakers) and of "uid=root" (minor
    # breaker "="), but only a substring of "chroot" and "rootkit"
    assert raws("root") == [
        "user root logged in",
        "uid=root gid=0",
        "Accepted publickey for ROOT from 192.168.1.5",
    ]


def test_wildcard_is_anchored_to_segment_start() -> None:
    # Search Reference "search": wildcards. pass* matches password, not bypassed
    assert raws("pass*") == [
        "password changed",
        "Failed password for invalid user admin from 10.1.2.3 port 22 ssh2",
    ]
    assert raws("*root") == [
        "user root logged in",
        "uid=root gid=0",
        "chroot /var/empty",
        "Accepted publickey for ROOT from 192.168.1.5",
    ]


def test_wildcard_does_not_cross_a_major_breaker() -> None:
    assert raws("failed*password") == []
    assert raws("C:/Win*") == ["path=C:/Windows/System32/cmd.exe"]


def test_quoted_phrase_matches_the_sequence_of_segments() -> None:
    assert raws('"failed password"') == [
        "Failed password for invalid user admin from 10.1.2.3 port 22 ssh2"
    ]
    assert raws('"ailed passwor"') == []  # not on segment boundaries


def test_terms_with_minor_breakers_match_on_boundaries() -> None:
    assert raws("10.0.0.1") == ["src 10.0.0.1 dst 10.0.0.10"]
    assert raws('"uid=root"') == ["uid=root gid=0"]  # quoted: a phrase, not field=value
    assert raws("System32") == ["path=C:/Windows/System32/cmd.exe"]
    assert raws("cmd.exe") == ["path=C:/Windows/System32/cmd.exe"]


def test_term_directive_needs_major_breakers_around_it() -> None:
    # Search Reference "search": TERM(127.0.0.1) matches only where major breakers bound it
    assert raws("TERM(10.0.0.1)") == ["src 10.0.0.1 dst 10.0.0.10"]
    assert raws("TERM(admin)") == [
        "Failed password for invalid user admin from 10.1.2.3 port 22 ssh2"
    ]  # not "user:admin": ':' is a minor breaker
    assert raws("TERM(user:admin)") == ["user:admin action=update"]


def test_case_directive_is_case_sensitive() -> None:
    assert raws("CASE(ROOT)") == ["Accepted publickey for ROOT from 192.168.1.5"]
    assert raws("CASE(root)") == ["user root logged in", "uid=root gid=0"]
    assert raws('CASE("Failed password")') == [
        "Failed password for invalid user admin from 10.1.2.3 port 22 ssh2"
    ]


def test_directives_print_back() -> None:
    p = spl.parse('search TERM(10.0.0.1) CASE("Failed password") x')
    assert p.to_spl() == 'TERM(10.0.0.1) CASE("Failed password") x'
    assert spl.parse(p.to_spl()) == p


def test_segments_of_a_text() -> None:
    assert segments("uid=root [x]") == ["uid=root", "uid", "root", "x"]


def test_compile_term_boundaries() -> None:
    m = compile_term("root")
    assert m("root") and m("(root)") and m("a.root.b") and not m("roots")
    assert compile_term("-v", major_only=False)("cmd -v")  # leading breaker: no left anchor


# --------------------------------------------------------------------- field=value forms
FIELD_EVENTS: list[dict[str, Any]] = [
    {"_raw": "a", "src": "10.1.2.3", "n": "5", "user": "Alice"},
    {"_raw": "b", "src": "192.168.0.7", "n": "50", "user": "bob"},
    {"_raw": "c", "src": ["172.16.0.1", "10.9.9.9"], "n": "x"},
    {"_raw": "d", "n": "7.5", "user": 'quo"te'},
]


def f(search: str) -> list[str]:
    return raws(search, FIELD_EVENTS)


def test_cidr_values_match_addresses_in_the_block() -> None:
    # Search Reference "search": "clientip=192.0.2.0/24" style CIDR matching
    assert f("src=10.0.0.0/8") == ["a", "c"]
    assert f("src=192.168.0.0/16") == ["b"]
    assert f("src!=10.0.0.0/8") == ["b"]  # != drops events without the field as well
    assert f("NOT src=10.0.0.0/8") == ["b", "d"]


def test_comparison_operators_numeric_and_lexical() -> None:
    assert f("n>6") == ["b", "d"]
    assert f("n<=5") == ["a"]
    assert f("n!=5") == ["b", "c", "d"]


def test_field_star_and_in_and_precedence() -> None:
    assert f("user=*") == ["a", "b", "d"]
    assert f("user IN (alice, BOB)") == ["a", "b"]
    # NOT binds tighter than OR, OR tighter than the implicit AND
    assert f("n=5 OR n=50 user=bob") == ["b"]
    assert f("NOT n=5 OR user=alice") == ["a", "b", "c", "d"]
    assert f("(n=5 OR n=50) AND NOT user=bob") == ["a"]


def test_quoted_and_escaped_values() -> None:
    assert f('user="quo\\"te"') == ["d"]
    assert f('"user"=alice') == ["a"]


# --------------------------------------------------------------------- prefilter exactness
_WORDS = ["root", "chroot", "uid=root", "pass", "password", "10.0.0.1", "x", "a-b", "ROOT"]


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.lists(st.sampled_from([*_WORDS, " ", ":", "=", "."]), max_size=6), max_size=8
    ),
    term=st.sampled_from(
        ["root", "pass*", "*root", '"uid=root"', "TERM(10.0.0.1)", "CASE(ROOT)", "a-b", "ro*t"]
    ),
)
def test_prefilter_never_drops_a_matching_event(
    tmp_path_factory: Any, lines: list[list[str]], term: str
) -> None:
    """The raw-text prefilter of a dataset scan may only drop events the full match drops."""
    texts = ["".join(parts) or "empty" for parts in lines]
    path: Path = tmp_path_factory.mktemp("seg") / "events.log"
    path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    from_file = spl.run(f"search {term}", datasets=[Dataset(path, "plain")], now=0)
    in_memory = spl.run(f"search {term}", [{"_raw": t} for t in texts], now=0)
    assert sorted(e["_raw"] for e in from_file) == sorted(e["_raw"] for e in in_memory)


def test_prefilter_with_cidr_keeps_addresses_in_the_block(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        "\n".join(json.dumps({"src": ip}) for ip in ["10.1.2.3", "11.0.0.1", "10.200.0.9"]) + "\n"
    )
    rows = spl.run("search src=10.0.0.0/8", datasets=[Dataset(path, "_json")], now=0)
    assert sorted(r["src"] for r in rows) == ["10.1.2.3", "10.200.0.9"]
