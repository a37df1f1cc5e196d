"""Tests for the semantic app diff."""

from __future__ import annotations

import gzip
import json
import tarfile
from pathlib import Path

import pytest

from contentkit.render.appdiff import AppDiffError, diff_apps, load_app, render_json, render_text
from contentkit.render.package import make_tarball

OLD_SAVED = """# Generated 2026-01-01
[default]
disabled = 1

[Detection A]
search = index=main \\
| stats count
action.escu.mappings = {"nist": ["DE.AE"], "cis20": ["CIS 10"]}
cron_schedule = 0 * * * *
removed.key = bye

[Detection Gone]
search = index=old
"""

NEW_SAVED = """# Generated 2026-02-02 (header change is not a difference)
[default]
disabled = 1

[Detection A]
action.escu.mappings = {"cis20": ["CIS 10"],   "nist": ["DE.AE"]}
search = index=main \\
| stats count by user
cron_schedule = 5 * * * *
added.key = hello

[Detection New]
search = index=new
"""


def _app(root: Path, saved: str, *, lookup: str, extra: dict[str, str]) -> Path:
    app = root / "DA-Diff"
    (app / "default").mkdir(parents=True)
    (app / "metadata").mkdir()
    (app / "lookups").mkdir()
    (app / "default" / "app.conf").write_text("[id]\nversion = 1.0.0\n")
    (app / "default" / "savedsearches.conf").write_text(saved)
    (app / "metadata" / "default.meta").write_text("[]\naccess = read : [ * ]\n")
    (app / "lookups" / "x.csv").write_text(lookup)
    for rel, text in extra.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)
    return app


@pytest.fixture
def apps(tmp_path: Path) -> tuple[Path, Path]:
    old = _app(
        tmp_path / "old",
        OLD_SAVED,
        lookup="a\n1\n",
        extra={"default/macros.conf": "[m]\ndefinition = x\n", "README.md": "r"},
    )
    new = _app(
        tmp_path / "new",
        NEW_SAVED,
        lookup="a\n2\n",
        extra={"default/transforms.conf": "[t]\nfilename = x.csv\n", "README.md": "r"},
    )
    return old, new


def test_folder_diff_structure(apps: tuple[Path, Path]) -> None:
    diff = diff_apps(*apps)
    by_path = {f.path: f for f in diff.files}
    assert sorted(by_path) == [
        "default/macros.conf",
        "default/savedsearches.conf",
        "default/transforms.conf",
        "lookups/x.csv",
    ]
    assert by_path["default/macros.conf"].status == "removed"
    assert by_path["default/transforms.conf"].status == "added"
    assert by_path["lookups/x.csv"].kind == "file"
    assert by_path["lookups/x.csv"].status == "changed"
    saved = by_path["default/savedsearches.conf"]
    assert saved.kind == "conf" and saved.status == "changed"
    stanzas = {s.name: s for s in saved.stanzas}
    assert {n: s.status for n, s in stanzas.items()} == {
        "Detection A": "changed",
        "Detection Gone": "removed",
        "Detection New": "added",
    }
    keys = {k.key: k for k in stanzas["Detection A"].keys}
    # JSON value with different key order / spacing is equal, so not listed
    assert sorted(keys) == ["added.key", "cron_schedule", "removed.key", "search"]
    assert keys["added.key"].status == "added" and keys["added.key"].new == "hello"
    assert keys["removed.key"].status == "removed" and keys["removed.key"].old == "bye"
    assert keys["search"].old == "index=main \n| stats count"
    assert keys["search"].new == "index=main \n| stats count by user"
    assert diff.summary() == {
        "files_added": 1,
        "files_removed": 1,
        "files_changed": 2,
        "stanzas_added": 1,
        "stanzas_removed": 1,
        "stanzas_changed": 1,
    }


def test_identical_apps_have_no_differences(apps: tuple[Path, Path]) -> None:
    old, _ = apps
    diff = diff_apps(old, old)
    assert not diff.has_changes
    assert "no differences" in render_text(diff)


def test_json_values_compared_as_json(tmp_path: Path) -> None:
    old = _app(tmp_path / "o", '[s]\nj = {"a": [1, 2], "b": true}\n', lookup="", extra={})
    new = _app(tmp_path / "n", '[s]\nj = {"b": 1, "a": [1, 2]}\n', lookup="", extra={})
    diff = diff_apps(old, new)
    (key,) = diff.files[0].stanzas[0].keys
    assert key.json is True and key.status == "changed"  # true is not 1
    text = render_text(diff)
    assert "~ j (JSON)" in text
    assert '- "b": true' in text and '+ "b": 1' in text


