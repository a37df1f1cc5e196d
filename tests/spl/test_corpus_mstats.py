"""Every search of security_content 5.13.0 that uses ``mstats`` runs over generated OpenTelemetry
Kubernetes metrics (HEC metric payloads, the shape the Splunk OpenTelemetry collector sends).

The four baselines run first; the rows they would write with ``outputlookup`` become the
``k8s_*_baseline`` lookups the anomaly detections read, as in Splunk.  The data holds one process,
one network edge and one pod whose values jump far above their usual level in more than five
10-second buckets, so the anomaly detections find them.  Time terms (``earliest=-1h``) select
nothing locally, as in the engine's ``search``: both halves of a "newly seen" search see all the
data, and those searches still return rows because ``current!="false"`` matches the multivalue
``current`` (``True``, ``false``) — which says nothing about their logic, only that they run.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from contentkit import spl
from contentkit.spl.events import Dataset

from .test_corpus import CORPUS, _load, _macros

pytestmark = pytest.mark.corpus

T0 = 1_700_000_000
BUCKETS = 600  # 10-second buckets of data
SPIKES = range(500, 507)  # the buckets where the anomalous series jump (more than 5)


def _payload(t: float, fields: dict[str, Any]) -> dict[str, Any]:
    return {"time": t, "event": "metric", "host": "otel-collector", "fields": fields}


def _metric_lines() -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    processes = [("node-1", "sh", "/bin/sh", 101), ("node-1", "nginx", "/usr/sbin/nginx", 7)]
    edges = [("frontend", "backend", "nginx", "java"), ("backend", "db", "java", "postgres")]
    for b in range(BUCKETS):
        t = T0 + 10 * b + 1
        wobble = 1 + (b % 5) * 0.01
        for node, exe, path, pid in processes:
            spike = 100.0 if exe == "sh" and b in SPIKES else 1.0
            lines.append(
                _payload(
                    t,
                    {
                        "host.name": node,
                        "k8s.cluster.name": "prod",
                        "k8s.node.name": node,
                        "process.executable.name": exe,
                        "process.executable.path": path,
                        "process.pid": pid,
                        "metric_name:process.cpu.utilization": spike * wobble,
                        "metric_name:process.memory.utilization": 2 * wobble,
                        "metric_name:process.disk.operations": 3 * wobble,
                        "metric_name:process.threads": 4,
                    },
                )
            )
        for src, dst, sproc, dproc in edges:
            spike = 500.0 if src == "frontend" and b in SPIKES else 1.0
            lines.append(
                _payload(
                    t,
                    {
                        "k8s.cluster.name": "prod",
                        "source.workload.name": src,
                        "dest.workload.name": dst,
                        "source.process.name": sproc,
                        "dest.process.name": dproc,
                        "metric_name:tcp.packets": 10 * spike * wobble,
                        "metric_name:tcp.bytes": 1000 * spike * wobble,
                        "metric_name:udp.packets": 2 * spike * wobble,
                        "metric_name:udp.bytes": 200 * spike * wobble,
                    },
                )
            )
        for direction, base in (("transmit", 100.0), ("receive", 200.0)):
            spike = 50.0 if b in SPIKES and direction == "transmit" else 1.0
            lines.append(
                _payload(
                    t,
                    {
                        "metric_name": "k8s.pod.network.io",
                        "_value": base * spike * wobble,
                        "k8s.cluster.name": "prod",
                        "k8s.pod.name": "web-7d9f8c6b5d-abcde",
                        "k8s.node.name": "node-1",
                        "direction": direction,
                    },
                )
            )
        lines.append(
            _payload(
                t,
                {
                    "metric_name": "k8s.container.ready",
                    "_value": 1,
                    "host.name": "node-1",
                    "k8s.cluster.name": "prod",
                    "k8s.node.name": "node-1",
                    "container.image.name": "nginx:1.25",
                },
            )
        )
    return lines


def _searches(kind: str) -> dict[str, str]:
    out = {}
    for path in sorted((CORPUS / kind).rglob("*.yml")):
        search = _load(path).get("search") or ""
        if re.search(r"\bmstats\b", search):
            out[path.stem] = search
    return out


def _expand(search: str, macros: dict[str, spl.MacroDef]) -> str:
    for call in spl.macro_calls(search):
        if call.name.endswith("_filter") and call.key not in macros:
            macros[call.key] = spl.MacroDef(call.name, "search *")
    return spl.expand(search, macros)


@pytest.fixture(scope="module")
def metrics_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    path = tmp_path_factory.mktemp("k8s") / "otel_k8s_metrics.json"
    path.write_text("".join(json.dumps(p) + "\n" for p in _metric_lines()), encoding="utf-8")
    return Dataset(path, sourcetype="otel", source="otel", index="kubernetes_metrics")


def test_every_mstats_search_of_the_corpus_runs(metrics_dataset: Dataset, tmp_path: Path) -> None:
    macros = _macros(CORPUS)
    baselines = _searches("baselines")
    detections = _searches("detections")
    assert len(baselines) + len(detections) == 18
    lookups: dict[str, spl.LookupTable] = {}
    for name, search in baselines.items():
        text = _expand(search, macros)
        head, _, target = text.rpartition("| outputlookup ")
        assert head, name
        pipeline = spl.parse(head, strict=True)
        assert spl.unsupported_commands(pipeline) == [], name
        rows = spl.run(pipeline, datasets=[metrics_dataset], now=T0 + 10 * BUCKETS)
        assert rows, name
        columns = sorted({k for r in rows for k in r})
        csv_path = tmp_path / f"{target.strip()}.csv"
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, columns)
            writer.writeheader()
            writer.writerows(rows)
        lookups[target.strip()] = spl.LookupTable(target.strip(), csv_path)
    empty: list[str] = []
    for name, search in detections.items():
        pipeline = spl.parse(_expand(search, macros), strict=True)
        assert spl.unsupported_commands(pipeline) == [], name
        rows = spl.run(pipeline, datasets=[metrics_dataset], lookups=lookups, now=T0 + 10 * BUCKETS)
        if not rows:
            empty.append(name)
    # Every detection finds its spikes, the ratio one too: its baseline aggregates with
    # `stats avg(*:*) as avg_*:*`, wildcards `stats` expands (one column per field).
    assert empty == []


def test_every_mstats_part_of_the_corpus_returns_rows(metrics_dataset: Dataset) -> None:
    macros = _macros(CORPUS)
    for name, search in _searches("detections").items():
        text = _expand(search, macros)
        for part in re.findall(r"\|?\s*\[?\s*(mstats\b[^|\]]*)", text):
            rows = spl.run("| " + part, datasets=[metrics_dataset])
            assert rows, (name, part)
