"""Where a test's dataset comes from: a file of the content repository, a local mirror of a URL
prefix (`test_data_caches` in contentctl.yml), or a download kept in a cache.

Downloads are written to a temporary file and renamed into place only when complete (the length
the server announced, and the SHA-256 the test names, if any); the cache keeps each file's
SHA-256 beside it and checks it on every reuse. Anything that cannot be had is a
`DatasetUnavailable` with the reason: never a pass, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = 20.0  # seconds without data before a download fails
#: bounds of one download: total time and size (env CONTENTKIT_DOWNLOAD_DEADLINE in seconds,
#: CONTENTKIT_DOWNLOAD_MAX_MB)
DEFAULT_DEADLINE = 600.0
DEFAULT_MAX_BYTES = 2 << 30
_CHUNK = 1 << 20


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class DatasetUnavailable(Exception):
    """The dataset cannot be read; the message says why (and names the URL or path).

    ``reason`` is the why alone (for callers that name the thing themselves, as app loading does).
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def _unavailable(reason: str, url: str) -> DatasetUnavailable:
    return DatasetUnavailable(f"dataset unavailable ({reason}): {url}", reason)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache_dir(root: Path) -> Path:
    """The download cache: ``$CONTENTKIT_CACHE``, else ``ROOT/.contentkit-cache/datasets``."""
    return Path(os.environ.get("CONTENTKIT_CACHE", root / ".contentkit-cache" / "datasets"))


def is_url(data: str) -> bool:
    return urlsplit(data).scheme in {"http", "https"}


@dataclass
class DatasetResolver:
    """Turns a test's `data` reference into a local file."""

    root: Path  # the content repository
    cache_dir: Path
    mirrors: tuple[tuple[str, Path], ...] = ()  # (URL prefix, local folder)
    offline: bool = False
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE  # seconds for a whole download
    max_bytes: int = DEFAULT_MAX_BYTES
    downloads: int = 0  # how many files this resolver fetched from the network
    _unreachable: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_content(
        cls,
        root: Path,
        test_data_caches: tuple[tuple[str, str], ...] = (),
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
    ) -> DatasetResolver:
        mirrors = tuple((url, (root / folder).resolve()) for url, folder in test_data_caches)
        cache = cache_dir or default_cache_dir(root)
        return cls(
            root=root,
            cache_dir=cache,
            mirrors=mirrors,
            offline=offline,
            deadline=_env_number("CONTENTKIT_DOWNLOAD_DEADLINE", DEFAULT_DEADLINE),
            max_bytes=int(
                _env_number("CONTENTKIT_DOWNLOAD_MAX_MB", DEFAULT_MAX_BYTES / (1 << 20)) * (1 << 20)
            ),
        )

    def resolve(self, data: str, sha256: str | None = None) -> Path:
        """The local path of `data`'s text (a Windows .evtx file's XML rendering, a compressed
        file's decompressed text: see `textdata.py`); DatasetUnavailable if it cannot be had."""
        from contentkit.replay.textdata import DataError, text_dataset

        path = self.fetch(data, sha256)
        try:
            return text_dataset(path, self.cache_dir / "text")
        except DataError as exc:
            raise DatasetUnavailable(str(exc)) from None

    def fetch(self, data: str, sha256: str | None = None) -> Path:
        """The local path of `data` as it is (a repository file, or a download in the cache,
        checked against `sha256`); DatasetUnavailable if it cannot be had."""
        data = data.strip()
        if not is_url(data):
            path = (self.root / data).resolve()
            if not path.is_file():
                raise DatasetUnavailable(f"dataset file {data} does not exist")
            self._check(path, sha256, data)
            return path
        for prefix, folder in self.mirrors:
            if data.startswith(prefix):
                local = folder / data[len(prefix) :]
                if local.is_file():
                    self._check(local, sha256, data)
                    return local
        return self._cached(data, sha256)

    def _check(self, path: Path, sha256: str | None, name: str) -> None:
        if sha256 and sha256_of(path).lower() != sha256.lower():
            raise DatasetUnavailable(f"{name}: SHA-256 does not match the test's sha256")

    def _cache_path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode()).hexdigest()[:24]
        name = Path(urlsplit(url).path).name or "dataset"
        return self.cache_dir / key / name

    def _cached(self, url: str, sha256: str | None) -> Path:
        target = self._cache_path(url)
        meta = target.with_name(target.name + ".json")
        if target.is_file() and meta.is_file():
            try:
                recorded = json.loads(meta.read_text())["sha256"]
            except (ValueError, KeyError, OSError):
                recorded = None
            actual = sha256_of(target)
            if recorded == actual and (not sha256 or actual == sha256.lower()):
                return target
            target.unlink(missing_ok=True)  # a damaged or stale cache entry: fetch it again
        if self.offline:
            raise _unavailable("offline and not cached", url)
        host = urlsplit(url).netloc
        with self._lock:
            if host in self._unreachable:
                raise _unavailable(self._unreachable[host], url)
        try:
            digest = self._download(url, target, sha256)
        except DatasetUnavailable:
            raise
        except OSError as exc:
            reason = getattr(exc, "reason", None) or exc.strerror or exc
            with self._lock:
                self._unreachable[host] = f"cannot reach {host}: {reason}"
            raise _unavailable(f"cannot reach {host}: {reason}", url) from None
        meta.write_text(json.dumps({"url": url, "sha256": digest}))
        return target

    def _download(self, url: str, target: Path, sha256: str | None) -> str:
        import http.client
        import urllib.error
        import urllib.request

        target.parent.mkdir(parents=True, exist_ok=True)
        request = urllib.request.Request(url, headers={"User-Agent": "contentkit"})
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raise _unavailable(f"HTTP {exc.code} {exc.reason}", url) from None
        import time

        digest = hashlib.sha256()
        size = 0
        started = time.monotonic()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            announced = response.headers.get("Content-Length")
            try:
                expected = int(announced) if announced is not None else None
            except ValueError:
                expected = None
            if expected is not None and expected > self.max_bytes:
                response.close()
                raise _unavailable(
                    f"announced {expected} bytes, more than the {self.max_bytes} allowed", url
                )
            try:
                with response, os.fdopen(fd, "wb") as out:
                    while chunk := response.read1(_CHUNK):  # what has come: the clock runs
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise _unavailable(
                                f"larger than the {self.max_bytes} bytes allowed", url
                            )
                        if time.monotonic() - started > self.deadline:
                            raise _unavailable(
                                f"download took longer than {self.deadline:g} s; {size} bytes read",
                                url,
                            )
            except (http.client.HTTPException, ConnectionError, TimeoutError) as exc:
                raise _unavailable(
                    f"download broke off after {size} bytes: {type(exc).__name__}", url
                ) from None
            if expected is not None and expected != size:
                raise _unavailable(f"corrupt download: {size} of {expected} bytes", url)
            if sha256 and digest.hexdigest() != sha256.lower():
                raise _unavailable(
                    f"corrupt download: SHA-256 {digest.hexdigest()[:12]}… "
                    f"is not the test's {sha256[:12]}…",
                    url,
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self.downloads += 1
        return digest.hexdigest()
