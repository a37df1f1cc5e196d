"""`contentkit docs` on this repository's pack: the files of the site, the Markdown pages, the
Navigator layer, test results, and failures that leave the previous site alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.docs.conftest import SEED, make_pack, run_cli

DETECTION = "detections/kubernetes_daemonset_deployed"
SECOND_PAGE = "detections/kubernetes_privileged_pod_created"


def test_site_files(built: Path) -> None:
    for rel in (
        "index.html",
        "coverage.html",
        "attack_navigator_layer.json",
        "static/style.css",
        f"{DETECTION}.html",
        f"{SECOND_PAGE}.html",
        "stories/index.html",
        "stories/kubernetes_security.html",
        "data_sources/index.html",
        "data_sources/kubernetes_audit.html",
        "macros/index.html",
        "macros/kube_audit.html",
        "markdown/index.md",
        "markdown/coverage.md",
        f"markdown/{DETECTION}.md",
        "markdown/stories/kubernetes_security.md",
        "markdown/data_sources/kubernetes_audit.md",
        "markdown/macros/kube_audit.md",
    ):
        assert (built / rel).is_file(), rel
    # nothing is left of the temporary folder next to the site
    assert [p.name for p in built.parent.iterdir()] == ["docs"]


def test_no_network_resources(built: Path) -> None:
    for page in built.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for attr in re.findall(r'\b(?:src|href)="([^"]*)"', text):
            if attr.startswith(("http://", "https://", "//")):
                # only plain links (ATT&CK, references, datasets): never a stylesheet or script
                assert f'<link rel="stylesheet" href="{attr}"' not in text, page
                assert f'src="{attr}"' not in text, page
        assert "<script src" not in text


def test_markdown_detection_page(built: Path) -> None:
    md = (built / f"markdown/{DETECTION}.md").read_text(encoding="utf-8")
    assert "# Detection: Kubernetes DaemonSet Deployed" in md
    assert (
        "| [T1204](https://attack.mitre.org/techniques/T1204/) | User Execution | Execution |" in md
    )
    search = md.split("```spl\n", 1)[1].split("\n```", 1)[0].splitlines()
    assert search[0] == '`kube_audit` "objectRef.resource"=daemonsets verb=create'
    assert search[1] == "| fillnull"
    assert search[-1] == "| `kubernetes_daemonset_deployed_filter`"
    assert len(search) == 5
    assert (
        "| [Kubernetes Audit](../data_sources/kubernetes_audit.md) | Kubernetes | `_json` | "
        "`kubernetes` | N/A |" in md
    )
    assert '| [`kube_audit`](../macros/kube_audit.md) | `source="kubernetes"` |' in md
    assert "| `kubernetes_daemonset_deployed_filter` | `search *` |" in md
    for row in (
        "| Disabled | `true` |",
        "| Cron Schedule | `0 * * * *` |",
        "| Earliest Time | `-70m@m` |",
        "| Latest Time | `-10m@m` |",
        "| Schedule Window | `auto` |",
        "| Creates Risk Event | `True` |",
        "| Creates Notable | `False` |",
    ):
        assert row in md
    assert "| DaemonSet deployed to Kubernetes by user $user$ | 49 | 70 | 70 |" in md
    assert "| Validation | ✅ Passing | N/A | N/A | N/A |" in md
    assert "| Unit (True Positive Test) | ✅ Passing |" in md
    assert "| Integration (No DaemonSet Created, negative) | ✅ Passing |" in md
    assert md.rstrip().endswith(f"Source: `{SEED}` | Version: 2")


def test_results_of_a_failing_or_partial_detection(built: Path) -> None:
    md = (built / f"markdown/{SECOND_PAGE}.md").read_text(encoding="utf-8")
    assert "| Unit (True Positive Test) | Dataset unavailable: offline and not cached |" in md
    assert "| Integration (True Positive Test) | not run |" in md
    # a dataset given as a URL is a link
    assert "[Dataset](https://media.example.com/attack_data/k8s/privileged_pod.json)" in md
    # TTP: notable and risk; score 64 is impact 80 x confidence 80
    assert "| Creates Notable | `True` |" in md
    assert "| Privileged pod created by $user$ | 64 | 80 | 80 |" in md
    index = (built / "index.html").read_text(encoding="utf-8")
    assert 'data-status="dataset_unavailable"' in index
    assert 'data-status="pass"' in index


def test_navigator_layer(built: Path) -> None:
    layer = json.loads((built / "attack_navigator_layer.json").read_text(encoding="utf-8"))
    assert layer["domain"] == "enterprise-attack"
    assert layer["versions"]["layer"].startswith("4.")
    assert layer["name"]
    by_id = {t["techniqueID"]: t for t in layer["techniques"]}
    assert set(by_id) == {"T1204", "T1610"}
    assert by_id["T1204"]["score"] == 1
    assert "Kubernetes DaemonSet Deployed" in by_id["T1204"]["comment"]


def test_coverage_page(built: Path) -> None:
    html = (built / "coverage.html").read_text(encoding="utf-8")
    # T1610 is under both of its tactics, T1204 under Execution
    assert html.count('href="#T1610"') == 2
    assert html.count('href="#T1204"') == 1
    assert '<section class="technique" id="T1204">' in html
    assert 'href="detections/kubernetes_daemonset_deployed.html"' in html
    md = (built / "markdown/coverage.md").read_text(encoding="utf-8")
    assert "## Defense Evasion" in md and "## Execution" in md


def test_no_test_results_means_not_run(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    out = tmp_path / "site"
    run = run_cli("docs", pack, "--output", out, "--quiet")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    md = (out / f"markdown/{DETECTION}.md").read_text(encoding="utf-8")
    assert "| Unit (True Positive Test) | not run |" in md
    assert "| Integration (True Positive Test) | not run |" in md
    html = (out / f"{DETECTION}.html").read_text(encoding="utf-8")
    assert "No test results were given" in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"results": {"a": 1}}', "'results' is not a list"),
        ('{"results": [3]}', "must be an object"),
        (b"\xff\xfe\x00", "not a JSON file"),
    ],
)
def test_bad_results_file(tmp_path: Path, content: str | bytes, message: str) -> None:
    pack = make_pack(tmp_path / "pack")
    bad = tmp_path / "results.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    run = run_cli("docs", pack, "--test-results", bad)
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("contentkit: error: ")
    assert message in lines[0]
    assert "Traceback" not in run.stderr
    assert not (pack / "build").exists()


def test_missing_results_file(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    run = run_cli("docs", pack, "--test-results", tmp_path / "nope.json")
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_results_with_missing_keys_are_accepted(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"results": [{"detection": "Kubernetes DaemonSet Deployed"}]}))
    out = tmp_path / "site"
    run = run_cli("docs", pack, "--test-results", results, "-o", out, "-q")
    assert run.returncode == 0, run.stderr
    md = (out / f"markdown/{DETECTION}.md").read_text(encoding="utf-8")
    assert "| Unit (True Positive Test) | not run |" in md


def test_validation_errors_stop_the_docs(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    old = tmp_path / "site"
    old.mkdir()
    (old / "index.html").write_text("old site", encoding="utf-8")
    det = pack / SEED
    det.write_text(det.read_text().replace("type: Anomaly", "type: anomaly"), encoding="utf-8")
    run = run_cli("docs", pack, "-o", old)
    assert run.returncode == 1
    assert "type: 'anomaly' is not one of" in run.stderr
    assert "Traceback" not in run.stderr
    assert (old / "index.html").read_text() == "old site"
    assert [p.name for p in old.iterdir()] == ["index.html"]


def test_rebuild_replaces_the_whole_site(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    out = tmp_path / "site"
    assert run_cli("docs", pack, "-o", out, "-q").returncode == 0
    (out / "stale.html").write_text("from an older build", encoding="utf-8")
    (pack / "detections/cloud/kubernetes_privileged_pod_created.yml").unlink()
    assert run_cli("docs", pack, "-o", out, "-q").returncode == 0
    assert not (out / "stale.html").exists()
    assert not (out / f"{SECOND_PAGE}.html").exists()
    assert (out / f"{DETECTION}.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack", "site"]


def test_output_that_is_a_file(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    target = tmp_path / "site"
    target.write_text("not a folder", encoding="utf-8")
    run = run_cli("docs", pack, "-o", target)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert target.read_text() == "not a folder"


def test_help_has_examples() -> None:
    run = run_cli("docs", "--help")
    assert run.returncode == 0
    assert "Examples:" in run.stdout
    assert "--test-results" in run.stdout


def test_html_pages_escape_the_contents_text(built: Path) -> None:
    # the second detection's known_false_positives holds markup and an ampersand
    html = (built / f"{SECOND_PAGE}.html").read_text(encoding="utf-8")
    assert (
        "<p>Cluster add-ons that run privileged on purpose "
        "(&lt;script&gt;alert(1)&lt;/script&gt; &amp; kube-proxy).</p>"
    ) in html
    assert "<script>alert(1)" not in html
    for page in built.rglob("*.html"):
        assert "<script>alert" not in page.read_text(encoding="utf-8"), page
    # Markdown keeps the ampersand and neutralises the tag (no HTML escaping on top)
    md = (built / f"markdown/{SECOND_PAGE}.md").read_text(encoding="utf-8")
    assert (
        "\nCluster add-ons that run privileged on purpose "
        "(&lt;script&gt;alert(1)&lt;/script&gt; &amp; kube-proxy).\n"
    ) in md
