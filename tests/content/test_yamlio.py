import math

import pytest
import yaml

from contentkit.content.yamlio import SourceMap, YamlSyntaxError, load_yaml


def test_scalars_resolve_like_yaml_but_dates_stay_text() -> None:
    doc = load_yaml(b"a: 1\nb: -2.5\nc: null\nd: yes\ne: 2024-12-23\nf: '7'\ng: ~\nh: .inf\n")
    assert doc == {
        "a": 1,
        "b": -2.5,
        "c": None,
        "d": True,
        "e": "2024-12-23",
        "f": "7",
        "g": None,
        "h": math.inf,
    }


def test_same_result_as_pyyaml_on_ordinary_documents() -> None:
    text = "name: x\nlist:\n- 1\n- two\n- {k: v, n: [1, 2]}\nblock: |\n  line one\n  line two\nfolded: >\n  a\n  b\n"
    assert load_yaml(text) == yaml.safe_load(text)


def test_anchors_and_aliases() -> None:
    assert load_yaml("a: &x {k: 1}\nb: *x\n") == {"a": {"k": 1}, "b": {"k": 1}}


def test_duplicate_keys_are_reported_and_last_wins() -> None:
    duplicates: list[str] = []
    assert load_yaml("a: 1\nb: 2\na: 3\n", duplicates) == {"a": 3, "b": 2}
    assert duplicates == ["a"]
    assert SourceMap("a: 1\nb: 2\na: 3\n").duplicate_keys() == [("a", 3, 1)]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: [1\nb: 2\n", 2, "did not find expected ','"),
        ("a: 1\n---\nb: 2\n", 2, "more than one document"),
        ("a: *nope\n", 1, "unknown alias"),
        ("a: 1\n  b: 2\n", 2, "mapping values are not allowed"),
    ],
)
def test_syntax_errors_have_positions(text: str, line: int, fragment: str) -> None:
    with pytest.raises(YamlSyntaxError) as info:
        load_yaml(text)
    assert info.value.line == line
    assert fragment in info.value.message


def test_source_map_finds_values_and_keys() -> None:
    text = "name: x\ntags:\n  analytic_story:\n  - One\n  - Two\n  extra: 1\n"
    source = SourceMap(text)
    assert source.position(("tags", "analytic_story", 1)) == (5, 5)
    assert source.position(("tags", "extra"), key=True) == (6, 3)
    # a missing field points at its nearest existing parent
    assert source.position(("tags", "missing")) == (3, 3)