def test_tarball_against_folder_and_tarball(tmp_path: Path, apps: tuple[Path, Path]) -> None:
    old, new = apps
    (tmp_path / "pk").mkdir()
    old_pkg = make_tarball(old, tmp_path / "pk" / "old.tar.gz", source_date_epoch=0)
    new_pkg = make_tarball(new, tmp_path / "pk" / "new.spl", source_date_epoch=0)
    folder_diff = diff_apps(old, new)
    assert diff_apps(old_pkg, new_pkg).files == folder_diff.files
    assert diff_apps(old_pkg, new).files == folder_diff.files
    assert not diff_apps(old_pkg, old).has_changes
    assert set(load_app(old_pkg)) == set(load_app(old))


def test_render_text_groups_by_file_then_stanza(apps: tuple[Path, Path]) -> None:
    text = render_text(diff_apps(*apps))
    lines = text.splitlines()
    assert lines[-1] == (
        "files: 1 added, 1 removed, 2 changed; stanzas: 1 added, 1 removed, 1 changed"
    )
    assert "- default/macros.conf (removed)" in lines
    assert "+ default/transforms.conf (added)" in lines
    start = lines.index("~ default/savedsearches.conf")
    block = lines[start : start + 40]
    assert block[1] == "  ~ [Detection A]"
    assert "      + added.key = hello" in block
    assert "      - removed.key = bye" in block
    assert "          -| stats count" in block
    assert "          +| stats count by user" in block
    assert "  - [Detection Gone]" in block and "  + [Detection New]" in block
    assert any(line.startswith("~ lookups/x.csv (content changed, sha256 ") for line in lines)


def test_render_json_shape(apps: tuple[Path, Path]) -> None:
    doc = json.loads(render_json(diff_apps(*apps)))
    assert set(doc) == {"old", "new", "summary", "files"}
    assert doc["summary"]["stanzas_changed"] == 1
    saved = next(f for f in doc["files"] if f["path"] == "default/savedsearches.conf")
    assert saved["kind"] == "conf" and saved["status"] == "changed"
    assert len(saved["old_sha256"]) == 64
    detection = next(s for s in saved["stanzas"] if s["name"] == "Detection A")
    cron = next(k for k in detection["keys"] if k["key"] == "cron_schedule")
    assert cron == {
        "key": "cron_schedule",
        "status": "changed",
        "old": "0 * * * *",
        "new": "5 * * * *",
        "json": False,
    }


def test_bad_inputs_raise_one_line_errors(tmp_path: Path, apps: tuple[Path, Path]) -> None:
    old, _ = apps
    with pytest.raises(AppDiffError, match=r"missing\.tar\.gz: no such file"):
        diff_apps(tmp_path / "missing.tar.gz", old)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hi")
    with pytest.raises(AppDiffError, match=r"notes\.txt: not an app folder"):
        diff_apps(text_file, old)
    not_tar = tmp_path / "plain.tgz"
    not_tar.write_bytes(gzip.compress(b"this is not a tar archive" * 40))
    with pytest.raises(AppDiffError, match=r"plain\.tgz: not a readable tar package"):
        diff_apps(not_tar, old)
    corrupt = tmp_path / "corrupt.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\x00garbage" * 10)
    with pytest.raises(AppDiffError) as excinfo:
        diff_apps(old, corrupt)
    assert "corrupt.tar.gz" in str(excinfo.value) and "\n" not in str(excinfo.value)
    two_roots = tmp_path / "two.tar.gz"
    with tarfile.open(two_roots, "w:gz") as tar:
        tar.add(old / "README.md", arcname="a/README.md")
        tar.add(old / "README.md", arcname="b/README.md")
    with pytest.raises(AppDiffError, match="one top-level app folder"):
        diff_apps(two_roots, old)
    escaping = tmp_path / "escaping.tar.gz"  # was shown as an app named ".." with a file "evil"
    with tarfile.open(escaping, "w:gz") as tar:
        tar.add(old / "README.md", arcname="../evil")
    with pytest.raises(AppDiffError, match=r"unsafe package: member '\.\./evil' escapes"):
        diff_apps(old, escaping)


def test_conf_syntax_error_names_file_and_line(tmp_path: Path, apps: tuple[Path, Path]) -> None:
    old, new = apps
    (new / "default" / "savedsearches.conf").write_text("[a]\nk = v\nthis is garbage\n")
    with pytest.raises(AppDiffError) as excinfo:
        diff_apps(old, new)
    message = str(excinfo.value)
    assert message.endswith(
        "savedsearches.conf:3: not a stanza, key = value or comment: 'this is garbage'"
    )
    (tmp_path / "pk").mkdir()
    pkg = make_tarball(new, tmp_path / "pk" / "bad.tar.gz", source_date_epoch=0)
    with pytest.raises(AppDiffError, match=r"bad\.tar\.gz!default/savedsearches\.conf:3: "):
        diff_apps(old, pkg)


def test_duplicates_in_third_party_conf_are_tolerated(tmp_path: Path) -> None:
    old = _app(tmp_path / "o", "[s]\nk = 1\nk = 2\n", lookup="", extra={})
    new = _app(tmp_path / "n", "[s]\nk = 2\n", lookup="", extra={})
    assert not diff_apps(old, new).has_changes
