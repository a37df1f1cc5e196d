"""Data models and the commands that read them (spl/datamodels.py, spl/commands/tstats.py),
pinned against Splunk's documentation: "About data models" and "Design data model objects"
(Knowledge Manager Manual: constraints inherited from parents, calculated fields), and the
Search Reference pages of tstats (summariesonly, fillnull_value, `by _time span=`, output field
names), from and datamodel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contentkit import spl
from contentkit.apps.model import AppInfo, KnowledgeBase
from contentkit.spl.knowledge import Knowledge


def _field(name: str, owner: str, required: bool = False) -> dict[str, Any]:
    return {"fieldName": name, "owner": owner, "type": "string", "required": required}


MODEL: dict[str, Any] = {
    "modelName": "Auth",
    "objects": [
        {
            "objectName": "Authentication",
            "parentName": "BaseEvent",
            "constraints": [{"search": "(`auth_indexes`) tag=authentication"}],
            "fields": [
                _field("_time", "BaseEvent"),
                _field("user", "Authentication"),
                _field("src", "Authentication"),
                _field("action", "Authentication"),
                _field("app", "Authentication"),
            ],
            "calculations": [
                {
                    "calculationType": "Eval",
                    "owner": "Authentication",
                    "expression": 'if(isnull(app), "unknown", app)',
                    "outputFields": [_field("app", "Authentication")],
                },
                {
                    "calculationType": "Rex",
                    "owner": "Authentication",
                    "inputField": "user",
                    "expression": r"^(?<user_domain>[^\\]+)\\",
                    "outputFields": [_field("user_domain", "Authentication")],
                },
            ],
        },
        {
            "objectName": "Failed_Authentication",
            "parentName": "Authentication",
            "constraints": [{"search": "action=failure"}],
            "fields": [_field("reason", "Failed_Authentication")],
            "calculations": [],
        },
        {
            "objectName": "Successful_Authentication",
            "parentName": "Authentication",
            "constraints": [{"search": "action=success"}],
            "fields": [],
            "calculations": [],
        },
    ],
}


def knowledge() -> Knowledge:
    kb = KnowledgeBase(
        apps=[AppInfo("fixture_cim", Path("."))],
        confs={
            "macros": {"auth_indexes": {"definition": "()"}},
            "eventtypes": {"logins": {"search": "sourcetype=auth"}},
            "tags": {"eventtype=logins": {"authentication": "enabled"}},
        },
        datamodels={"Auth": MODEL},
    )
    return Knowledge(kb)


def login(t: float, user: str, action: str, src: str = "10.0.0.5", **more: Any) -> dict[str, Any]:
    event = {
        "_raw": f"login user={user} action={action}",
        "_time": t,
        "sourcetype": "auth",
        "source": "auth.log",
        "host": "h",
        "index": "main",
        "user": user,
        "action": action,
        "src": src,
    }
    event.update(more)
    return event


EVENTS = [
    login(100, "CORP\\alice", "success", app="vpn"),
    login(200, "CORP\\bob", "failure", reason="bad password"),
    login(3700, "CORP\\bob", "failure", src="10.0.0.9"),
    {"_raw": "noise", "_time": 50, "sourcetype": "other", "index": "main", "user": "x"}
    | {"action": "failure"},
]


def run(search: str, events: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    k = knowledge()
    return spl.run(search, EVENTS if events is None else events, knowledge=k, macros=k.macros())


def test_tstats_output_names_carry_the_dataset_prefix() -> None:
    rows = run("| tstats count from datamodel=Auth.Authentication by Authentication.user")
    assert rows == [
        {"Authentication.user": "CORP\\alice", "count": 1},
        {"Authentication.user": "CORP\\bob", "count": 2},
    ]


def test_child_constraints_are_anded_with_the_parents() -> None:
    rows = run(
        "| tstats count from datamodel=Auth.Failed_Authentication "
        "by Authentication.user Authentication.Failed_Authentication.reason"
    )
    # the noise event has action=failure but not the root's tag: not in the child either
    assert rows == [
        {
            "Authentication.user": "CORP\\bob",
            "Authentication.Failed_Authentication.reason": "bad password",
            "count": 1,
        }
    ]


def test_fillnull_value_keeps_rows_with_null_by_fields() -> None:
    search = (
        "| tstats {opt} count from datamodel=Auth.Failed_Authentication "
        "by Authentication.Failed_Authentication.reason"
    )
    assert run(search.format(opt="")) == [
        {"Authentication.Failed_Authentication.reason": "bad password", "count": 1}
    ]
    assert run(search.format(opt="fillnull_value=null")) == [
        {"Authentication.Failed_Authentication.reason": "bad password", "count": 1},
        {"Authentication.Failed_Authentication.reason": "null", "count": 1},
    ]


def test_nodename_selects_a_child_dataset() -> None:
    rows = run(
        "| tstats count from datamodel=Auth.Authentication "
        "where nodename=Authentication.Failed_Authentication by Authentication.src"
    )
    assert rows == [
        {"Authentication.src": "10.0.0.5", "count": 1},
        {"Authentication.src": "10.0.0.9", "count": 1},
    ]


def test_where_has_search_semantics() -> None:
    base = "| tstats count from datamodel=Auth.Authentication where {} by Authentication.user"
    assert run(base.format("Authentication.user=*bob")) == [
        {"Authentication.user": "CORP\\bob", "count": 2}
    ]
    assert run(base.format('Authentication.src IN ("10.0.0.9")')) == [
        {"Authentication.user": "CORP\\bob", "count": 1}
    ]
    assert run(base.format("NOT Authentication.action=failure")) == [
        {"Authentication.user": "CORP\\alice", "count": 1}
    ]


def test_calculated_fields_eval_and_rex() -> None:
    rows = run(
        "| tstats count from datamodel=Auth.Authentication "
        "by Authentication.app Authentication.user_domain"
    )
    assert rows == [
        {"Authentication.app": "unknown", "Authentication.user_domain": "CORP", "count": 2},
        {"Authentication.app": "vpn", "Authentication.user_domain": "CORP", "count": 1},
    ]


def test_span_and_time_functions() -> None:
    rows = run(
        "| tstats summariesonly=true count min(_time) as first from datamodel=Auth.Authentication "
        "by _time span=1h"
    )
    assert rows == [
        {"_time": 0, "count": 2, "first": 100},
        {"_time": 3600, "count": 1, "first": 3700},
    ]


def test_summariesonly_does_not_change_local_results() -> None:
    a = run("| tstats summariesonly=true count from datamodel=Auth.Authentication")
    b = run("| tstats summariesonly=false allow_old_summaries=true count from datamodel=Auth")
    assert a == b == [{"count": 3}]


def test_drop_dm_object_name_style_rename_and_several_tstats() -> None:
    rows = run(
        "| tstats count from datamodel=Auth.Successful_Authentication by Authentication.user "
        "| rename Authentication.* AS * "
        "| append [| tstats count from datamodel=Auth.Failed_Authentication by Authentication.user "
        "| rename Authentication.* AS *]"
    )
    assert rows == [{"user": "CORP\\alice", "count": 1}, {"user": "CORP\\bob", "count": 2}]


def test_from_and_datamodel_commands() -> None:
    rows = run("| from datamodel:Auth.Failed_Authentication | table user reason app")
    assert rows == [
        {"user": "CORP\\bob", "reason": "bad password", "app": "unknown"},
        {"user": "CORP\\bob", "app": "unknown"},
    ]
    rows = run("| datamodel Auth Authentication search | stats count by Authentication.app")
    assert rows == [
        {"Authentication.app": "unknown", "count": 2},
        {"Authentication.app": "vpn", "count": 1},
    ]


def test_tstats_over_indexes() -> None:
    assert run("| tstats count where index=* by sourcetype") == [
        {"sourcetype": "auth", "count": 3},
        {"sourcetype": "other", "count": 1},
    ]


def test_unknown_model_or_dataset_and_no_apps() -> None:
    with pytest.raises(spl.SplError, match="no loaded app defines the data model Web"):
        run("| tstats count from datamodel=Web.Web")
    with pytest.raises(spl.SplError, match="has no dataset 'Nope'"):
        run("| tstats count from datamodel=Auth.Nope")
    with pytest.raises(spl.SplError, match="app_unavailable"):
        spl.run("| tstats count from datamodel=Auth", EVENTS)


def test_geoip_calculation_is_unsupported_without_a_database() -> None:
    model = {
        "modelName": "Geo",
        "objects": [
            {
                "objectName": "Hits",
                "parentName": "BaseEvent",
                "constraints": [],
                "fields": [_field("src", "Hits")],
                "calculations": [
                    {
                        "calculationType": "GeoIP",
                        "owner": "Hits",
                        "inputField": "src",
                        "outputFields": [_field("City", "Hits")],
                    }
                ],
            }
        ],
    }
    k = Knowledge(KnowledgeBase(apps=[AppInfo("g", Path("."))], datamodels={"Geo": model}))
    with pytest.raises(spl.SplError, match="GeoIP"):
        spl.run("| tstats count from datamodel=Geo.Hits by Hits.City", EVENTS, knowledge=k)
    # a search that does not need the GeoIP fields runs
    assert spl.run("| tstats count from datamodel=Geo.Hits by Hits.src", EVENTS, knowledge=k)


def test_parse_and_print_round_trip() -> None:
    text = (
        "| tstats summariesonly=false count values(Processes.process) as process "
        "from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe "
        "by _time span=1h Processes.dest"
    )
    pipeline = spl.parse(text, strict=True)
    assert spl.parse(pipeline.to_spl(), strict=True) == pipeline
    assert spl.datamodels_used(pipeline) == ["Endpoint.Processes"]
    assert spl.output_fields(pipeline) == ["_time", "Processes.dest", "count", "process"]
