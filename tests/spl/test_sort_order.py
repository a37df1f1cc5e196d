"""sort's orders. Doc page: Search Reference > "sort" (auto, num, str, ip; lexicographic order is
UTF-8 byte order: numbers before letters, uppercase before lowercase; missing values last)."""

from __future__ import annotations

from contentkit import spl

VALUES = ["10", "9", "abc", "Abc", "1.5", "10.0.0.2", "10.0.0.10"]


def order(search: str) -> list[str | None]:
    events = [{"a": v, "_raw": v} for v in VALUES] + [{"_raw": "none"}]
    return [r.get("a") for r in spl.run(f"search * | {search}", events)]


def test_auto_numbers_first_then_bytes() -> None:
    assert order("sort a") == ["1.5", "9", "10", "10.0.0.10", "10.0.0.2", "Abc", "abc", None]


def test_descending() -> None:
    assert order("sort -a") == ["abc", "Abc", "10.0.0.2", "10.0.0.10", "10", "9", "1.5", None]
    assert order("sort a desc") == order("sort -a")


def test_str_is_lexicographic() -> None:
    assert order("sort str(a)") == ["1.5", "10", "10.0.0.10", "10.0.0.2", "9", "Abc", "abc", None]


def test_ip_orders_addresses_numerically() -> None:
    assert order("sort ip(a)")[:2] == ["10.0.0.2", "10.0.0.10"]


def test_limit() -> None:
    assert order("sort 2 -a") == ["abc", "Abc"]
