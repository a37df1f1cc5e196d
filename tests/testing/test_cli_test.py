"""`contentkit test` end to end, through the CLI, on copies of this repository's pack."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
POSITIVE = "datasets/kubernetes/kubernetes_audit_daemonset_created.json"
SEED_NAME = "Kubernetes DaemonSet Deployed"


def _run(pack: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    report = pack / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "contentkit", "test", str(pack), "--json", str(report), "-q", *args],
        capture_output=True,
        text=True,
        cwd=pack,
    )
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(report.read_text()) if report.exists() else {}
    return result, data


def _edit(pack: Path, old: str, new: str) -> None:
    path = pack / DET
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_seed_detection_passes_unit_integration_and_negative(pack: Path) -> None:
    result, data = _run(pack, "--junit", str(pack / "junit.xml"))
    assert result.returncode == 0, result.stdout + result.stderr
    by_test = {r["test"]: r for r in data["results"] if r["detection"] == SEED_NAME}
    positive, negative = by_test["True Positive Test"], by_test["No DaemonSet Created"]
    assert positive["unit"]["status"] == "pass" and positive["unit"]["result_count"] == 2
    assert positive["integration"]["status"] == "pass"
    assert positive["validation"]["status"] == "pass"
    assert {e["risk_object"] for e in positive["risk_events"]} == {"mallory@example.com"}
    assert (
        positive["risk_events"][0]["risk_message"]
        == "DaemonSet deployed to Kubernetes by user mallory@example.com"
    )
    assert negative["negative"] is True
    assert negative["unit"]["status"] == "pass" and negative["integration"]["status"] == "pass"
    # the pack's three detections, two tests each (the data-model ones through the pack's apps)
    assert data["counts"]["pass"] == 6 and data["counts"]["fail"] == 0
    suite = ET.parse(pack / "junit.xml").getroot()
    assert suite.get("tests") == "12" and suite.get("failures") == "0"
    summary = yaml.safe_load((pack / "test_results/summary.yml").read_text())
    assert summary["summary"]["success"] is True
    assert summary["summary"]["total_pass"] == 3
    assert SEED_NAME in {d["name"] for d in summary["tested_detections"]}


DM_DETECTIONS = [
    (
        "detections/endpoint/office_application_spawning_windows_shell.yml",
        "Office Application Spawning Windows Shell",
        '("winword.exe", "excel.exe"',
        '("notepad.exe", "excel.exe"',
        {"dest": "wks-0277.corp.example.com", "user": "CORP\\bob", "process_name": "cmd.exe"},
    ),
    (
        "detections/network/connection_to_common_reverse_shell_port.yml",
        "Connection to Common Reverse Shell Port",
        "IN (4444, 1337",
        "IN (4445, 1337",
        {"src": "10.0.1.42", "dest": "198.51.100.23", "app": "svc_update.exe"},
    ),
]


@pytest.mark.parametrize(("file", "name", "old", "new", "fields"), DM_DETECTIONS)
def test_data_model_detections_pass_and_a_mutant_fails(
    pack: Path, file: str, name: str, old: str, new: str, fields: dict[str, str]
) -> None:
    result, data = _run(pack, "-d", name)
    assert result.returncode == 0, result.stderr
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["unit"]["status"] == "pass" and positive["unit"]["result_count"] == 1
    assert positive["integration"]["status"] == "pass"
    event = positive["risk_events"][0]
    for key, value in fields.items():
        assert value in event["risk_message"], (key, event["risk_message"])
    path = pack / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result, data = _run(pack, "-d", name)
    assert result.returncode == 1
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["unit"]["status"] == "fail"


def test_data_model_detections_without_their_apps_are_app_unavailable(pack: Path) -> None:
    config = pack / "contentctl.yml"
    text = config.read_text()
    config.write_text(text.replace("local_path: apps/contentkit_SA_CIM", "local_path: apps/gone"))
    result, data = _run(pack)
    assert result.returncode == 0, result.stderr  # unavailable is reported, not failed
    statuses = {r["detection"]: r["unit"]["status"] for r in data["results"]}
    assert statuses == {
        SEED_NAME: "pass",
        "Office Application Spawning Windows Shell": "app_unavailable",
        "Connection to Common Reverse Shell Port": "app_unavailable",
    }
    message = next(
        r["unit"]["message"] for r in data["results"] if r["unit"]["status"] == "app_unavailable"
    )
    assert message.startswith("data model Endpoint needs app contentkit_SA_CIM")
    assert "apps/gone" in message


def test_changed_search_fails_the_unit_test(pack: Path) -> None:
    _edit(pack, "verb=create", "verb=delete")
    result, data = _run(pack)
    assert result.returncode == 1
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["unit"]["status"] == "fail"
    assert positive["unit"]["message"] == "the search found nothing on the test data (no result)"
    assert "FAIL: Kubernetes DaemonSet Deployed / True Positive Test [unit]" in result.stderr


def test_missing_dataset_is_unavailable_not_a_pass(pack: Path) -> None:
    _edit(pack, "kubernetes_audit_no_daemonset.json", "gone.json")
    result, data = _run(pack)
    assert result.returncode == 0  # not a failure, but not a pass either
    negative = next(r for r in data["results"] if r["test"] == "No DaemonSet Created")
    assert negative["verdict"] == "dataset_unavailable"
    assert (
        negative["unit"]["message"] == "dataset file datasets/kubernetes/gone.json does not exist"
    )
    assert "1 dataset_unavailable" in result.stdout


def test_scheduled_window_that_misses_the_data_fails(pack: Path) -> None:
    ok, data = _run(pack, "--scheduled")
    assert ok.returncode == 0, ok.stderr
    # a one-minute window at the end: the DaemonSet creation happened minutes before
    _edit(
        pack,
        "rba:\n",
        "deployment:\n  scheduling:\n    earliest_time: -11m@m\n    latest_time: -10m@m\nrba:\n",
    )
    result, data = _run(pack, "--scheduled")
    assert result.returncode == 1
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["unit"]["status"] == "fail"
    assert "the schedule's window (-11m@m to -10m@m) sees" in positive["unit"]["message"]
    unscheduled, _ = _run(pack)
    assert unscheduled.returncode == 0  # the same content passes without --scheduled


def test_unknown_detection_is_a_usage_error(pack: Path) -> None:
    result, _ = _run(pack, "-d", "No Such Detection")
    assert result.returncode == 2
    assert "no detection matches 'No Such Detection'" in result.stderr


class _Server:
    """A real HTTP server on 127.0.0.1 that serves one dataset and counts requests."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests = 0
        self.truncate = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(
                    outer.body[: len(outer.body) // 2] if outer.truncate else outer.body
                )

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/attack_data/k8s/daemonset.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(pack: Path) -> Iterator[_Server]:
    srv = _Server((pack / POSITIVE).read_bytes())
    yield srv
    srv.close()


def test_url_dataset_downloaded_once_then_cached(
    pack: Path, server: _Server, tmp_path: Path
) -> None:
    _edit(pack, f"data: {POSITIVE}", f"data: {server.url}")
    cache = tmp_path / "cache"
    first, data = _run(pack, "--cache-dir", str(cache))
    assert first.returncode == 0, first.stderr
    assert server.requests == 1
    second, data = _run(pack, "--cache-dir", str(cache))
    assert second.returncode == 0
    assert server.requests == 1  # served from the cache
    assert (
        next(r for r in data["results"] if r["test"] == "True Positive Test")["unit"]["status"]
        == "pass"
    )
    offline, _ = _run(pack, "--cache-dir", str(cache), "--offline")
    assert offline.returncode == 0 and server.requests == 1


def test_corrupt_download_is_refused(pack: Path, server: _Server, tmp_path: Path) -> None:
    _edit(pack, f"data: {POSITIVE}", f"data: {server.url}")
    server.truncate = True
    _result, data = _run(pack, "--cache-dir", str(tmp_path / "cache"))
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["verdict"] == "dataset_unavailable"
    assert (
        "dataset unavailable (" in positive["unit"]["message"]
        and server.url in positive["unit"]["message"]
    )
    assert not any(
        p.suffix == ".json" and "daemonset" in p.name for p in (tmp_path / "cache").rglob("*")
    )


def test_wrong_checksum_is_refused(pack: Path, server: _Server, tmp_path: Path) -> None:
    wrong = hashlib.sha256(b"something else").hexdigest()
    _edit(pack, f"data: {POSITIVE}", f"data: {server.url}\n    sha256: {wrong}")
    _result, data = _run(pack, "--cache-dir", str(tmp_path / "cache"))
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert positive["verdict"] == "dataset_unavailable"
    assert "corrupt download: SHA-256" in positive["unit"]["message"]


def test_offline_and_not_cached(pack: Path, server: _Server, tmp_path: Path) -> None:
    _edit(pack, f"data: {POSITIVE}", f"data: {server.url}")
    _result, data = _run(pack, "--cache-dir", str(tmp_path / "cache"), "--offline")
    positive = next(r for r in data["results"] if r["test"] == "True Positive Test")
    assert (
        positive["unit"]["message"] == f"dataset unavailable (offline and not cached): {server.url}"
    )
    assert server.requests == 0


def test_an_app_given_on_the_command_line_that_cannot_be_loaded_is_a_usage_error(
    pack: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "broken.tgz"
    corrupt.write_bytes(b"not a package")
    not_app = tmp_path / "not_an_app"
    not_app.mkdir()
    for app, why in ((corrupt, "corrupt package"), (not_app, "not a Splunk app folder")):
        result, data = _run(pack, "--app", str(app))
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("contentkit: error: app "), lines
        assert why in lines[0] and str(app) in lines[0]
        assert data == {}  # nothing ran, no report written
