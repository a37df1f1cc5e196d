"""Metric data points read from events, for ``mstats``.

An event holds measurements in one of the shapes Splunk's metrics documentation describes:

- single measurement: a ``metric_name`` field and a ``_value`` field;
- multiple measurements: one field ``metric_name:<name>`` per measurement, holding its value;
- an HTTP Event Collector metric payload, ``{"time": ..., "event": "metric", "host": ...,
  "fields": {...}}``, whose ``fields`` object holds either shape above (its keys arrive as
  ``fields.<key>`` after JSON extraction).

Every other field of the event is a dimension of each of its data points.  A measurement whose
value is not a number is skipped, as a metrics index would not hold it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .values import to_number

Event = dict[str, Any]

_MULTI = "metric_name:"
_HEC_FIELDS = "fields."
#: keys of an HEC payload that are metadata of the data point, not dimensions
_HEC_METADATA = ("host", "source", "sourcetype", "index")
#: keys of an HEC payload's envelope that are neither metadata nor dimensions
_HEC_ENVELOPE = frozenset({"time", "event", "fields"})
#: fields of an event that are never dimensions
_NOT_DIMENSIONS = frozenset({"_raw", "metric_name", "_value"})


def data_points(events: Iterable[Event]) -> Iterator[Event]:
    """One dict per measurement: the dimensions, ``_time``, ``metric_name`` and ``_value``
    (a number)."""
    for event in events:
        yield from event_points(event)


def event_points(event: Event) -> Iterator[Event]:
    """The data points of one event (none when it holds no numeric measurement)."""
    fields = _hec_fields(event) if event.get("event") == "metric" else None
    if fields is None:
        fields = event
    dims: Event = {}
    measurements: list[tuple[str, Any]] = []
    for key, value in fields.items():
        if key.startswith(_MULTI):
            measurements.append((key[len(_MULTI) :], value))
        elif key not in _NOT_DIMENSIONS:
            dims[key] = value
    name = fields.get("metric_name")
    if isinstance(name, str) and name and "_value" in fields:
        measurements.append((name, fields["_value"]))
    for metric, raw in measurements:
        value = to_number(raw)
        if value is None or not metric:
            continue
        point = dict(dims)
        point["metric_name"] = metric
        point["_value"] = value
        yield point


def _hec_fields(event: Event) -> Event | None:
    """The fields of an HEC metric payload's data point: its ``fields`` object plus the event's
    time and the payload's (else the event's) host/source/sourcetype/index; ``None`` when the
    event is not such a payload."""
    raw = event.get("_raw")
    payload: Any = None
    if isinstance(raw, str) and raw.lstrip().startswith("{"):
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
    if isinstance(payload, dict) and isinstance(payload.get("fields"), dict):
        out: Event = {k: v for k, v in payload["fields"].items() if k not in _HEC_ENVELOPE}
        for key in _HEC_METADATA:
            value = payload.get(key, event.get(key))
            if value is not None:
                out.setdefault(key, value)
    else:  # no raw JSON at hand: the flattened ``fields.<key>`` of the event
        keys = [k for k in event if k.startswith(_HEC_FIELDS)]
        if not keys:
            return None
        out = {k[len(_HEC_FIELDS) :]: event[k] for k in keys}
        for key in _HEC_METADATA:
            if key in event:
                out.setdefault(key, event[key])
    if "_time" in event:
        out["_time"] = event["_time"]
    return out
