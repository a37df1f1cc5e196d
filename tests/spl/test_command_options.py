"""Options of dedup, top/rare and head as their Search Reference pages document them."""

from __future__ import annotations

from typing import Any

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {"_raw": "0", "a": "x", "b": "1"},
    {"_raw": "1", "a": "x", "b": "2"},
    {"_raw": "2", "a": "y", "b": "1"},
    {"_raw": "3", "b": "3"},
    {"_raw": "4", "a": "x", "b": "1"},
]


def run(search: str) -> list[dict[str, Any]]:
    return spl.run(f"search * | {search}", [dict(e) for e in EVENTS])


def test_dedup_keepevents_keeps_duplicates_without_the_fields() -> None:
    # "dedup": keepevents=true keeps all events, removing the fields from the duplicates
    rows = run("dedup a keepevents=t")
    assert [(r["_raw"], r.get("a")) for r in rows] == [
        ("0", "x"),
        ("1", None),
        ("2", "y"),
        ("4", None),
    ]


def test_dedup_keepempty_and_consecutive() -> None:
    assert [r["_raw"] for r in run("dedup a keepempty=t")] == ["0", "2", "3"]
    assert [r["_raw"] for r in run("dedup a consecutive=t")] == ["0", "2", "4"]


def test_top_useother_adds_the_rest_as_other() -> None:
    # "top": useother=t adds a row for the values beyond the limit
    assert run("top limit=1 useother=t a") == [
        {"a": "x", "count": 3, "percent": 75.0},
        {"a": "OTHER", "count": 1, "percent": 25.0},
    ]


def test_head_with_an_eval_expression() -> None:
    # "head": (<eval-expression>) returns results until the first for which it is false
    assert [r["_raw"] for r in run("head (b<2)")] == ["0"]
    assert [r["_raw"] for r in run("head (b<2) keeplast=t")] == ["0", "1"]
    assert [r["_raw"] for r in run("head (isnotnull(a)) null=t limit=2")] == ["0", "1"]
    p = spl.parse("search * | head (b < 3) limit=2 keeplast=t")
    assert p.to_spl() == "* | head (b < 3) limit=2 keeplast=t"
    assert spl.parse(p.to_spl()) == p
