"""Small fixture apps and packages that the app tests write themselves (nothing copied)."""

from __future__ import annotations

import io
import tarfile
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def write_app(base: Path, name: str, files: Mapping[str, str | bytes]) -> Path:
    """An app folder ``base/name`` with ``files`` (relative path -> text or bytes)."""
    app = base / name
    for rel, content in files.items():
        path = app / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    app.mkdir(parents=True, exist_ok=True)
    return app


def pack_folder(folder: Path, package: Path, *, arcname: str | None = None) -> Path:
    """``folder`` as a gzip'd tar with ``arcname`` (default its name) as the top-level folder."""
    with tarfile.open(package, "w:gz") as tar:
        tar.add(folder, arcname=arcname or folder.name)
    return package


def pack_members(package: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    """A gzip'd tar of hand-made members: ``TarInfo`` (no data) or ``(name, data)`` files."""
    with tarfile.open(package, "w:gz") as tar:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return package


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


class PackageServer:
    """A real HTTP server on 127.0.0.1 serving fixed bodies by path and counting requests."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
