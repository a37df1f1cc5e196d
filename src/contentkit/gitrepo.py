"""The `git` command, for what contentkit asks of a repository's history: changed files,
merge bases, and the tree of a revision. One clear error when git or the repository is missing."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path


class GitError(Exception):
    """git is not installed, the folder is not in a repository, or a revision is unknown."""


def run(root: Path, *args: str, binary: bool = False) -> str | bytes:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("git is not installed (it is needed to compare with git history)")
    try:
        done = subprocess.run(
            [exe, "-C", str(root), *args], capture_output=True, text=not binary, timeout=300
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]}: {exc}") from None
    if done.returncode != 0:
        stderr = (
            done.stderr if isinstance(done.stderr, str) else done.stderr.decode("utf-8", "replace")
        )
        message = (stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        message = message.removeprefix("fatal: ")
        if "not a git repository" in message:
            raise GitError(f"{root} is not in a git repository")
        raise GitError(f"git {args[0]} failed in {root}: {message}")
    return done.stdout


def text(root: Path, *args: str) -> str:
    out = run(root, *args)
    assert isinstance(out, str)
    return out


def toplevel(root: Path) -> Path:
    return Path(text(root, "rev-parse", "--show-toplevel").strip())


def ref_exists(root: Path, ref: str) -> bool:
    try:
        text(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return False
    return True


def resolve(root: Path, ref: str) -> str:
    if not ref_exists(root, ref):
        raise GitError(f"unknown git revision {ref!r}")
    return text(root, "rev-parse", f"{ref}^{{commit}}").strip()


def export_tree(root: Path, ref: str, target: Path) -> Path:
    """Write the files of `root` (a folder inside a repository) as they are in `ref` into
    `target`; returns the folder in `target` that corresponds to `root`."""
    commit = resolve(root, ref)
    top = toplevel(root)
    sub = root.resolve().relative_to(top.resolve()).as_posix()
    args = ["archive", "--format=tar", commit]
    if sub != ".":
        args.append(sub)
    data = run(root, *args, binary=True)
    assert isinstance(data, bytes)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        tar.extractall(target, filter="data")
    return target / sub if sub != "." else target
