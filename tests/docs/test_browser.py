"""The site in a real headless Chromium, opened from file://: the seed detection's page shows
every section of the published page with the right values, the index filters as you type, links
work, and no page logs an error. Screenshots go to test_results/ (git-ignored).

Needs Chromium (`apt-get install -y chromium`): skipped without it, but a failure when the `CI`
environment variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.docs.cdp import Browser, find_chromium

ARTIFACTS = REPO / "test_results"
DETECTION = "detections/kubernetes_daemonset_deployed.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        message = "chromium not found: install it (apt-get install -y chromium) or set CHROMIUM=/path/to/it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    chrome = Browser(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chrome
    finally:
        chrome.close()


def _rows(browser: Browser, selector: str) -> list[list[str]]:
    """The visible text of each row of a table, cell by cell."""
    value: Any = browser.js(
        f"Array.from(document.querySelectorAll({selector!r} + ' tr'))"
        ".map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )
    return [list(row) for row in value]


def _table(browser: Browser, section: str) -> list[list[str]]:
    return _rows(browser, f"#{section} table")


def _text(browser: Browser, selector: str) -> str:
    return str(browser.js(f"document.querySelector({selector!r}).innerText"))


def _visible_rows(browser: Browser) -> list[str]:
    value: Any = browser.js(
        "Array.from(document.querySelectorAll('#detections tbody tr'))"
        ".filter(r => r.offsetParent !== null).map(r => r.cells[0].innerText)"
    )
    return list(value)


def test_seed_detection_page(browser: Browser, built: Path) -> None:
    browser.events.clear()
    browser.open((built / DETECTION).as_uri())
    assert browser.js("document.title").startswith("Kubernetes DaemonSet Deployed")
    assert _text(browser, "h1") == "Detection: Kubernetes DaemonSet Deployed"
    # the stylesheet loaded (from a relative path, under file://)
    assert browser.js("getComputedStyle(document.querySelector('header.top')).display") == "flex"

    assert _table(browser, "attack") == [
        ["ID", "Technique", "Tactic"],
        ["T1204", "User Execution", "Execution"],
    ]
    assert _text(browser, "#description p").startswith(
        "The following analytic detects the creation of a DaemonSet in a Kubernetes cluster."
    )
    lines: Any = browser.js(
        "Array.from(document.querySelectorAll('#search ol.spl li')).map(li => li.innerText)"
    )
    assert lines == [
        '`kube_audit` "objectRef.resource"=daemonsets verb=create',
        "| fillnull",
        "| stats count values(user.groups{}) as user_groups by kind objectRef.name "
        "objectRef.namespace objectRef.resource requestObject.kind responseStatus.code "
        "sourceIPs{} stage user.username userAgent verb",
        "| rename sourceIPs{} as src_ip, user.username as user",
        "| `kubernetes_daemonset_deployed_filter`",
    ]
    # line numbers, as on the published page
    assert browser.js(
        "getComputedStyle(document.querySelector('#search li'), '::before').content"
    ) == ("counter(line)")
    assert _table(browser, "data-sources") == [
        ["Name", "Platform", "Sourcetype", "Source", "Supported App"],
        ["Kubernetes Audit", "Kubernetes", "_json", "kubernetes", "N/A"],
    ]
    assert _table(browser, "macros") == [
        ["Name", "Value"],
        ["kube_audit", 'source="kubernetes"'],
        ["kubernetes_daemonset_deployed_filter", "search *"],
    ]
    note = _text(browser, "#macros p.note")
    assert note.startswith("kubernetes_daemonset_deployed_filter is an empty macro by default")
    assert "false positives without editing the detection's SPL" in note
    annotations = {row[0]: row[1] for row in _table(browser, "annotations")}
    assert annotations["mitre_attack"] == "T1204"
    assert annotations["analytic_story"] == "Kubernetes Security"
    assert annotations["data_source"] == "Kubernetes Audit"
    assert _table(browser, "configuration") == [
        ["Setting", "Value"],
        ["Disabled", "true"],
        ["Cron Schedule", "0 * * * *"],
        ["Earliest Time", "-70m@m"],
        ["Latest Time", "-10m@m"],
        ["Schedule Window", "auto"],
        ["Creates Risk Event", "True"],
        ["Creates Notable", "False"],
    ]
    assert _text(browser, "#implementation p").startswith(
        "The detection is based on data that originates from Kubernetes Audit logs."
    )
    assert _text(browser, "#false-positives p") == "unknown"
    assert _text(browser, "#stories li") == "Kubernetes Security"
    rba = _rows(browser, "#rba > table")
    assert rba == [
        ["Risk Message", "Risk Score", "Impact", "Confidence"],
        ["DaemonSet deployed to Kubernetes by user $user$", "49", "70", "70"],
    ]
    objects = _rows(browser, "#rba .pair table")
    assert ["user", "user", "49"] in objects
    assert ["src_ip", "ip_address"] in objects
    assert _text(browser, "#references li") == (
        "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
    )
    tests = _table(browser, "testing")
    assert tests[0] == ["Test Type", "Status", "Dataset", "Source", "Sourcetype"]
    assert tests[1] == ["Validation", "✓ Passing", "N/A", "N/A", "N/A"]
    unit = [r for r in tests if r[0].startswith("Unit")]
    integration = [r for r in tests if r[0].startswith("Integration")]
    assert len(unit) == len(integration) == 2
    for row in unit + integration:
        assert row[1] == "✓ Passing"
        assert row[3:] == ["kubernetes", "_json"]
    assert unit[0][2] == "datasets/kubernetes/kubernetes_audit_daemonset_created.json"
    assert _text(browser, "#source") == (
        "Source: detections/cloud/kubernetes_daemonset_deployed.yml | Version: 2"
    )
    assert browser.problems() == []
    browser.screenshot(ARTIFACTS / "docs-screenshot.png")


def test_links_from_the_detection_page(browser: Browser, built: Path) -> None:
    """Story, data source and macro pages open from the detection page and link back."""
    browser.events.clear()
    for selector, heading in (
        ("#stories a", "Analytic story: Kubernetes Security"),
        ("#data-sources td a", "Data source: Kubernetes Audit"),
        ("#macros td a", "Macro: kube_audit"),
    ):
        browser.open((built / DETECTION).as_uri())
        href = browser.js(f"document.querySelector({selector!r}).href")
        browser.open(str(href))
        assert _text(browser, "h1") == heading
        back = browser.js(
            "Array.from(document.querySelectorAll('main a'))"
            ".map(a => a.href).filter(h => h.endsWith('/" + DETECTION + "'))"
        )
        assert back, f"{heading}: no link back to the detection"
    browser.open((built / "coverage.html").as_uri())
    assert browser.js("document.querySelectorAll('table.matrix a.cell').length") == 3
    assert browser.problems() == []


def test_index_filters(browser: Browser, built: Path) -> None:
    browser.events.clear()
    browser.open((built / "index.html").as_uri())
    everything = _visible_rows(browser)
    assert everything == ["Kubernetes DaemonSet Deployed", "Kubernetes Privileged Pod Created"]
    assert _text(browser, "#shown") == "2"

    browser.js("document.getElementById('q').focus()")
    browser.insert_text("daemon")
    assert _visible_rows(browser) == ["Kubernetes DaemonSet Deployed"]
    assert _text(browser, "#shown") == "1"
    browser.insert_text("zzz")  # "daemonzzz" matches nothing
    assert _visible_rows(browser) == []
    assert browser.js("document.getElementById('nothing').hidden") is False
    for _ in range(len("daemonzzz")):
        browser.press_backspace()
    assert browser.js("document.getElementById('q').value") == ""
    assert len(_visible_rows(browser)) == 2
    # technique names and tactics from the ATT&CK CSV are searchable too
    browser.insert_text("deploy container")
    assert _visible_rows(browser) == ["Kubernetes Privileged Pod Created"]
    browser.screenshot(ARTIFACTS / "docs-index-filtered.png", full_page=False)
    browser.js("document.getElementById('reset').click()")
    assert len(_visible_rows(browser)) == 2

    def choose(select: str, value: str) -> list[str]:
        browser.js(
            f"(() => {{ const s = document.getElementById({select!r}); s.value = {value!r};"
            " s.dispatchEvent(new Event('change')); })()"
        )
        rows = _visible_rows(browser)
        browser.js("document.getElementById('reset').click()")
        return rows

    assert choose("f-type", "TTP") == ["Kubernetes Privileged Pod Created"]
    assert choose("f-technique", "T1204") == ["Kubernetes DaemonSet Deployed"]
    assert choose("f-tactic", "Defense Evasion") == ["Kubernetes Privileged Pod Created"]
    assert len(choose("f-tactic", "Execution")) == 2
    assert len(choose("f-story", "Kubernetes Security")) == 2
    assert len(choose("f-data_source", "Kubernetes Audit")) == 2
    assert choose("f-status", "pass") == ["Kubernetes DaemonSet Deployed"]
    assert choose("f-status", "dataset_unavailable") == ["Kubernetes Privileged Pod Created"]
    # a filter in the address (#technique=...) is applied when the page opens
    browser.open((built / "index.html").as_uri() + "#technique=T1610")
    assert _visible_rows(browser) == ["Kubernetes Privileged Pod Created"]
    assert browser.problems() == []
