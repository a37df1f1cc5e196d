"""Where apps come from: the ``apps:`` list of contentctl.yml and ``--app PATH``; turning one into
an unpacked app folder on disk.

An entry of ``apps:`` is read from its ``local_path`` (a folder or package, relative to the
repository root) when that exists, else from its ``hardcoded_path`` URL: downloaded once into the
same checksummed cache as datasets (with the ``test_data_caches`` URL-prefix mirrors and offline
mode of :class:`~contentkit.replay.datasets.DatasetResolver`), then unpacked into a cache folder
keyed by the package's SHA-256.  Anything that cannot be had is an :class:`AppUnavailable` naming
the app and its path or URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .model import AppUnavailable
from .unpack import DEFAULT_MAX_BYTES, PACKAGE_SUFFIXES, is_package_name, unpack_app

if TYPE_CHECKING:
    from contentkit.content.model import AppConfig
    from contentkit.replay.datasets import DatasetResolver

__all__ = ["AppResolver", "AppSpec", "resolve", "specs_from_config"]


@dataclass(frozen=True)
class AppSpec:
    """One app to load.  ``local_path`` is relative to the repository root (or absolute)."""

    appid: str
    title: str = ""
    version: str = ""
    local_path: str = ""
    hardcoded_path: str = ""

    @property
    def name(self) -> str:
        """How errors name the app."""
        return self.appid or self.title or self.local_path or self.hardcoded_path

    @classmethod
    def from_entry(cls, entry: Mapping[str, object]) -> AppSpec:
        """From one item of contentctl.yml's ``apps:`` list."""

        def text(key: str) -> str:
            value = entry.get(key)
            return "" if value is None else str(value).strip()

        return cls(
            appid=text("appid"),
            title=text("title"),
            version=text("version"),
            local_path=text("local_path"),
            hardcoded_path=text("hardcoded_path"),
        )

    @classmethod
    def from_path(cls, path: Path | str) -> AppSpec:
        """From a ``--app PATH`` option (a folder or package; relative to the working folder)."""
        local = Path(path).expanduser().absolute()
        name = local.name
        for suffix in PACKAGE_SUFFIXES:
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
                break
        return cls(appid=name, local_path=str(local))


def specs_from_config(config: AppConfig | None) -> list[AppSpec]:
    """The ``apps:`` list of a loaded contentctl.yml (empty without one)."""
    if config is None:
        return []
    return [AppSpec.from_entry(dict(entry)) for entry in config.apps]


@dataclass
class AppResolver:
    """Resolves :class:`AppSpec`s to unpacked app folders, sharing one download cache.

    ``cache_dir`` is the dataset cache (packages are stored there as downloads are) and
    ``unpack_dir`` where packages are unpacked (default ``<cache_dir>/unpacked-apps``).
    ``mirrors`` are ``(URL prefix, folder relative to root)`` pairs as in ``test_data_caches``."""

    root: Path
    cache_dir: Path
    mirrors: tuple[tuple[str, str], ...] = ()
    offline: bool = False
    unpack_dir: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    _downloads: DatasetResolver | None = field(default=None, repr=False)

    @property
    def downloads(self) -> DatasetResolver:
        """The dataset resolver that fetches and caches packages by URL."""
        if self._downloads is None:
            from contentkit.replay.datasets import DatasetResolver

            self._downloads = DatasetResolver.for_content(
                self.root, self.mirrors, cache_dir=self.cache_dir, offline=self.offline
            )
        return self._downloads

    def _unpack_dir(self) -> Path:
        return self.unpack_dir or self.cache_dir / "unpacked-apps"

    def resolve(self, spec: AppSpec) -> Path:
        """The app folder of ``spec``; :class:`AppUnavailable` if it cannot be had."""
        local_problem = ""
        if spec.local_path:
            path = Path(spec.local_path).expanduser()
            if not path.is_absolute():
                path = self.root / path
            if path.exists():
                return self._local(spec, path)
            local_problem = f"{spec.local_path} does not exist"
            if not spec.hardcoded_path:
                raise AppUnavailable(spec.name, str(path), "no such file or folder")
        if spec.hardcoded_path:
            try:
                return self._remote(spec)
            except AppUnavailable as exc:
                if local_problem:
                    raise AppUnavailable(
                        exc.app, exc.where, f"local_path {local_problem}; {exc.reason}"
                    ) from None
                raise
        raise AppUnavailable(spec.name, "contentctl.yml", "neither local_path nor hardcoded_path")

    def _local(self, spec: AppSpec, path: Path) -> Path:
        if path.is_dir():
            if not ((path / "default").is_dir() or (path / "local").is_dir()):
                raise AppUnavailable(
                    spec.name, str(path), "not a Splunk app folder (no default/ or local/)"
                )
            return path
        if not is_package_name(path):
            raise AppUnavailable(
                spec.name, str(path), "not an app folder or a .tgz, .tar.gz or .spl package"
            )
        return unpack_app(
            path, self._unpack_dir(), app=spec.name, origin=str(path), max_bytes=self.max_bytes
        )

    def _remote(self, spec: AppSpec) -> Path:
        from contentkit.replay.datasets import DatasetUnavailable, is_url

        url = spec.hardcoded_path
        if not is_url(url):
            raise AppUnavailable(spec.name, url, "hardcoded_path is not an http(s) URL")
        try:
            package = self.downloads.fetch(url)  # as downloaded: a package, not a dataset's text
        except DatasetUnavailable as exc:
            raise AppUnavailable(spec.name, url, exc.reason) from None
        # downloads are unpacked whatever their name says (a download URL may have no suffix)
        return unpack_app(
            package, self._unpack_dir(), app=spec.name, origin=url, max_bytes=self.max_bytes
        )


def resolve(
    spec: AppSpec,
    *,
    root: Path,
    cache_dir: Path,
    mirrors: Iterable[tuple[str, str]] = (),
    offline: bool = False,
) -> Path:
    """The unpacked app folder of one ``spec`` (see :class:`AppResolver`)."""
    resolver = AppResolver(root=root, cache_dir=cache_dir, mirrors=tuple(mirrors), offline=offline)
    return resolver.resolve(spec)
