"""``mstats`` over metric data points read from events.

Facts from the Search Reference page "mstats"
(https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/mstats):
the syntax ``| mstats [prestats=] [append=] [fillnull_value=] <stats-metric-term>... WHERE
<logical-expression> [(BY|GROUPBY) <field-list>] [<span-length>]``; a <stats-metric-term> is a
<stats-func> over a metric name or a <stats-func-value> over ``_value`` (the two cannot be mixed);
a span groups by ``_time`` buckets; ``append`` is valid only with ``prestats=true``.  The data point
shapes are those of Splunk's "Get metrics in" documentation (single ``metric_name``/``_value``,
multiple ``metric_name:<name>`` measurements, HEC ``"event": "metric"`` payloads).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contentkit import spl
from contentkit.spl.errors import SplError
from contentkit.spl.events import Dataset

T0 = 1_700_000_000


def _single(name: str, value: object, t: float = T0, **dims: object) -> dict[str, object]:
    return {"_time": t, "metric_name": name, "_value": value, "index": "metrics", **dims}


def _run(search: str, events: list[dict[str, object]]) -> list[dict[str, object]]:
    return spl.run(search, events)


# ----------------------------------------------------------------------------- the page's forms
def test_stats_func_over_one_metric_with_span() -> None:
    # the page's first example: avg of one metric in 30 second buckets
    events = [
        _single("aws.ec2.CPUUtilization", 10, T0 + 1),
        _single("aws.ec2.CPUUtilization", 20, T0 + 5),
        _single("aws.ec2.CPUUtilization", 40, T0 + 31),
        _single("os.cpu.utilization", 99, T0 + 2),
    ]
    rows = _run("| mstats avg(aws.ec2.CPUUtilization) WHERE index=metrics span=30s", events)
    start = T0 - T0 % 30
    assert rows == [
        {"_time": start, "avg(aws.ec2.CPUUtilization)": 15},
        {"_time": start + 30, "avg(aws.ec2.CPUUtilization)": 40},
    ]


def test_stats_func_value_form_filters_by_metric_name_and_groups_by_dimension() -> None:
    events = [
        _single("cpu.util", 10, host="www1"),
        _single("cpu.utilization", 30, host="www1"),
        _single("cpu.util", 50, host="www2"),
        _single("mem.used", 1000, host="www1"),
    ]
    rows = _run(
        "| mstats avg(_value) AS cpu WHERE index=metrics AND metric_name IN (cpu.util, "
        "cpu.utilization) BY host",
        events,
    )
    assert rows == [{"host": "www1", "cpu": 20}, {"host": "www2", "cpu": 50}]
    by_name = _run("| mstats count(_value) WHERE metric_name=cpu.* GROUPBY metric_name", events)
    assert by_name == [
        {"metric_name": "cpu.util", "count(_value)": 2},
        {"metric_name": "cpu.utilization", "count(_value)": 1},
    ]


def test_dimension_filter_and_several_functions() -> None:
    events = [
        _single("latency", 5, host="www1", app="shop"),
        _single("latency", 7, host="www2", app="shop"),
        _single("latency", 100, host="www2", app="blog"),
    ]
    rows = _run(
        "| mstats min(latency) max(latency) AS top count(latency) WHERE index=metrics "
        "AND host=www2 BY app",
        events,
    )
    assert rows == [
        {"app": "blog", "min(latency)": 100, "top": 100, "count(latency)": 1},
        {"app": "shop", "min(latency)": 7, "top": 7, "count(latency)": 1},
    ]


# ----------------------------------------------------------------------------- data point shapes
def test_multiple_measurement_events() -> None:
    events = [
        {"_time": T0, "index": "metrics", "host": "a", "metric_name:cpu": 1, "metric_name:mem": 4},
        {"_time": T0, "index": "metrics", "host": "a", "metric_name:cpu": "3"},
        {"_time": T0, "index": "metrics", "host": "b", "metric_name:cpu": "n/a"},  # skipped
    ]
    rows = _run("| mstats avg(cpu) count(cpu) sum(mem) WHERE index=metrics BY host", events)
    assert rows == [{"host": "a", "avg(cpu)": 2, "count(cpu)": 2, "sum(mem)": 4}]


def _hec_file(tmp_path: Path) -> Path:
    payloads = [
        {
            "time": T0 + 1,
            "event": "metric",
            "host": "node-1",
            "fields": {"metric_name:process.cpu.utilization": 0.5, "k8s.cluster.name": "c1"},
        },
        {
            "time": T0 + 2,
            "event": "metric",
            "host": "node-1",
            "fields": {
                "metric_name": "process.cpu.utilization",
                "_value": 1.5,
                "k8s.cluster.name": "c1",
            },
        },
        {
            "time": T0 + 3,
            "event": "metric",
            "host": "node-2",
            "fields": {"metric_name:process.threads": 8, "k8s.cluster.name": "c2"},
        },
    ]
    path = tmp_path / "metrics.json"
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads), encoding="utf-8")
    return path


def test_hec_metric_payloads_from_a_dataset(tmp_path: Path) -> None:
    ds = Dataset(_hec_file(tmp_path), sourcetype="otel", index="k8s_metrics", host="collector")
    rows = spl.run(
        "| mstats avg(process.cpu.utilization) AS cpu WHERE index=k8s_metrics BY host "
        "k8s.cluster.name",
        datasets=[ds],
    )
    # the payload's host is the data point's host; `fields.` is stripped from the dimensions
    assert rows == [{"host": "node-1", "k8s.cluster.name": "c1", "cpu": 1.0}]
    other = spl.run("| mstats count(process.threads) WHERE index=other", datasets=[ds])
    assert other == [{"count(process.threads)": 0}]


# ----------------------------------------------------------------------------- wildcards
def test_wildcard_metric_with_as_makes_one_field_per_metric() -> None:
    events = [
        _single("tcp.packets", 4, pod="p1"),
        _single("tcp.packets", 6, pod="p1"),
        _single("tcp.bytes", 100, pod="p1"),
        _single("udp.packets", 9, pod="p1"),
    ]
    rows = _run("| mstats avg(tcp.*) AS tcp.* WHERE index=metrics BY pod", events)
    assert rows == [{"pod": "p1", "tcp.bytes": 100, "tcp.packets": 5}]
    prefixed = _run("| mstats range(*) AS range_* WHERE index=metrics BY pod", events)
    assert prefixed == [
        {"pod": "p1", "range_tcp.bytes": 0, "range_tcp.packets": 2, "range_udp.packets": 0}
    ]
    bare = _run("| mstats max(tcp.*) WHERE index=metrics", events)
    assert bare == [{"max(tcp.bytes)": 100, "max(tcp.packets)": 6}]


def test_named_metrics_read_only_their_own_data_points() -> None:
    events = [_single("tcp.packets", 1, pod="p1"), _single("process.threads", 3, pod="p2")]
    rows = _run("| mstats count(tcp.packets) AS n WHERE index=metrics BY pod", events)
    assert rows == [{"pod": "p1", "n": 1}]


def test_time_terms_select_nothing_as_in_search() -> None:
    events = [_single("m", 1, T0 - 86_400), _single("m", 2, T0)]
    rows = spl.run(
        "| mstats sum(m) WHERE index=metrics AND earliest=-1h latest=now", events, now=T0
    )
    assert rows == [{"sum(m)": 3}]


def test_fillnull_value_keeps_points_without_a_by_dimension() -> None:
    events = [_single("m", 1, pod="p1"), _single("m", 2)]
    assert _run("| mstats sum(m) WHERE index=metrics BY pod", events) == [
        {"pod": "p1", "sum(m)": 1}
    ]
    rows = _run("| mstats fillnull_value=NULL sum(m) WHERE index=metrics BY pod", events)
    assert rows == [{"pod": "NULL", "sum(m)": 2}, {"pod": "p1", "sum(m)": 1}]


def test_percentiles_and_the_span_in_any_place() -> None:
    events = [_single("m", v, T0 + v) for v in range(1, 11)]
    rows = _run("| mstats perc95(m) upperperc50(m) AS up WHERE index=metrics", events)
    # as `stats` computes them (its README section: interpolated between the nearest ranks)
    assert rows == [{"perc95(m)": pytest.approx(9.55), "up": 5.5}]
    after_where = _run("| mstats count(m) WHERE index=metrics span=1d", events)
    between_by = _run("| mstats count(m) WHERE index=metrics BY index SPAN=1d", events)
    day = T0 - T0 % 86_400
    assert after_where == [{"_time": day, "count(m)": 10}]
    assert between_by == [{"_time": day, "index": "metrics", "count(m)": 10}]


def test_round_trip_prints_what_parses() -> None:
    text = "| mstats avg(tcp.*) AS tcp.* WHERE index=m AND earliest=-1h BY pod span=10s"
    pipeline = spl.parse(text)
    assert spl.parse(pipeline.to_spl()) == pipeline


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("| mstats avg(cpu)", "mstats needs a WHERE clause"),
        ("| mstats avg(cpu) BY host", "mstats needs a WHERE clause"),
        ("| mstats bogus(cpu) WHERE index=m", "unknown mstats function 'bogus'"),
        ("| mstats dc(cpu) WHERE index=m", "unknown mstats function 'dc'"),
        ("| mstats mean(cpu) WHERE index=m", "unknown mstats function 'mean'"),
        ("| mstats count WHERE index=m", "mstats: count needs a metric name"),
        ("| mstats avg(_value) avg(cpu) WHERE index=m", "cannot mix"),
        ("| mstats prestats=t avg(cpu) WHERE index=m", "mstats: prestats=true is not supported"),
        ("| mstats append=t avg(cpu) WHERE index=m", "mstats: append=true is not supported"),
        ("| mstats chart=t avg(cpu) WHERE index=m", "mstats: chart=true is not supported"),
        ("| mstats rate_avg(cpu) WHERE index=m", "mstats: rate_avg is not supported"),
        ("| mstats avg(cpu) WHERE index=m span=never", "mstats: invalid span"),
        ("| mstats avg(cpu.*) AS cpu WHERE index=m", "needs one '*'"),
        ("| mstats bogus=1 avg(cpu) WHERE index=m", "mstats: unknown option 'bogus'"),
        ("| mstats avg(cpu) WHERE index=m span=1h every=2h", "mstats: every is not supported"),
        ("| mstats avg(cpu) wher index=m", "unknown mstats function 'wher' (did you mean WHERE?)"),
        ("| mstats avg(cpu) groupb host", "function 'groupb' (did you mean GROUPBY?)"),
        ("| stats count byy host", "unknown stats function 'byy' (did you mean BY?)"),
    ],
)
def test_bad_input_is_a_parse_error(search: str, message: str) -> None:
    with pytest.raises(SplError, match=re.escape(message)):
        spl.parse(search, strict=True)


def test_mstats_is_not_reported_unsupported() -> None:
    pipeline = spl.parse("| mstats avg(cpu) WHERE index=m")
    assert spl.unsupported_commands(pipeline) == []
