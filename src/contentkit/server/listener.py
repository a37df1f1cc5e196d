"""The HTTP side of `contentkit serve`: Uvicorn (with the httptools parser) serving the ASGI
applications, plus what Uvicorn leaves to its user:

- a header read timeout (a connection that has not finished its request headers in time is
  closed; Uvicorn's own keep-alive timeout covers idle connections between requests);
- a cap on open connections per listener (past it, a new connection gets a 503 and is closed);
- a cap on the size of the request headers;
- malformed requests (bad `Content-Length`, bad chunk size) answered with a 400 in the
  listener's own message shape (HEC JSON or splunkd XML) instead of Uvicorn's plain text.

Request bodies are read by :func:`read_body` with a size limit (for `Content-Length` and
chunked bodies alike) and a read deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("contentkit.serve")

MAX_HEADER_BYTES = 64 << 10


@dataclass(frozen=True)
class ListenerLimits:
    header_timeout: float = 10.0
    keepalive_timeout: float = 30.0
    max_connections: int = 1000


class BodyError(Exception):
    """The request body cannot be had: too large (413), too slow (408)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


def protocol_class(
    limits: ListenerLimits, error: Callable[[int, str], tuple[bytes, bytes]]
) -> type[asyncio.Protocol]:
    """A Uvicorn protocol with the limits above; `error(status, text)` -> (content type, body)
    of an error response in the listener's shape."""

    class Guarded(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._admit(0)

        def _admit(self, attempt: int) -> None:
            """Serve the connection when under the cap; else wait a little (connections that
            just closed may not be counted out yet), then refuse it with a 503."""
            if self.transport.is_closing():
                return
            if len(self.connections) <= limits.max_connections:
                if attempt:
                    self.transport.resume_reading()
                self._arm()
                return
            if attempt < 5:
                if not attempt:
                    self.transport.pause_reading()
                self.loop.call_later(0.1, self._admit, attempt + 1)
                return
            log.warning(
                "connection from %s refused: %d connections open (the limit)",
                _peer(self.client),
                limits.max_connections,
            )
            self._reply_and_close(503, "Too many connections; try again later")

        def _arm(self) -> None:
            if self._header_timer is None and limits.header_timeout > 0:
                self._header_timer = self.loop.call_later(
                    limits.header_timeout, self._headers_too_slow
                )

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                log.info(
                    "connection from %s closed: no complete request headers in %g s",
                    _peer(self.client),
                    limits.header_timeout,
                )
                self._reply_and_close(408, "Request headers not received in time")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._header_bytes = 0
            self._arm()

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_bytes += len(name) + len(value) + 4
            if self._header_bytes > MAX_HEADER_BYTES:
                self._disarm()
                self._reply_and_close(431, "Request header fields too large")
                raise ValueError("headers too large")  # stops the parser
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            if self.transport.is_closing():
                return
            with contextlib.suppress(ValueError):  # raised by on_header above, after the reply
                super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            log.info("bad request from %s: %s", _peer(self.client), msg)
            self._reply_and_close(400, "Malformed HTTP request")

        def _reply_and_close(self, status: int, text: str) -> None:
            if self.transport.is_closing():
                return
            started = self.cycle is not None and self.cycle.response_started
            if not started:
                ctype, body = error(status, text)
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Content-Type: {ctype.decode()}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode()
                self.transport.write(head + body)
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            self.transport.close()

    return Guarded


_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _peer(client: Any) -> str:
    if not client:
        return "?"
    return f"{client[0]}:{client[1]}"


async def read_body(
    receive: Callable[[], Awaitable[Any]],
    *,
    limit: int,
    timeout: float,
    declared: int | None,
) -> bytes:
    """The whole request body; BodyError past `limit` bytes or `timeout` seconds, ClientGone
    if the client went away first (then nothing of the body may be used)."""
    if declared is not None and declared > limit:
        raise BodyError(413, f"Content-Length of {declared} too large (maximum is {limit})")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout if timeout > 0 else None
    body = bytearray()
    while True:
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            raise BodyError(408, f"Request body not received within {timeout:g} s")
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise BodyError(408, f"Request body not received within {timeout:g} s") from None
        if message["type"] == "http.disconnect":
            raise ClientGone()
        body += message.get("body", b"")
        if len(body) > limit:
            raise BodyError(413, f"Request body too large (maximum is {limit} bytes)")
        if not message.get("more_body", False):
            return bytes(body)


class _Server(uvicorn.Server):
    """Signals are handled by :func:`run_servers` for all listeners at once."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # no Nagle: a response's body would otherwise wait for the client's delayed ACK (40 ms)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)  # accept connections (queued) from the moment the port is announced
    sock.set_inheritable(True)
    return sock


def make_server(
    app: Any,
    sock: socket.socket,
    limits: ListenerLimits,
    error: Callable[[int, str], tuple[bytes, bytes]],
    *,
    tls_cert: str | None,
    tls_key: str | None,
    access_log: bool,
) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        http=protocol_class(limits, error),
        lifespan="off",
        log_config=None,
        access_log=access_log,
        server_header=False,
        date_header=True,
        timeout_keep_alive=int(max(1, limits.keepalive_timeout)),
        backlog=2048,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
    )
    config.load()  # a bad certificate or key fails here, before the server starts
    return _Server(config)


async def run_servers(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    """Serve every listener until SIGINT or SIGTERM."""
    import signal

    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server, _ in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))
