"""Tests for reproducible packaging and atomic folder replacement."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from pathlib import Path

import pytest

from contentkit.render.package import (
    PackageError,
    app_id_and_version,
    atomic_replace_dir,
    format_listing,
    make_tarball,
    resolve_source_date_epoch,
    staging_dir,
    tarball_listing,
)

APP = "DA-Test-App"


def _make_app(root: Path, *, touch_time: int = 1_700_000_000) -> Path:
    app = root / APP
    (app / "default" / "data" / "ui" / "nav").mkdir(parents=True)
    (app / "metadata").mkdir()
    (app / "lookups").mkdir()
    (app / "bin").mkdir()
    (app / "default" / "app.conf").write_text(
        "[package]\nid = DA-Test-App\n\n[id]\nversion = 1.2.3\nname = DA-Test-App\n"
    )
    (app / "default" / "savedsearches.conf").write_text("[s]\nsearch = index=main\n")
    (app / "default" / "data" / "ui" / "nav" / "default.xml").write_text("<nav/>\n")
    (app / "metadata" / "default.meta").write_text("[]\nexport = system\n")
    (app / "lookups" / "b.csv").write_text("a,b\n1,2\n")
    (app / "lookups" / "A.csv").write_text("x\n")
    (app / "README.md").write_text("readme\n")
    script = app / "bin" / "tool.py"
    script.write_text("print('hi')\n")
    script.chmod(0o700)
    (app / "lookups" / "b.csv").chmod(0o600)
    for path in [app, *app.rglob("*")]:
        os.utime(path, (touch_time, touch_time))
    return app


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_builds_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    one = _make_app(tmp_path / "one", touch_time=1_000_000)
    two = _make_app(tmp_path / "two", touch_time=2_000_000)
    (tmp_path / "out1").mkdir()
    (tmp_path / "out2").mkdir()
    first = make_tarball(one, tmp_path / "out1")
    second = make_tarball(two, tmp_path / "out2")
    assert first.name == second.name == "DA-Test-App-1.2.3.tar.gz"
    assert _sha(first) == _sha(second)
    again = make_tarball(one, tmp_path / "out1" / "again.tar.gz")
    assert _sha(again) == _sha(first)
    assert sorted(p.name for p in (tmp_path / "out1").iterdir()) == [
        "DA-Test-App-1.2.3.tar.gz",
        "again.tar.gz",
    ]  # no temp files left behind


def test_entries_sorted_normalised_and_owned_by_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    app = _make_app(tmp_path)
    out = make_tarball(app, tmp_path / "pkg.tar.gz")
    with tarfile.open(out) as tar:
        members = tar.getmembers()
    names = [m.name + "/" if m.isdir() else m.name for m in members]
    assert names == sorted(names)
    assert names[:3] == ["DA-Test-App/", "DA-Test-App/README.md", "DA-Test-App/bin/"]
    assert "DA-Test-App/default/data/ui/nav/" in names
    for m in members:
        assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "", "", 0)
        assert m.isdir() or m.isfile()
    modes = {m.name: m.mode for m in members}
    assert modes["DA-Test-App/bin/tool.py"] == 0o755
    assert modes["DA-Test-App/lookups/b.csv"] == 0o644
    assert modes["DA-Test-App/lookups"] == 0o755
    assert tarball_listing(out) == names


def test_gzip_header_has_mtime_zero_and_no_name(tmp_path: Path) -> None:
    out = make_tarball(_make_app(tmp_path), tmp_path / "pkg.tar.gz", source_date_epoch=5)
    header = out.read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] & 0x08 == 0  # FNAME flag not set
    assert header[4:8] == b"\0\0\0\0"  # MTIME
    with gzip.open(out) as fh:
        assert fh.read(100).startswith(b"DA-Test-App")


def test_source_date_epoch_argument_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _make_app(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    from_env = make_tarball(app, tmp_path / "env.tar.gz")
    with tarfile.open(from_env) as tar:
        assert {m.mtime for m in tar.getmembers()} == {1234567890}
    explicit = make_tarball(app, tmp_path / "arg.tar.gz", source_date_epoch=42)
    with tarfile.open(explicit) as tar:
        assert {m.mtime for m in tar.getmembers()} == {42}
    assert _sha(from_env) != _sha(explicit)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not-a-number")
    with pytest.raises(PackageError, match="SOURCE_DATE_EPOCH"):
        resolve_source_date_epoch()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert resolve_source_date_epoch() == 0


def test_refuses_symlinks_and_mismatched_id(tmp_path: Path) -> None:
    app = _make_app(tmp_path)
    (app / "lookups" / "link.csv").symlink_to(app / "lookups" / "A.csv")
    with pytest.raises(PackageError, match="symlinks"):
        make_tarball(app, tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".x.tar.gz")] == []
    other = tmp_path / "renamed"
    (app / "lookups" / "link.csv").unlink()
    app.rename(other)
    with pytest.raises(PackageError, match=r"differs from app\.conf"):
        make_tarball(other, tmp_path / "y.tar.gz")


def test_app_id_and_version_and_listing_format(tmp_path: Path) -> None:
    app = _make_app(tmp_path)
    assert app_id_and_version(app) == ("DA-Test-App", "1.2.3")
    bare = tmp_path / "bare"
    bare.mkdir()
    assert app_id_and_version(bare) == ("bare", None)
    (tmp_path / "o").mkdir()
    with pytest.raises(PackageError, match="no \\[id\\] or \\[launcher\\] version"):
        make_tarball(bare, tmp_path / "o")
    assert format_listing(["a/", "a/b"]) == "a/\na/b\n"


def test_tarball_listing_rejects_non_archives(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(PackageError, match=r"junk\.tar\.gz"):
        tarball_listing(junk)


def test_atomic_replace_dir_swaps_whole_folder(tmp_path: Path) -> None:
    final = tmp_path / "out" / "app"
    final.mkdir(parents=True)
    (final / "old.txt").write_text("old")
    new = tmp_path / "out" / "tmp-build"
    new.mkdir()
    (new / "new.txt").write_text("new")
    atomic_replace_dir(new, final)
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["app"]
    with pytest.raises(PackageError, match="not found"):
        atomic_replace_dir(tmp_path / "missing", final)


def test_staging_dir_leaves_old_build_on_failure(tmp_path: Path) -> None:
    final = tmp_path / "app"
    with staging_dir(final) as tmp:
        (tmp / "v1").write_text("1")
    assert (final / "v1").read_text() == "1"
    with pytest.raises(RuntimeError), staging_dir(final) as tmp:
        (tmp / "partial").write_text("x")
        raise RuntimeError("render failed")
    assert sorted(p.name for p in final.iterdir()) == ["v1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]
    with staging_dir(final) as tmp:
        (tmp / "v2").write_text("2")
    assert sorted(p.name for p in final.iterdir()) == ["v2"]


def test_long_and_unicode_names_stay_reproducible(tmp_path: Path) -> None:
    builds = []
    for side in ("one", "two"):
        app = _make_app(tmp_path / side)
        long_dir = app / "lookups" / ("d" * 90)
        long_dir.mkdir()
        (long_dir / ("f" * 120 + ".csv")).write_text("x\n")
        (app / "lookups" / "naïve_☃.csv").write_text("y\n")
        builds.append(make_tarball(app, tmp_path / f"{side}.tar.gz", source_date_epoch=7))
    assert _sha(builds[0]) == _sha(builds[1])
    listing = tarball_listing(builds[0])
    assert "DA-Test-App/lookups/naïve_☃.csv" in listing
    assert f"DA-Test-App/lookups/{'d' * 90}/{'f' * 120}.csv" in listing
