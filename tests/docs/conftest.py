"""Fixtures of the docs tests: this repository's pack with one more detection, its test
results, and the site built from them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_pack

SEED = "detections/cloud/kubernetes_daemonset_deployed.yml"
SEED_NAME = "Kubernetes DaemonSet Deployed"
SEED_ID = "6f0b8c52-3e1d-4a7b-9f26-c4d8e1a5b370"
SECOND = "detections/cloud/kubernetes_privileged_pod_created.yml"
SECOND_NAME = "Kubernetes Privileged Pod Created"

# A second detection, so that the index has something to filter out: a TTP on another technique.
SECOND_YAML = """\
name: Kubernetes Privileged Pod Created
id: 0d6c1f4e-95b2-4a63-8e0b-7f3a9c2d5e14
version: 1
date: '2026-11-27'
author: contentkit developers
status: production
type: TTP
description: A pod that asks for privileged containers was created through the API server.
data_source:
- Kubernetes Audit
search: '`kube_audit` "objectRef.resource"=pods verb=create
  | stats count by user.username sourceIPs{}
  | rename user.username as user, sourceIPs{} as src_ip
  | `kubernetes_privileged_pod_created_filter`'
how_to_implement: Collect the Kubernetes API server audit log at the Request level.
known_false_positives: 'Cluster add-ons that run privileged on purpose (<script>alert(1)</script>
  & kube-proxy).'
references:
- https://kubernetes.io/docs/concepts/security/pod-security-standards/
rba:
  message: Privileged pod created by $user$
  risk_objects:
  - field: user
    type: user
    score: 64
  threat_objects:
  - field: src_ip
    type: ip_address
tags:
  analytic_story:
  - Kubernetes Security
  asset_type: Kubernetes
  mitre_attack_id:
  - T1610
  product:
  - Splunk Enterprise
  security_domain: network
tests:
- name: True Positive Test
  attack_data:
  - data: https://media.example.com/attack_data/k8s/privileged_pod.json
    source: kubernetes
    sourcetype: _json
"""


def results_document() -> dict[str, object]:
    """What `contentkit test --json` writes for the pack: the seed passes, the other fails."""
    seed_data = [
        {
            "data": "datasets/kubernetes/kubernetes_audit_daemonset_created.json",
            "source": "kubernetes",
            "sourcetype": "_json",
        }
    ]
    return {
        "contentkit_version": "0.1.0",
        "duration": 1.5,
        "counts": {"pass": 2, "fail": 1},
        "results": [
            {
                "detection": SEED_NAME,
                "file": SEED,
                "id": SEED_ID,
                "test": "True Positive Test",
                "negative": False,
                "attack_data": seed_data,
                "validation": {"status": "pass"},
                "unit": {"status": "pass", "message": "", "result_count": 1, "duration": 0.1},
                "integration": {"status": "pass", "message": ""},
            },
            {
                "detection": SEED_NAME,
                "file": SEED,
                "id": SEED_ID,
                "test": "No DaemonSet Created",
                "negative": True,
                "validation": {"status": "pass"},
                "unit": {"status": "pass", "result_count": 0},
                "integration": {"status": "pass"},
            },
            {
                # matched by name only, and without an integration block
                "detection": SECOND_NAME,
                "test": "True Positive Test",
                "unit": {"status": "dataset_unavailable", "message": "offline and not cached"},
            },
        ],
    }


BASELINE = "baselines/baseline_of_daemonset_creators.yml"
BASELINE_YAML = """\
name: Baseline Of DaemonSet Creators
id: 3e0f2b6a-8c1d-4e5f-9a7b-1c2d3e4f5a6b
version: 1
date: '2026-11-27'
author: contentkit developers
type: Baseline
status: production
description: Records who creates DaemonSets, so that a new creator stands out. See
  https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/ (the DaemonSet
  controller); <b>not bold</b>, and javascript:alert(1) stays text.
search: '`kube_audit` "objectRef.resource"=daemonsets verb=create
  | stats count by user.username
  | outputlookup daemonset_creators.csv'
how_to_implement: Run daily over the audit log.
known_false_positives: none
references:
- https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/
tags:
  analytic_story:
  - Kubernetes Security
  detections:
  - Kubernetes DaemonSet Deployed
  product:
  - Splunk Enterprise
  security_domain: network
"""
INVESTIGATION = "investigations/kubernetes_activity_by_user.yml"
INVESTIGATION_YAML = """\
name: Kubernetes Activity By User
id: 5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d
version: 1
date: '2026-11-27'
author: contentkit developers
type: Investigation
description: Everything a user did through the API server (https://kubernetes.io/docs/).
search: '| search `kube_audit` user.username=$user$ | table _time verb objectRef.resource'
how_to_implement: none
known_false_positives: none
references: []
tags:
  analytic_story:
  - Kubernetes Security
  product:
  - Splunk Enterprise
  security_domain: network
"""


def make_pack(target: Path) -> Path:
    # the Kubernetes part of the pack only: the pages and filters below count its detections
    pack = copy_pack(target, seed_only=True)
    (pack / SECOND).write_text(SECOND_YAML, encoding="utf-8")
    for rel, text in ((BASELINE, BASELINE_YAML), (INVESTIGATION, INVESTIGATION_YAML)):
        (pack / rel).parent.mkdir(parents=True, exist_ok=True)
        (pack / rel).write_text(text, encoding="utf-8")
    return pack


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the pack (two detections) with test results; returns the site folder."""
    base = tmp_path_factory.mktemp("docs")
    pack = make_pack(base / "pack")
    results = base / "results.json"
    results.write_text(json.dumps(results_document()), encoding="utf-8")
    run = run_cli("docs", pack, "--test-results", results)
    assert run.returncode == 0, run.stderr
    site = pack / "build" / "docs"
    # the index path, relative to the current folder
    assert Path(run.stdout.strip()).resolve() == (site / "index.html").resolve()
    return site


CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Debian's chromium (or $CHROMIUM): Playwright launches it by path, never downloads one."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    executable = find_chromium()
    if executable is None:
        message = (
            "chromium not found: install it (apt-get install -y chromium) "
            "or set CHROMIUM=/path/to/it"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    }
