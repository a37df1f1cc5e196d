"""`contentkit init` and `contentkit new …` through the command line, with no terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from contentkit.content.validate import validate


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_init_new_validate_build_test_end_to_end(tmp_path: Path) -> None:
    repo = tmp_path / "acme"
    done = _cli("init", str(repo), "--appid", "DA-ESS-Acme", "--prefix", "ACME", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (repo / "contentctl.yml").is_file()
    done = _cli(
        "new",
        "detection",
        "--name",
        "Kubernetes Pod Exec",
        "--type",
        "Anomaly",
        "--folder",
        "cloud",
        "--search",
        '`kube_audit` verb=create "objectRef.resource"=daemonsets '
        "| stats count by user.username | rename user.username as user",
        "--story",
        "Kubernetes Security",
        "--data-source",
        "Kubernetes Audit",
        "--dataset",
        "datasets/kubernetes/kubernetes_audit_daemonset_created.json",
        "--source",
        "kubernetes",
        "--sourcetype",
        "_json",
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    path = repo / "detections/cloud/kubernetes_pod_exec.yml"
    assert done.stdout.strip() == "detections/cloud/kubernetes_pod_exec.yml"
    doc = yaml.safe_load(path.read_text())
    assert doc["search"].endswith("| `kubernetes_pod_exec_filter`")
    assert doc["version"] == 1 and len(doc["id"]) == 36
    for command in (("validate", "--strict"), ("build",)):
        done = _cli(*command, cwd=repo)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "build/DA-ESS-Acme-0.1.0.tar.gz").is_file()
    done = _cli("test", "-q", "--json", str(tmp_path / "r.json"), cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "r.json").read_text())["results"]
    verdicts = {(r["detection"], r["test"]): r["verdict"] for r in results}
    assert verdicts[("Kubernetes DaemonSet Deployed", "True Positive Test")] == "pass"
    assert verdicts[("Kubernetes DaemonSet Deployed", "No DaemonSet Created")] == "pass"
    assert verdicts[("Kubernetes Pod Exec", "True Positive Test")] == "pass"


def test_new_objects_of_every_kind_validate(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert _cli("init", str(repo), cwd=tmp_path).returncode == 0
    commands = [
        ("new", "story", "--name", "Okta Abuse"),
        ("new", "macro", "--name", "okta", "--definition", "sourcetype=OktaIM2:log"),
        ("new", "macro", "--name", "over", "--argument", "n", "--definition", "count>$n$"),
        ("new", "lookup", "--name", "known_admins", "--field", "user", "--field", "team"),
        ("new", "lookup", "--name", "seen_users", "--field", "user", "--kvstore"),
        (
            "new",
            "data-source",
            "--name",
            "Okta System Log",
            "--source",
            "okta",
            "--sourcetype",
            "OktaIM2:log",
        ),
        (
            "new",
            "detection",
            "--name",
            "Okta Many Failures",
            "--story",
            "Okta Abuse",
            "--data-source",
            "Okta System Log",
            "--search",
            "`okta` outcome.result=FAILURE | stats count by user | `over(5)`",
        ),
    ]
    for command in commands:
        done = _cli(*command, cwd=repo)
        assert done.returncode == 0, f"{command}: {done.stderr}"
    report = validate(repo)
    assert [p.format() for p in report.errors] == []
    assert (repo / "lookups/known_admins.csv").read_text() == "user,team\n"
    assert {s.name for s in report.content.stories} >= {"Okta Abuse"}


def test_missing_option_without_a_terminal_is_a_usage_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert _cli("init", str(repo), cwd=tmp_path).returncode == 0
    done = _cli("new", "detection", cwd=repo)
    assert done.returncode == 2
    assert "missing --name (no terminal to ask on)" in done.stderr


def test_a_name_with_a_control_character_is_refused_by_new_and_validate(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert _cli("init", str(repo), cwd=tmp_path).returncode == 0
    done = _cli("new", "detection", "--name", "Odd\tName", cwd=repo)
    assert done.returncode == 2
    assert "name 'Odd\\tName' holds the control character U+0009" in done.stderr
    assert not list((repo / "detections").rglob("odd_name.yml"))
    # written by hand: validate says where (it would reach savedsearches.conf's stanza names)
    seed = repo / "detections/cloud/kubernetes_daemonset_deployed.yml"
    text = seed.read_text()
    text = text.replace(
        "name: Kubernetes DaemonSet Deployed", 'name: "\\e[1mKubernetes DaemonSet"', 1
    )
    seed.write_text(text)
    report = validate(repo)
    (problem,) = [p for p in report.errors if "control character" in p.message]
    assert problem.file.endswith("kubernetes_daemonset_deployed.yml") and problem.line == 1
    assert "U+001B" in problem.message


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert _cli("init", str(repo), cwd=tmp_path).returncode == 0
    before = (repo / "contentctl.yml").read_bytes()
    done = _cli("init", str(repo), cwd=tmp_path)
    assert done.returncode == 2
    assert "already exists" in done.stderr
    assert (repo / "contentctl.yml").read_bytes() == before
    assert _cli("new", "story", "--name", "Twice", cwd=repo).returncode == 0
    done = _cli("new", "story", "--name", "Twice", cwd=repo)
    assert done.returncode == 2
    assert "already exists (nothing was overwritten)" in done.stderr


def test_new_outside_a_repository(tmp_path: Path) -> None:
    done = _cli("new", "story", "--name", "X", cwd=tmp_path)
    assert done.returncode == 2
    assert "no contentctl.yml here" in done.stderr
