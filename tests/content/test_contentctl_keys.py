"""Every key of contentctl 5.x's contentctl.yml and objects is accepted (no contentctl needed:
the keys are listed here from its published schema)."""

from __future__ import annotations

from pathlib import Path

from contentkit.content.validate import validate

CONFIG_KEYS = """
verbose: false
enforce_deprecation_mapping_requirement: false
enrichments: false
build_app: true
build_api: false
data_source_TA_validation: false
enable_integration_testing: false
enable_metadata_validation: false
suppress_missing_content_exceptions: false
disable_tqdm: true
plan_only: false
post_test_behavior: never_pause
mode:
  mode_name: Changes
  target_branch: main
test_instances:
- instance_name: splunk1
  instance_address: 127.0.0.1
  splunk_app_username: admin
  splunk_app_password: password
  hec_port: 8088
  web_ui_port: 8000
  api_port: 8089
server_info: null
previous_build: null
splunk_api_username: user
splunk_api_password: pass
splunk_cloud_jwt_token: token
splunk_cloud_stack: stack
stack_type: victoria
compare_against: develop
latest_branch: null
new_tag: null
old_tag: null
apps:
- uid: null
  title: Splunk Fix XmlWinEventLog HEC Parsing
  appid: null
  version: '0.1'
  description: null
  hardcoded_path: null
container_settings:
  leave_running: true
  num_containers: 1
  full_image_path: registry.hub.docker.com/splunk/splunk:9.3
"""


def test_every_contentctl_key_is_accepted(pack: Path) -> None:
    config = pack / "contentctl.yml"
    config.write_text(config.read_text() + CONFIG_KEYS)
    det = pack / "detections/cloud/kubernetes_daemonset_deployed.yml"
    det.write_text(
        det.read_text().replace(
            "status: production",
            "status: production\nexplanation: null\nenabled_by_default: false\n"
            "deprecation_info: null",
        )
    )
    macro = pack / "macros/kube_audit.yml"
    macro.write_text(
        macro.read_text()
        + "id: 0f8e1c2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b\nversion: 1\ndate: '2026-01-01'\n"
        "author: someone\nstatus: production\nreferences: []\n"
    )
    story = pack / "stories/kubernetes_security.yml"
    story.write_text(
        story.read_text().replace(
            "  usecase: Security Monitoring",
            "  usecase: Security Monitoring\n  datamodels: []\n  kill_chain_phases: []\n"
            "  mitre_attack_tactics: []",
        )
    )
    ttp = pack / "deployments/contentkit_default_configuration_ttp.yml"
    ttp.write_text(
        ttp.read_text().replace("    enabled: true", "    enabled: 'true'")
        + "  slack:\n    channel: '#soc'\n    message: found\n"
        "  phantom:\n    phantom_server: soar\n    label: events\n    sensitivity: amber\n"
        "    severity: high\n    cam_workers: '[]'\nstatus: production\n"
    )
    report = validate(pack)
    assert [p.format() for p in report.errors] == []
    deployment = report.content.deployment_for("TTP")
    assert deployment is not None and deployment.rba is True


def test_rba_enabled_false_as_a_string_means_no_risk(pack: Path) -> None:
    anomaly = pack / "deployments/contentkit_default_configuration_anomaly.yml"
    text = anomaly.read_text()
    assert "    enabled: true" in text
    anomaly.write_text(text.replace("    enabled: true", "    enabled: 'false'"))
    report = validate(pack)
    assert report.errors == []
    deployment = report.content.deployment_for("Anomaly")
    assert deployment is not None and deployment.rba is False
