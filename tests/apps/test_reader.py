"""Reading app folders and merging them with Splunk's precedence."""

from __future__ import annotations

import json
from pathlib import Path

from contentkit.apps.reader import load_knowledge, read_app

from .helpers import write_app

MODEL = {
    "modelName": "Demo",
    "displayName": "Demo",
    "objects": [
        {
            "objectName": "Things",
            "parentName": "BaseEvent",
            "baseSearch": "tag=thing",
            "fields": [{"fieldName": "thing", "type": "string"}],
        }
    ],
}


def test_local_over_default_and_ascii_app_order_key_by_key(tmp_path: Path) -> None:
    # "B_app" sorts before "a_app" in ASCII (uppercase first): B_app wins between apps
    a_app = write_app(
        tmp_path,
        "a_app",
        {
            "default/props.conf": "[src]\nKV_MODE = json\nEXTRACT-a = (?<a>\\d+)\n",
            "local/props.conf": "[src]\nFIELDALIAS-u = usr AS user\n",
            "default/macros.conf": "[m(1)]\nargs = x\ndefinition = a_default $x$\n",
        },
    )
    b_app = write_app(
        tmp_path,
        "B_app",
        {
            "default/props.conf": "[src]\nKV_MODE = none\nEVAL-b = 1\nFIELDALIAS-u = u AS user\n",
            "default/macros.conf": "[m(1)]\ndefinition = b_default $x$\n",
        },
    )
    kb = load_knowledge([a_app, b_app])
    assert [app.name for app in kb.apps] == ["B_app", "a_app"]
    assert kb.conf("props")["src"] == {
        "KV_MODE": "none",  # both in default/: B_app (ASCII first) wins
        "EXTRACT-a": "(?<a>\\d+)",  # only a_app sets it: kept (key-by-key merge)
        "EVAL-b": "1",
        "FIELDALIAS-u": "usr AS user",  # a_app's local/ beats B_app's default/
    }
    assert kb.conf("macros")["m(1)"] == {"args": "x", "definition": "b_default $x$"}
    assert kb.conf("nothing") == {}
    assert kb.warnings == []


def test_tags_merge_per_tag_and_disabled_stanzas_are_kept(tmp_path: Path) -> None:
    one = write_app(
        tmp_path,
        "one",
        {
            "default/tags.conf": "[eventtype=proc]\nprocess = enabled\nreport = enabled\n",
            "default/eventtypes.conf": "[proc]\nsearch = EventCode=1\ndisabled = 1\n",
        },
    )
    two = write_app(
        tmp_path,
        "two",
        {
            "default/tags.conf": "[eventtype=proc]\nreport = disabled\nendpoint = enabled\n",
            "local/tags.conf": "[eventtype=proc]\nendpoint = disabled\n",
        },
    )
    kb = load_knowledge([two, one])
    assert kb.conf("tags")["eventtype=proc"] == {
        "process": "enabled",
        "report": "enabled",
        "endpoint": "disabled",
    }
    assert kb.conf("eventtypes")["proc"] == {"search": "EventCode=1", "disabled": "1"}


def test_lenient_reading_reports_garbage_and_keeps_the_rest(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        "TA_messy",
        {
            "default/props.conf": (
                "[st]\r\nREPORT-a = t1\nthis line is junk\n[st]\nREPORT-a = t2\nKV_MODE = xml\n"
            ),
            "default/transforms.conf": b"[t1]\nREGEX = (\\w+)\nFORMAT = f::$1 \xff\n[broken\n",
        },
    )
    kb = load_knowledge([app])
    assert kb.conf("props")["st"] == {"REPORT-a": "t2", "KV_MODE": "xml"}
    assert kb.conf("transforms")["t1"] == {"REGEX": "(\\w+)", "FORMAT": "f::$1 \ufffd"}
    assert kb.warnings == [
        "TA_messy/default/props.conf:3: not a stanza, key = value or comment: "
        "'this line is junk'; line ignored",
        "TA_messy/default/transforms.conf:3: invalid UTF-8 at byte 34; read as U+FFFD",
        "TA_messy/default/transforms.conf:4: bad stanza header '[broken'; line ignored",
    ]


def test_data_models_lookups_and_app_conf(tmp_path: Path) -> None:
    cim = write_app(
        tmp_path,
        "SA_cim",
        {
            "default/app.conf": "[ui]\nlabel = Demo CIM\n[launcher]\nversion = 6.0.4\n",
            "local/app.conf": "[ui]\nlabel = Local label\n",
            "default/datamodels.conf": "[Demo]\nacceleration = false\n",
            "default/data/models/Demo.json": json.dumps(MODEL),
            "default/data/models/Broken.json": '{"modelName": "Broken",\n  oops}',
            "default/data/models/List.json": "[1, 2]",
            "lookups/demo_lookup.csv": "a,b\n1,2\n",
            "lookups/shared.csv": "x\ncim\n",
        },
    )
    ta = write_app(
        tmp_path,
        "TA_win",
        {
            "default/app.conf": "[id]\nversion = 9.1\n",
            "local/data/models/Demo.json": json.dumps({**MODEL, "displayName": "Overridden"}),
            "lookups/shared.csv": "x\nta\n",
        },
    )
    kb = load_knowledge([ta, cim])
    assert [(a.name, a.label, a.version) for a in kb.apps] == [
        ("SA_cim", "Local label", "6.0.4"),
        ("TA_win", "", "9.1"),
    ]
    # local/ of any app beats default/ of any app
    assert kb.datamodels["Demo"]["displayName"] == "Overridden"
    assert kb.datamodel_app == {"Demo": "TA_win"}
    assert kb.conf("datamodels") == {"Demo": {"acceleration": "false"}}
    assert kb.lookup_files == {
        "demo_lookup.csv": cim / "lookups" / "demo_lookup.csv",
        "shared.csv": cim / "lookups" / "shared.csv",  # SA_cim sorts first
    }
    assert kb.warnings == [
        "SA_cim/default/data/models/Broken.json:2:3: not valid JSON (Expecting property name "
        "enclosed in double quotes); data model ignored",
        "SA_cim/default/data/models/List.json: not a JSON object; data model ignored",
    ]


def test_read_app_and_duplicate_app_names(tmp_path: Path) -> None:
    first = write_app(tmp_path / "x", "TA_dup", {"default/macros.conf": "[m]\ndefinition = 1\n"})
    second = write_app(tmp_path / "y", "TA_dup", {"default/macros.conf": "[m]\ndefinition = 2\n"})
    read = read_app(first, origin="https://example.invalid/dup.tgz")
    assert read.info.origin == "https://example.invalid/dup.tgz" and read.info.path == first
    assert set(read.layers) == {"default"}
    kb = load_knowledge([first, second])
    assert kb.conf("macros")["m"] == {"definition": "1"}
    assert kb.warnings == [f"app TA_dup given twice: using {first}, ignoring {second}"]
    assert load_knowledge([]).empty
