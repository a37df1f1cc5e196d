from __future__ import annotations

import pytest

from contentkit.content.model import DetectionTest, Expectation
from contentkit.content.validate import validate
from contentkit.testing import judge
from tests.conftest import REPO


@pytest.fixture(scope="module")
def det():  # the seed detection, as the content model reads it
    return validate(REPO).content.detections[0]


def _test(negative: bool = False, **expect: object) -> DetectionTest:
    return DetectionTest("t", (), negative=negative, expect=Expectation(**expect))  # type: ignore[arg-type]


ROW = {"user": "mallory", "src_ip": "203.0.113.77", "count": 1}


def test_lone_count_zero_row_is_not_a_hit(det) -> None:
    verdict = judge.judge_unit(det, _test(), [{"count": 0}])
    assert verdict.status == "fail"
    assert "only a count=0 row" in verdict.message


def test_pass_with_a_real_hit(det) -> None:
    assert judge.judge_unit(det, _test(), [ROW]).status == "pass"


def test_risk_field_must_be_set_in_every_result(det) -> None:
    verdict = judge.judge_unit(det, _test(), [ROW, {"src_ip": "1.2.3.4", "count": 2}])
    assert verdict.status == "fail"
    assert (
        "risk object field 'user' is empty in 1 of 2 result(s) (e.g. result 2)" in verdict.message
    )


def test_threat_field_must_be_set_in_one_result(det) -> None:
    verdict = judge.judge_unit(det, _test(), [{"user": "a", "src_ip": "", "count": 1}])
    assert verdict.status == "fail"
    assert "threat object field 'src_ip' is empty in every result" in verdict.message
    assert (
        judge.judge_unit(det, _test(), [{"user": "a", "src_ip": "", "count": 1}, ROW]).status
        == "pass"
    )


def test_expectations(det) -> None:
    assert (
        judge.judge_unit(det, _test(min_results=2), [ROW]).message
        == "expected at least 2 result(s), got 1"
    )
    assert "expected at most 0" in judge.judge_unit(det, _test(max_results=0), [ROW]).message
    verdict = judge.judge_unit(det, _test(fields={"user": "eve"}), [ROW])
    assert "no result has user='eve' (values seen: ['mallory'])" in verdict.message
    assert judge.judge_unit(det, _test(fields={"user": ["mallory"]}), [ROW]).status == "pass"


def test_negative_tests(det) -> None:
    assert judge.judge_unit(det, _test(negative=True), []).status == "pass"
    assert judge.judge_unit(det, _test(negative=True), [{"count": 0}]).status == "pass"
    verdict = judge.judge_unit(det, _test(negative=True), [ROW])
    assert verdict.status == "fail" and "negative test returned 1 result(s)" in verdict.message


def test_risk_events_fill_tokens_and_split_multivalues(det) -> None:
    events, problems = judge.risk_events(det, [{"user": ["a", "b"], "src_ip": "1.2.3.4"}])
    assert problems == []
    assert [e.risk_object for e in events] == ["a", "b"]
    assert events[0].risk_message == "DaemonSet deployed to Kubernetes by user a,b"
    assert events[0].threat_objects == [
        {"threat_object": "1.2.3.4", "threat_object_type": "ip_address"}
    ]
    assert events[0].risk_score == 49


def test_unfilled_token_is_a_problem(det) -> None:
    events, problems = judge.risk_events(det, [{"src_ip": "1.2.3.4"}])
    assert events == []
    assert problems == [
        "result 1: risk message token $user$ has no value",
        "result 1: risk object field 'user' is missing",
    ]
    text, missing = judge.fill_tokens("from $src$ at $info_min_time$", {"src": ["x"]})
    assert text == "from x at $info_min_time$" and missing == []


def test_result_count_bounds_are_inclusive(det) -> None:
    two = [ROW, {**ROW, "user": "trent"}]
    for rows, low, high in ((two[:1], 1, 1), (two, 2, 2), (two, 1, 3), (two, 0, None)):
        verdict = judge.judge_unit(det, _test(min_results=low, max_results=high), rows)
        assert (verdict.status, verdict.message) == ("pass", f"{len(rows)} result(s)")
    assert (
        judge.judge_unit(det, _test(min_results=3), two).message
        == "expected at least 3 result(s), got 2"
    )
    assert (
        judge.judge_unit(det, _test(max_results=1), two).message
        == "expected at most 1 result(s), got 2"
    )
    # count=0 rows are not results: they do not count towards the bounds
    verdict = judge.judge_unit(det, _test(min_results=2), [ROW, {"count": 0}])
    assert verdict.message == "expected at least 2 result(s), got 1"


