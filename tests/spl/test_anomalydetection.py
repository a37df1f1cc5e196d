"""``anomalydetection`` and ``anomalousvalue`` as the Search Reference pages "anomalydetection"
and "anomalousvalue" document them (the constants the pages leave open are named in
``contentkit.spl.commands.anomaly``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from contentkit import spl
from contentkit.spl.errors import SplError

# 20 ordinary events of three users, one user seen once with a huge count
EVENTS: list[dict[str, Any]] = [
    {
        "_raw": str(i),
        "user": "alice" if i < 18 else ("bob" if i < 19 else "eve"),
        "count": 10 + i % 3,
    }
    for i in range(20)
] + [{"_raw": "x", "user": "mallory", "count": 500}]

N = len(EVENTS)


def run(search: str, events: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return spl.run(f"search * | {search}", [dict(e) for e in (events or EVENTS)])


def test_example_1_defaults_are_histogram_and_filter() -> None:
    # "Example 1: Return only anomalous events": the two searches return the same results
    plain = run("anomalydetection")
    explicit = run("anomalydetection method=histogram action=filter")
    assert plain == explicit
    assert "x" in [r["_raw"] for r in plain]
    assert all("log_event_prob" in r for r in plain)


def test_event_probability_is_the_product_of_value_frequencies() -> None:
    # "The probability is defined as the product of the frequencies of each individual field
    # value in the event"; categorical frequency = occurrences / number of events
    rows = run("anomalydetection user action=annotate")
    assert len(rows) == N  # annotate returns all events
    alice = rows[0]
    assert alice["log_event_prob"] == pytest.approx(math.log(18 / N))
    assert alice["probable_cause"] == "user"
    assert alice["probable_cause_freq"] == pytest.approx(18 / N)
    assert alice["max_freq"] == pytest.approx(18 / N)


def test_numeric_fields_use_the_size_of_their_histogram_bin() -> None:
    rows = run("anomalydetection count user action=annotate")
    mallory = rows[-1]
    # 500 is alone in the top bin of count, and mallory is alone among the users
    assert mallory["log_event_prob"] == pytest.approx(2 * math.log(1 / N))
    assert mallory["probable_cause_freq"] == pytest.approx(1 / N)
    assert mallory["max_freq"] == pytest.approx(1 / N)
    # the other counts (10..12) share the lowest bin
    assert rows[0]["log_event_prob"] == pytest.approx(math.log(20 / N) + math.log(18 / N))


def test_the_corpus_detections_form_annotates_every_row() -> None:
    # security_content: | anomalydetection "count" "user" action=annotate | search probable_cause=*
    rows = run('anomalydetection "count" "user" action=annotate | search probable_cause=*')
    assert len(rows) == N
    assert rows[-1]["probable_cause"] in ("count", "user")


def test_example_2_summary_is_one_row_of_six_fields() -> None:
    # "Example 2: Return a short summary of how many anomalous events are there"
    (row,) = run("anomalydetection action=summary count user")
    assert set(row) == {
        "num_anomalies",
        "thresh",
        "max_logprob",
        "min_logprob",
        "1st_quartile",
        "3rd_quartile",
    }
    assert row["num_anomalies"] == len(run("anomalydetection count user"))
    assert row["min_logprob"] == pytest.approx(2 * math.log(1 / N))


def test_cutoff_false_uses_the_plain_iqr_fence_and_finds_at_least_as_many() -> None:
    # "cutoff=false: threshold = 1st-quartile - 1.5 * IQR"; cutoff=true gives fewer anomalies
    events = [{"_raw": str(i), "n": i} for i in range(40)] + [
        {"_raw": f"r{i}", "n": 1000 + 50 * i} for i in range(4)
    ]
    events += [{"_raw": f"c{i}", "n": 5, "k": "rare"} for i in range(2)]
    (strict,) = run("anomalydetection action=summary cutoff=false n k", events)
    (loose,) = run("anomalydetection action=summary n k", events)
    q1, q3 = strict["1st_quartile"], strict["3rd_quartile"]
    assert math.log(strict["thresh"]) == pytest.approx(q1 - 1.5 * (q3 - q1))
    assert loose["num_anomalies"] <= strict["num_anomalies"]


def test_pthresh_sets_the_probability_threshold() -> None:
    # a probability below pthresh is anomalous
    assert len(run("anomalydetection user pthresh=0.5")) == 3  # bob, eve, mallory (1/21 each)
    assert run("anomalydetection user pthresh=0.01") == []
    (row,) = run("anomalydetection user pthresh=0.5 action=summary")
    assert row["thresh"] == pytest.approx(0.5)


def test_example_3_zscore_filters_like_anomalousvalue() -> None:
    # "Example 3": method=zscore action=filter pthresh=0.05 (anomalousvalue's options apply)
    rows = run("anomalydetection method=zscore action=filter pthresh=0.05 minsupcount=10 count")
    assert [r["_raw"] for r in rows] == ["x"]
    assert rows[0]["Anomaly_Score_Num(count)"] > 3  # standard deviations from the mean


def test_anomalousvalue_minsupcount_drops_rare_fields() -> None:
    # "anomalousvalue": minsupcount (default 100) drops fields seen fewer than N times
    assert run("anomalousvalue count") == []
    summary = {r["fieldname"]: r for r in run("anomalousvalue action=summary minsupcount=1")}
    assert summary["count"]["isNum"] == "YES" and summary["user"]["isNum"] == "NO"
    assert summary["count"]["count"] == N and summary["user"]["distinct_count"] == 4
    assert summary["count"]["useNum"] == "YES"


def test_example_4_iqr_runs_outlier_with_its_options() -> None:
    # "Example 4: Return outliers": method=iqr action=tf param=4 uselower=true mark=true
    rows = run("anomalydetection method=iqr action=tf param=4 uselower=true mark=true count")
    assert str(rows[-1]["count"]).startswith("000")
    assert len(run("anomalydetection method=iqr action=rm count")) == N - 1


@pytest.mark.parametrize(
    "search, message",
    [
        ("anomalydetection method=iqr pthresh=0.1", "invalid argument pthresh"),
        ("anomalydetection method=foo", "invalid method"),
        ("anomalydetection action=remove", "invalid action"),
        ("anomalydetection cutoff=maybe", "cutoff must be true or false"),
        ("anomalydetection pthresh=low", "pthresh must be a number"),
    ],
)
def test_bad_options_are_parse_errors(search: str, message: str) -> None:
    with pytest.raises(SplError, match=message):
        spl.parse(f"search * | {search}")


@pytest.mark.corpus
def test_the_corpus_detection_runs_and_ranks_the_rare_user_first() -> None:
    # security_content 5.13.0 "AWS Exfiltration via Anomalous GetObject API Activity", over
    # CloudTrail events with the fields the AWS add-on gives them
    from tests.conftest import CORPUS_5, need

    from .test_corpus import _load, _macros

    root = need(CORPUS_5)
    det = _load(root / "detections/cloud/aws_exfiltration_via_anomalous_getobject_api_activity.yml")
    macros = _macros(root)
    name = "aws_exfiltration_via_anomalous_getobject_api_activity_filter"
    macros.setdefault(name, spl.MacroDef(name, "search *"))
    search = spl.expand(det["search"], macros)
    common = {
        "sourcetype": "aws:cloudtrail",
        "eventName": "GetObject",
        "signature": "GetObject",
        "dest": "s3.amazonaws.com",
        "user_agent": "aws-cli",
        "src": "10.0.0.1",
        "vendor_account": "111",
        "vendor_region": "us-east-1",
        "vendor_product": "AWS CloudTrail",
        "requestParameters.bucketName": "data",
    }
    events = [
        {**common, "_time": 600 * i, "_raw": f"get {i}", "user_name": "svc"} for i in range(30)
    ]
    events += [
        {**common, "_time": 60 * i, "_raw": f"burst {i}", "user_name": "mallory"} for i in range(40)
    ]
    rows = spl.run(search, events)
    assert rows and all("probable_cause" in r for r in rows)
    worst = min(rows, key=lambda r: r["log_event_prob"])
    assert worst["user"] == "mallory"
