"""Writing a file that no reader ever sees half-written.

The text goes to a new temporary file in the target's folder, which is renamed over the target
once it is complete, and removed on any failure. The temporary file is created with mode 0666
less the umask, as a plain ``open()`` would create it. ``tempfile.mkstemp`` would make it 0600,
and a test report or API file that only its writer can read breaks the CI step that publishes it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_text_atomic(path: Path, text: str, *, newline: str | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` in one rename; the folder is created when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:  # pragma: no cover - a clash of 32 random bits
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
