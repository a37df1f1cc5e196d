"""Field/row shaping, extraction and combining commands."""

from __future__ import annotations

from typing import Any

import pytest

from contentkit import spl


def run(search: str, events: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any]]:
    return spl.run(search, events, **kw)


ROWS: list[dict[str, Any]] = [
    {"_raw": "a", "_time": 1, "user": "bob", "n": "3", "src_ip": "1.1.1.1", "src_port": "80"},
    {"_raw": "b", "_time": 2, "user": "alice", "n": "10"},
    {"_raw": "c", "_time": 3, "user": "bob", "n": "2", "dest": "d1"},
]


def test_table_orders_and_expands_wildcards() -> None:
    assert run("search * | table n src_* user", ROWS[:1]) == [
        {"n": "3", "src_ip": "1.1.1.1", "src_port": "80", "user": "bob"}
    ]


def test_fields_keep_and_remove() -> None:
    assert run("search * | fields user", ROWS[:1]) == [{"user": "bob", "_raw": "a", "_time": 1}]
    assert run("search * | fields - _raw src_* n", ROWS[:1]) == [{"_time": 1, "user": "bob"}]


def test_rename_plain_and_wildcard_keeps_column_position() -> None:
    rows = run("search * | table user src_ip src_port | rename src_* as s_*, user as u", ROWS[:1])
    assert list(rows[0].items()) == [("u", "bob"), ("s_ip", "1.1.1.1"), ("s_port", "80")]


def test_rename_chains_and_varying_field_layouts() -> None:
    rows = [{"a": "1", "b": "2"}, {"b": "3"}, {"c": "4", "a": "5"}, {"a": "6", "b": "7"}]
    out = run("search * | rename a as b, b as c", [dict(r, _raw="") for r in rows])
    assert [list(r.items()) for r in out] == [
        [("c", "1"), ("_raw", "")],
        [("c", "3"), ("_raw", "")],
        [("c", "5"), ("_raw", "")],
        [("c", "6"), ("_raw", "")],
    ]
    out = run("search * | rename x_* as *_y", [{"_raw": "", "x_a": "1", "a_y": "2", "x_b": "3"}])
    assert list(out[0].items()) == [("_raw", ""), ("a_y", "1"), ("b_y", "3")]


def test_fillnull_fills_missing_and_empty_values() -> None:
    rows = [
        {"_raw": "", "a": "1", "b": "", "c": []},
        {"_raw": "", "a": "2", "b": "x", "c": ["y"], "d": "z"},
        {"_raw": "", "a": "3", "b": "y", "c": "q", "d": "w"},
        {"_raw": "", "a": 0, "b": None, "c": "q", "d": "w"},
    ]
    out = run("search * | fillnull value=NA", rows)
    assert [[r.get(k) for k in "abcd"] for r in out] == [
        ["1", "NA", "NA", "NA"],
        ["2", "x", ["y"], "z"],
        ["3", "y", "q", "w"],
        [0, "NA", "q", "w"],
    ]


def test_fillnull_defaults_to_zero_over_all_fields_seen() -> None:
    rows = run("search * | table user dest n | fillnull", ROWS)
    assert [r["dest"] for r in rows] == ["0", "0", "d1"]
    rows = run('search * | table user dest | fillnull value="n/a" dest', ROWS)
    assert [r["dest"] for r in rows] == ["n/a", "n/a", "d1"]


def test_dedup_sort_head_tail() -> None:
    assert [r["_raw"] for r in run("search * | dedup user", ROWS)] == ["a", "b"]
    assert [r["n"] for r in run("search * | sort - n", ROWS)] == ["10", "3", "2"]
    assert [r["n"] for r in run("search * | sort num(n)", ROWS)] == ["2", "3", "10"]
    assert [r["user"] for r in run("search * | sort user, -n", ROWS)] == ["alice", "bob", "bob"]
    assert [r["_raw"] for r in run("search * | head 2", ROWS)] == ["a", "b"]
    assert [r["_raw"] for r in run("search * | tail 2", ROWS)] == ["c", "b"]


def test_rex_named_groups_field_and_max_match() -> None:
    events = [{"_raw": "user=bob ip=1.2.3.4 ip=5.6.7.8", "msg": "id: 42"}]
    row = run(
        'search * | rex "ip=(?<ip>\\S+)" max_match=0 | rex field=msg "id: (?<id>\\d+)"', events
    )[0]
    assert row["ip"] == ["1.2.3.4", "5.6.7.8"]
    assert row["id"] == "42"


def test_rex_sed_mode() -> None:
    events = [{"_raw": "x", "path": "C:\\Users\\bob\\AppData"}]
    # SPL text: "s/\\\\Users\\\\[^\\\\]+/\\\\Users\\\\X/g" (each literal backslash doubled twice)
    row = run(
        r'search * | rex field=path mode=sed "s/\\\\Users\\\\[^\\\\]+/\\\\Users\\\\X/g"', events
    )[0]
    assert row["path"] == "C:\\Users\\X\\AppData"


def test_regex_keeps_or_drops() -> None:
    events = [{"_raw": "a", "f": "cmd.exe"}, {"_raw": "b", "f": "notepad.exe"}]
    assert [r["_raw"] for r in run('search * | regex f="^cmd"', events)] == ["a"]
    assert [r["_raw"] for r in run('search * | regex f!="^cmd"', events)] == ["b"]
    assert [r["_raw"] for r in run('search * | regex "^b"', events)] == ["b"]


