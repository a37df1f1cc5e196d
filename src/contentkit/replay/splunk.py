"""Replay datasets into a Splunk instance through the Splunk SDK (`splunklib`), and run
detection tests there (`SplunkTarget`, a `SearchTarget` of the test runner).

Events go by the HTTP Event Collector (raw endpoint, with indexer acknowledgement) when an HEC
URL and token are given, otherwise by `receivers/simple` on the management port. Then we wait
until a search counts them all. Every failure is a `ReplayError` with a one-line message.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contentkit.replay.hec import HecClient, HecError
from contentkit.replay.raw import RawData, read_raw

DEFAULT_TEST_INDEX = "contentkit_test"


class ReplayError(Exception):
    """Replay or search failed (unreachable, refused, bad dataset, timeout): one line."""


# ---------------------------------------------------------------------------------- settings
@dataclass
class Settings:
    """Where Splunk is and how to log in (flags first, then SPLUNK_* environment variables)."""

    url: str | None = None  # management port: https://HOST:8089, splunk://HOST:PORT (plain)
    username: str | None = None
    password: str | None = None
    token: str | None = None  # an authentication token (Authorization: Bearer)
    hec_url: str | None = None
    hec_token: str | None = None
    verify: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **given: Any) -> Settings:
        env = os.environ if env is None else env
        names = {
            "url": "SPLUNK_URL",
            "username": "SPLUNK_USERNAME",
            "password": "SPLUNK_PASSWORD",
            "token": "SPLUNK_TOKEN",
            "hec_url": "SPLUNK_HEC_URL",
            "hec_token": "SPLUNK_HEC_TOKEN",
        }
        values: dict[str, Any] = {
            key: given.get(key) or env.get(var) or None for key, var in names.items()
        }
        return cls(**values, verify=bool(given.get("verify", True)))

    def with_url(self, url: str) -> Settings:
        return Settings(
            url,
            self.username,
            self.password,
            self.token,
            self.hec_url,
            self.hec_token,
            self.verify,
        )


def parse_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a management URL: `https://H:P`, `http://H:P`, `splunks://H:P`
    (TLS) or `splunk://H:P` (plain HTTP); port 8089 by default."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    scheme = {"splunk": "http", "splunks": "https", "http": "http", "https": "https"}.get(
        parts.scheme.lower()
    )
    try:
        port = parts.port or 8089
    except ValueError:
        raise ReplayError(f"bad port in Splunk URL {url!r}") from None
    if scheme is None or not parts.hostname:
        raise ReplayError(
            f"not a Splunk URL: {url!r} (expected https://HOST:8089, splunk://HOST:PORT or "
            "splunks://HOST:PORT)"
        )
    return scheme, parts.hostname, port


def _reason(exc: BaseException) -> str:
    import ssl

    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate not trusted ({exc.verify_message}); use --insecure to skip the check"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def connect(settings: Settings) -> Any:
    """A logged-in `splunklib.client.Service`; ReplayError with the reason if not."""
    import splunklib.binding as binding
    import splunklib.client as client

    if not settings.url:
        raise ReplayError("no Splunk URL: give --url (or --target) or set SPLUNK_URL")
    scheme, host, port = parse_url(settings.url)
    kwargs: dict[str, Any] = {
        "host": host,
        "port": port,
        "scheme": scheme,
        "verify": settings.verify,
        "autologin": True,
        "retries": 0,
    }
    if settings.token:
        kwargs["splunkToken"] = settings.token
    elif settings.username and settings.password:
        kwargs["username"] = settings.username
        kwargs["password"] = settings.password
    else:
        raise ReplayError(
            "no Splunk credentials: give --username/--password (SPLUNK_USERNAME, "
            "SPLUNK_PASSWORD) or --token (SPLUNK_TOKEN)"
        )
    where = f"{scheme}://{host}:{port}"
    try:
        service = client.connect(**kwargs)
        service.info  # noqa: B018 - one round trip: checks a token, fills in the version
    except binding.HTTPError as exc:  # AuthenticationError too
        if exc.status == 401 or isinstance(exc, binding.AuthenticationError):
            what = "token" if settings.token else "login (wrong username or password)"
            raise ReplayError(f"Splunk at {where} refused the {what}") from None
        raise ReplayError(f"Splunk at {where}: {_reason(exc)}") from None
    except Exception as exc:  # socket, TLS and XML errors surface as many types
        raise ReplayError(f"cannot reach Splunk at {where}: {_reason(exc)}") from None
    return service


# ---------------------------------------------------------------------------------- helpers
def ensure_index(service: Any, name: str, *, create: bool = True) -> bool:
    """True if the index had to be created."""
    try:
        if name in service.indexes:
            return False
        if not create:
            raise ReplayError(f"index {name!r} does not exist (pass --create-index to create it)")
        service.indexes.create(name)
    except ReplayError:
        raise
    except Exception as exc:
        raise ReplayError(f"cannot create index {name!r}: {_reason(exc)}") from None
    return True


def install_app(service: Any, package: Path) -> str:
    """Install (or update) an app package from a path the Splunk server can read."""
    try:
        service.post("apps/local", name=str(package.resolve()), filename="true", update="true")
    except Exception as exc:
        raise ReplayError(f"cannot install the app {package}: {_reason(exc)}") from None
    return package.name


def search_rows(service: Any, search: str, **params: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """All result rows of a search (oneshot, JSON) and its messages."""
    import splunklib.results as results

    params.setdefault("count", 0)
    try:
        stream = service.jobs.oneshot(search, output_mode="json", **params)
        rows: list[dict[str, Any]] = []
        messages: list[str] = []
        for item in results.JSONResultsReader(stream):
            if isinstance(item, dict):
                rows.append(item)
            elif isinstance(item, results.Message):
                messages.append(f"{item.type}: {item.message}")
    except Exception as exc:
        raise ReplayError(f"search failed: {_reason(exc)}") from None
    return rows, messages


def count_events(service: Any, restriction: str) -> int:
    rows, _ = search_rows(service, f"search {restriction} | stats count")
    try:
        return int(rows[0]["count"]) if rows else 0
    except (KeyError, ValueError, TypeError):
        return 0


def wait_searchable(
    service: Any, restriction: str, expected: int, *, timeout: float = 300.0
) -> int:
    """Poll `search <restriction> | stats count` until it reaches `expected`."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        seen = count_events(service, restriction)
        if seen >= expected:
            return seen
        if time.monotonic() > deadline:
            raise ReplayError(
                f"only {seen} of {expected} events searchable ({restriction}) after {timeout:.0f} s"
            )
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------- replay
@dataclass
class DatasetSpec:
    path: Path
    sourcetype: str
    source: str
    host: str | None = None


