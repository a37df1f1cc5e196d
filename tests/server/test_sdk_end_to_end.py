"""`contentkit serve` driven by the real Splunk SDK and real HTTP: indexes, HEC with ack,
receivers/simple, oneshot/blocking/normal jobs, export, `| delete`, and `contentkit test
--target` — compared with the embedded engine on the same dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import splunklib.binding as binding
import splunklib.client as client
import splunklib.results as results

from contentkit import spl
from contentkit.replay.splunk import DatasetSpec, Settings, replay
from contentkit.server.process import ServerProcess

from .common import DATASET, DETECTION, NEGATIVE, REPO, normalize


def _connect(server: ServerProcess, password: str | None = None) -> Any:
    return client.connect(
        host="127.0.0.1",
        port=server.port,
        scheme="http",
        username=server.username,
        password=password or server.password,
    )


def _oneshot(service: Any, search: str, **params: Any) -> list[dict[str, Any]]:
    stream = service.jobs.oneshot(search, output_mode="json", count=0, **params)
    return [r for r in results.JSONResultsReader(stream) if isinstance(r, dict)]


def _http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _row(namespace: str, code: str) -> dict[str, Any]:
    return {
        "count": "1",
        "kind": "Event",
        "objectRef.name": "node-agent",
        "objectRef.namespace": namespace,
        "objectRef.resource": "daemonsets",
        "requestObject.kind": "DaemonSet",
        "responseStatus.code": code,
        "src_ip": "203.0.113.77",
        "stage": "ResponseComplete",
        "user": "mallory@example.com",
        "userAgent": "kubectl/v1.28.3 (linux/amd64) kubernetes/a8a1abc",
        "user_groups": ["developers", "system:authenticated"],
        "verb": "create",
    }


# The detection's results on the dataset, read off the dataset by hand: mallory's two DaemonSet
# creations, refused (403) in `default` and allowed (201) in `kube-system`.
DETECTION_ROWS = normalize([_row("default", "403"), _row("kube-system", "201")])


def _embedded() -> list[str]:
    rows = spl.run(
        DETECTION, datasets=[spl.Dataset(DATASET, sourcetype="_json", source="kubernetes")]
    )
    return normalize(rows)


@pytest.mark.filterwarnings("ignore:ResultsReader is deprecated")
def test_replay_by_hec_and_receivers_simple_then_search_like_the_embedded_engine(
    server: ServerProcess,
) -> None:
    service = _connect(server)
    assert service.splunk_version >= (9, 0, 2)  # the SDK uses the v2 search endpoints
    for name in ("ck_hec", "ck_simple"):
        service.indexes.create(name)
        assert name in service.indexes
    with pytest.raises(binding.HTTPError) as exists:
        service.indexes.create("ck_hec")
    assert exists.value.status == 409

    # HEC raw endpoint with a channel and acknowledgement, through the replay library
    settings = Settings(
        url=server.target,
        username=server.username,
        password=server.password,
        hec_url=server.hec_url,
        hec_token=server.hec_token,
    )
    done = replay(settings, [DatasetSpec(DATASET, "_json", "kubernetes")], index="ck_hec")
    assert (done.via, done.events, done.searchable) == ("HEC", 62, 62)
    # receivers/simple through the SDK
    service.indexes["ck_simple"].submit(
        DATASET.read_text(), sourcetype="_json", source="kubernetes", host="k8s-audit"
    )
    assert service.indexes["ck_simple"]["totalEventCount"] == "62"

    expected = _embedded()
    assert expected == DETECTION_ROWS  # and the embedded engine gives what the data holds
    for index in ("ck_hec", "ck_simple"):
        search = f"search index={index} {DETECTION}"
        assert normalize(_oneshot(service, search)) == expected
        job = service.jobs.create(search, exec_mode="blocking")
        assert job.is_done() and job["resultCount"] == "2"
        rows = [
            r
            for r in results.JSONResultsReader(job.results(output_mode="json", count=0))
            if isinstance(r, dict)
        ]
        assert normalize(rows) == expected
    # a normal (asynchronous) job, polled as the SDK does, read back as XML
    job = service.jobs.create(f"search index=ck_simple {DETECTION}")
    deadline = time.monotonic() + 10
    while not job.is_done():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    xml_rows = [dict(r) for r in results.ResultsReader(job.results(count=0)) if isinstance(r, dict)]
    assert normalize(xml_rows) == expected
    # export streams JSON lines; events keep their metadata and timestamps
    stream = service.jobs.export(
        "search index=ck_hec verb=create | sort 0 _time | table _time host source sourcetype user.username",
        output_mode="json",
    )
    exported = [r for r in results.JSONResultsReader(stream) if isinstance(r, dict)]
    assert {r["source"] for r in exported} == {"kubernetes"}
    assert {r["sourcetype"] for r in exported} == {"_json"}
    assert exported[0]["_time"].startswith("2026-11-02T09:")
    # the time range is honoured
    assert _oneshot(service, "search index=ck_hec | stats count", latest_time="0.5") == [
        {"count": "0"}
    ]
    assert _oneshot(
        service, "search index=ck_hec | stats count", earliest_time="2026-11-02T09:00:00Z"
    ) == [{"count": "62"}]


def test_delete_and_indexes_and_errors(server: ServerProcess) -> None:
    service = _connect(server)
    service.indexes.create("ck_delete")
    index = service.indexes["ck_delete"]
    index.submit(DATASET.read_text(), sourcetype="_json", source="kubernetes", host="a")
    index.submit(NEGATIVE.read_text(), sourcetype="_json", source="kubernetes", host="b")
    deleted = _oneshot(service, 'search index=ck_delete host="a" | delete')
    assert deleted == [{"index": "ck_delete", "deleted": "62", "errors": "0"}]
    count = _oneshot(service, "search index=ck_delete | stats count by host")
    assert [(r["host"], r["count"]) for r in count] == [("b", "60")]

    with pytest.raises(binding.HTTPError) as bad_search:
        _oneshot(service, "search index=ck_delete | stats count(")
    assert bad_search.value.status == 400 and "Error in search" in str(bad_search.value)
    with pytest.raises(binding.HTTPError) as bad_name:
        service.indexes.create("Bad Name")
    assert bad_name.value.status == 400
    assert "ck_missing" not in service.indexes  # GET of an unknown index: 404 -> KeyError
    with pytest.raises(binding.HTTPError) as no_job:
        service.get("search/jobs/nope")
    assert no_job.value.status == 404


def test_hec_event_endpoint_fields_and_acks(server: ServerProcess) -> None:
    token = {"Authorization": f"Splunk {server.hec_token}"}
    channel = {"X-Splunk-Request-Channel": "3f1c2b8e-7d52-4c1a-9f3e-0c6a1b2d3e4f"}
    events = [
        {
            "time": 1793610000 + i,
            "host": "web-1",
            "source": "app",
            "sourcetype": "app:json",
            "index": "main",
            "event": {"action": "login", "n": i},
            "fields": {"tenant": "acme"},
        }
        for i in range(3)
    ] + [{"event": "plain text line user=bob", "source": "app", "sourcetype": "app:text"}]
    body = "".join(json.dumps(e) for e in events).encode()
    status, reply = _http(f"{server.hec_url}/services/collector/event", body, {**token, **channel})
    assert status == 200
    ack = json.loads(reply)
    assert ack["code"] == 0 and isinstance(ack["ackId"], int)
    status, reply = _http(
        f"{server.hec_url}/services/collector/ack",
        json.dumps({"acks": [ack["ackId"], 999]}).encode(),
        {**token, **channel},
    )
    assert json.loads(reply) == {"acks": {str(ack["ackId"]): True, "999": False}}
    service = _connect(server)
    rows = _oneshot(service, "search index=main source=app tenant=acme | stats count sum(n) as n")
    assert rows == [{"count": "3", "n": "3"}]
    assert _oneshot(service, "search index=main source=app user=bob | stats count") == [
        {"count": "1"}
    ]
    status, reply = _http(f"{server.hec_url}/services/collector/health")
    assert status == 200 and json.loads(reply)["code"] == 17
    status, reply = _http(f"{server.hec_url}/services/collector/event", b"{not json", token)
    assert (status, json.loads(reply)["code"]) == (400, 6)
    status, reply = _http(f"{server.hec_url}/services/collector/raw?index=nope", b"x", token)
    assert (status, json.loads(reply)["text"]) == (400, "Incorrect index")


def test_wrong_credentials_and_tokens_are_refused(server: ServerProcess) -> None:
    with pytest.raises(binding.AuthenticationError):
        _connect(server, password="wrong")
    status, body = _http(f"{server.url}/services/auth/login", b"username=admin&password=wrong")
    assert status == 401 and b'<msg type="WARN">Login failed</msg>' in body
    status, body = _http(f"{server.url}/services/server/info")
    assert status == 401
    status, body = _http(
        f"{server.url}/services/server/info", headers={"Authorization": "Splunk not-a-session"}
    )
    assert status == 401
    import base64

    basic = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    status, body = _http(
        f"{server.url}/services/server/info?output_mode=json",
        headers={"Authorization": f"Basic {basic}"},
    )
    assert status == 200 and json.loads(body)["entry"][0]["content"]["version"] == "9.3.0"

    raw = f"{server.hec_url}/services/collector/raw?index=main"
    status, body = _http(raw, b"hello", {"Authorization": "Splunk wrong-token"})
    assert status == 403 and json.loads(body) == {"text": "Invalid token", "code": 4}
    status, body = _http(raw, b"hello")
    assert status == 401 and json.loads(body)["code"] == 2


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_contentkit_test_on_the_server_passes_the_seed_detection(
    server: ServerProcess, tmp_path: Path
) -> None:
    app = tmp_path / "DA-ESS-contentkit-0.1.0.tar.gz"
    app.write_bytes(b"not really a package: the embedded server only records it")
    report = tmp_path / "report.json"
    env = {"SPLUNK_USERNAME": server.username, "SPLUNK_PASSWORD": server.password}
    result = _cli(
        "test",
        ".",
        "--target",
        server.target,
        "-d",
        "Kubernetes DaemonSet Deployed",  # data-model searches cannot be scoped on a shared Splunk
        "--install-app",
        str(app),
        "--json",
        str(report),
        "--results-dir",
        str(tmp_path),
        "-q",
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    by_test = {r["test"]: r for r in data["results"]}  # the seed detection's tests only
    positive = by_test["True Positive Test"]
    assert positive["unit"]["status"] == "pass" and positive["unit"]["result_count"] == 2
    assert positive["integration"]["status"] == "pass"
    assert by_test["No DaemonSet Created"]["verdict"] == "pass"
    assert data["counts"]["fail"] == 0 and data["counts"]["error"] == 0
    service = _connect(server)
    assert "DA-ESS-contentkit" in service.apps
    # every replayed event was deleted again
    assert _oneshot(service, "search index=contentkit_test | stats count") == [{"count": "0"}]

    refused = _cli(
        "test",
        ".",
        "--target",
        server.target,
        "--password",
        "wrong",
        "--username",
        "admin",
        "--results-dir",
        str(tmp_path),
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "refused the login" in refused.stderr
    scheduled = _cli(
        "test", ".", "-d", "Kubernetes DaemonSet Deployed", "--target", server.target, "--scheduled"
    )
    assert scheduled.returncode == 2 and "--scheduled" in scheduled.stderr


def test_replay_command(server: ServerProcess, tmp_path: Path) -> None:
    env = {
        "SPLUNK_URL": server.target,
        "SPLUNK_USERNAME": server.username,
        "SPLUNK_PASSWORD": server.password,
    }
    ok = _cli(
        "replay",
        str(DATASET),
        "--index",
        "ck_cli",
        "--create-index",
        "--sourcetype",
        "_json",
        "--source",
        "kubernetes",
        "--hec-url",
        server.hec_url,
        "--hec-token",
        server.hec_token,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Replayed 62 events" in ok.stdout and "62 searchable" in ok.stdout
    simple = _cli(
        "replay", str(DATASET), "-i", "ck_cli", "-t", "_json", "-s", "kubernetes", env=env
    )
    assert simple.returncode == 0 and "via receivers/simple" in simple.stdout

    bad_cases = [
        (["--hec-url", server.hec_url, "--hec-token", "wrong"], "Invalid token"),
        (["--password", "wrong"], "refused the login"),
        (["--url", "splunk://127.0.0.1:1"], "cannot reach Splunk"),
        (["--index", "ck_nope"], "does not exist"),
    ]
    for extra, message in bad_cases:
        args = ["replay", str(DATASET), "-i", "ck_cli", "-t", "_json", "-s", "k", *extra]
        result = _cli(*args, env=env)
        assert result.returncode != 0 and message in result.stderr, (extra, result.stderr)
        assert result.stderr.count("\n") == 1
    missing = _cli(
        "replay", str(tmp_path / "nope.json"), "-i", "main", "-t", "_json", "-s", "k", env=env
    )
    assert missing.returncode != 0 and "does not exist" in missing.stderr
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_bytes(b'{"a": 1}\n\xff\xfe broken\n')
    bad = _cli("replay", str(corrupt), "-i", "main", "-t", "_json", "-s", "k", env=env)
    assert bad.returncode != 0 and "not UTF-8" in bad.stderr


class _Counting:
    """A SearchTarget that delegates to a real SplunkTarget and counts the tests it ran."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.name = target.name
        self.runs = 0

    def run(self, search: str, datasets: Any, *, label: str) -> list[dict[str, Any]]:
        self.runs += 1
        return self.target.run(search, datasets, label=label)


