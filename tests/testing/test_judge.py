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
