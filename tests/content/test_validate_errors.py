"""Broken copies of the content pack: each error names the exact file, line and field, and all
of them come out of one run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from contentkit.content.validate import validate

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"


def _edit(pack: Path, rel: str, old: str, new: str) -> None:
    path = pack / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def _line_of(pack: Path, rel: str, needle: str) -> int:
    for number, line in enumerate((pack / rel).read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def test_the_pack_is_clean(pack: Path) -> None:
    report = validate(pack)
    assert report.problems == []
    assert report.content.counts()["detections"] == 3


def test_every_kind_of_error_in_one_run(pack: Path) -> None:
    # 1. broken YAML in a second detection file
    (pack / "detections/cloud/broken.yml").write_text("name: Broken\nsearch: [unclosed\nid: 1\n")
    # 2. unknown key (near miss) and 3. wrong enum value in the seed detection
    _edit(pack, DET, "known_false_positives: unknown", "known_false_positive: unknown")
    _edit(pack, DET, "type: Anomaly", "type: anomaly")
    # 4. missing story
    _edit(pack, DET, "  - Kubernetes Security", "  - Kubernetes Secuirty")
    # 5. duplicate id: a second story with the same id as the first
    story = (pack / "stories/kubernetes_security.yml").read_text()
    (pack / "stories/other.yml").write_text(
        story.replace("name: Kubernetes Security", "name: Other Story")
    )
    # 6. missing filter macro and 7. unknown macro, in a copy of the detection
    copy = (pack / DET).read_text().replace("name: Kubernetes DaemonSet Deployed", "name: Copy")
    copy = copy.replace(
        "id: 6f0b8c52-3e1d-4a7b-9f26-c4d8e1a5b370", "id: 0b5c2b44-3a9e-4f7d-8c1e-2d6f4a8b9c01"
    )
    copy = copy.replace("`kube_audit`", "`kube_audti`").replace("type: anomaly", "type: Anomaly")
    copy = copy.replace("known_false_positive:", "known_false_positives:").replace(
        "Secuirty", "Security"
    )
    (pack / "detections/cloud/copy_detection.yml").write_text(copy)

    report = validate(pack)
    got = {(p.file, p.line, p.field, p.message) for p in report.errors}
    expect_lines = {
        "kfp": _line_of(pack, DET, "known_false_positive:"),
        "type": _line_of(pack, DET, "type: anomaly"),
        "story": _line_of(pack, DET, "Kubernetes Secuirty"),
        "copy_search": _line_of(pack, "detections/cloud/copy_detection.yml", "search:"),
    }

    def has(file: str, line: int, field: str, fragment: str) -> None:
        matches = [
            g for g in got if g[0] == file and g[1] == line and g[2] == field and fragment in g[3]
        ]
        assert matches, f"no {file}:{line} {field} ~ {fragment!r} in:\n" + "\n".join(
            map(str, sorted(got))
        )

    has("detections/cloud/broken.yml", 3, "", "invalid YAML")  # where libyaml notices
    has(
        DET,
        expect_lines["kfp"],
        "known_false_positive",
        "unknown field 'known_false_positive' (did you mean 'known_false_positives'?)",
    )
    has(DET, expect_lines["type"], "type", "'anomaly'")
    has(DET, expect_lines["type"], "type", "did you mean 'Anomaly'?")
    has(
        DET,
        expect_lines["story"],
        "tags.analytic_story[0]",
        "unknown analytic story 'Kubernetes Secuirty' (did you mean 'Kubernetes Security'?)",
    )
    has(
        "stories/other.yml",
        2,
        "id",
        "id 3c6f2a59-5d0e-4c61-9a8e-2f1b7d4c8e10 is also used by stories/kubernetes_security.yml",
    )
    has(
        "detections/cloud/copy_detection.yml",
        expect_lines["copy_search"],
        "search",
        "does not call its filter macro `copy_detection_filter`",
    )
    has(
        "detections/cloud/copy_detection.yml",
        expect_lines["copy_search"],
        "search",
        "unknown macro `kube_audti` (did you mean 'kube_audit'?)",
    )
    # the column points into the line: YAML values start after "key: "
    type_problem = next(p for p in report.errors if p.field == "type" and p.file == DET)
    assert type_problem.column == len("type: ") + 1


def test_wrong_macro_arity_and_unknown_lookup(pack: Path) -> None:
    _edit(pack, DET, "| fillnull", "| `kube_audit(x)` | lookup no_such_lookup user | fillnull")
    report = validate(pack)
    messages = [p.message for p in report.errors]
    assert any(
        "macro `kube_audit` is called with 1 argument(s); defined: kube_audit" in m
        for m in messages
    ), messages
    assert any("unknown lookup 'no_such_lookup'" in m for m in messages), messages


def test_rba_field_missing_from_output_is_a_warning_with_the_fields(pack: Path) -> None:
    _edit(pack, DET, "  - field: src_ip", "  - field: src_address")
    report = validate(pack)
    assert report.errors == []
    [warning] = report.warnings
    assert warning.field == "rba.threat_objects[0].field"
    assert "field 'src_address' is not among the search's output fields" in warning.message
    assert "src_ip" in warning.message


def test_missing_dataset_and_missing_deployment(pack: Path) -> None:
    _edit(pack, DET, "kubernetes_audit_no_daemonset.json", "nope.json")
    (pack / "deployments/contentkit_default_configuration_anomaly.yml").unlink()
    report = validate(pack)
    fields = {p.field: p.message for p in report.errors}
    warnings = {p.field: p.message for p in report.warnings}
    # a missing dataset does not stop `contentkit test`: that test is "dataset_unavailable"
    assert (
        "dataset file 'datasets/kubernetes/nope.json' does not exist"
        in warnings["tests[1].attack_data[0].data"]
    )
    assert "no deployment in deployments/ for detection type 'Anomaly'" in fields["type"]


def test_empty_file_and_list_document(pack: Path) -> None:
    (pack / "macros/empty.yml").write_text("")
    (pack / "macros/list.yml").write_text("- a\n- b\n")
    report = validate(pack)
    messages = {p.file: p.message for p in report.errors}
    assert messages["macros/empty.yml"] == "expected a mapping, found empty file"
    assert messages["macros/list.yml"] == "expected a mapping, found a list"


def test_keys_that_are_no_field_names(pack: Path) -> None:
    """`&name: x` (an anchor where the key's text should be) makes a null key, `1:` a number:
    validation used to fail with a TypeError on them (found by mutating the pack's files)."""
    (pack / "macros/odd.yml").write_text(
        "&name: odd\ndefinition: search *\ndescription: d\n1: one\n"
    )
    report = validate(pack)
    got = {(p.line, p.message) for p in report.errors if p.file == "macros/odd.yml"}
    assert (1, "missing required field 'name'") in got
    assert (1, "a key must be a field name, not null") in got
    assert (4, "a key must be a field name, not 1") in got


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "contentkit", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_exit_codes_and_json(pack: Path, tmp_path: Path) -> None:
    ok = _cli("validate", str(pack), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "Loaded 3 detections, 2 stories, 6 macros, 0 lookups, 3 data sources" in ok.stderr
    _edit(pack, DET, "type: Anomaly", "type: Bogus")
    bad = _cli("validate", str(pack), "--format", "json", cwd=tmp_path)
    assert bad.returncode == 1
    problems = json.loads(bad.stdout)
    assert [p["field"] for p in problems] == ["type"]
    assert problems[0]["file"].endswith(DET)
    assert problems[0]["severity"] == "error"
    usage = _cli("validate", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert usage.returncode == 2
    assert "no such directory" in usage.stderr
    assert "Traceback" not in usage.stderr + bad.stderr


def test_cli_text_output_and_strict(pack: Path, tmp_path: Path) -> None:
    _edit(pack, DET, "  - field: src_ip", "  - field: src_address")
    lenient = _cli("validate", str(pack), cwd=tmp_path)
    assert lenient.returncode == 0
    assert ": warning: rba.threat_objects[0].field: field 'src_address'" in lenient.stdout
    strict = _cli("validate", str(pack), "--strict", cwd=tmp_path)
    assert strict.returncode == 1


def test_schema_command_writes_loadable_schemas(tmp_path: Path) -> None:
    result = _cli("schema", "--output", str(tmp_path / "s"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert "detection.schema.json" in written and "contentctl.schema.json" in written
    for path in (tmp_path / "s").iterdir():
        assert json.loads(path.read_text())["$schema"].endswith("2020-12/schema")


def test_spl_syntax_errors_have_positions(pack: Path) -> None:
    _edit(pack, DET, "| fillnull", '| fillnull | statz count | eval x="open')
    report = validate(pack)
    # the open quote also swallows the filter macro call, which is reported too
    problem = next(p for p in report.errors if "quote" in p.message)
    assert problem.field == "search"
    assert problem.message.startswith('this quote (") is never closed (at character ')
    _edit(pack, DET, '| eval x="open', "")
    report = validate(pack)
    [problem] = report.errors
    assert "unknown command 'statz' (did you mean 'stats'?) (at character" in problem.message
    offset = int(problem.message.rsplit("at character ", 1)[1].split()[0])
    search = yaml.safe_load((pack / DET).read_text())["search"]
    assert search[offset - 1 : offset + 4] == "statz"
