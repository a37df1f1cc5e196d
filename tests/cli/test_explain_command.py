"""`contentkit explain` and `contentkit test --explain` through the CLI, on this repository's
detection and on mutated copies of it that find nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
DATA = "datasets/kubernetes/kubernetes_audit_daemonset_created.json"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "contentkit", *args], capture_output=True, text=True, cwd=cwd
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _edit(pack: Path, old: str, new: str) -> None:
    path = pack / DET
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_explain_the_detection_shows_each_command_and_term() -> None:
    result = _cli(REPO, "explain", "Kubernetes DaemonSet Deployed")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== Kubernetes DaemonSet Deployed / True Positive Test" in out
    assert 'term "objectRef.resource"=daemonsets: 62 -> 13 (removed 49' in out
    assert "results: 2" in out
    # the negative test's data: the events are lost at the first search, on verb=create
    assert "term verb=create: 9 -> 0 (removed 9" in out
    assert "the events were lost at command 1 (search): 60 in, 0 out" in out


def test_explain_json_of_a_mutated_copy_points_at_the_stats_by_field(pack: Path) -> None:
    # without fillnull, an event lacking a BY field is dropped by stats without a word
    _edit(pack, "| fillnull", "")
    _edit(pack, "userAgent verb", "userAgent verb missingField")
    result = _cli(pack, "explain", DET, "--format", "json")
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout)[0]
    assert first["title"] == "Kubernetes DaemonSet Deployed / True Positive Test"
    assert first["results"] == 0
    stats = next(s for s in first["steps"] if s["command"] == "stats")
    assert first["lost_at"] == stats["index"]
    assert stats["rows_in"] == 2 and stats["rows_out"] == 0
    assert stats["missing_by"] == {"missingField": 2}


def test_explain_spl_text_with_data() -> None:
    result = _cli(
        REPO,
        "explain",
        "verb=create | where isnull(nosuch) | stats count by user.username",
        "--data",
        DATA,
        "--sourcetype",
        "_json",
        "--source",
        "kubernetes",
    )
    assert result.returncode == 0, result.stderr
    assert "field nosuch is null on" in result.stdout


def test_explain_errors_are_one_line(tmp_path: Path) -> None:
    result = _cli(REPO, "explain", "no such detection or search")
    assert result.returncode == 2
    assert "needs --data" in result.stderr
    bad = _cli(REPO, "explain", "| eval x=frob(1)", "--data", DATA)
    assert bad.returncode == 1
    assert "unknown eval function frob()" in bad.stderr


def test_test_explain_prints_where_a_failing_test_lost_its_events(pack: Path) -> None:
    _edit(pack, "verb=create", "verb=created")
    result = _cli(pack, "test", str(pack), "-q", "--explain")
    assert result.returncode == 1
    assert "== Kubernetes DaemonSet Deployed / True Positive Test" in result.stdout
    assert "term verb=created: 13 -> 0 (removed 13" in result.stdout


def test_explain_a_data_model_detection_names_the_knowledge_behind_its_fields(pack: Path) -> None:
    name = "Office Application Spawning Windows Shell"
    result = _cli(pack, "explain", name, "--format", "json")
    assert result.returncode == 0, result.stderr
    positive, negative = json.loads(result.stdout)
    assert positive["title"] == f"{name} / True Positive Test"
    first = positive["steps"][0]
    assert (first["command"], first["rows_in"], first["rows_out"]) == ("tstats", 62, 1)
    assert first["knowledge"]["process_name"] == "props.conf EXTRACT-process_name"
    assert first["knowledge"]["dest"] == "props.conf EVAL-dest"
    assert first["knowledge"]["user"] == "props.conf FIELDALIAS-user"
    assert positive["results"] == 1 and positive["lost_at"] is None
    assert negative["results"] == 0 and negative["lost_at"] == 1
    # a mutant that finds nothing: lost at the data-model search, and the text says why
    path = pack / "detections/endpoint/office_application_spawning_windows_shell.yml"
    path.write_text(path.read_text().replace('("winword.exe",', '("notepad.exe",', 1))
    text = _cli(pack, "explain", name).stdout
    assert "field parent_process_name comes from props.conf EXTRACT-parent_process_name" in text
    assert "the events were lost at command 1 (tstats): 62 in, 0 out" in text


def test_explain_says_which_data_model_fields_the_events_lack(pack: Path) -> None:
    # an app that maps nothing: the data-model search finds nothing, and explain says why
    (pack / "apps/contentkit_TA_sysmon/default/props.conf").write_text("")
    result = _cli(pack, "explain", "Office Application Spawning Windows Shell", "--format", "json")
    assert result.returncode == 0, result.stderr
    positive = json.loads(result.stdout)[0]
    first = positive["steps"][0]
    assert (first["rows_in"], first["rows_out"], positive["lost_at"]) == (62, 0, 1)
    assert first["null_fields"] == {
        name: 62
        for name in (
            "dest",
            "parent_process_id",
            "parent_process_name",
            "process",
            "process_id",
            "process_name",
            "user",
        )
    }
    assert first["knowledge"] == {}  # no app sets them any more
