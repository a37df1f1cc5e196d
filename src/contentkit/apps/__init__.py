"""Splunk apps as input: locate (contentctl.yml ``apps:`` and ``--app``), fetch into a checksummed
cache, unpack safely, and read their conf files, lookups and data models into one
:class:`KnowledgeBase` of plain data.  Applying that knowledge to events is ``spl.knowledge``'s job;
nothing here runs searches.

Modules: :mod:`.model` (the data), :mod:`.unpack` (safe package extraction), :mod:`.sources`
(where an app comes from), :mod:`.reader` (reading and merging app folders), :mod:`.load`
(all of it in one call).  Import the functions from their modules (or here); the heavy parts
(tarfile, HTTP) are imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import AppInfo, AppUnavailable, KnowledgeBase

if TYPE_CHECKING:
    from .load import load_apps
    from .reader import load_knowledge
    from .sources import AppSpec, specs_from_config

__all__ = [
    "AppInfo",
    "AppSpec",
    "AppUnavailable",
    "KnowledgeBase",
    "load_apps",
    "load_knowledge",
    "specs_from_config",
]

_LAZY = {
    "load_apps": "load",
    "load_knowledge": "reader",
    "AppSpec": "sources",
    "specs_from_config": "sources",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