def test_several_targets_share_the_detections(server: ServerProcess, tmp_path: Path) -> None:
    from contentkit.content.validate import validate
    from contentkit.replay.datasets import DatasetResolver
    from contentkit.replay.splunk import SplunkTarget
    from contentkit.server.process import start_server
    from contentkit.testing import runner

    content = validate(REPO).content
    engine = runner.Engine.for_content(content, DatasetResolver.for_content(content.root))
    with start_server(tmp_path / "second") as second:
        targets = []
        for proc in (server, second):
            settings = Settings(url=proc.target, username=proc.username, password=proc.password)
            real = SplunkTarget(settings, index="ck_shared")
            real.prepare()
            targets.append(_Counting(real))
        seed = [d for d in content.detections if d.name == "Kubernetes DaemonSet Deployed"]
        detections = seed * 6
        outcomes = runner.run_all_targets(engine, targets, detections, jobs=2)
    assert len(outcomes) == 12
    assert {o.verdict for o in outcomes} == {"pass"}
    assert all(t.runs > 0 for t in targets) and sum(t.runs for t in targets) == 12


def test_target_keeps_an_index_the_search_names(server: ServerProcess) -> None:
    from contentkit.replay.splunk import SplunkTarget

    settings = Settings(url=server.target, username=server.username, password=server.password)
    target = SplunkTarget(settings)
    target.prepare()
    dataset = spl.Dataset(DATASET, sourcetype="_json", source="kubernetes", index="ck_named")
    rows = target.run(f"index=ck_named {DETECTION}", [dataset], label="named index")
    assert normalize(rows) == _embedded()
    service = _connect(server)
    assert "ck_named" in service.indexes  # created for the test, and emptied after it
    assert _oneshot(service, "search index=ck_named | stats count") == [{"count": "0"}]
