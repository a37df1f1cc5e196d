"""Wildcard field names in stats functions (Search Reference "stats": "stats-agg-term Syntax:
<stats-func>(<evaled-field> | <wc-field>) [AS <wc-field>] ... You can use wild card characters in
field names")."""

from __future__ import annotations

import pytest

from contentkit import spl

EVENTS = [
    {"_raw": "1", "_time": 1, "delay": "2", "xdelay": "4", "host": "a", "cpu:util": "3"},
    {"_raw": "2", "_time": 2, "delay": "4", "host": "a", "cpu:util": "5", "mem:util": "7"},
    {"_raw": "3", "_time": 3, "delay": "9", "host": "b"},
]


def _run(pipeline: str) -> list[dict[str, object]]:
    return spl.run(f"search * | {pipeline}", [dict(e) for e in EVENTS])


def test_a_wildcard_stands_for_every_matching_field_in_name_order() -> None:
    assert _run("stats avg(*lay) by host") == [
        {"host": "a", "avg(delay)": 3.0, "avg(xdelay)": 4.0},
        {"host": "b", "avg(delay)": 9.0},
    ]


def test_the_alias_takes_what_each_wildcard_matched() -> None:
    assert _run("stats max(*:*) as max_*:* avg(*lay) as mean_*") == [
        {"max_cpu:util": 5, "max_mem:util": 7, "mean_de": 5.0, "mean_xde": 4.0}
    ]
    # an alias whose stars do not pair with the pattern's takes the whole name
    assert _run("stats sum(*:util) as total_*_*") == [
        {"total_cpu:util_cpu:util": 8, "total_mem:util_mem:util": 7}
    ]


def test_internal_fields_match_only_patterns_that_start_with_an_underscore() -> None:
    assert _run("stats max(*) as m_*") == [
        {"m_cpu:util": 5, "m_delay": 9, "m_host": "b", "m_mem:util": 7, "m_xdelay": 4}
    ]
    assert _run("stats max(_t*)") == [{"max(_time)": 3}]


def test_a_wildcard_matching_nothing_adds_no_column() -> None:
    assert _run("stats count avg(nothing*)") == [{"count": 3}]


@pytest.mark.parametrize("command", ["eventstats", "streamstats"])
def test_other_stats_commands_refuse_wildcards_clearly(command: str) -> None:
    with pytest.raises(spl.SplError, match=f"{command}: wildcard field names are not supported"):
        spl.parse(f"search * | {command} avg(*lay)")


def test_chart_and_timechart_expand_wildcards_too() -> None:
    assert _run("chart avg(*lay) by host") == [
        {"host": "a", "avg(delay)": 3.0, "avg(xdelay)": 4.0},
        {"host": "b", "avg(delay)": 9.0},
    ]
    rows = _run("timechart span=10s max(*:util) as top_*")
    assert rows == [{"_time": 0, "top_cpu": 5, "top_mem": 7, "_span": 10}]
