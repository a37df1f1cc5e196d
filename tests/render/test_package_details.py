"""Packaging details a user relies on: what app.conf decides, the archive's modes, sizes and
order, where temporary files go, exact error messages, and the old folder kept when a swap
fails."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

import pytest

from contentkit.render import package
from contentkit.render.package import (
    PackageError,
    app_id_and_version,
    atomic_replace_dir,
    make_tarball,
    resolve_source_date_epoch,
    tarball_listing,
)

APP = "DA-Test-App"


def _app(root: Path, app_conf: str = "[id]\nversion = 1.0.0\n") -> Path:
    app = root / APP
    (app / "default").mkdir(parents=True)
    (app / "default" / "app.conf").write_text(app_conf)
    (app / "README.md").write_text("readme\n")
    return app


def test_source_date_epoch_values(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_source_date_epoch(0) == 0
    assert resolve_source_date_epoch(1) == 1
    with pytest.raises(PackageError) as caught:
        resolve_source_date_epoch(-1)
    assert str(caught.value) == "SOURCE_DATE_EPOCH must not be negative: -1"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", " 12 ")
    assert resolve_source_date_epoch() == 12
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(PackageError) as caught:
        resolve_source_date_epoch()
    assert str(caught.value) == "SOURCE_DATE_EPOCH is not an integer: 'soon'"


@pytest.mark.parametrize(
    ("app_conf", "expected"),
    [
        ("[id]\nversion = 1\nversion = 2\n", (APP, "2")),  # read leniently: the last one wins
        ("[package]\nid =\n[id]\nversion = 3\n", (APP, "3")),  # an empty id is no id
        ("[id]\nname = x\n[launcher]\nversion = 4\n", (APP, "4")),
        ("[id]\nversion =\n[launcher]\nversion = 5\n", (APP, "5")),
        ("[id]\nversion = 6\n[launcher]\nversion = 7\n", (APP, "6")),  # [id] first
        ("[ui]\nlabel = x\n", (APP, None)),
        ("[package]\nid = Other\n", ("Other", None)),
    ],
)
def test_app_id_and_version(tmp_path: Path, app_conf: str, expected: tuple) -> None:
    assert app_id_and_version(_app(tmp_path, app_conf)) == expected


def test_broken_app_conf_is_a_package_error_with_its_line(tmp_path: Path) -> None:
    app = _app(tmp_path, "[id]\nversion = 1\nnot a setting\n")
    with pytest.raises(PackageError) as caught:
        app_id_and_version(app)
    conf = app / "default" / "app.conf"
    assert str(caught.value) == f"{conf}:3: not a stanza, key = value or comment: 'not a setting'"
    out = tmp_path / "out"
    out.mkdir()
    bare = _app(tmp_path / "bare", "[ui]\nlabel = x\n")
    with pytest.raises(PackageError) as caught:
        make_tarball(bare, out)
    assert str(caught.value) == f"{bare / 'default' / 'app.conf'}: no [id] or [launcher] version"
    with pytest.raises(PackageError) as caught:
        make_tarball(tmp_path / "nowhere", out)
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: app folder not found"


def test_archive_modes_sizes_contents_and_order(tmp_path: Path) -> None:
    app = _app(tmp_path)
    (app / "lookups").mkdir()
    (app / "lookups.txt").write_text("a file named like the folder\n")
    (app / "lookups" / "x.csv").write_text("x\n1\n")
    for name, mode in (("other_exec.sh", 0o601), ("group_write.txt", 0o664), ("odd.txt", 0o646)):
        (app / name).write_text(name)
        (app / name).chmod(mode)
    out = make_tarball(app, tmp_path / "deep" / "er" / "app.tar.gz", source_date_epoch=9)
    assert oct(stat.S_IMODE(out.stat().st_mode)) == "0o644"
    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile(f"{APP}/lookups/x.csv").read() == b"x\n1\n"  # type: ignore[union-attr]
        assert tar.extractfile(f"{APP}/README.md").read() == b"readme\n"  # type: ignore[union-attr]
    assert {n: oct(m.mode) for n, m in members.items() if not m.isdir()} == {
        f"{APP}/README.md": "0o644",
        f"{APP}/default/app.conf": "0o644",
        f"{APP}/group_write.txt": "0o644",
        f"{APP}/lookups.txt": "0o644",
        f"{APP}/lookups/x.csv": "0o644",
        f"{APP}/odd.txt": "0o644",
        f"{APP}/other_exec.sh": "0o755",  # any execute bit makes it executable
    }
    assert {m.size for m in members.values() if m.isdir()} == {0}
    assert members[f"{APP}/lookups/x.csv"].size == 4
    # a folder sorts as "name/": after "lookups.txt" ('.' < '/')
    assert tarball_listing(out) == [
        f"{APP}/",
        f"{APP}/README.md",
        f"{APP}/default/",
        f"{APP}/default/app.conf",
        f"{APP}/group_write.txt",
        f"{APP}/lookups.txt",
        f"{APP}/lookups/",
        f"{APP}/lookups/x.csv",
        f"{APP}/odd.txt",
        f"{APP}/other_exec.sh",
    ]
    with tarfile.open(out) as tar:
        assert [m.name for m in tar.getmembers()] == [n.rstrip("/") for n in tarball_listing(out)]
    # compressed at a fast level: gzip's XFL byte is 2 only for the slowest, best level
    assert out.read_bytes()[8] == 0


def test_special_files_are_refused(tmp_path: Path) -> None:
    app = _app(tmp_path)
    fifo = app / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(PackageError) as caught:
        make_tarball(app, tmp_path / "x.tar.gz")
    assert str(caught.value) == f"{fifo}: not a regular file or directory"


def test_tarball_is_written_beside_the_target_then_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(tmp_path)
    moves: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        moves.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(package.os, "replace", spy)
    out = make_tarball(app, tmp_path / "out" / "app.tar.gz")
    [(src, dst)] = moves
    assert dst == out and src.parent == out.parent
    assert src.name.startswith(".app.tar.gz.") and src.name.endswith(".tmp")
    assert sorted(p.name for p in out.parent.iterdir()) == ["app.tar.gz"]


def test_failed_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    app = _app(tmp_path)
    out = tmp_path / "out"
    (out / f"{APP}-1.0.0.tar.gz").mkdir(parents=True)  # a folder in the way
    (out / f"{APP}-1.0.0.tar.gz" / "keep").write_text("")
    with pytest.raises(IsADirectoryError):
        make_tarball(app, out)
    assert sorted(p.name for p in out.iterdir()) == [f"{APP}-1.0.0.tar.gz"]


def test_atomic_replace_into_a_new_parent_and_old_folder_restored_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = tmp_path / "new"
    new.mkdir()
    (new / "v").write_text("1")
    final = tmp_path / "a" / "b" / "site"
    atomic_replace_dir(new, final)
    assert (final / "v").read_text() == "1"

    newer = tmp_path / "a" / "b" / "newer"
    newer.mkdir()
    (newer / "v").write_text("2")
    moves: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def failing(src: str | Path, dst: str | Path) -> None:
        moves.append((Path(src), Path(dst)))
        if Path(src) == newer:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(package.os, "replace", failing)
    with pytest.raises(OSError, match="No space left"):
        atomic_replace_dir(newer, final)
    backup = moves[0][1]
    assert moves == [(final, backup), (newer, final), (backup, final)]
    assert backup.parent == final.parent and backup.name.startswith(".site.old.")
    assert (final / "v").read_text() == "1"  # the old site is back
    assert sorted(p.name for p in final.parent.iterdir()) == ["newer", "site"]


def test_replacing_a_file_with_a_folder(tmp_path: Path) -> None:
    final = tmp_path / "site"
    final.write_text("a file where the site goes")
    new = tmp_path / "new"
    new.mkdir()
    atomic_replace_dir(new, final)
    assert final.is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_files_sort_by_name_and_folders_as_name_slash(tmp_path: Path) -> None:
    app = _app(tmp_path)
    for name in ("x-y", "x", "x.d/in"):
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(name)
    with tarfile.open(make_tarball(app, tmp_path / "a.tar.gz")) as tar:
        order = [m.name for m in tar.getmembers()]  # the archive's own order
    assert order[-4:] == [f"{APP}/x", f"{APP}/x-y", f"{APP}/x.d", f"{APP}/x.d/in"]


def test_swap_across_file_systems_is_refused(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    import tempfile

    with tempfile.TemporaryDirectory(dir=shm) as elsewhere:
        with pytest.raises(PackageError) as caught:
            atomic_replace_dir(Path(elsewhere), tmp_path / "site")
        assert str(caught.value) == (
            f"{elsewhere}: not on the same file system as {tmp_path / 'site'}"
        )
    assert not (tmp_path / "site").exists()
