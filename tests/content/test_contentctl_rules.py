"""Validation rules that follow Splunk's contentctl: risk message tokens, name lengths, the
deprecation mapping, and tstats without the summariesonly macro."""

from __future__ import annotations

from pathlib import Path

from contentkit.content.validate import validate

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _messages(pack: Path, severity: str) -> list[str]:
    report = validate(pack)
    return [f"{p.file}: {p.field}: {p.message}" for p in report.problems if p.severity == severity]


def test_risk_message_token_missing_from_certain_output_is_an_error(pack: Path) -> None:
    _edit(pack / DET, "by user $user$", "by user $user$ from $cluster_name$")
    errors = _messages(pack, "error")
    assert len(errors) == 1
    assert (
        "rba.message: risk message field $cluster_name$ is not among the search's output"
        in errors[0]
    )


def test_risk_message_token_that_a_lookup_may_add_is_a_warning(pack: Path) -> None:
    _edit(pack / DET, "by user $user$", "by user $user$ in $team$")
    _edit(
        pack / DET,
        "  | `kubernetes_daemonset_deployed_filter`'",
        "  | lookup users user | `kubernetes_daemonset_deployed_filter`'",
    )
    report = validate(pack)
    found = [p for p in report.problems if "$team$" in p.message]
    assert [p.severity for p in found] == ["warning"]
    assert "may come from a macro, lookup" in found[0].message


def test_token_named_only_elsewhere_in_the_search_stays_a_warning(pack: Path) -> None:
    # contentctl accepts a token whose name appears anywhere in the search text
    _edit(pack / DET, "by user $user$", "by user $user$ verb $verb$ as $groups$")
    report = validate(pack)
    found = {
        p.message.split("$")[1]: p.severity for p in report.problems if "risk message" in p.message
    }
    assert found == {"groups": "warning"}  # verb is an output field; "groups" is in user_groups


def test_names_over_contentctl_limits(pack: Path) -> None:
    long_name = "Kubernetes DaemonSet Deployed By A User Who Should Not Be Deploying It"
    assert len(long_name) == 70
    _edit(pack / DET, "name: Kubernetes DaemonSet Deployed", f"name: {long_name}")
    errors = _messages(pack, "error")
    assert any("name: name has 70 characters; at most 67" in e for e in errors)


def test_cloned_es_name_over_99_characters(pack: Path) -> None:
    name = "K" * 60
    _edit(pack / DET, "name: Kubernetes DaemonSet Deployed", f"name: {name}")
    _edit(pack / "contentctl.yml", "label: CKIT", "label: CKIT-A-LONG-APP-LABEL")
    errors = _messages(pack, "error")
    assert any("once ES clones it" in e and "more than 99" in e for e in errors)


def test_tstats_without_summariesonly_macro_is_a_warning(pack: Path) -> None:
    _edit(
        pack / DET,
        'search: \'`kube_audit` "objectRef.resource"=daemonsets verb=create',
        "search: '| tstats summariesonly=t count from datamodel=Change by All_Changes.user"
        ' | rename All_Changes.user as user | eval src_ip=1 | search "objectRef.resource"=daemonsets verb=create',
    )
    warnings = _messages(pack, "warning")
    assert any(
        "tstats search without the `security_content_summariesonly` macro (it sets `summariesonly=t` itself)"
        in w
        for w in warnings
    )


def _deprecation_pack(pack: Path, mapping: str, status: str) -> None:
    _edit(
        pack / "contentctl.yml",
        "build_path: build",
        "build_path: build\nenforce_deprecation_mapping_requirement: true",
    )
    _edit(pack / DET, "status: production", f"status: {status}")
    (pack / "removed").mkdir(exist_ok=True)
    (pack / "removed" / "deprecation_mapping.YML").write_text(mapping)


def test_deprecated_detection_needs_a_mapping_entry(pack: Path) -> None:
    _deprecation_pack(pack, "detections: []\n", "deprecated")
    errors = _messages(pack, "error")
    assert any(
        "detection is deprecated but has no entry in removed/deprecation_mapping.YML" in e
        for e in errors
    )


def test_mapping_entry_satisfies_the_requirement(pack: Path) -> None:
    mapping = (
        "detections:\n"
        "  - content: Kubernetes DaemonSet Deployed\n"
        "    removed_in_version: 0.2.0\n"
        "    reason: replaced by a better detection\n"
    )
    _deprecation_pack(pack, mapping, "deprecated")
    assert _messages(pack, "error") == []


def test_mapping_says_removed_but_status_is_deprecated(pack: Path) -> None:
    mapping = (
        "detections:\n"
        "  - content: Kubernetes DaemonSet Deployed\n"
        "    removed_in_version: 0.1.0\n"
        "    reason: replaced by a better detection\n"
        "  - content: No Such Detection\n"
        "    removed_in_version: 0.1.0\n"
        "    reason: gone for good\n"
    )
    _deprecation_pack(pack, mapping, "deprecated")
    errors = _messages(pack, "error")
    assert any(
        "status should be 'removed': app version 0.1.0, removed in 0.1.0" in e for e in errors
    )
    assert any("no detection named 'No Such Detection'" in e for e in errors)


def test_without_the_setting_no_mapping_is_needed(pack: Path) -> None:
    _edit(pack / DET, "status: production", "status: deprecated")
    assert not any("deprecation" in e for e in _messages(pack, "error"))
