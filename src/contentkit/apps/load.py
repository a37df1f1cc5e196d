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
    cache_dir: Path,
    offline: bool = False,
    mirrors: Iterable[tuple[str, str]] = (),
    unpack_dir: Path | None = None,
) -> tuple[KnowledgeBase, list[AppUnavailable]]:
    """The merged knowledge of every app that could be had, and one :class:`AppUnavailable` per
    app that could not (in the order given: config entries first, then ``extra_paths``).

    ``cache_dir`` is the dataset download cache; ``mirrors`` the ``test_data_caches`` pairs
    (URL prefix, folder relative to ``root``).  Never raises for a missing, unreachable, corrupt
    or unsafe app."""
    resolver = AppResolver(
        root=root,
        cache_dir=cache_dir,
        mirrors=tuple(mirrors),
        offline=offline,
        unpack_dir=unpack_dir,
    )
    configured = set(specs_from_config)
    specs = [*specs_from_config, *(AppSpec.from_path(path) for path in extra_paths)]
    renamed: list[str] = []
    folders: list[Path] = []
    origins: dict[Path, str] = {}
    failures: list[AppUnavailable] = []
    for spec in specs:
        try:
            folder = resolver.resolve(spec)
        except AppUnavailable as exc:
            failures.append(exc)
            continue
        folders.append(folder)
        where = spec.hardcoded_path or spec.local_path or str(folder)
        origins.setdefault(folder, where)
        if spec in configured and folder.name != spec.appid:
            renamed.append(
                f"app {spec.appid} ({where}) is the folder {folder.name}: Splunk knows it by "
                "that name"
            )
    kb = load_knowledge(folders, origins=origins)
    kb.warnings[:0] = renamed
    return kb, failures