def test_spath_all_and_path() -> None:
    events = [{"_raw": "x", "doc": '{"a": {"b": [1, 2]}, "c": "d"}'}]
    row = run("search * | spath input=doc", events)[0]
    assert row["a.b{}"] == ["1", "2"] and row["c"] == "d"
    row = run("search * | spath input=doc path=c output=cc", events)[0]
    assert row["cc"] == "d"
    row = run("search * | spath input=doc path=a", events)[0]
    assert row["a"] == '{"b":[1,2]}'


def test_bin_and_bucket() -> None:
    events = [{"_raw": "x", "_time": 3700.5, "n": "17"}]
    assert run("search * | bin _time span=1h", events)[0]["_time"] == 3600
    assert run("search * | bucket span=10 n", events)[0]["n"] == "10-20"


def test_convert_ctime_and_num() -> None:
    events = [{"_raw": "x", "t": 86400, "s": "42"}]
    row = run('search * | convert timeformat="%Y-%m-%d" ctime(t) AS day num(s)', events)[0]
    assert row["day"] == "1970-01-02"
    assert row["s"] == 42


def test_makemv_and_mvexpand() -> None:
    events = [{"_raw": "x", "v": "a,b,,c"}]
    row = run('search * | makemv delim="," v', events)[0]
    assert row["v"] == ["a", "b", "c"]
    rows = run('search * | makemv delim="," v | mvexpand v', events)
    assert [r["v"] for r in rows] == ["a", "b", "c"]


def test_join_and_append() -> None:
    events = [
        {"_raw": "login bob", "kind": "login", "user": "bob"},
        {"_raw": "login eve", "kind": "login", "user": "eve"},
        {"_raw": "dept bob", "kind": "dept", "user": "bob", "dept": "IT"},
    ]
    inner = run(
        "search kind=login | join user [search kind=dept | fields user dept] | table user dept",
        events,
    )
    assert inner == [{"user": "bob", "dept": "IT"}]
    outer = run(
        "search kind=login | join type=left user [search kind=dept | fields user dept] | table user dept",
        events,
    )
    assert outer == [{"user": "bob", "dept": "IT"}, {"user": "eve"}]
    appended = run(
        "search kind=dept | table user | append [search kind=login | table user]", events
    )
    assert [r["user"] for r in appended] == ["bob", "bob", "eve"]


def test_makeresults_is_generating() -> None:
    rows = run("| makeresults count=2 | eval x=1", [], now=10)
    assert rows == [{"_time": 10, "x": 1}, {"_time": 10, "x": 1}]


@pytest.mark.parametrize(
    "search",
    [
        "| rest /services/server/info",
        "| mpreview index=m",
    ],
)
def test_parse_only_commands_fail_clearly_when_run(search: str) -> None:
    pipeline = spl.parse(search, strict=True)
    assert spl.parse(pipeline.to_spl(), strict=True) == pipeline
    lookups = {"x": spl.LookupTable("x", __file__)}
    with pytest.raises(spl.SplError, match="unsupported command"):
        spl.run(pipeline, [{"_raw": "a", "user": "u"}], lookups=lookups)


def test_replace_with_wildcards_in_fields() -> None:
    events = [
        {"_raw": "", "src": "::ffff:10.0.0.1", "action": "patch"},
        {"_raw": "", "src": "10.0.0.2", "action": "Create"},
    ]
    rows = run(
        'search * | replace "::ffff:*" with * in src | replace "patch" with "updated", "create" with "created" IN action',
        events,
    )
    assert [(r["src"], r["action"]) for r in rows] == [
        ("10.0.0.1", "updated"),
        ("10.0.0.2", "Create"),
    ]


def test_fromjson_and_xmlkv() -> None:
    events = [
        {
            "_raw": "<r><user>bob</user><n>1</n></r>",
            "doc": '{"a": "x", "b": [1, 2], "c": {"d": true}}',
        }
    ]
    row = run("search * | fromjson doc prefix=j_ | xmlkv", events)[0]
    assert (row["j_a"], row["j_b"], row["j_c"]) == ("x", ["1", "2"], '{"d": true}')
    assert (row["user"], row["n"]) == ("bob", "1")


def test_appendpipe_runs_on_the_results() -> None:
    rows = run(
        'search * | stats count by user | appendpipe [stats sum(count) as count | eval user="ALL"]',
        ROWS,
    )
    assert rows == [
        {"user": "alice", "count": 1},
        {"user": "bob", "count": 2},
        {"count": 3, "user": "ALL"},
    ]


def test_filldown_strcat_nomv_mvcombine_addtotals_uniq() -> None:
    events = [{"_raw": "1", "a": "x", "n": "1", "m": "2"}, {"_raw": "2", "n": "3", "m": "4"}]
    rows = run(
        'search * | filldown a | strcat a "-" n key | addtotals n m | table a key Total', events
    )
    assert rows == [{"a": "x", "key": "x-1", "Total": 3}, {"a": "x", "key": "x-3", "Total": 7}]
    rows = run(
        "search * | table host v | mvcombine v | nomv v",
        [{"_raw": "", "host": "h", "v": "1"}, {"_raw": "", "host": "h", "v": "2"}],
    )
    assert rows == [{"host": "h", "v": "1\n2"}]
    rows = run(
        "search * | table a | uniq",
        [{"_raw": "", "a": "1"}, {"_raw": "", "a": "1"}, {"_raw": "", "a": "2"}],
    )
    assert rows == [{"a": "1"}, {"a": "2"}]


def test_command_names_list_matches_the_registry() -> None:
    from contentkit.spl.command_names import IMPLEMENTED_COMMANDS
    from contentkit.spl.commands import implemented_commands

    assert frozenset(implemented_commands()) == IMPLEMENTED_COMMANDS
