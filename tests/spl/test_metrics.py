"""Metric data points read from events (the shapes of Splunk's "Get metrics in" documentation)."""

from __future__ import annotations

import json

from contentkit.spl.metrics import data_points, event_points


def test_single_measurement_event() -> None:
    event = {"_time": 5, "metric_name": "cpu", "_value": "2.5", "host": "a", "_raw": "x"}
    assert list(event_points(event)) == [
        {"_time": 5, "host": "a", "metric_name": "cpu", "_value": 2.5}
    ]


def test_multiple_measurement_event_skips_non_numbers() -> None:
    event = {"_time": 5, "metric_name:cpu": 1, "metric_name:mem": "high", "metric_name:io": "3"}
    points = list(event_points(event))
    assert [(p["metric_name"], p["_value"]) for p in points] == [("cpu", 1), ("io", 3)]
    assert all(set(p) == {"_time", "metric_name", "_value"} for p in points)


def test_an_event_without_measurements_has_no_points() -> None:
    assert list(data_points([{"_time": 1, "host": "a", "message": "hello"}])) == []
    assert list(event_points({"metric_name": "cpu"})) == []  # no _value


def test_hec_payload_from_raw_json() -> None:
    payload = {
        "time": 10,
        "event": "metric",
        "host": "node-1",
        "index": "m",
        "fields": {"metric_name:cpu": 0.5, "metric_name:mem": 7, "region": "eu"},
    }
    event = {
        "_time": 10.0,
        "_raw": json.dumps(payload),
        "event": "metric",
        "host": "collector",
        "fields.region": "eu",
    }
    points = list(event_points(event))
    assert points == [
        {
            "region": "eu",
            "host": "node-1",
            "index": "m",
            "_time": 10.0,
            "metric_name": "cpu",
            "_value": 0.5,
        },
        {
            "region": "eu",
            "host": "node-1",
            "index": "m",
            "_time": 10.0,
            "metric_name": "mem",
            "_value": 7,
        },
    ]


def test_hec_payload_from_flattened_fields_only() -> None:
    event = {
        "_time": 3,
        "event": "metric",
        "host": "h",
        "fields.metric_name": "tcp.packets",
        "fields._value": 4,
        "fields.pod": "p1",
    }
    assert list(event_points(event)) == [
        {"pod": "p1", "host": "h", "_time": 3, "metric_name": "tcp.packets", "_value": 4}
    ]
