"""The integration stage of `contentkit test`, through the CLI: the notables a TTP creates, and
each way the stage fails or is skipped."""

from __future__ import annotations

from pathlib import Path

from tests.testing.test_cli_test import _edit, _run

TITLE = "Kubernetes DaemonSet Deployed"


def _positive(data: dict) -> dict:
    return next(r for r in data["results"] if r["test"] == "True Positive Test")


def _deployment(pack: Path, block: str) -> None:
    """Give the seed detection its own `deployment:` block (placed before `rba:`)."""
    _edit(pack, "rba:\n", f"deployment:\n{block}rba:\n")


def test_ttp_creates_notables_from_the_deployment(pack: Path) -> None:
    _edit(pack, "type: Anomaly", "type: TTP")
    result, data = _run(pack)
    assert result.returncode == 0, result.stdout + result.stderr
    positive = _positive(data)
    assert positive["integration"]["status"] == "pass"
    assert positive["integration"]["message"] == "2 risk event(s), 2 notable(s)"
    assert [n["rule_title"] for n in positive["notables"]] == [TITLE, TITLE]
    assert positive["notables"][0]["rule_description"].startswith(
        "The following analytic detects the creation of a DaemonSet in a Kubernetes cluster."
    )
    # the negative test writes nothing, as it should
    negative = next(r for r in data["results"] if r["negative"])
    assert negative["integration"] == {
        **negative["integration"],
        "status": "pass",
        "message": "no risk event or notable, as expected",
    }
    assert negative["notables"] == [] and negative["risk_events"] == []


def test_notable_tokens_are_filled_from_each_result(pack: Path) -> None:
    _deployment(
        pack,
        "  alert_action:\n    notable:\n      rule_title: DaemonSet by $user$ from $src_ip$\n"
        "      rule_description: '%name%: $objectRef.name$'\n",
    )
    result, data = _run(pack)
    assert result.returncode == 0, result.stdout + result.stderr
    positive = _positive(data)
    assert positive["integration"]["message"] == "2 notable(s)"  # rba is not enabled here
    assert positive["risk_events"] == []
    titles = {n["rule_title"] for n in positive["notables"]}
    assert titles == {"DaemonSet by mallory@example.com from 203.0.113.77"}
    assert {n["rule_description"] for n in positive["notables"]} == {
        f"{TITLE}: node-agent",
    }


def test_notable_token_without_a_value_fails(pack: Path) -> None:
    _deployment(pack, "  alert_action:\n    notable:\n      rule_title: DaemonSet in $cluster$\n")
    result, data = _run(pack)
    assert result.returncode == 1
    positive = _positive(data)
    assert positive["unit"]["status"] == "pass"
    assert positive["integration"]["status"] == "fail"
    assert positive["integration"]["message"] == (
        "result 1: notable token $cluster$ has no value; "
        "result 2: notable token $cluster$ has no value"
    )
    assert positive["verdict"] == "fail"
    assert "FAIL: Kubernetes DaemonSet Deployed / True Positive Test [integration]" in (
        result.stderr
    )


def test_risk_message_token_without_a_value_fails_and_long_lists_are_cut(pack: Path) -> None:
    _edit(
        pack,
        "message: DaemonSet deployed to Kubernetes by user $user$",
        "message: DaemonSet $a$ $b$ $c$ by $user$",
    )
    result, data = _run(pack)
    assert result.returncode == 1
    message = _positive(data)["integration"]["message"]
    assert message == (
        "result 1: risk message token $a$ has no value; "
        "result 1: risk message token $b$ has no value; "
        "result 1: risk message token $c$ has no value; "
        "result 2: risk message token $a$ has no value; "
        "result 2: risk message token $b$ has no value … 1 more"
    )


def test_deployment_without_risk_or_notable_skips_the_stage(pack: Path) -> None:
    _deployment(pack, "  alert_action: {}\n")
    result, data = _run(pack)
    assert result.returncode == 0
    positive = _positive(data)
    assert positive["unit"]["status"] == "pass"
    assert positive["integration"]["status"] == "skipped"
    assert positive["integration"]["message"] == (
        "the deployment creates no risk event and no notable"
    )
    assert positive["verdict"] == "skipped"


def test_failed_unit_test_skips_the_integration_stage(pack: Path) -> None:
    _edit(pack, "user: mallory@example.com", "user: eve@example.com")
    result, data = _run(pack)
    assert result.returncode == 1
    positive = _positive(data)
    assert positive["unit"]["status"] == "fail"
    assert positive["integration"]["status"] == "skipped"
    assert positive["integration"]["message"] == "unit test did not pass"
    assert positive["notables"] == [] and positive["risk_events"] == []
