"""`contentkit release check|notes|lock`: thin commands over `contentkit.release`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> NoReturn:
    click.echo(f"contentkit: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings=CONTEXT)
def release() -> None:
    """Release work: version enforcement against the previous release, and release notes.

    \b
    Examples:
      contentkit release check --previous dist/DA-ESS-ContentUpdate-5.12.0.tar.gz
      contentkit release lock                  # write version.lock.json for the next check
      contentkit release notes --old v5.12.0 --new v5.13.0 > notes.md
    """


@release.command(context_settings=CONTEXT)
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option(
    "--previous",
    "previous",
    type=click.Path(path_type=Path),
    default=None,
    help="The previous release: its package (.tar.gz/.tgz/.spl), app folder, content "
    "repository folder, or a version lock (.json). Default: PATH/version.lock.json.",
)
def check(path: Path, previous: Path | None) -> None:
    """Check versions against the previous release.

    Every detection, story, macro and lookup whose built content changed must have a higher
    version and a newer date (macros and lookups are held to that where their YAML or the
    previous release records a version or date); a detection that is gone must have been
    deprecated in the previous release; the app version must grow. Exit 1 naming each object.

    \b
    Examples:
      contentkit release check --previous ../releases/DA-ESS-ContentUpdate-5.12.0.tar.gz
      contentkit release check --previous ../security_content-v5.12.0
      contentkit release check                 # against version.lock.json
    """
    from contentkit.release.check import check as run_check
    from contentkit.release.snapshot import SnapshotError, from_repository, load_previous

    previous = previous if previous is not None else path / "version.lock.json"
    try:
        before = load_previous(previous)
        now = from_repository(path)
    except SnapshotError as exc:
        _fail(str(exc))
    violations = run_check(before, now)
    for violation in violations:
        click.echo(violation.format())
    compared = sum(1 for key in now.entries if key in before.entries)
    click.echo(
        f"{'FAILED' if violations else 'OK'}: {len(violations)} problem(s); "
        f"{compared} objects compared with {previous}",
        err=True,
    )
    sys.exit(EXIT_CONTENT if violations else EXIT_OK)


@release.command(context_settings=CONTEXT)
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the lock (default: PATH/version.lock.json).",
)
def lock(path: Path, output: Path | None) -> None:
    """Write the version lock: id, version, date and a digest of the built content of every
    detection, story, macro and lookup. Commit it with a release; `release check` then compares
    with it.

    \b
    Example:
      contentkit release lock && git add version.lock.json
    """
    from contentkit.release.snapshot import SnapshotError, from_repository, write_lock

    target = output if output is not None else path / "version.lock.json"
    try:
        write_lock(from_repository(path), target)
    except SnapshotError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {target}: {exc}")
    click.echo(os.path.relpath(target))


@release.command(context_settings=CONTEXT)
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--old", "old_ref", required=True, help="Git revision of the previous release.")
@click.option(
    "--new",
    "new_ref",
    default="HEAD",
    show_default=True,
    help="Git revision of this release (WORKTREE: the files as they are).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the Markdown here instead of standard output.",
)
def notes(path: Path, old_ref: str, new_ref: str, output: Path | None) -> None:
    """Write Markdown release notes: new, updated, deprecated and removed detections by type
    and by analytic story; new and updated stories; macros and lookups added, updated and
    removed.

    \b
    Examples:
      contentkit release notes --old v5.12.0 --new v5.13.0
      contentkit release notes --old origin/main --new WORKTREE -o notes.md
    """
    from contentkit.release.notes import NotesError, release_notes

    try:
        text = release_notes(path, old_ref, new_ref)
    except NotesError as exc:
        _fail(str(exc))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc}")
    click.echo(os.path.relpath(output), err=True)
