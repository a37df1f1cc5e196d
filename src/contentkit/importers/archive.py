"""Safe unpacking of app packages (`.tgz`, `.tar.gz`, `.spl`, `.tar`).

Refused, with the member's name: absolute paths, `..` components, symbolic and hard links,
devices and FIFOs, and anything that would land outside the target folder. Nothing is written
when any member is refused (members are all checked before the first one is extracted).

(The lead's `contentkit.apps` gets its own unpacker; this one is small on purpose so the two can
be folded together.)
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath


class UnsafeArchive(Exception):
    """The archive cannot be unpacked safely, or is not an archive."""


ARCHIVE_SUFFIXES = (".tgz", ".tar.gz", ".spl", ".tar")


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _checked(member: tarfile.TarInfo, archive: Path) -> PurePosixPath:
    name = member.name
    where = f"{archive}: member {name!r}"
    if member.issym() or member.islnk():
        raise UnsafeArchive(f"{where} is a link")
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchive(f"{where} is not a regular file or folder")
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"{where} has an absolute path")
    if any(part == ".." for part in path.parts) or "\\" in name:
        raise UnsafeArchive(f"{where} escapes the target folder")
    return path


def safe_extract(archive: Path, target: Path) -> list[Path]:
    """Unpack `archive` into `target` (created); return the top-level entries written."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            paths = [_checked(m, archive) for m in members]
            target.mkdir(parents=True, exist_ok=True)
            root = target.resolve()
            for member, rel in zip(members, paths, strict=True):
                dest = (root / rel).resolve()
                if dest != root and root not in dest.parents:
                    raise UnsafeArchive(f"{archive}: member {member.name!r} escapes the target")
                if member.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise UnsafeArchive(f"{archive}: member {member.name!r} cannot be read")
                with source, open(dest, "wb") as out:
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UnsafeArchive(f"{archive}: not a readable package ({exc})") from None
    return sorted({root / rel.parts[0] for rel in paths if rel.parts})
