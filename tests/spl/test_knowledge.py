"""Search-time knowledge (spl/knowledge.py), pinned against Splunk's documentation:
"Search-time operation sequence" (Knowledge Manager Manual), props.conf.spec and
transforms.conf.spec (EXTRACT, REPORT, FIELDALIAS with AS/ASNEW, EVAL, LOOKUP, KV_MODE),
eventtypes.conf.spec and tags.conf.spec.  The fixture knowledge is written here, as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contentkit import spl
from contentkit.apps.model import AppInfo, KnowledgeBase
from contentkit.spl.knowledge import Knowledge, clean_key, pattern_regex, stanzas_for


def kb(confs: dict[str, dict[str, dict[str, str]]], **extra: Any) -> KnowledgeBase:
    return KnowledgeBase(apps=[AppInfo("fixture", Path("."))], confs=confs, **extra)


def run(knowledge: Knowledge, search: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return spl.run(search, events, knowledge=knowledge, macros=knowledge.macros())


def ev(raw: str, **fields: Any) -> dict[str, Any]:
    base = {"_raw": raw, "_time": 1.0, "sourcetype": "st", "source": "/var/log/app.log"}
    base["host"] = "h1"
    base.update(fields)
    return base


def test_order_extract_then_report_then_alias_then_eval_then_lookup(tmp_path: Path) -> None:
    table = tmp_path / "users.csv"
    table.write_text("login,department\nALICE,finance\n")
    k = Knowledge(
        kb(
            {
                "props": {
                    "st": {
                        "EXTRACT-a": r"user=(?<login>\w+)",
                        "REPORT-b": "kv",
                        "FIELDALIAS-c": "login AS account",
                        "EVAL-account": "upper(account)",  # sees the alias (aliases run first)
                        "EVAL-seen_port": "port",  # sees the REPORT field
                        "LOOKUP-d": "users login AS account OUTPUT department",  # sees the eval
                    }
                },
                "transforms": {
                    "kv": {"REGEX": r"port=(\d+)", "FORMAT": "port::$1"},
                    "users": {"filename": "users.csv"},
                },
            },
            lookup_files={"users.csv": table},
        )
    )
    rows = run(
        k, "search * | table login account port seen_port department", [ev("user=alice port=22")]
    )
    assert rows == [
        {
            "login": "alice",
            "account": "ALICE",
            "port": "22",
            "seen_port": "22",
            "department": "finance",
        }
    ]


def test_evals_of_a_stanza_see_the_event_before_any_of_them() -> None:
    k = Knowledge(kb({"props": {"st": {"EVAL-a": "b", "EVAL-b": '"new"', "EVAL-c": "a"}}}))
    rows = run(k, "search * | table a b c", [ev("x", a="old_a", b="old_b")])
    # a = old b, b = "new", c = old a: no eval sees another's result
    assert rows == [{"a": "old_b", "b": "new", "c": "old_a"}]


def test_eval_null_removes_the_field() -> None:
    k = Knowledge(kb({"props": {"st": {"EVAL-x": "null()"}}}))
    assert run(k, "search * | table x y", [ev("r", x="1", y="2")]) == [{"y": "2"}]


def test_fieldalias_as_overwrites_and_clears_asnew_only_fills() -> None:
    k = Knowledge(
        kb(
            {
                "props": {
                    "st": {
                        "FIELDALIAS-a": "src AS over",
                        "FIELDALIAS-b": "src ASNEW keep",
                        "FIELDALIAS-c": "missing AS gone",
                        "FIELDALIAS-d": "missing ASNEW stays",
                    }
                }
            }
        )
    )
    rows = run(
        k,
        "search * | table src over keep gone stays",
        [ev("r", src="new", over="old", keep="mine", gone="old", stays="mine")],
    )
    assert rows == [{"src": "new", "over": "new", "keep": "mine", "stays": "mine"}]


def test_report_dynamic_names_mv_add_and_clean_keys() -> None:
    k = Knowledge(
        kb(
            {
                "props": {"st": {"REPORT-pairs": "pairs", "REPORT-multi": "multi"}},
                "transforms": {
                    "pairs": {"REGEX": r"(\S+):(\S+)", "FORMAT": "$1::$2"},
                    "multi": {"REGEX": r"ip=(\S+)", "FORMAT": "ip::$1", "MV_ADD": "true"},
                },
            }
        )
    )
    rows = run(
        k,
        "search * | table key_one _2bad ip",
        [ev("key-one:a 2bad:b ip=1.1.1.1 ip=2.2.2.2")],
    )
    # CLEAN_KEYS (default true): key-one -> key_one; leading digits dropped: 2bad -> bad
    assert rows == [{"key_one": "a", "ip": ["1.1.1.1", "2.2.2.2"]}]
    assert clean_key("2bad") == "bad" and clean_key("a.b-c") == "a_b_c"
    again = run(k, "search * | table bad", [ev("2bad:b")])
    assert again == [{"bad": "b"}]


def test_report_without_mv_add_keeps_the_first_value() -> None:
    k = Knowledge(
        kb(
            {
                "props": {"st": {"REPORT-x": "x"}},
                "transforms": {"x": {"REGEX": r"ip=(\S+)", "FORMAT": "ip::$1"}},
            }
        )
    )
    assert run(k, "search * | table ip", [ev("ip=1.1.1.1 ip=2.2.2.2")]) == [{"ip": "1.1.1.1"}]


def test_delims_and_fields() -> None:
    k = Knowledge(
        kb(
            {
                "props": {"st": {"REPORT-kv": "kv", "REPORT-csv": "csv"}},
                "transforms": {
                    "kv": {"DELIMS": '"|", "="', "SOURCE_KEY": "payload"},
                    "csv": {"DELIMS": '","', "FIELDS": "first, second"},
                },
            }
        )
    )
    rows = run(k, "search * | table a b first second", [ev("x,y", payload="a=1|b=2")])
    assert rows == [{"a": "1", "b": "2", "first": "x", "second": "y"}]


def test_extract_in_another_field_and_key_val_groups() -> None:
    k = Knowledge(
        kb(
            {
                "props": {
                    "st": {
                        "EXTRACT-name": r"(?<name>[^\\]+)$ in path",
                        "EXTRACT-kv": r"(?<_KEY_1>\w+)=(?<_VAL_1>\w+)",
                    }
                }
            }
        )
    )
    rows = run(k, "search * | table name color", [ev("color=red", path="C:\\bin\\tool.exe")])
    assert rows == [{"name": "tool.exe", "color": "red"}]


def test_stanza_precedence_source_over_host_over_sourcetype() -> None:
    props = {
        "st": {"EVAL-who": '"sourcetype"', "EVAL-only_st": '"st"'},
        "host::h*": {"EVAL-who": '"host"'},
        "source::/var/log/...": {"EVAL-who": '"source"'},
    }
    assert stanzas_for(props, "st", "/var/log/app.log", "h1") == [
        "st",
        "host::h*",
        "source::/var/log/...",
    ]
    k = Knowledge(kb({"props": props}))
    assert run(k, "search * | table who only_st", [ev("r")]) == [{"who": "source", "only_st": "st"}]
    other = ev("r", source="/opt/x.log", host="db1")
    assert run(k, "search * | table who", [other]) == [{"who": "sourcetype"}]


def test_literal_source_pattern_beats_wildcard() -> None:
    props = {
        "source::/var/log/*.log": {"EVAL-who": '"wild"'},
        "source::/var/log/app.log": {"EVAL-who": '"literal"'},
    }
    k = Knowledge(kb({"props": props}))
    assert run(k, "search * | table who", [ev("r")]) == [{"who": "literal"}]


def test_source_patterns() -> None:
    assert pattern_regex("/var/log/...").fullmatch("/var/log/a/b/c.log")
    assert pattern_regex("/var/log/*.log").fullmatch("/var/log/a.log")
    assert not pattern_regex("/var/log/*.log").fullmatch("/var/log/a/b.log")
    assert pattern_regex("(?i)XmlWinEventLog:...").fullmatch("xmlwineventlog:Security")
    assert not pattern_regex("XmlWinEventLog:...").fullmatch("xmlwineventlog:Security")


def test_kv_mode_none_drops_automatic_fields() -> None:
    k = Knowledge(kb({"props": {"st": {"KV_MODE": "none", "EXTRACT-x": r"x=(?<x>\d)"}}}))
    rows = spl.run("search * | table x y", [ev("x=1 y=2", y="2")], knowledge=k)
    assert rows == [{"x": "1"}]


ET_TAGS: dict[str, dict[str, dict[str, str]]] = {
    "eventtypes": {
        "failed_login": {"search": "sourcetype=st action=failure"},
        "admin_activity": {"search": "user=admin*"},
        "off": {"search": "*", "disabled": "1"},
    },
    "tags": {
        "eventtype=failed_login": {"authentication": "enabled", "failure": "enabled"},
        "eventtype=admin_activity": {"privileged": "enabled", "noise": "disabled"},
        "dest=10.0.0.1": {"server": "enabled"},
    },
}


def test_eventtype_and_tag_fields() -> None:
    k = Knowledge(kb(ET_TAGS))
    events = [
        ev("a", action="failure", user="admin1", dest="10.0.0.1"),
        ev("b", action="success", user="bob"),
    ]
    rows = run(k, "search * | table eventtype tag tag::eventtype tag::dest", events)
    assert rows == [
        {
            "eventtype": ["admin_activity", "failed_login"],
            "tag": ["authentication", "failure", "privileged", "server"],
            "tag::eventtype": ["authentication", "failure", "privileged"],
            "tag::dest": "server",
        },
        {},
    ]


def test_search_on_tags_and_eventtypes_is_rewritten() -> None:
    k = Knowledge(kb(ET_TAGS))
    events = [
        ev("a", action="failure", user="bob"),
        ev("b", action="success", user="admin"),
        ev("c", action="success", user="bob", dest="10.0.0.1"),
    ]
    assert [r["_raw"] for r in run(k, "search tag=authentication", events)] == ["a"]
    assert [r["_raw"] for r in run(k, "search tag=privileged OR tag=server", events)] == [
        "b",
        "c",
    ]
    assert [r["_raw"] for r in run(k, "search eventtype=admin*", events)] == ["b"]
    assert [r["_raw"] for r in run(k, "search NOT tag=failure", events)] == ["b", "c"]
    assert run(k, "search tag=noise", events) == []  # a disabled tag tags nothing
    assert run(k, "search tag::dest=server", events)[0]["_raw"] == "c"
    rewritten = k.expand_search(spl.parse("search tag=authentication").search)
    assert rewritten is not None and "action" in rewritten.to_spl()


def test_app_macros_and_lookups_are_available(tmp_path: Path) -> None:
    table = tmp_path / "colors.csv"
    table.write_text("color,hex\nred,#f00\n")
    k = Knowledge(
        kb(
            {
                "macros": {
                    "red_things": {"definition": "color=red"},
                    "times(2)": {"args": "a, b", "definition": "eval p=$a$*$b$"},
                },
                "transforms": {"colors": {"filename": "colors.csv"}},
            },
            lookup_files={"colors.csv": table},
        )
    )
    rows = spl.run(
        "search `red_things` | `times(2,3)` | lookup colors color OUTPUT hex | table p hex",
        [ev("r", color="red"), ev("b", color="blue")],
        knowledge=k,
        macros=k.macros(),
    )
    assert rows == [{"p": 6, "hex": "#f00"}]


def test_only_needed_operations_run() -> None:
    k = Knowledge(kb({"props": {"st": {"EVAL-a": "x", "EVAL-b": "y", "EVAL-c": "a"}}}))
    plan = k.plan("st", "/var/log/app.log", "h1")
    assert [op.kind for op in plan.ops] == ["EVAL", "EVAL", "EVAL"]  # one per field
    enrich, reads = k.enricher("st", "/var/log/app.log", "h1", {"_raw"})
    assert enrich is None and reads == frozenset()
    enrich, reads = k.enricher("st", "/var/log/app.log", "h1", {"b"})
    assert enrich is not None and reads == {"y"}
    event = {"x": "1", "y": "2", "a": "old"}
    enrich(event)
    assert event == {"x": "1", "y": "2", "a": "old", "b": "2"}  # EVAL-a, EVAL-c did not run
    # c needs a: both run, and c still sees the a from before the evals
    enrich, reads = k.enricher("st", "/var/log/app.log", "h1", {"c"})
    assert enrich is not None and reads == {"a", "x"}
    event = {"x": "1", "a": "old"}
    enrich(event)
    assert event == {"x": "1", "a": "1", "c": "old"}


def test_raw_prefilter_skips_calculated_fields(tmp_path: Path) -> None:
    """A calculated value is not in the raw text: the prefilter must not require it."""
    log = tmp_path / "app.log"
    log.write_text("code=1 msg=started\ncode=2 msg=stopped\n")
    k = Knowledge(
        kb(
            {
                "props": {
                    "st": {
                        "EVAL-status": 'case(code==1, "running", code==2, "halted")',
                        "EXTRACT-word": r"msg=(?<word>\w+)",
                    }
                }
            }
        )
    )
    ds = [spl.Dataset(log, sourcetype="st", source="app")]
    rows = spl.run("search status=halted | table code", datasets=ds, knowledge=k)
    assert rows == [{"code": "2"}]
    unsafe = k.raw_unsafe([("st", "app", "contentkit")])
    assert unsafe["status"] == ("running", "halted")
    assert "word" not in unsafe  # extracted from the raw text: a safe prefilter
    groups = spl.required_terms(spl.parse("search word=started"))
    assert groups == [("started",)]
    rows = spl.run("search word=started | table code", datasets=ds, knowledge=k)
    assert rows == [{"code": "1"}]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("lower(Image)", ({"Image"}, [])),
        ('if(x==1, Image, "none")', ({"Image"}, ["none"])),
        ('Image."x"', None),
        ('replace(Image, "a", "b")', None),
    ],
)
def test_value_sources(expr: str, expected: Any) -> None:
    from contentkit.spl.knowledge import value_sources
    from contentkit.spl.parser import Parser

    assert value_sources(Parser(expr).parse_eval_expr()) == expected


def test_app_regexes_are_guarded_against_backtracking() -> None:
    from contentkit.spl.knowledge import splunk_regex

    # two unbounded quantifiers: `re` on short values, the linear-time engine on long ones
    rx = splunk_regex(r"(?<k>\w+)=(?<v>\w+)", "EXTRACT-x")
    assert rx.search("a=b").group("v") == "b"  # type: ignore[union-attr]
    long_value = "x" * 5000 + "=y"
    assert rx.search(long_value).group("v") == "y"  # type: ignore[union-attr]
    assert [m.group("k") for m in rx.finditer("a=1 b=2")] == ["a", "b"]
    # nested quantifiers: never Python's backtracking engine, whatever the length
    nested = splunk_regex(r"(?<a>(x+)+)y", "EXTRACT-y")
    assert nested.search("x" * 40) is None
