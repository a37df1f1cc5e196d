"""JSON paths with ``{}`` and ``{N}`` array steps: ``json_extract``, ``json_extract_exact``, the
``spath()`` eval function and the ``spath`` command, with the examples of the Search Reference
page "JSON functions" (the ``cities`` field) and of the page "spath"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contentkit import spl

CITIES = json.dumps(
    [
        {
            "name": "London",
            "Bridges": [
                {"name": "Tower Bridge", "length": 801},
                {"name": "Millennium Bridge", "length": 1066},
            ],
        },
        {
            "name": "Venice",
            "Bridges": [
                {"name": "Rialto Bridge", "length": 157},
                {"name": "Bridge of Sighs", "length": 36},
                {"name": "Ponte della Paglia"},
            ],
        },
        {
            "name": "San Francisco",
            "Bridges": [
                {"name": "Golden Gate Bridge", "length": 8981},
                {"name": "Bay Bridge", "length": 23556},
            ],
        },
    ]
)


def ev(expr: str, **fields: Any) -> Any:
    rows = spl.run(f"| makeresults | eval out={expr}", [])
    if fields:
        event = {"_raw": "x", **fields}
        rows = spl.run(f"search * | eval out={expr}", [event])
    return rows[0].get("out")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # "2. Extract the first nested JSON object in a field"
        ("{0}", '{"name":"London","Bridges":[{"name":"Tower Bridge","length":801},'
                '{"name":"Millennium Bridge","length":1066}]}'),
        # "4. Extract a specific key from each nested JSON object in a field"
        ("{}.name", '["London","Venice","San Francisco"]'),
        # "5. ... key-value pairs from each nested JSON object"
        ("{}.Bridges{}", '[{"name":"Tower Bridge","length":801},{"name":"Millennium Bridge",'
                         '"length":1066},{"name":"Rialto Bridge","length":157},{"name":"Bridge '
                         'of Sighs","length":36},{"name":"Ponte della Paglia"},{"name":"Golden '
                         'Gate Bridge","length":8981},{"name":"Bay Bridge","length":23556}]'),
        # "6. Extract a specific value from each nested JSON object"
        ("{}.Bridges{}.name", '["Tower Bridge","Millennium Bridge","Rialto Bridge",'
                              '"Bridge of Sighs","Ponte della Paglia","Golden Gate Bridge",'
                              '"Bay Bridge"]'),
        # "7. ... a specific key-value pair from a specific nested JSON object"
        ("{2}.Bridges{0}", '{"name":"Golden Gate Bridge","length":8981}'),
        # "8. Extract a specific value from a specific nested JSON object"
        ("{2}.Bridges{0}.length", "8981"),
    ],
)  # fmt: skip
def test_json_extract_doc_examples(path: str, expected: str) -> None:
    assert ev(f'json_extract(cities, "{path}")', cities=CITIES) == expected


def test_every_element_step_gives_an_array_even_for_one_element() -> None:
    # "{}" selects every element: the result is a JSON array however many there are
    assert ev('json_extract(j, "a{}.b")', j='{"a": [{"b": 1}]}') == "[1]"


def test_index_out_of_range_and_index_on_an_object_are_null() -> None:
    # "The {<num>} indexing ... only works when the <path> maps to a JSON array"
    assert ev('json_extract(cities, "{5}")', cities=CITIES) is None
    assert ev('json_extract(j, "a{0}")', j='{"a": {"b": 1}}') is None


def test_a_key_step_does_not_reach_into_arrays() -> None:
    # a dotted key names an object member; arrays need an explicit {} or {N} step
    assert ev('json_extract(j, "a.b")', j='{"a": [{"b": 1}, {"b": 2}]}') is None
    assert ev('json_extract(j, "a{}.b")', j='{"a": [{"b": 1}, {"b": 2}]}') == "[1,2]"


def test_json_extract_without_a_path_converts_to_the_native_type() -> None:
    # "json_extract(<json>)": a JSON string becomes a string, null becomes null
    assert ev("json_extract(j)", j='"text"') == "text"
    assert ev("json_extract(j)", j="null") is None
    assert ev("json_extract(j)", j='{"a":1}') == '{"a":1}'


def test_several_paths_give_one_array() -> None:
    # "json_extract(<json>, <path>, <path>, ...)": "returns them as a JSON array"
    assert ev('json_extract(cities, "{0}.name", "{2}.name")', cities=CITIES) == (
        '["London","San Francisco"]'
    )


def test_json_extract_exact_takes_keys_literally() -> None:
    # "json_extract_exact": {"system.splunk.path":"/opt/splunk/"}
    doc = '{"system.splunk.path": "/opt/splunk/", "a": {"b": 1}}'
    assert ev('json_extract_exact(p, "system.splunk.path")', p=doc) == "/opt/splunk/"
    assert ev('json_extract_exact(p, "a.b")', p=doc) is None
    assert ev('json_extract_exact(p, "a")', p=doc) == '{"b":1}'
    assert ev('json_extract_exact(p, "system.splunk.path", "a")', p=doc) == (
        '["/opt/splunk/",{"b":1}]'
    )


def test_spath_function_gives_a_multivalue_for_every_element() -> None:
    assert ev('spath(cities, "{}.name")', cities=CITIES) == ["London", "Venice", "San Francisco"]
    assert ev('spath(cities, "{1}.Bridges{2}.name")', cities=CITIES) == "Ponte della Paglia"


def test_spath_command_index_step_selects_one_element() -> None:
    # "spath": path=<datapath> with {N} selects one element of an array
    doc = '{"vendorProductSet": {"product": [{"desc": "a"}, {"desc": "b"}, {"desc": "c"}]}}'
    rows = spl.run("search * | spath path=vendorProductSet.product{1}.desc", [{"_raw": doc}])
    assert rows[0]["vendorProductSet.product{1}.desc"] == "b"
    rows = spl.run(
        "search * | spath output=d path=vendorProductSet.product{}.desc", [{"_raw": doc}]
    )
    assert rows[0]["d"] == ["a", "b", "c"]
    rows = spl.run("search * | spath output=p path=vendorProductSet.product{2}", [{"_raw": doc}])
    assert rows[0]["p"] == '{"desc":"c"}'
