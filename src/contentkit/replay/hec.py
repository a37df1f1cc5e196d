"""A small HTTP Event Collector client: raw batches on a channel, then indexer acknowledgement.

One keep-alive connection per client; `send_raw` posts a batch to
`/services/collector/raw?index&source&sourcetype&host` with the `X-Splunk-Request-Channel`
header and returns its ack id; `wait_acks` polls `/services/collector/ack` until every id is
acknowledged.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit


class HecError(Exception):
    """HEC refused or could not be reached; the message is one line."""


class HecClient:
    def __init__(self, url: str, token: str, *, verify: bool = True, timeout: float = 60.0) -> None:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HecError(f"not an HEC URL: {url!r} (expected https://HOST:8088)")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or 8088
        self.token = token
        self.verify = verify
        self.timeout = timeout
        self.channel = str(uuid.uuid4())
        self._conn: http.client.HTTPConnection | None = None
        self.acks_enabled = True

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.scheme == "https":
                context = ssl.create_default_context()
                if not self.verify:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                self._conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        headers = {
            "Authorization": f"Splunk {self.token}",
            "X-Splunk-Request-Channel": self.channel,
            "Content-Type": "text/plain; charset=utf-8",
        }
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                break
            except ssl.SSLCertVerificationError as exc:
                self.close()
                raise HecError(
                    f"TLS certificate of {self.url} not trusted ({exc.verify_message}); "
                    "use --insecure to skip the check"
                ) from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise HecError(f"{self.url} closed the connection") from None
            except OSError as exc:
                self.close()
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise HecError(f"cannot reach HEC at {self.url}: {reason}") from None
        try:
            reply = json.loads(data) if data else {}
        except ValueError:
            reply = {"text": data[:200].decode("utf-8", "replace")}
        if response.status >= 400:
            text = reply.get("text") if isinstance(reply, dict) else None
            raise HecError(
                f"HEC at {self.url} refused the request: HTTP {response.status} {text or response.reason}"
            )
        return reply if isinstance(reply, dict) else {}

    def health(self) -> None:
        self._request("GET", "/services/collector/health")

    def send_raw(
        self,
        events: Iterable[str] | bytes,
        *,
        index: str,
        source: str,
        sourcetype: str,
        host: str | None = None,
    ) -> int | None:
        """Post one batch of raw events (one per line, or the bytes of a body); its ack id,
        None when HEC does not acknowledge (acknowledgement disabled on the token)."""
        query: dict[str, str] = {"index": index, "source": source, "sourcetype": sourcetype}
        if host:
            query["host"] = host
        body = events if isinstance(events, bytes) else "\n".join(events).encode("utf-8")
        reply = self._request("POST", f"/services/collector/raw?{urlencode(query)}", body)
        ack = reply.get("ackId")
        if ack is None:
            self.acks_enabled = False
            return None
        return int(ack)

    def acked(self, ids: Iterable[int]) -> set[int]:
        """The ack ids among `ids` the server has acknowledged so far (one query)."""
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        reply = self._request(
            "POST", "/services/collector/ack", json.dumps({"acks": wanted}).encode()
        )
        return {int(k) for k, v in reply.get("acks", {}).items() if v}

    def wait_acks(self, ids: Iterable[int], *, timeout: float = 300.0) -> None:
        """Poll until every ack id is acknowledged; HecError on timeout."""
        pending = set(ids)
        deadline = time.monotonic() + timeout
        delay = 0.01
        while pending:
            reply = self._request(
                "POST", "/services/collector/ack", json.dumps({"acks": sorted(pending)}).encode()
            )
            acks = reply.get("acks", {})
            pending -= {int(k) for k, v in acks.items() if v}
            if not pending:
                return
            if time.monotonic() > deadline:
                raise HecError(
                    f"{len(pending)} batch(es) not acknowledged by {self.url} after {timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