def test_failure_lists_every_problem_with_a_sample(det) -> None:
    rows = [{"user": "", "src_ip": "", "count": 1}] * 4
    verdict = judge.judge_unit(det, _test(min_results=5, fields={"user": "eve"}), rows)
    assert verdict.message == (
        "risk object field 'user' is empty in 4 of 4 result(s) (e.g. result 1); "
        "threat object field 'src_ip' is empty in every result; "
        "expected at least 5 result(s), got 4; "
        "no result has user='eve' (values seen: [])"
    )
    assert verdict.details == ["sample: {user=''}; {user=''}; {user=''} … 1 more"]
    assert verdict.passed is False
    assert judge.Verdict("pass").passed is True


@pytest.mark.parametrize(
    ("row", "hit"),
    [
        ({"count": 0}, False),
        ({"count": "0"}, False),
        ({"count": 0.0}, False),
        ({"count": 1}, True),
        ({"count": "3"}, True),
        ({"count": "many"}, True),
        ({"count": ["0", "1"]}, True),
        ({"user": "a"}, True),
    ],
)
def test_is_hit(row: dict, hit: bool) -> None:
    assert judge.is_hit(row) is hit


def test_present_and_values_of() -> None:
    assert [judge.present(v) for v in (None, "", [], ["", None], [None, "x"], 0, "a")] == [
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert judge.values_of(None) == []
    assert judge.values_of("") == []
    assert judge.values_of(7) == ["7"]
    assert judge.values_of(["a", "", None, 2]) == ["a", "2"]


def test_negative_test_messages(det) -> None:
    assert judge.judge_unit(det, _test(negative=True), []).message == "no result, as expected"
    assert (
        judge.judge_unit(det, _test(negative=True), [{"count": 0}]).message
        == "no result, as expected (1 row(s) with count=0)"
    )
    verdict = judge.judge_unit(det, _test(negative=True), [ROW, ROW])
    assert verdict.message == (
        "negative test returned 2 result(s): "
        "{user='mallory', src_ip='203.0.113.77', count=1}; "
        "{user='mallory', src_ip='203.0.113.77', count=1}"
    )
    assert (
        judge.judge_unit(det, _test(), []).message
        == "the search found nothing on the test data (no result)"
    )


def test_notables_fill_title_and_description() -> None:
    out, problems = judge.notables(
        "Pod by $user$", "$user$ from $src$ in $name$", [{"user": ["a", "b"], "src": "h"}, {}]
    )
    assert out == [
        {"rule_title": "Pod by a,b", "rule_description": "a,b from h in $name$"},
        {"rule_title": "Pod by $user$", "rule_description": "$user$ from $src$ in $name$"},
    ]
    assert problems == [
        "result 2: notable token $user$ has no value",
        "result 2: notable token $user$ has no value",
        "result 2: notable token $src$ has no value",
    ]


def test_risk_event_as_dict(det) -> None:
    events, _ = judge.risk_events(det, [{"user": "a", "src_ip": ["1.1.1.1", "2.2.2.2"]}])
    assert [e.as_dict() for e in events] == [
        {
            "risk_object": "a",
            "risk_object_type": "user",
            "risk_score": 49,
            "risk_message": "DaemonSet deployed to Kubernetes by user a",
            "threat_objects": [
                {"threat_object": "1.1.1.1", "threat_object_type": "ip_address"},
                {"threat_object": "2.2.2.2", "threat_object_type": "ip_address"},
            ],
        }
    ]


def test_samples_hide_internal_fields_and_show_six_at_most(det) -> None:
    row = {"_time": 1, "_raw": "x", "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7}
    verdict = judge.judge_unit(det, _test(negative=True), [row] * 3)
    assert verdict.message == (
        "negative test returned 3 result(s): " + "; ".join(["{a=1, b=2, c=3, d=4, e=5, f=6}"] * 3)
    )


def test_values_seen_are_cut_at_five(det) -> None:
    rows = [{**ROW, "user": name} for name in "abcdefg"]
    verdict = judge.judge_unit(det, _test(fields={"user": "z"}), rows)
    assert verdict.message == "no result has user='z' (values seen: ['a', 'b', 'c', 'd', 'e'])"


def test_lone_count_zero_row_message(det) -> None:
    verdict = judge.judge_unit(det, _test(), [{"count": 0}])
    assert verdict.message == "the search found nothing on the test data (only a count=0 row)"


def test_detection_without_rba(det) -> None:
    import dataclasses

    plain = dataclasses.replace(det, rba=None)
    rows = [{"user": "", "count": 1}]
    assert judge.judge_unit(plain, _test(), rows).status == "pass"  # no risk field to check
    verdict = judge.judge_unit(plain, _test(min_results=2), rows)
    assert verdict.message == "expected at least 2 result(s), got 1"
    assert verdict.details == ["sample: {user='', count=1}"]
    assert judge.risk_events(plain, rows) == ([], [])
