"""Temporary folders for a build or a docs site that never outlive an interrupted run: each is
named after the process that made it, and the next run removes those whose process is gone
(a `kill -9` or a power cut skips every `finally`)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

#: a leftover without a process id in its name (older contentkit) counts as stale after this
STALE_AFTER = 3600.0


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale(parent: Path, prefix: str) -> list[Path]:
    """Remove the folders `<prefix><pid>.<random>` in `parent` whose process has ended (and
    those named `<prefix><random>` older than an hour); the ones removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
            continue
        rest = entry.name[len(prefix) :]
        pid_text, _, _ = rest.partition(".")
        if pid_text.isdigit():
            stale = not _alive(int(pid_text))
        else:
            try:
                stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            except OSError:
                continue
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def make(parent: Path, prefix: str) -> Path:
    """A new temporary folder in `parent`, after removing stale ones of the same prefix."""
    remove_stale(parent, prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}.", dir=parent))
