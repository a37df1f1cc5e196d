"""spl.explain: counts per command, per search term, missing BY fields and null fields."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl
from contentkit.spl.explain import explain, format_text

EVENTS: list[dict[str, Any]] = [
    {"_raw": "create a", "verb": "create", "user": "a", "ua": "kubectl"},
    {"_raw": "create b", "verb": "create", "user": "b"},
    {"_raw": "delete c", "verb": "delete", "user": "c", "ua": "kubectl"},
]


def test_terms_are_counted_in_order_and_alone() -> None:
    e = explain(spl.parse("search verb=create user=b | stats count by user"), EVENTS)
    first = e.steps[0]
    assert (first.rows_in, first.rows_out) == (3, 1)
    assert [(t.term, t.before, t.after, t.alone) for t in first.terms] == [
        ("verb=create", 3, 2, 2),
        ("user=b", 2, 1, 1),
    ]
    assert e.results == 1 and e.lost_at is None


def test_missing_by_field_is_where_the_rows_were_lost() -> None:
    e = explain(spl.parse("search verb=create | stats count by user ua"), EVENTS)
    stats = e.steps[1]
    assert stats.missing_by == {"ua": 1}
    assert e.results == 1
    e = explain(spl.parse("search user=b | stats count by ua"), EVENTS)
    assert e.lost_at is e.steps[1]
    assert "the events were lost at command 2 (stats): 1 in, 0 out" in format_text(e)


def test_null_fields_of_where() -> None:
    e = explain(spl.parse('search * | where ua="kubectl" AND isnotnull(nope)'), EVENTS)
    assert e.steps[1].null_fields == {"nope": 3, "ua": 1}
    assert e.as_dict()["lost_at"] == 2


def test_an_engine_error_stops_the_explanation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTENTKIT_GEOIP_DB", raising=False)
    e = explain(spl.parse("search * | iplocation user | stats count"), EVENTS)
    assert len(e.steps) == 2
    assert e.steps[-1].error.startswith("iplocation: unsupported: no GeoIP database")
    assert e.lost_at is e.steps[-1]


def test_a_python_exception_in_a_command_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As in a search run, a bug inside a command is reported as an error of that command,
    not a traceback out of `contentkit explain`."""
    from contentkit.spl.commands.stats import StatsCommand

    def broken(self: Any, events: Any, ctx: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(StatsCommand, "execute", broken)
    e = explain(spl.parse("search verb=create | stats count by user"), EVENTS)
    assert e.steps[-1].error == "stats: error in the SPL engine: ValueError: boom"
    assert e.lost_at is e.steps[-1] and e.steps[0].rows_out == 2


def test_fields_each_command_produced() -> None:
    e = explain(spl.parse("search * | eval y=1 | stats count by y"), EVENTS)
    assert e.steps[1].fields_added == ["y"]
    assert e.steps[2].fields_added == ["count"]
    assert "adds fields: y" in format_text(e)


def test_fields_that_top_and_dedup_need() -> None:
    e = explain(spl.parse("search * | top ua"), EVENTS)
    assert e.steps[1].missing_by == {"ua": 1}
    e = explain(spl.parse("search * | dedup ua"), EVENTS)
    assert e.steps[1].missing_by == {"ua": 1}
    e = explain(spl.parse("search * | dedup ua keepempty=t"), EVENTS)
    assert e.steps[1].missing_by == {}
