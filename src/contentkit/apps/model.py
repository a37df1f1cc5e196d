"""The knowledge of a set of Splunk apps, merged with Splunk's precedence, as plain data.

Precedence (Splunk's global context): every app's ``local/`` over every app's ``default/``; between
apps, the app whose folder name sorts first in ASCII order wins.  Merging is key by key inside a
stanza: a stanza defined by two apps gets the keys of both, the winning app's value where both set
one.  Stanzas with ``disabled = 1|true`` are kept here (``spl.knowledge`` skips them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: conf name -> stanza name -> key -> value
Confs = dict[str, dict[str, dict[str, str]]]


class AppUnavailable(Exception):
    """An app cannot be had (missing path, offline and not cached, corrupt or unsafe package).

    ``app`` names it (appid or title) and ``where`` is its path or URL."""

    def __init__(self, app: str, where: str, reason: str) -> None:
        self.app = app
        self.where = where
        self.reason = reason
        super().__init__(f"app {app} unavailable ({reason}): {where}")


@dataclass(frozen=True)
class AppInfo:
    """One loaded app: its folder name (the app id Splunk uses), where it was read from."""

    name: str
    path: Path
    label: str = ""
    version: str = ""
    origin: str = ""  # the local path or URL it came from


@dataclass
class KnowledgeBase:
    """What a set of apps teaches the search head.

    ``confs`` holds the merged ``props``, ``transforms``, ``eventtypes``, ``tags``, ``macros`` and
    ``datamodels`` conf files (keys as in the files).  ``lookup_files`` maps a lookup file name to
    its CSV path (the winning app's).  ``datamodels`` maps a model name to its parsed JSON
    (``default/data/models/<name>.json``) and ``datamodel_app`` to the app that defines it.
    ``warnings`` lists what was skipped while reading (bad conf lines, data models that are not
    valid JSON, unreadable files), each naming the app, file and line."""

    apps: list[AppInfo] = field(default_factory=list)
    confs: Confs = field(default_factory=dict)
    lookup_files: dict[str, Path] = field(default_factory=dict)
    datamodels: dict[str, dict[str, Any]] = field(default_factory=dict)
    datamodel_app: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def conf(self, name: str) -> dict[str, dict[str, str]]:
        """The merged stanzas of ``<name>.conf`` (empty when no app has one)."""
        return self.confs.get(name, {})

    @property
    def empty(self) -> bool:
        return not self.apps
