"""foreach, map, multisearch, union, return, format and gentimes.

Doc pages: Search Reference > "foreach", "map", "multisearch", "union", "return", "format",
"gentimes".
"""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl

EVENTS: list[dict[str, Any]] = [
    {
        "_time": 1000 + i * 100,
        "host": f"h{i % 3}",
        "user": f"u{i % 2}",
        "_raw": f"host=h{i % 3} user=u{i % 2} id={i}",
    }
    for i in range(6)
]


def run(search: str, **kw: Any) -> list[dict[str, Any]]:
    return spl.run(search, EVENTS, now=1_700_000_000, **kw)


def test_foreach_fills_field_and_matchstr_tokens() -> None:
    rows = run(
        "search * | stats count by host | eval stdev_a=1, stdev_b=2 "
        "| foreach stdev_* [ eval tot_<<MATCHSTR>>='<<FIELD>>' * count ]"
    )
    assert rows[0] == {
        "host": "h0",
        "count": 2,
        "stdev_a": 1,
        "stdev_b": 2,
        "tot_a": 2,
        "tot_b": 4,
    }


def test_foreach_multivalue_mode() -> None:
    rows = spl.run(
        "search * | eval total=0 | foreach mode=multivalue n [eval total=total + <<ITEM>>]",
        [{"_raw": "x", "n": ["1", "2", "3"]}],
    )
    assert rows[0]["total"] == 6


def test_foreach_template_errors_are_parse_errors() -> None:
    with pytest.raises(spl.SplError, match="foreach"):
        spl.parse("search * | foreach a* [eval x=frob('<<FIELD>>')]")


def test_map_runs_the_search_per_result_with_tokens_and_macros() -> None:
    macros = {"mm": spl.MacroDef("mm", "host=h1")}
    rows = run('search host=h0 | head 1 | map search="search `mm` user=$user$"', macros=macros)
    assert [(r["host"], r["user"]) for r in rows] == [("h1", "u0")]


def test_map_stops_at_maxsearches() -> None:
    rows = run('search * | map maxsearches=2 search="search host=$host$"')
    assert len(rows) == 4  # two searches of two events each


def test_multisearch_merges_newest_first() -> None:
    rows = run("| multisearch [search host=h0] [search host=h1] | table _time host")
    assert [r["host"] for r in rows] == ["h1", "h0", "h1", "h0"]
    assert [r["_time"] for r in rows] == sorted((r["_time"] for r in rows), reverse=True)


def test_union_concatenates_datasets() -> None:
    rows = run("| union [search host=h0 | head 1] [search host=h1 | head 1] | table host")
    assert rows == [{"host": "h0"}, {"host": "h1"}]


def test_format_default_output() -> None:
    rows = run("search host=h0 | head 2 | table host user | format")
    assert rows == [{"search": '( ( host="h0" AND user="u0" ) OR ( host="h0" AND user="u1" ) )'}]
    assert run("search host=nothing | format") == [{"search": "NOT ()"}]


def test_return_forms() -> None:
    assert run("search host=h0 | return user") == [{"search": 'user="u0"'}]
    assert run("search host=h0 | return 2 user") == [{"search": '(user="u0") OR (user="u1")'}]
    assert run("search host=h0 | return who=user") == [{"search": 'who="u0"'}]
    assert run("search host=h0 | return $user") == [{"search": "u0"}]


def test_return_in_a_subsearch_filters_the_outer_search() -> None:
    rows = run("search [search host=h1 | head 1 | return host] | stats count")
    assert rows == [{"count": 2}]


def test_gentimes_daily_intervals() -> None:
    rows = spl.run("| gentimes start=10/01/2024 end=10/02/2024", [])
    assert rows == [
        {
            "starttime": 1727740800,
            "endtime": 1727827199,
            "starthuman": "Tue Oct 01 00:00:00 2024",
            "endhuman": "Tue Oct 01 23:59:59 2024",
        },
        {
            "starttime": 1727827200,
            "endtime": 1727913599,
            "starthuman": "Wed Oct 02 00:00:00 2024",
            "endhuman": "Wed Oct 02 23:59:59 2024",
        },
    ]


def test_flow_commands_print_back() -> None:
    for text in (
        "search * | foreach stdev_* [eval x='<<FIELD>>']",
        'search * | map maxsearches=3 search="search user=$user$"',
        "| multisearch [search host=h0] [search host=h1]",
        "| union [search host=h0] [search host=h1]",
        "search * | return 2 who=user $host",
        "search * | format",
        "| gentimes start=-3 increment=1h",
    ):
        p = spl.parse(text, strict=True)
        assert spl.parse(p.to_spl(), strict=True) == p, p.to_spl()
