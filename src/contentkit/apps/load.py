"""Everything from "which apps" to one knowledge base: resolve each app (contentctl.yml's ``apps:``
and ``--app`` paths), keep the failures, read and merge the rest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .model import AppUnavailable, KnowledgeBase
from .reader import load_knowledge
from .sources import AppResolver, AppSpec

__all__ = ["load_apps"]


def load_apps(
    root: Path,
    specs_from_config: Sequence[AppSpec],
    extra_paths: Iterable[Path | str] = (),
    *,
    cache_dir: Path | None = None,
    offline: bool = False,
    mirrors: Iterable[tuple[str, str]] = (),
    unpack_dir: Path | None = None,
) -> tuple[KnowledgeBase, list[AppUnavailable]]:
    """The merged knowledge of every app that could be had, and one :class:`AppUnavailable` per
    app that could not (config entries first, then ``extra_paths``, each in the order given).

    ``extra_paths`` (``--app``) are resolved first: an app folder found there takes the place of
    the contentctl.yml entry with the same app id, which is then neither fetched nor reported.
    ``cache_dir`` is the dataset download cache (default: the one datasets use); ``mirrors`` the
    ``test_data_caches`` pairs (URL prefix, folder relative to ``root``).  Never raises for a
    missing, unreachable, corrupt or unsafe app."""
    from contentkit.replay.datasets import default_cache_dir

    resolver = AppResolver(
        root=root,
        cache_dir=cache_dir or default_cache_dir(root),
        mirrors=tuple(mirrors),
        offline=offline,
        unpack_dir=unpack_dir,
    )
    folders: list[Path] = []
    origins: dict[Path, str] = {}
    warnings: list[str] = []
    extra_failures: list[AppUnavailable] = []
    for path in extra_paths:
        spec = AppSpec.from_path(path)
        try:
            folder = resolver.resolve(spec)
        except AppUnavailable as exc:
            extra_failures.append(exc)
            continue
        folders.append(folder)
        origins.setdefault(folder, spec.local_path)
    given = {folder.name: folder for folder in folders}
    failures: list[AppUnavailable] = []
    for spec in specs_from_config:
        if spec.appid in given:
            warnings.append(
                f"app {spec.appid}: using {given[spec.appid]} instead of contentctl.yml's entry"
            )
            continue
        try:
            folder = resolver.resolve(spec)
        except AppUnavailable as exc:
            failures.append(exc)
            continue
        folders.append(folder)
        where = spec.hardcoded_path or spec.local_path
        origins.setdefault(folder, where)
        if folder.name != spec.appid:
            warnings.append(
                f"app {spec.appid} ({where}) is the folder {folder.name}: Splunk knows it by "
                "that name"
            )
    kb = load_knowledge(folders, origins=origins)
    kb.warnings[:0] = warnings
    return kb, failures + extra_failures
