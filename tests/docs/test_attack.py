"""ATT&CK enrichment: reading the CSV, sub-technique fallback, and the unknown-id warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit.content.attack import AttackError, Technique, load_attack, technique
from contentkit.content.validate import validate
from tests.conftest import CORPUS_5, need
from tests.docs.conftest import SEED, run_cli

CSV = """mitre_id,technique,tactics,groups
T1560,Archive Collected Data,Collection,APT1|APT28
T1610,Deploy Container,Defense Evasion|Execution,
T1071.001,Web Protocols,Command And Control,
"""


def test_load_attack(tmp_path: Path) -> None:
    path = tmp_path / "mitre.csv"
    path.write_text(CSV, encoding="utf-8")
    table = load_attack(path)
    assert table["T1610"] == Technique(
        "T1610", "Deploy Container", ("Defense Evasion", "Execution")
    )
    # the CSV's "Command And Control" reads as ATT&CK spells it
    assert table["T1071.001"].tactics == ("Command and Control",)


def test_sub_technique_falls_back_to_its_parent(tmp_path: Path) -> None:
    path = tmp_path / "mitre.csv"
    path.write_text(CSV, encoding="utf-8")
    table = load_attack(path)
    assert technique(table, "T1560.001") == Technique(
        "T1560.001", "Archive Collected Data", ("Collection",)
    )
    assert technique(table, "T9999") is None
    assert technique(table, "T9999.001") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [("id,name\nT1,x\n", "missing column"), (b"\xff\xfe\xfa", "not a readable CSV")],
)
def test_bad_csv(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "mitre.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(AttackError, match=message) as info:
        load_attack(path)
    assert "\n" not in str(info.value)


def test_unknown_technique_is_a_warning(pack: Path) -> None:
    det = pack / SEED
    det.write_text(det.read_text().replace("- T1204", "- T1999\n  - T1610.001"), encoding="utf-8")
    report = validate(pack)
    assert report.errors == []
    messages = [(p.file, p.field, p.message) for p in report.warnings]
    assert (
        SEED,
        "tags.mitre_attack_id[0]",
        "unknown ATT&CK technique id 'T1999' (not in lookups/mitre_enrichment.csv)",
    ) in messages
    # a sub-technique of a known technique is accepted
    assert not any("T1610.001" in m for _, _, m in messages)
    run = run_cli("validate", pack)
    assert run.returncode == 0
    assert "unknown ATT&CK technique id 'T1999'" in run.stdout


def test_docs_show_an_unknown_technique(pack: Path, tmp_path: Path) -> None:
    det = pack / SEED
    det.write_text(det.read_text().replace("- T1204", "- T1999"), encoding="utf-8")
    out = tmp_path / "site"
    run = run_cli("docs", pack, "-o", out, "-q")
    assert run.returncode == 0, run.stderr
    md = (out / "markdown/detections/kubernetes_daemonset_deployed.md").read_text()
    assert "| [T1999](https://attack.mitre.org/techniques/T1999/) | unknown technique |  |" in md


def test_unreadable_enrichment_file_stops_the_docs(pack: Path, tmp_path: Path) -> None:
    (pack / "lookups/mitre_enrichment.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    run = run_cli("docs", pack, "-o", tmp_path / "site")
    assert run.returncode == 1
    assert "missing column" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.corpus
def test_corpus_unknown_techniques() -> None:
    report = validate(need(CORPUS_5))
    assert report.errors == []
    unknown = {p.message for p in report.warnings if "ATT&CK technique id" in p.message}
    # 5.13.0 maps two detections to T1673, newer than its enrichment CSV
    assert unknown == {
        "unknown ATT&CK technique id 'T1673' (not in app_template/lookups/mitre_enrichment.csv)"
    }
