"""Read app folders (``default/``, ``local/``, ``lookups/``, ``default/data/models/``) and merge
them into one :class:`KnowledgeBase` with the precedence documented in :mod:`.model`.

Third-party files are read leniently: repeated stanzas and keys are accepted as Splunk accepts
them, and a line that is not a stanza, setting or comment is skipped and reported in
``KnowledgeBase.warnings`` (as is an unreadable file or a data model that is not valid JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contentkit.conf import ConfError, read_conf_file

from .model import AppInfo, Confs, KnowledgeBase

__all__ = ["KNOWLEDGE_CONFS", "AppLayers", "load_knowledge", "read_app"]

#: The conf files that carry search-time knowledge.
KNOWLEDGE_CONFS = ("props", "transforms", "eventtypes", "tags", "macros", "datamodels")
_LAYERS = ("default", "local")


@dataclass
class Layer:
    """One of an app's ``default/`` or ``local/`` folders, read."""

    confs: Confs = field(default_factory=dict)
    datamodels: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class AppLayers:
    """Everything read from one app folder, layer by layer (nothing merged across apps yet)."""

    info: AppInfo
    layers: dict[str, Layer] = field(default_factory=dict)  # "default" / "local"
    lookup_files: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _read_conf(path: Path, app: str, warnings: list[str]) -> dict[str, dict[str, str]] | None:
    skipped: list[ConfError] = []
    source = f"{app}/{path.parent.name}/{path.name}"
    try:
        conf = read_conf_file(path, strict=False, source=source, skipped=skipped)
    except OSError as exc:
        warnings.append(f"{source}: cannot read: {exc.strerror or exc}")
        return None
    except ConfError as exc:  # pragma: no cover - the lenient reader with `skipped` never raises
        warnings.append(f"{exc}; file ignored")
        return None
    for problem in skipped:
        undecodable = problem.message.startswith("invalid UTF-8")
        warnings.append(f"{problem}; {'read as U+FFFD' if undecodable else 'line ignored'}")
    return conf.to_dict()


def _read_layer(folder: Path, app: str, warnings: list[str]) -> Layer:
    layer = Layer()
    for name in KNOWLEDGE_CONFS:
        path = folder / f"{name}.conf"
        if path.is_file():
            stanzas = _read_conf(path, app, warnings)
            if stanzas is not None:
                layer.confs[name] = stanzas
    models = folder / "data" / "models"
    if models.is_dir():
        for path in sorted(models.glob("*.json")):
            source = f"{app}/{folder.name}/data/models/{path.name}"
            try:
                doc = json.loads(path.read_text(encoding="utf-8-sig"))
            except OSError as exc:
                warnings.append(f"{source}: cannot read: {exc.strerror or exc}")
                continue
            except UnicodeDecodeError as exc:
                warnings.append(f"{source}: invalid UTF-8 at byte {exc.start}; data model ignored")
                continue
            except json.JSONDecodeError as exc:
                warnings.append(
                    f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); "
                    "data model ignored"
                )
                continue
            if not isinstance(doc, dict):
                warnings.append(f"{source}: not a JSON object; data model ignored")
                continue
            layer.datamodels[path.stem] = doc
    return layer


def _app_info(
    folder: Path, origin: str, layers: Mapping[str, Path], warnings: list[str]
) -> AppInfo:
    label = version = ""
    for layer in _LAYERS:  # local/app.conf over default/app.conf
        path = layers[layer] / "app.conf"
        if not path.is_file():
            continue
        conf = _read_conf(path, folder.name, warnings) or {}
        label = conf.get("ui", {}).get("label") or label
        version = (
            conf.get("launcher", {}).get("version") or conf.get("id", {}).get("version") or version
        )
    return AppInfo(
        name=folder.name, path=folder, label=label, version=version, origin=origin or str(folder)
    )


def read_app(folder: Path, origin: str = "") -> AppLayers:
    """Read one app folder; problems become warnings, never exceptions."""
    warnings: list[str] = []
    paths = {layer: folder / layer for layer in _LAYERS}
    app = AppLayers(info=_app_info(folder, origin, paths, warnings))
    for layer, path in paths.items():
        if path.is_dir():
            app.layers[layer] = _read_layer(path, folder.name, warnings)
    lookups = folder / "lookups"
    if lookups.is_dir():
        for path in sorted(lookups.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                app.lookup_files[path.name] = path
    app.warnings = warnings
    return app


def _merge_confs(target: Confs, source: Confs) -> None:
    """Overlay ``source`` on ``target`` key by key (``source`` wins)."""
    for conf, stanzas in source.items():
        merged = target.setdefault(conf, {})
        for stanza, values in stanzas.items():
            merged.setdefault(stanza, {}).update(values)


def load_knowledge(
    app_folders: Iterable[Path], *, origins: Mapping[Path, str] | None = None
) -> KnowledgeBase:
    """Read and merge ``app_folders`` into one knowledge base.

    Precedence, highest first: every app's ``local/``, then every app's ``default/``; within each,
    apps in ASCII order of their folder names (the first wins).  Stanzas merge key by key (a
    ``tags.conf`` stanza therefore per tag).  The same app name given twice is loaded once (the
    first folder given) with a warning."""
    origins = origins or {}
    kb = KnowledgeBase()
    apps: dict[str, AppLayers] = {}
    for folder in app_folders:
        name = folder.name
        if name in apps:
            kb.warnings.append(
                f"app {name} given twice: using {apps[name].info.path}, ignoring {folder}"
            )
            continue
        apps[name] = read_app(folder, origins.get(folder, ""))
    ordered = [apps[name] for name in sorted(apps)]
    kb.apps = [app.info for app in ordered]
    for app in ordered:
        kb.warnings.extend(app.warnings)
    # lowest precedence first, so that later overlays win
    for layer in ("default", "local"):
        for app in reversed(ordered):
            read = app.layers.get(layer)
            if read is None:
                continue
            _merge_confs(kb.confs, read.confs)
            for model, doc in read.datamodels.items():
                kb.datamodels[model] = doc
                kb.datamodel_app[model] = app.info.name
    for app in reversed(ordered):
        kb.lookup_files.update(app.lookup_files)
    return kb
