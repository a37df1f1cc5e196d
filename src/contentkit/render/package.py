"""Reproducible Splunk app packaging and atomic output helpers.

``make_tarball`` writes ``<appid>/...`` into a gzip'd tar whose bytes depend only on the files'
paths, contents and executable bits: entries sorted (a directory sorts as ``name/`` so it comes
before its contents), directories included, one mtime for every entry, uid/gid 0, empty
user/group names, modes 0755 (dirs and executables) or 0644, PAX format, gzip header with mtime 0
and no file name. Symlinks and special files are refused. Nothing is excluded: the caller decides
what goes into ``app_dir``.

mtime: the ``source_date_epoch`` argument, else the ``SOURCE_DATE_EPOCH`` environment variable,
else 0.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from contentkit.conf.conffile import ConfError, read_conf_file

__all__ = [
    "PackageError",
    "app_id_and_version",
    "atomic_replace_dir",
    "format_listing",
    "make_tarball",
    "resolve_source_date_epoch",
    "staging_dir",
    "tarball_listing",
]

DEFAULT_EPOCH = 0


class PackageError(Exception):
    """Packaging failed; the message names the offending path."""


def resolve_source_date_epoch(source_date_epoch: int | None = None) -> int:
    """The mtime to use: the argument, else ``$SOURCE_DATE_EPOCH``, else 0."""
    if source_date_epoch is not None:
        value = int(source_date_epoch)
    else:
        env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if not env:
            return DEFAULT_EPOCH
        try:
            value = int(env)
        except ValueError:
            raise PackageError(f"SOURCE_DATE_EPOCH is not an integer: {env!r}") from None
    if value < 0:
        raise PackageError(f"SOURCE_DATE_EPOCH must not be negative: {value}")
    return value


def app_id_and_version(app_dir: Path) -> tuple[str, str | None]:
    """``(appid, version)`` from ``default/app.conf`` (``[package] id``, ``[id] version`` or
    ``[launcher] version``); appid falls back to the folder name, version to ``None``."""
    app_dir = Path(app_dir)
    app_id = app_dir.name
    version: str | None = None
    app_conf = app_dir / "default" / "app.conf"
    if app_conf.is_file():
        try:
            conf = read_conf_file(app_conf, strict=False)
        except ConfError as exc:
            raise PackageError(str(exc)) from None
        package = conf.get("package")
        if package is not None and package.get("id"):
            app_id = package["id"]
        for name in ("id", "launcher"):
            stanza = conf.get(name)
            if stanza is not None and stanza.get("version"):
                version = stanza["version"]
                break
    return app_id, version


def _entries(app_dir: Path) -> list[tuple[str, Path, bool]]:
    """(relative posix path, filesystem path, is_dir) for everything below ``app_dir``."""
    found: list[tuple[str, Path, bool]] = []
    for root, dirs, files in os.walk(app_dir, followlinks=False):
        root_path = Path(root)
        for name in [*dirs, *files]:
            path = root_path / name
            rel = path.relative_to(app_dir).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise PackageError(f"{path}: symlinks are not allowed in an app package")
            if stat.S_ISDIR(mode):
                found.append((rel, path, True))
            elif stat.S_ISREG(mode):
                found.append((rel, path, False))
            else:
                raise PackageError(f"{path}: not a regular file or directory")
    found.sort(key=lambda e: (e[0] + "/" if e[2] else e[0]).encode("utf-8"))
    return found


def make_tarball(app_dir: Path, out_path: Path, *, source_date_epoch: int | None = None) -> Path:
    """Package ``app_dir`` reproducibly; return the written path.

    If ``out_path`` is an existing directory the file is ``<out_path>/<appid>-<version>.tar.gz``
    (PackageError when app.conf has no version), otherwise ``out_path`` itself. The archive
    root is ``app_dir``'s folder name, which must equal app.conf's ``[package] id`` if set.
    Written to a temporary file next to the target and renamed into place.
    """
    app_dir = Path(app_dir)
    out_path = Path(out_path)
    if not app_dir.is_dir():
        raise PackageError(f"{app_dir}: app folder not found")
    app_id, version = app_id_and_version(app_dir)
    if app_id != app_dir.name:
        raise PackageError(
            f"{app_dir}: folder name {app_dir.name!r} differs from app.conf [package] id {app_id!r}"
        )
    if out_path.is_dir():
        if not version:
            raise PackageError(f"{app_dir / 'default' / 'app.conf'}: no [id] or [launcher] version")
        out_path = out_path / f"{app_id}-{version}.tar.gz"
    mtime = resolve_source_date_epoch(source_date_epoch)
    entries = _entries(app_dir)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_tarinfo(app_id, True, 0, mtime, False))
        for rel, path, is_dir in entries:
            name = f"{app_id}/{rel}"
            if is_dir:
                tar.addfile(_tarinfo(name, True, 0, mtime, False))
                continue
            st = path.stat()
            executable = bool(st.st_mode & 0o111)
            with path.open("rb") as fh:
                tar.addfile(_tarinfo(name, False, st.st_size, mtime, executable), fh)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            for member in _gzip_members(stream.getbuffer()):
                raw.write(member)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, out_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return out_path


# The tar stream is compressed in pieces of this size, each a gzip member of its own, on all
# cores at once (zlib releases the GIL). Readers (tar, gzip, Python, Splunk) read the members as
# one stream; fixed piece boundaries keep the output byte-for-byte reproducible.
GZIP_PIECE = 4 << 20
# Level 4 is twice as fast as 6 on conf text for a package 7% larger (2.9 MB instead of 2.7 MB
# for security_content 5.13.0).
GZIP_LEVEL = 4


def _gzip_members(data: memoryview) -> Iterator[bytes]:
    from concurrent.futures import ThreadPoolExecutor

    pieces = [bytes(data[i : i + GZIP_PIECE]) for i in range(0, max(len(data), 1), GZIP_PIECE)]
    workers = max(1, min(len(pieces), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        yield from pool.map(
            lambda piece: gzip.compress(piece, compresslevel=GZIP_LEVEL, mtime=0), pieces
        )


def _tarinfo(name: str, is_dir: bool, size: int, mtime: int, executable: bool) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.mode = 0o755 if is_dir or executable else 0o644
    info.size = 0 if is_dir else size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def tarball_listing(path: Path) -> list[str]:
    """Sorted member names of a ``.tar.gz``/``.spl`` (directories end with ``/``)."""
    path = Path(path)
    try:
        with tarfile.open(path, mode="r:*") as tar:
            names = [m.name + "/" if m.isdir() else m.name for m in tar.getmembers()]
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise PackageError(f"{path}: cannot read archive ({exc})") from None
    return sorted(names, key=lambda n: n.encode("utf-8"))


def format_listing(names: list[str]) -> str:
    """Listing text like ``package_listing.txt``: one name per line, final newline."""
    return "".join(f"{name}\n" for name in names)


def atomic_replace_dir(tmp_dir: Path, final_dir: Path) -> None:
    """Move the fully built ``tmp_dir`` to ``final_dir``, replacing any old one.

    Both must be on the same file system (use :func:`staging_dir`). The old folder is renamed
    aside first and removed only after the new one is in place, so ``final_dir`` is never a
    partial build; if the move fails the old folder is restored.
    """
    tmp_dir = Path(tmp_dir)
    final_dir = Path(final_dir)
    if not tmp_dir.is_dir():
        raise PackageError(f"{tmp_dir}: build folder not found")
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    if os.stat(tmp_dir).st_dev != os.stat(final_dir.parent).st_dev:
        raise PackageError(f"{tmp_dir}: not on the same file system as {final_dir}")
    backup: Path | None = None
    if final_dir.exists() or final_dir.is_symlink():
        backup = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.old.", dir=final_dir.parent))
        backup.rmdir()
        os.replace(final_dir, backup)
    try:
        os.replace(tmp_dir, final_dir)
    except BaseException:
        if backup is not None:
            os.replace(backup, final_dir)
        raise
    if backup is not None:
        if backup.is_dir() and not backup.is_symlink():
            shutil.rmtree(backup, ignore_errors=True)
        else:
            backup.unlink()


@contextlib.contextmanager
def staging_dir(final_dir: Path) -> Iterator[Path]:
    """Yield an empty temporary folder next to ``final_dir``; on success it replaces
    ``final_dir`` atomically, on error it is deleted and ``final_dir`` is left untouched."""
    final_dir = Path(final_dir)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.new.", dir=final_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        os.chmod(tmp, 0o755)
        atomic_replace_dir(tmp, final_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
