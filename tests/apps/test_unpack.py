"""Safe unpacking of app packages: what is refused, what is reused."""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

import pytest

from contentkit.apps.model import AppUnavailable
from contentkit.apps.unpack import is_package_name, unpack_app

from .helpers import pack_folder, pack_members, special, write_app


def _refusal(package: Path, tmp_path: Path, **limits: int) -> str:
    unpack_dir = tmp_path / "unpacked"
    with pytest.raises(AppUnavailable) as caught:
        unpack_app(package, unpack_dir, app="TA_test", **limits)
    assert caught.value.app == "TA_test" and caught.value.where == str(package)
    # nothing is left behind as if it were good
    assert not unpack_dir.exists() or list(unpack_dir.iterdir()) == []
    assert "\n" not in str(caught.value)
    return caught.value.reason


def test_unpacks_the_single_app_folder_and_reuses_it(tmp_path: Path) -> None:
    app = write_app(tmp_path / "src", "TA_demo", {"default/props.conf": "[demo]\nKV_MODE = json\n"})
    package = pack_folder(app, tmp_path / "ta-demo_100.spl")
    folder = unpack_app(package, tmp_path / "unpacked")
    assert folder.name == "TA_demo"
    assert (folder / "default" / "props.conf").read_text() == "[demo]\nKV_MODE = json\n"
    marker = folder / "default" / "marker"
    marker.write_text("kept")
    # the same bytes under another name: same cache entry, not unpacked again
    copy = tmp_path / "copy.tgz"
    copy.write_bytes(package.read_bytes())
    assert unpack_app(copy, tmp_path / "unpacked") == folder
    assert marker.read_text() == "kept"
    assert [p.name for p in (tmp_path / "unpacked").iterdir()] == [folder.parent.name]


def test_leading_dot_slash_and_macos_metadata_are_fine(tmp_path: Path) -> None:
    package = pack_members(
        tmp_path / "p.tgz",
        [
            ("./TA_x/default/app.conf", b"[ui]\nlabel = X\n"),
            ("./TA_x/._app.conf", b"junk"),
            ("__MACOSX/TA_x/._default", b"junk"),
        ],
    )
    folder = unpack_app(package, tmp_path / "u")
    assert folder.name == "TA_x"
    assert sorted(p.name for p in folder.rglob("*")) == ["app.conf", "default"]


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (("TA_x/../../evil.txt", b"x"), "escapes the app folder"),
        (("/etc/evil.txt", b"x"), "absolute path"),
        (special("TA_x/link", tarfile.SYMTYPE, "/etc/passwd"), "is a symbolic link"),
        (special("TA_x/hard", tarfile.LNKTYPE, "TA_x/default/a.conf"), "is a hard link"),
        (special("TA_x/dev", tarfile.CHRTYPE), "is a device"),
        (special("TA_x/blk", tarfile.BLKTYPE), "is a device"),
        (special("TA_x/fifo", tarfile.FIFOTYPE), "is a FIFO"),
    ],
)
def test_unsafe_members_are_refused(
    tmp_path: Path, member: tarfile.TarInfo | tuple[str, bytes], reason: str
) -> None:
    package = pack_members(tmp_path / "p.tgz", [("TA_x/default/a.conf", b"[a]\n"), member])
    message = _refusal(package, tmp_path)
    assert message.startswith("unsafe package: member") and reason in message
    assert not (tmp_path / "evil.txt").exists()


def test_size_and_member_limits(tmp_path: Path) -> None:
    package = pack_members(
        tmp_path / "p.tgz", [("TA_x/a.csv", b"a" * 600), ("TA_x/b.csv", b"b" * 600)]
    )
    assert _refusal(package, tmp_path, max_bytes=1000) == "package unpacks to more than 1000 bytes"
    assert _refusal(package, tmp_path, max_members=1) == "package has more than 1 members"
    assert unpack_app(package, tmp_path / "ok", max_bytes=1200).name == "TA_x"


def test_top_level_must_be_one_folder(tmp_path: Path) -> None:
    several = pack_members(tmp_path / "s.tgz", [("A/x", b""), ("B/y", b"")])
    assert "several top-level entries (A, B)" in _refusal(several, tmp_path)
    stray = pack_members(tmp_path / "f.tgz", [("A/x", b""), ("README", b"")])
    assert "several top-level entries" in _refusal(stray, tmp_path)
    lone_file = pack_members(tmp_path / "l.tgz", [("README", b"hi")])
    assert _refusal(lone_file, tmp_path) == "package holds the file 'README', not an app folder"
    empty = pack_members(tmp_path / "e.tgz", [])
    assert _refusal(empty, tmp_path) == "package is empty (no app folder)"


def test_corrupt_and_missing_packages(tmp_path: Path) -> None:
    garbage = tmp_path / "g.tgz"
    garbage.write_bytes(b"this is not a tar archive at all" * 40)
    assert _refusal(garbage, tmp_path).startswith("corrupt package: ")
    good = pack_members(tmp_path / "t.tgz", [("TA_x/default/a.conf", b"[a]\n" * 5000)])
    truncated = tmp_path / "trunc.tgz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert _refusal(truncated, tmp_path).startswith("corrupt package: ")
    with pytest.raises(AppUnavailable, match="cannot read the package"):
        unpack_app(tmp_path / "missing.tgz", tmp_path / "u")


def test_plain_tar_is_accepted(tmp_path: Path) -> None:
    package = tmp_path / "plain.spl"
    app = write_app(tmp_path / "src", "TA_plain", {"default/app.conf": "[ui]\n"})
    with tarfile.open(package, "w") as tar:
        tar.add(app, arcname="TA_plain")
    assert unpack_app(package, tmp_path / "u").name == "TA_plain"


def test_leftover_partial_entry_is_replaced(tmp_path: Path) -> None:
    app = write_app(tmp_path / "src", "TA_demo", {"default/app.conf": "[ui]\n"})
    package = pack_folder(app, tmp_path / "p.tgz")
    first = unpack_app(package, tmp_path / "u")
    entry = first.parent
    (entry / "stray").write_text("")  # no longer exactly one folder: not trusted
    again = unpack_app(package, tmp_path / "u")
    assert again == first and not (entry / "stray").exists()


def test_package_names() -> None:
    assert is_package_name("a.tgz") and is_package_name("A.TAR.GZ") and is_package_name("x.spl")
    assert not is_package_name("a.zip") and not is_package_name("folder")


def test_multi_member_gzip_is_read_whole(tmp_path: Path) -> None:
    # gzip allows several members back to back (some packagers write them); all count
    app = write_app(
        tmp_path / "src", "TA_multi", {"default/a.conf": "[a]\n", "lookups/b.csv": "x\n" * 400}
    )
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        tar.add(app, arcname="TA_multi")
    data = plain.read_bytes()
    package = tmp_path / "multi.tgz"
    package.write_bytes(gzip.compress(data[:1024]) + gzip.compress(data[1024:]))
    folder = unpack_app(package, tmp_path / "u")
    assert (folder / "lookups" / "b.csv").read_text() == "x\n" * 400
