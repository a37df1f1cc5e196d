"""Safe unpacking of Splunk app packages (``.tgz``, ``.tar.gz``, ``.spl``: all gzip'd or plain tar).

A package is unpacked once into ``<unpack_dir>/<sha256 of the package>/<app folder>``: it is
extracted into a temporary folder beside that and renamed into place only when complete, so a
folder in the cache is always a whole, checked extraction and is reused as is.

Refused (the whole package is then :class:`AppUnavailable`, nothing is left behind): members
whose path is absolute or has a ``..`` component, symbolic and hard links, devices, FIFOs and
other special members, more than ``max_members`` members or more than ``max_bytes`` of file
content.  The app folder is the archive's single top-level folder; a package with none or with
several top-level entries is refused too.  macOS metadata (``__MACOSX/``, ``._*`` files) is
skipped, not extracted.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from contentkit.replay.datasets import sha256_of

from .model import AppUnavailable

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_MEMBERS",
    "PACKAGE_SUFFIXES",
    "is_package_name",
    "unpack_app",
]

DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GiB of file content
DEFAULT_MAX_MEMBERS = 200_000
PACKAGE_SUFFIXES = (".tgz", ".tar.gz", ".spl")
_CHUNK = 1 << 20


def is_package_name(path: Path | str) -> bool:
    """Whether the file name has one of the package suffixes (``.tgz``, ``.tar.gz``, ``.spl``)."""
    return str(path).lower().endswith(PACKAGE_SUFFIXES)


class UnsafePackage(Exception):
    """One-line reason a package is not unpacked."""


def _app_folder(extracted: Path) -> Path | None:
    """The single folder in a finished extraction (``None`` if it is not exactly one folder)."""
    try:
        entries = list(extracted.iterdir())
    except OSError:
        return None
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return None


def unpack_app(
    package: Path,
    unpack_dir: Path,
    *,
    app: str = "",
    origin: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Path:
    """The app folder of ``package``, unpacked (or found already unpacked) under ``unpack_dir``.

    ``app`` and ``origin`` (its URL or path; default the package path) name it in errors.
    Raises :class:`AppUnavailable` with a one-line reason for a missing, corrupt or unsafe
    package."""
    name = app or package.name
    where = origin or str(package)
    try:
        key = sha256_of(package)
    except OSError as exc:
        raise AppUnavailable(
            name, where, f"cannot read the package: {exc.strerror or exc}"
        ) from None
    final = unpack_dir / key[:32]
    found = _app_folder(final)
    if found is not None:
        return found
    try:
        unpack_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", suffix=".part", dir=unpack_dir))
    except OSError as exc:
        raise AppUnavailable(
            name, where, f"cannot create the unpack folder {unpack_dir}: {exc.strerror or exc}"
        ) from None
    try:
        _extract(package, tmp, max_bytes=max_bytes, max_members=max_members)
        if final.exists() and _app_folder(final) is None:
            shutil.rmtree(final, ignore_errors=True)  # a leftover that is not one app folder
        try:
            os.rename(tmp, final)
        except OSError:
            if _app_folder(final) is None:  # not a concurrent unpack of the same package
                raise
    except UnsafePackage as exc:
        raise AppUnavailable(name, where, str(exc)) from None
    except OSError as exc:
        raise AppUnavailable(
            name, where, f"cannot unpack into {unpack_dir}: {exc.strerror or exc}"
        ) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    found = _app_folder(final)
    if found is None:  # pragma: no cover - _extract guarantees one folder
        raise AppUnavailable(name, where, "unpacked package has no app folder")
    return found


def member_path(member: tarfile.TarInfo) -> PurePosixPath | None:
    """The member's relative path, ``None`` for skipped entries; refuses escaping paths."""
    raw = member.name
    if raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafePackage(f"unsafe package: member {raw!r} has an absolute path")
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePackage(f"unsafe package: member {raw!r} escapes the app folder ('..')")
    if not parts:
        return None  # the archive's "./" entry
    if parts[0] == "__MACOSX" or parts[-1].startswith("._"):
        return None
    return PurePosixPath(*parts)


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isfifo():
        return "a FIFO"
    return "a special member"


def _extract(package: Path, target: Path, *, max_bytes: int, max_members: int) -> None:
    total = 0
    count = 0
    tops: set[str] = set()
    top_is_dir: dict[str, bool] = {}
    try:
        with tarfile.open(package, mode="r:*") as archive:
            for member in archive:
                count += 1
                if count > max_members:
                    raise UnsafePackage(f"package has more than {max_members} members")
                rel = member_path(member)
                if not (member.isfile() or member.isdir()):
                    raise UnsafePackage(
                        f"unsafe package: member {member.name!r} is {_kind(member)}"
                    )
                if rel is None:
                    continue
                top = rel.parts[0]
                tops.add(top)
                if len(tops) > 1:
                    raise UnsafePackage(
                        "package has several top-level entries "
                        f"({', '.join(sorted(tops))}); an app package holds one app folder"
                    )
                top_is_dir[top] = top_is_dir.get(top, False) or member.isdir() or len(rel.parts) > 1
                dest = target.joinpath(*rel.parts)
                if member.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                total += member.size
                if total > max_bytes:
                    raise UnsafePackage(f"package unpacks to more than {max_bytes} bytes")
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                if source is None:  # pragma: no cover - regular files always have data
                    raise UnsafePackage(f"member {member.name!r} has no data")
                with source, dest.open("wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
    except UnsafePackage:
        raise
    except (tarfile.TarError, EOFError, zlib.error, UnicodeError) as exc:
        raise UnsafePackage(f"corrupt package: {_reason(exc)}") from None
    except OSError as exc:
        if exc.filename is None:  # gzip.BadGzipFile and friends: the data, not our disk
            raise UnsafePackage(f"corrupt package: {_reason(exc)}") from None
        raise
    if not tops:
        raise UnsafePackage("package is empty (no app folder)")
    (top,) = tops
    if not top_is_dir[top]:
        raise UnsafePackage(f"package holds the file {top!r}, not an app folder")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text and text[0] else type(exc).__name__
