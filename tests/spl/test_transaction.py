"""transaction. Doc page: Search Reference > "transaction"."""

from __future__ import annotations

from typing import Any

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {"_time": 100, "user": "a", "operationName": "Enable account", "_raw": "1"},
    {"_time": 130, "user": "a", "operationName": "Reset password (by admin)", "_raw": "2"},
    {"_time": 140, "user": "b", "operationName": "Enable account", "_raw": "3"},
    {"_time": 500, "user": "b", "operationName": "Reset password (by admin)", "_raw": "4"},
    {"_time": 150, "user": "c", "dest": "x", "_raw": "5"},
    {"_time": 160, "user": "c", "dest": "y", "_raw": "6"},
]


def run(search: str) -> list[dict[str, Any]]:
    return spl.run(search, EVENTS)


def test_grouping_by_field_newest_transaction_first() -> None:
    rows = run("search * | transaction user | table user eventcount duration closed_txn _raw")
    assert rows == [
        {"user": "c", "eventcount": 2, "duration": 10, "closed_txn": 1, "_raw": "5\n6"},
        {"user": "b", "eventcount": 2, "duration": 360, "closed_txn": 1, "_raw": "3\n4"},
        {"user": "a", "eventcount": 2, "duration": 30, "closed_txn": 1, "_raw": "1\n2"},
    ]


def test_startswith_endswith_and_maxspan() -> None:
    # the corpus's "Azure AD ... Enable account then Reset password" shape
    rows = run(
        'search * | transaction user startsWith=(operationName="Enable account") '
        'endsWith=(operationName="Reset password (by admin)") maxspan=2m'
    )
    assert [(r["user"], r["eventcount"], r["_time"]) for r in rows] == [("a", 2, 100)]
    assert rows[0]["operationName"] == ["Enable account", "Reset password (by admin)"]


def test_unclosed_transactions_are_evicted_unless_kept() -> None:
    q = 'search * | transaction user endswith=eval(operationName="Reset password (by admin)")'
    assert [r["user"] for r in run(q)] == ["b", "a"]
    kept = run(q + " keepevicted=t | table user closed_txn")
    assert kept == [
        {"user": "c", "closed_txn": 0},
        {"user": "b", "closed_txn": 1},
        {"user": "a", "closed_txn": 1},
    ]


def test_maxpause_splits_transactions() -> None:
    rows = run("search user=b | transaction user maxpause=60s | table eventcount")
    assert rows == [{"eventcount": 1}, {"eventcount": 1}]


def test_multivalue_merge_of_other_fields() -> None:
    rows = run("search user=c | transaction user | table dest")
    assert rows == [{"dest": ["x", "y"]}]


def test_prints_back() -> None:
    p = spl.parse(
        "search * | transaction user dest connected=false maxspan=180m "
        'startswith="EventCode=1" endswith=eval(x=1)',
        strict=True,
    )
    assert spl.parse(p.to_spl(), strict=True) == p
