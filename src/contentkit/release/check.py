"""`contentkit release check`: every object whose built content changed since the previous
release has a higher version and a newer date; removed detections were deprecated first; the
app version grew."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contentkit.release.snapshot import Entry, Snapshot


@dataclass(frozen=True)
class Violation:
    kind: str
    name: str
    message: str

    def format(self) -> str:
        return f"{self.kind} '{self.name}': {self.message}" if self.name else self.message


def _version_key(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    numbers = re.findall(r"\d+", text.split("-", 1)[0])
    return tuple(int(n) for n in numbers) if numbers else None


def _bumped(old: Entry, new: Entry) -> list[str]:
    problems = []
    if old.version is not None and new.version is not None and new.version <= old.version:
        problems.append(f"version {new.version} must be higher than {old.version}")
    elif old.version is not None and new.version is None:
        problems.append(f"has no version (was {old.version})")
    if old.date and new.date and new.date <= old.date:
        problems.append(f"date {new.date} must be newer than {old.date}")
    return problems


def check(previous: Snapshot, current: Snapshot) -> list[Violation]:
    out: list[Violation] = []
    old_app, new_app = _version_key(previous.app_version), _version_key(current.app_version)
    if old_app is not None and new_app is not None and new_app <= old_app:
        out.append(
            Violation(
                "app",
                "",
                f"app version {current.app_version} must be higher than {previous.app_version}",
            )
        )
    for key, old in sorted(previous.entries.items()):
        new = current.entries.get(key)
        if new is None:
            if old.kind == "detection" and old.status not in {"deprecated", "removed"}:
                out.append(
                    Violation(
                        old.kind,
                        old.name,
                        "was removed without being deprecated in a release first "
                        "(set status: deprecated and keep it for one release)",
                    )
                )
            continue
        if new.digest == old.digest:
            continue
        problems = _bumped(old, new)
        if problems:
            out.append(Violation(new.kind, new.name, "content changed but " + "; ".join(problems)))
    return out
