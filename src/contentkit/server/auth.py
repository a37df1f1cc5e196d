"""Who may talk to `contentkit serve`: session keys that expire and can be revoked, and a
per-client limit on failed logins and bad HEC tokens."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque


class Sessions:
    """Session keys handed out by `auth/login`; each lives `ttl` seconds after its last use
    (splunkd's sessionTimeout works the same way)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._keys: dict[str, float] = {}  # key -> expiry (monotonic)
        self._lock = threading.Lock()

    def new(self) -> str:
        key = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            if len(self._keys) > 10_000:  # drop the expired ones now and then
                self._keys = {k: t for k, t in self._keys.items() if t > now}
            self._keys[key] = now + self.ttl
        return key

    def valid(self, key: str) -> bool:
        """Whether the key is live; a use extends its life."""
        now = time.monotonic()
        with self._lock:
            expiry = self._keys.get(key)
            if expiry is None:
                return False
            if expiry <= now:
                del self._keys[key]
                return False
            self._keys[key] = now + self.ttl
            return True

    def revoke(self, key: str) -> bool:
        with self._lock:
            return self._keys.pop(key, None) is not None


class FailureLimiter:
    """At most `limit` failed attempts per client address in any `window` seconds; past it the
    client is refused (HTTP 429) until the oldest failure leaves the window."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        fails = self._fails.get(client)
        if fails is None:
            return deque()
        while fails and fails[0] <= now - self.window:
            fails.popleft()
        if not fails:
            del self._fails[client]
        return fails

    def blocked(self, client: str) -> bool:
        if self.limit <= 0:
            return False
        with self._lock:
            return len(self._recent(client, time.monotonic())) >= self.limit

    def failed(self, client: str) -> None:
        if self.limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._fails) > 100_000:
                self._fails.clear()
            self._recent(client, now)
            self._fails.setdefault(client, deque()).append(now)