@dataclass
class ReplayResult:
    events: int = 0
    batches: int = 0
    searchable: int | None = None  # events counted by the final search (None: not waited)
    via: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def load_events(path: Path, sourcetype: str) -> RawData:
    from contentkit.replay.textdata import DataError, text_dataset

    try:
        return read_raw(text_dataset(path), sourcetype)
    except DataError as exc:
        raise ReplayError(str(exc)) from None
    except FileNotFoundError:
        raise ReplayError(f"dataset {path} does not exist") from None
    except IsADirectoryError:
        raise ReplayError(f"dataset {path} is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise ReplayError(f"dataset {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ReplayError(f"cannot read dataset {path}: {exc.strerror}") from None


class Replayer:
    """Sends datasets to one Splunk instance (HEC when configured, else receivers/simple)."""

    def __init__(
        self,
        settings: Settings,
        service: Any | None = None,
        *,
        batch_bytes: int = 4 << 20,
        ack_timeout: float = 300.0,
    ) -> None:
        self.settings = settings
        self.service = service
        self.batch_bytes = batch_bytes
        self.ack_timeout = ack_timeout
        self.hec: HecClient | None = None
        self.acknowledged = 0  # events the server confirmed
        if settings.hec_url or settings.hec_token:
            if not (settings.hec_url and settings.hec_token):
                raise ReplayError(
                    "HEC needs both a URL and a token (--hec-url/SPLUNK_HEC_URL and "
                    "--hec-token/SPLUNK_HEC_TOKEN)"
                )
            try:
                self.hec = HecClient(settings.hec_url, settings.hec_token, verify=settings.verify)
            except HecError as exc:
                raise ReplayError(str(exc)) from None
        elif service is None:
            raise ReplayError("nothing to replay into: give a Splunk URL or an HEC URL and token")

    @property
    def via(self) -> str:
        return "HEC" if self.hec is not None else "receivers/simple"

    def close(self) -> None:
        if self.hec is not None:
            self.hec.close()

    def send(
        self,
        events: RawData,
        *,
        index: str,
        source: str,
        sourcetype: str,
        host: str | None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Send events in batches; returns the number of batches. With HEC, returns only once
        every batch is acknowledged. `acknowledged` counts the events the server confirmed;
        a failure says how many that were."""
        pending: dict[int, int] = {}  # ack id -> events in its batch
        n = 0
        try:
            for batch, size in events.chunks(self.batch_bytes):
                n += 1
                if self.hec is not None:
                    ack = self.hec.send_raw(
                        batch, index=index, source=source, sourcetype=sourcetype, host=host
                    )
                    if ack is None:
                        self.acknowledged += size  # acknowledgement off: accepted is all we know
                    else:
                        pending[ack] = size
                        if len(pending) >= 8:
                            self._confirm(pending)
                else:
                    self._submit(
                        batch, index=index, source=source, sourcetype=sourcetype, host=host
                    )
                    self.acknowledged += size
                if progress is not None:
                    progress(size)
            if self.hec is not None and pending:
                self.hec.wait_acks(pending, timeout=self.ack_timeout)
                self.acknowledged += sum(pending.values())
                pending.clear()
        except (HecError, ReplayError) as exc:
            with contextlib.suppress(HecError, ReplayError):
                self._confirm(pending)
            raise ReplayError(
                f"{exc} ({self.acknowledged} event(s) acknowledged before the failure)"
            ) from None
        return n

    def _confirm(self, pending: dict[int, int]) -> None:
        """Count the batches acknowledged so far and forget them."""
        if self.hec is None or not pending:
            return
        for ack in self.hec.acked(pending):
            self.acknowledged += pending.pop(ack, 0)

    def _submit(
        self, batch: bytes, *, index: str, source: str, sourcetype: str, host: str | None
    ) -> None:
        assert self.service is not None
        args = {"index": index, "source": source, "sourcetype": sourcetype}
        if host:
            args["host"] = host
        try:
            self.service.post("/services/receivers/simple", body=batch, **args)
        except Exception as exc:
            raise ReplayError(f"receivers/simple refused the events: {_reason(exc)}") from None


def replay(
    settings: Settings,
    datasets: Sequence[DatasetSpec],
    *,
    index: str,
    create_index: bool = False,
    wait: bool = True,
    timeout: float = 300.0,
    batch_bytes: int = 4 << 20,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Send datasets into `index` and (with `wait`) wait until a search counts them all."""
    started = time.perf_counter()
    loaded = [(spec, load_events(spec.path, spec.sourcetype)) for spec in datasets]
    total = sum(events.count for _, events in loaded)
    if on_total is not None:
        on_total(total)
    service = connect(settings) if settings.url else None
    result = ReplayResult(events=total)
    if service is not None:
        ensure_index(service, index, create=create_index)
    elif wait:
        result.notes.append("no management URL (--url/SPLUNK_URL): not waiting until searchable")
        wait = False
    restrictions: dict[str, int] = {}  # search restriction -> events expected
    before = 0  # events already there
    if wait and service is not None:
        for spec, events in loaded:
            key = f"index={index} source={quote(spec.source)}" + (
                f" host={quote(spec.host)}" if spec.host else ""
            )
            if key not in restrictions:
                restrictions[key] = count_events(service, key)
                before += restrictions[key]
            restrictions[key] += events.count
    replayer = Replayer(settings, service, batch_bytes=batch_bytes, ack_timeout=timeout)
    result.via = replayer.via
    try:
        for spec, events in loaded:
            result.batches += replayer.send(
                events,
                index=index,
                source=spec.source,
                sourcetype=spec.sourcetype,
                host=spec.host,
                progress=progress,
            )
    finally:
        replayer.close()
    if wait and service is not None:
        deadline = time.monotonic() + timeout
        seen = 0
        for key, expected in restrictions.items():
            left = max(1.0, deadline - time.monotonic())
            seen += wait_searchable(service, key, expected, timeout=left)
        result.searchable = seen - before
    result.seconds = time.perf_counter() - started
    return result


# ---------------------------------------------------------------------------------- testing
_LEADING_SEARCH = re.compile(r"^\s*search\b", re.IGNORECASE)
_INDEX_TERM = re.compile(r"(?<![\w.])index\s*(?:=|!=|\s+IN\s*\()", re.IGNORECASE)


def names_index(search: str) -> bool:
    """Whether the first command of a search chooses its own index (`index=…`)."""
    return bool(
        _INDEX_TERM.search(search.split("|", 1)[0] if not search.lstrip().startswith("|") else "")
    )


def restrict(search: str, index: str | None, host: str) -> str:
    """The search limited to the events of one test: `index=… host=…` prepended to its first
    search command (no `index=` when `index` is None: the search names its own)."""
    text = search.strip()
    if text.startswith("|"):
        raise ReplayError(
            "the search starts with a generating command; it cannot be limited to the "
            "replayed events of one test on a shared Splunk instance"
        )
    text = _LEADING_SEARCH.sub("", text, count=1).lstrip()
    scope = f"index={index} " if index else ""
    return f"search {scope}host={quote(host)} {text}".rstrip()


class SplunkTarget:
    """Runs detection tests on a Splunk instance: each test's datasets are replayed into the
    test index with a host of its own (`ck-<uuid>`), the search runs restricted to that host,
    and the events are deleted afterwards (`| delete`; without the can_delete role a warning
    is printed once and the events stay)."""

    def __init__(
        self,
        settings: Settings,
        *,
        index: str = DEFAULT_TEST_INDEX,
        timeout: float = 300.0,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.timeout = timeout
        scheme, host, port = parse_url(settings.url or "")
        self.name = f"{'splunks' if scheme == 'https' else 'splunk'}://{host}:{port}"
        self._local = threading.local()
        self._warn = warn or (
            lambda message: print(f"contentkit: warning: {message}", file=sys.stderr)
        )
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self.installed: list[str] = []

    def _service(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            service = connect(self.settings)
            self._local.service = service
        return service

    def prepare(self, app: Path | None = None) -> None:
        """Log in, create the test index when missing and install the app (if given)."""
        service = self._service()
        ensure_index(service, self.index, create=True)
        if app is not None:
            self.installed.append(install_app(service, app))

    def warn_once(self, message: str) -> None:
        with self._lock:
            if message in self._warned:
                return
            self._warned.add(message)
        self._warn(f"{self.name}: {message}")

    def run(self, search: str, datasets: Sequence[Any], *, label: str) -> list[dict[str, Any]]:
        from contentkit.testing.runner import TargetError

        tag = f"ck-{uuid.uuid4().hex[:16]}"
        # a search that names its index (`index=…` in a macro) gets the events in the
        # datasets' own indexes; every other search, in the test index
        own = names_index(search)
        indexes = sorted({ds.index or "main" for ds in datasets}) if own else [self.index]
        try:
            service = self._service()
            query = restrict(search, None if own else self.index, tag)
            for name in indexes:
                if name != self.index:
                    ensure_index(service, name, create=True)
            self._replay(service, datasets, tag, own)
            try:
                rows, messages = search_rows(service, query)
                errors = [m for m in messages if m.startswith(("FATAL", "ERROR"))]
                if errors and not rows:
                    raise ReplayError(errors[0])
                return rows
            finally:
                self._cleanup(service, tag, indexes)
        except ReplayError as exc:
            raise TargetError(str(exc)) from None
        except Exception as exc:  # anything else from the SDK or the network: still one line
            raise TargetError(f"{type(exc).__name__}: {_reason(exc)}") from None

    def _replay(self, service: Any, datasets: Sequence[Any], tag: str, own: bool) -> None:
        replayer = Replayer(self.settings, service, ack_timeout=self.timeout)
        total = 0
        try:
            for ds in datasets:
                events = load_events(Path(ds.path), ds.sourcetype)
                total += events.count
                replayer.send(
                    events,
                    index=(ds.index or "main") if own else self.index,
                    source=ds.source or str(ds.path),
                    sourcetype=ds.sourcetype,
                    host=tag,
                )
        finally:
            replayer.close()
        scope = "index=*" if own else f"index={self.index}"
        wait_searchable(service, f"{scope} host={quote(tag)}", total, timeout=self.timeout)

    def _cleanup(self, service: Any, tag: str, indexes: Sequence[str]) -> None:
        scope = " OR ".join(f"index={name}" for name in indexes)
        where = ", ".join(indexes)
        try:
            _, messages = search_rows(service, f"search ({scope}) host={quote(tag)} | delete")
        except ReplayError as exc:
            self.warn_once(f"could not delete the replayed events ({exc}); they stay in {where}")
            return
        for message in messages:
            low = message.lower()
            if (
                "privilege" in low
                or "permission" in low
                or "capability" in low
                or "can_delete" in low
            ):
                self.warn_once(
                    f"the replayed events stay in {where}: {message} "
                    "(give the user the can_delete role to clean up)"
                )
                return
