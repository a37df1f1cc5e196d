"""`contentkit search` through the CLI: results as JSON lines, table and CSV; clear errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from tests.conftest import REPO

DATA = str(REPO / "datasets/kubernetes/kubernetes_audit_daemonset_created.json")
SEED = (
    '`kube_audit` "objectRef.resource"=daemonsets verb=create | fillnull | stats count '
    "values(user.groups{}) as user_groups by kind objectRef.name objectRef.namespace "
    "objectRef.resource requestObject.kind responseStatus.code sourceIPs{} stage user.username "
    "userAgent verb | rename sourceIPs{} as src_ip, user.username as user "
    "| `kubernetes_daemonset_deployed_filter`"
)


def _search(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", "search", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_seed_search_as_json_lines() -> None:
    result = _search(
        SEED,
        "--content",
        str(REPO),
        "--data",
        DATA,
        "--sourcetype",
        "_json",
        "--source",
        "kubernetes",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 2  # one denied (403) and one successful (201) creation
    assert {r["user"] for r in rows} == {"mallory@example.com"}
    assert {r["src_ip"] for r in rows} == {"203.0.113.77"}
    assert {str(r["responseStatus.code"]) for r in rows} == {"201", "403"}
    assert all(r["user_groups"] == ["developers", "system:authenticated"] for r in rows)


def test_table_and_csv() -> None:
    spl = "verb=create | stats count by verb"
    table = _search(spl, "--data", DATA, "--format", "table")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["verb", "count"]
    assert table.stdout.rstrip().endswith("(1 result)")
    out = _search(spl, "--data", DATA, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["verb"] == "create" and int(rows[0]["count"]) >= 3


def test_bad_search_has_position_and_caret() -> None:
    result = _search('verb="create | stats count', "--data", DATA)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("contentkit: bad search: ")
    assert lines[1] == 'verb="create | stats count'
    assert lines[2] == "     ^"
    unknown = _search("verb=create | statz count", "--data", DATA)
    assert unknown.returncode == 1 and "unknown command 'statz'" in unknown.stderr


def test_missing_file_is_a_usage_error() -> None:
    result = _search("verb=create", "--data", "nope.json")
    assert result.returncode == 2
    assert "no such file: nope.json" in result.stderr and "Traceback" not in result.stderr
