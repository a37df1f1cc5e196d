"""Prove an import: build the imported repository and compare it with the app it came from.

Every setting of the app's savedsearches.conf, macros.conf, analyticstories.conf and
transforms.conf that the build does not write with the same value is a leftover: listed in the
report with its value, so nothing is dropped silently. Values compare as the parity test does:
JSON parsed, blanks at line ends of multi-line values ignored.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from contentkit.conf import ConfError, read_conf_file
from contentkit.content.problems import Problem

COMPARED = ("savedsearches.conf", "macros.conf", "analyticstories.conf", "transforms.conf")


_BOOLEAN_KEYS = {"disabled", "enableSched", "is_visible", "alert.suppress", "action.risk"}
_BOOLEAN_KEYS |= {"action.notable", "action.email", "action.correlationsearch.enabled"}
_TRUE, _FALSE = {"1", "true", "t", "yes", "y"}, {"0", "false", "f", "no", "n"}


def normal(value: str, key: str = "") -> Any:
    text = value.strip()
    if key in _BOOLEAN_KEYS and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return "\n".join(line.rstrip() for line in value.split("\n")).strip()


def read_app_conf(app: Path, name: str) -> Any:
    from contentkit.importers.splunk_app import read_app_conf as read

    return read(app, name)


def compare_apps(source: Path, built: Path, renamed: dict[str, str]) -> list[dict[str, str]]:
    """Settings of `source`'s confs that `built` lacks or has with another value."""
    leftovers: list[dict[str, str]] = []
    for name in COMPARED:
        if not (source / "default" / name).is_file() and not (source / "local" / name).is_file():
            continue
        theirs = read_app_conf(source, name)
        built_path = built / "default" / name
        ours = read_conf_file(built_path, strict=True) if built_path.is_file() else None
        for stanza in theirs:
            if name == "savedsearches.conf" and stanza.name == "default":
                continue
            mine = ours.get(renamed.get(stanza.name, stanza.name)) if ours else None
            if mine is None:
                # the whole stanza, every setting, so that nothing is lost
                leftovers.append(
                    {
                        "file": name,
                        "stanza": stanza.name,
                        "key": "",
                        "value": json.dumps(stanza.values, ensure_ascii=False),
                    }
                )
                continue
            for key, value in stanza.values.items():
                got = mine.values.get(key)
                if got is None or normal(got, key) != normal(value, key):
                    leftovers.append(
                        {
                            "file": name,
                            "stanza": stanza.name,
                            "key": key,
                            "value": value,
                            "built": "" if got is None else got,
                        }
                    )
    return leftovers


def verify_import(app: Path, repo: Path, renamed: dict[str, str]) -> tuple[list[Problem], Any]:
    """Validate and build `repo`; return the validation errors (build skipped when there are
    any) and the leftovers against `app`, or None when the build did not run."""
    from contentkit.content.validate import validate
    from contentkit.render.build import BuildError, build

    report = validate(repo)
    if report.errors:
        return report.errors, None
    with tempfile.TemporaryDirectory(prefix="contentkit-import-check.") as tmp:
        try:
            result = build(report.content, Path(tmp))
        except BuildError as exc:
            return [Problem(file=str(repo), message=f"build failed: {exc}")], None
        try:
            return [], compare_apps(app, result.app_dir, renamed)
        except ConfError as exc:
            return [Problem(file=str(repo), message=f"build output unreadable: {exc}")], None


def summary(leftovers: list[dict[str, str]]) -> list[tuple[str, int]]:
    """`file key` (or `file [stanza missing]`) with how many stanzas, most frequent first."""
    counts = Counter(
        f"{item['file']} {item['key']}" if item["key"] else f"{item['file']} (whole stanza)"
        for item in leftovers
    )
    return counts.most_common()
