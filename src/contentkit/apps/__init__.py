"""Splunk apps as input: locate (contentctl.yml ``apps:`` and ``--app``), fetch into a checksummed
cache, unpack safely, and read their conf files, lookups and data models into one
:class:`KnowledgeBase` of plain data.  Applying that knowledge to events is ``spl.knowledge``'s job;
nothing here runs searches.
"""

from __future__ import annotations

from .model import AppInfo, AppUnavailable, KnowledgeBase

__all__ = ["AppInfo", "AppUnavailable", "KnowledgeBase"]
