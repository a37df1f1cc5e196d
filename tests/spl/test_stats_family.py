"""top / rare, streamstats, eventstats and the picking aggregations, on a five-event timeline,
with the results Splunk documents; and how these commands print back as SPL."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl

EVENTS = [
    {"_raw": "1", "_time": 100, "user": "bob", "host": "a", "n": "5"},
    {"_raw": "2", "_time": 50, "user": "alice", "host": "a", "n": "7"},
    {"_raw": "3", "_time": 300, "user": "bob", "host": "b", "n": "1"},
    {"_raw": "4", "_time": 200, "user": "carol", "host": "b", "n": "x"},
    {"_raw": "5", "_time": 250, "user": "bob", "host": "a"},
]


def run(pipeline: str) -> list[dict[str, Any]]:
    return spl.run(f"search * | {pipeline}", [dict(e) for e in EVENTS])


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        (  # ties: the lexicographically last first ("top", "Lexicographic order of results")
            "top user",
            [
                {"user": "bob", "count": 3, "percent": 60.0},
                {"user": "carol", "count": 1, "percent": 20.0},
                {"user": "alice", "count": 1, "percent": 20.0},
            ],
        ),
        ("top limit=1 user", [{"user": "bob", "count": 3, "percent": 60.0}]),
        (
            "rare user",
            [
                {"user": "alice", "count": 1, "percent": 20.0},
                {"user": "carol", "count": 1, "percent": 20.0},
                {"user": "bob", "count": 3, "percent": 60.0},
            ],
        ),
        (
            "top user countfield=c percentfield=p limit=2",
            [{"user": "bob", "c": 3, "p": 60.0}, {"user": "carol", "c": 1, "p": 20.0}],
        ),
        ("top user showcount=f showperc=false limit=1", [{"user": "bob"}]),
        ("top user showcount=0 limit=1", [{"user": "bob", "percent": 60.0}]),
        (
            "top user by host",
            [
                {"host": "a", "user": "bob", "count": 2, "percent": 66.666667},
                {"host": "a", "user": "alice", "count": 1, "percent": 33.333333},
                {"host": "b", "user": "carol", "count": 1, "percent": 50.0},
                {"host": "b", "user": "bob", "count": 1, "percent": 50.0},
            ],
        ),
        (
            "rare limit=2 user host",
            [
                {"user": "alice", "host": "a", "count": 1, "percent": 20.0},
                {"user": "bob", "host": "b", "count": 1, "percent": 20.0},
            ],
        ),
        # events without the field are not counted, not even in the percentages
        ("top n limit=1", [{"n": "x", "count": 1, "percent": 25.0}]),
        (
            "top limit=0 host",
            [
                {"host": "a", "count": 3, "percent": 60.0},
                {"host": "b", "count": 2, "percent": 40.0},
            ],
        ),
    ],
)
def test_top_and_rare(pipeline: str, expected: list[dict[str, Any]]) -> None:
    assert run(pipeline) == expected


def test_top_needs_a_field() -> None:
    with pytest.raises(spl.SplError, match="top needs at least one field"):
        spl.parse("search * | top limit=3")


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        (
            "streamstats count as c by user | table user c",
            [
                {"user": "bob", "c": 1},
                {"user": "alice", "c": 1},
                {"user": "bob", "c": 2},
                {"user": "carol", "c": 1},
                {"user": "bob", "c": 3},
            ],
        ),
        ("streamstats current=f count as c | table c", [{"c": i} for i in range(5)]),
        (
            "streamstats window=2 sum(n) as s | table s",
            [{"s": 5}, {"s": 12}, {"s": 8}, {"s": 1}, {}],
        ),
        (
            "streamstats window=2 current=f sum(n) as s | table s",
            [{}, {"s": 5}, {"s": 12}, {"s": 8}, {"s": 1}],
        ),
        (
            "streamstats window=1 max(n) as m by host | table host m",
            # max of a non-number is the value itself; no value, no field
            [
                {"host": "a", "m": 5},
                {"host": "a", "m": 7},
                {"host": "b", "m": 1},
                {"host": "b", "m": "x"},
                {"host": "a"},
            ],
        ),
        (
            "eventstats count as c by host | table host c",
            [{"host": h, "c": 3 if h == "a" else 2} for h in ("a", "a", "b", "b", "a")],
        ),
        ("eventstats max(n) as m | table m", [{"m": 7}] * 5),
    ],
)
def test_streamstats_and_eventstats(pipeline: str, expected: list[dict[str, Any]]) -> None:
    assert run(pipeline) == expected


def test_picking_and_collecting_aggregations() -> None:
    assert run(
        "stats earliest(user) as e latest(user) as l first(user) as f last(user) as la "
        "earliest_time(user) as et latest_time(user) as lt"
    ) == [{"e": "alice", "l": "bob", "f": "bob", "la": "bob", "et": 50.0, "lt": 300.0}]
    assert run("stats values(n) as v list(n) as li min(n) as mn max(n) as mx") == [
        {"v": ["1", "5", "7", "x"], "li": ["5", "7", "1", "x"], "mn": 1, "mx": 7}
    ]
    assert run("stats median(n) as md count(n) as c") == [{"md": 5.0, "c": 4}]
    # a tie on _time: latest keeps the later event, earliest the first
    tied = [{"_raw": "1", "_time": 5, "u": "x"}, {"_raw": "2", "_time": 5, "u": "y"}]
    assert spl.run("search * | stats earliest(u) as e latest(u) as l", tied) == [
        {"e": "x", "l": "y"}
    ]
    untimed = [{"_raw": "1", "u": "x"}, {"_raw": "2", "u": "y"}]
    assert spl.run("search * | stats earliest(u) as e latest(u) as l", untimed) == [
        {"e": "x", "l": "y"}
    ]


def test_these_commands_print_back_as_spl() -> None:
    text = (
        "search * | stats count(x) as c dc(y) perc95(z) by a b | top limit=3 user by host "
        "| rare user | streamstats window=2 current=f sum(n) as s by u | eventstats avg(n)"
    )
    printed = spl.parse(text).to_spl()
    assert printed == (
        "* | stats count(x) AS c dc(y) perc95(z) BY a, b | top limit=3 user BY host | rare user "
        "| streamstats window=2 current=f sum(n) AS s BY u | eventstats avg(n)"
    )
    assert spl.parse(f"search {printed}") == spl.parse(text)


def test_numeric_aggregations_on_a_known_sample() -> None:
    # 2 4 4 4 5 5 7 9: mean 5, population variance 4, sample variance 32/7; "abc" is no number
    events = [{"_raw": str(i), "n": str(v)} for i, v in enumerate([2, 4, 4, 4, 5, 5, 7, 9])]
    events.append({"_raw": "x", "n": "abc"})
    assert spl.run(
        "search * | stats stdev(n) as sd stdevp(n) as sdp var(n) as v varp(n) as vp range(n) as r "
        "mode(n) as mo sum(n) as s avg(n) as a mean(n) as m min(n) as mn max(n) as mx "
        "count(n) as c dc(n) as d estdc(n) as e median(n) as md",
        events,
    ) == [
        {
            "sd": pytest.approx(2.138089935299395),
            "sdp": 2.0,
            "v": pytest.approx(32 / 7),
            "vp": 4.0,
            "r": 7,
            "mo": "4",  # the most common value as the events hold it
            "s": 40,
            "a": 5.0,
            "m": 5.0,
            "mn": 2,
            "mx": 9,
            "c": 9,
            "d": 6,
            "e": 6,
            "md": 5,  # an even count: the higher of the two middle values (median's page)
        }
    ]
    # one value: no sample deviation, a population deviation of 0
    one = [{"_raw": "1", "n": "3"}]
    assert spl.run(
        "search * | stats stdev(n) as sd stdevp(n) as sdp var(n) as v varp(n) as vp range(n) as r",
        one,
    ) == [{"sdp": 0.0, "vp": 0.0, "r": 0}]
    assert spl.run("search * | stats p50(n) as a exactperc50(n) as b", events[:3]) == [
        {"a": 4.0, "b": 4.0}
    ]


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ("stats bogus(n)", "unknown stats function 'bogus'"),
        ('stats "count"', "expected an aggregation function in stats, found 'count'"),
        ("stats count(", "expected a field name in count(...)"),
        ("stats values()", "expected a field name in values(...)"),
        ("stats count(n", "unbalanced parentheses: missing ')' after count("),
    ],
)
def test_stats_parse_errors(pipeline: str, message: str) -> None:
    with pytest.raises(spl.SplError) as caught:
        spl.parse(f"search * | {pipeline}")
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("pipeline", "located"),
    [
        ("stats bogus(n)", "unknown stats function 'bogus' (at position 17)"),
        (
            'stats "count"',
            "expected an aggregation function in stats, found 'count' (at position 17)",
        ),
        ("stats count(", "expected a field name in count(...) (at position 23)"),
        ("stats count(n", "unbalanced parentheses: missing ')' after count( (at position 22)"),
        ("stats count as", "expected a name after AS, found end of search (at position 25)"),
    ],
)
def test_stats_parse_errors_point_at_the_problem(pipeline: str, located: str) -> None:
    with pytest.raises(spl.SplError) as caught:
        spl.parse(f"search * | {pipeline}")
    assert str(caught.value) == located


def test_aggregation_lists_and_aliases() -> None:
    assert spl.parse("search * | stats count, dc(x) as d").to_spl() == "* | stats count dc(x) AS d"
    assert spl.parse("search * | stats count as c(x)").to_spl() == '* | stats count AS "c(x)"'
    assert spl.run("search * | stats count as c(x)", [{"_raw": "a"}]) == [{"c(x)": 1}]


def test_aggregation_names_print_back() -> None:
    text = (
        "search * | stats p50(n) exactperc99(n) upperperc95(n) perc5.5(n) as q C(x) DC(y) "
        "count(eval(n>1)) as big sparkline(count(n), 1h) as s by z"
    )
    assert spl.parse(text).to_spl() == (
        "* | stats p50(n) exactperc99(n) upperperc95(n) perc5.5(n) AS q c(x) dc(y) "
        "count(eval((n > 1))) AS big sparkline(count(n), 1h) AS s BY z"
    )


def _stats(text: str) -> Any:
    return spl.parse(f"search * | {text}").commands[1]


@pytest.mark.parametrize(
    "text",
    [
        "stats count by user",
        "stats count dc(host) values(n) as v by user host",
        "stats count values(user) as users",
        "stats c distinct_count(user) estdc(host) by n",
        "stats count by missing",
    ],
)
@pytest.mark.parametrize("cut", [1, 2, 4])
def test_partial_aggregation_merges_to_the_plain_result(text: str, cut: int) -> None:
    from contentkit.spl.executor import Context

    command = _stats(text)
    assert command.mergeable()
    events = [dict(e) for e in EVENTS]
    plain = list(command.execute(iter([dict(e) for e in events]), Context(text=text)))
    # parts in event order; each part newest first, as the scanning processes produce them
    parts = [events[:cut], events[cut:]]
    ctx = Context(text=text)
    partials = [command.partial(iter(part), ctx, order=False) for part in parts]
    assert list(command.merge(partials, ctx)) == plain


def test_merge_renames_and_fills_an_empty_result() -> None:
    from contentkit.spl.executor import Context

    command = _stats("stats count values(user) as v by host")
    ctx = Context(text="")
    rename = {"host": "h", "v": "users"}
    parts = [
        command.partial(iter([dict(e) for e in EVENTS[:2]]), ctx, order=False, rename=rename),
        command.partial(iter([dict(e) for e in EVENTS[:1]]), ctx, order=False, rename=rename),
    ]
    # the group is in both parts: its row is made again from the merged states, renamed
    assert list(command.merge(parts, ctx, rename=rename)) == [
        {"h": "a", "count": 3, "users": ["alice", "bob"]}
    ]
    empty = _stats("stats count dc(user)")
    assert list(empty.merge([[]], ctx)) == [{"count": 0, "dc(user)": 0}]
    assert not _stats("stats avg(n)").mergeable()
    assert not _stats("stats count(eval(n>1))").mergeable()


def test_layouts_list_the_possible_field_orders() -> None:
    assert _stats("stats count dc(x) as d by u").layouts() == [
        ("u",),
        ("u", "count"),
        ("u", "d"),
        ("u", "count", "d"),
    ]
    assert _stats("stats count as u by u").layouts() is None  # a name repeats
    many = "stats " + " ".join(f"count(f{i})" for i in range(7))
    assert _stats(many).layouts() is None  # too many


@pytest.mark.parametrize(
    ("text", "fields", "inputs"),
    [
        (
            "top user by host countfield=c percentfield=p",
            ["host", "user", "c", "p"],
            {"host", "user"},
        ),
        ("rare user", ["user", "count", "percent"], {"user"}),
        ("stats count dc(x) as d by u", ["u", "count", "d"], {"x", "u"}),
    ],
)
def test_fields_these_commands_make_and_need(
    text: str, fields: list[str], inputs: set[str]
) -> None:
    command = _stats(text)
    assert command.output_fields(None) == fields
    assert command.output_fields(["a", "b"]) == fields  # they replace the fields they get
    assert command.input_fields(None) == inputs


def test_streamstats_and_eventstats_add_to_the_fields_they_get() -> None:
    assert _stats("streamstats count as n by a").output_fields(["a", "b"]) == ["a", "b", "n"]
    assert _stats("eventstats max(b) as m").output_fields(["a", "b"]) == ["a", "b", "m"]
    assert _stats("eventstats max(b) as m").output_fields(None) is None


def test_run_time_errors_and_counting_a_field() -> None:
    events = [{"_raw": "1", "n": "5"}, {"_raw": "2", "n": "x"}, {"_raw": "3"}]
    for text, located in (("stats sum", "sum() needs a field (at position 17)"),):
        with pytest.raises(spl.SplError) as caught:
            spl.run(f"search * | {text}", [dict(e) for e in events])
        assert str(caught.value) == located
    # count(field) and its alias c count the events that have the field
    assert spl.run("search * | stats c(n) as x count(n) as y count", events) == [
        {"x": 2, "y": 2, "count": 3}
    ]


def test_percentiles_close_values_and_first_last_of_a_field() -> None:
    # 1..11: the 90th and 10th percentiles fall exactly on values, whatever the method
    ranks = [{"_raw": str(i), "n": str(i)} for i in range(1, 12)]
    assert spl.run("search * | stats perc90(n) as a p10(n) as b", ranks) == [{"a": 10.0, "b": 2.0}]
    close = [{"_raw": "1", "n": "5"}, {"_raw": "2", "n": "5.5"}, {"_raw": "3", "n": "4.5"}]
    assert spl.run("search * | stats max(n) as a min(n) as b", close) == [{"a": 5.5, "b": 4.5}]
    # values() takes a number and its text once
    mixed = [{"_raw": "1", "n": 5}, {"_raw": "2", "n": "5"}, {"_raw": "3", "n": 5.5}]
    assert spl.run("search * | stats values(n) as v", mixed) == [{"v": ["5", "5.5"]}]
    assert run("stats first(n) as f last(n) as l") == [{"f": "5", "l": "x"}]


def test_more_options_of_top_and_streamstats() -> None:
    many = [{"_raw": str(i), "u": f"user{i:02d}"} for i in range(12)]
    assert len(spl.run("search * | top u", many)) == 10  # top shows ten by default
    assert run("top user showcount=false showperc=f limit=1") == [{"user": "bob"}]
    assert run("top user showperc=0 limit=1") == [{"user": "bob", "count": 3}]
    gappy = [
        {"_raw": "1", "h": "a"},
        {"_raw": "2"},  # no h: skipped, not the end
        {"_raw": "3", "h": "a"},
        {"_raw": "4", "h": "b"},
    ]
    assert spl.run("search * | top h", [dict(e) for e in gappy]) == [
        {"h": "a", "count": 2, "percent": 66.666667},
        {"h": "b", "count": 1, "percent": 33.333333},
    ]
    assert spl.run(
        "search * | streamstats count as c by h | table c", [dict(e) for e in gappy]
    ) == [
        {"c": 1},
        {},
        {"c": 2},
        {"c": 1},
    ]
    for off in ("false", "0"):
        assert run(f"streamstats current={off} count as c | table c") == [
            {"c": i} for i in range(5)
        ]
    # each group has its own window
    assert run("streamstats window=2 count as c by host | table host c") == [
        {"host": "a", "c": 1},
        {"host": "a", "c": 2},
        {"host": "b", "c": 1},
        {"host": "b", "c": 2},
        {"host": "a", "c": 2},
    ]
    # aggregations that look at the event's time work in both kinds of streamstats
    assert run("streamstats latest(user) as l | table l")[-1] == {"l": "bob"}
    assert run("streamstats window=2 earliest(user) as e | table e")[1] == {"e": "alice"}


def test_c_alone_and_count_of_an_expression() -> None:
    assert run("stats c") == [{"c": 5}]
    numbers = [{"_raw": str(v), "n": v} for v in (5, 7, 1)]
    assert spl.run("search * | stats count(eval(n>1)) as big", numbers) == [{"big": 2}]
