"""Jinja rendering of conf files, with a record of what each template meant to write.

A conf template writes stanzas with `{{ (name) | stanza }}` and settings with
`{{ "key" | kv(value) }}` (filters: Jinja calls them directly, which matters for the 80,000
settings of a big savedsearches.conf). Both format the text through the conf writer's rules and also record
the stanza and value in a `ConfFile`: the meaning of the file. After rendering, the text is read
back with the strict reader and compared with that record, so a template that drops a setting,
repeats a key, or writes something a `.conf` reader would see differently fails the build.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from contentkit.conf.conffile import Stanza, format_setting, normalize_value


class RenderError(Exception):
    """A template produced a file that does not say what it meant (names the file and stanza)."""


def to_json(value: Any) -> str:
    """JSON for conf values: `json.dumps` as is (Jinja's `tojson` would escape `<>&'`)."""
    return json.dumps(value)


_CHECKED_KEYS: set[str] = set()


def _plain(text: str) -> bool:
    """A one-line value that needs no checks: written as is."""
    return (
        text != ""
        and "\n" not in text
        and "\r" not in text
        and "\0" not in text
        and text[0] not in " \t"
        and text[-1] not in " \t\\"
    )


@dataclass
class Recorder:
    """Collects the stanzas and settings a template writes, until the verifier consumes them."""

    source: str = "<rendered>"
    names: set[str] = field(default_factory=set)
    queue: deque[Stanza] = field(default_factory=deque)
    current: Stanza | None = None

    def stanza(self, name: str) -> str:
        if name in self.names:
            raise RenderError(f"{self.source}: [{name}]: stanza written twice")
        self.names.add(name)
        self.current = Stanza(name, {})
        self.queue.append(self.current)
        return f"[{name}]"

    def setting(self, key: str, value: Any) -> str:
        if self.current is None:
            raise RenderError(f"{self.source}: setting {key!r} written before any stanza")
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
            if not _plain(text):
                # YAML block scalars end in a newline; a conf value never starts or ends in blanks
                text = normalize_value(text.strip())
        values = self.current.values
        if key in values:
            raise RenderError(f"{self.source}: [{self.current.name}] {key}: written twice")
        values[key] = text
        if key in _CHECKED_KEYS and _plain(text):
            return f"{key} = {text}"
        line = format_setting(self.current.name, key, text)
        _CHECKED_KEYS.add(key)
        return line


class _Verifier:
    """Reads the rendered text back, one stanza at a time, as it is written, and compares each
    stanza with what the template recorded for it. Only one stanza is held at a time, so even a
    12 MB savedsearches.conf costs little memory."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.buffer = ""
        self.line = 1  # line number where `buffer` starts, for messages
        self.stanzas = 0

    def feed(self, chunk: str) -> None:
        scanned = len(self.buffer)
        self.buffer += chunk
        if "[" not in chunk:
            return
        start = max(1, scanned)  # a header line may begin right at the end of the last chunk
        while True:
            cut = self._next_header(self.buffer, start)
            if cut < 0:
                return
            self._check(self.buffer[:cut])
            self.buffer = self.buffer[cut:]
            start = 1

    def close(self) -> None:
        self._check(self.buffer)
        self.buffer = ""
        if self.recorder.queue:
            missing = ", ".join(f"[{s.name}]" for s in list(self.recorder.queue)[:3])
            raise RenderError(f"{self.recorder.source}: {missing}: recorded but not in the text")

    @staticmethod
    def _next_header(text: str, start: int = 1) -> int:
        """Offset of the next line (after the first) that starts a stanza, or -1. A line that
        continues a value (the line before ends in a backslash) is not a header."""
        while True:
            at = text.find("\n[", start - 1)
            if at < 0:
                return -1
            line_start = text.rfind("\n", 0, at) + 1
            if not text[line_start:at].endswith("\\"):
                return at + 1
            start = at + 2

    def _check(self, text: str) -> None:
        from contentkit.conf.conffile import ConfFile, verify_roundtrip

        if not text:
            return
        source = self.recorder.source
        # `feed` cuts the text at stanza headers: each piece is the preamble or one stanza
        expected = ConfFile()
        if text.startswith("[") and self.recorder.queue:
            expected.stanzas.append(self.recorder.queue.popleft())
        differences = verify_roundtrip(expected, text, source=source)
        if differences:
            raise RenderError(f"{source} (near line {self.line}): " + "; ".join(differences[:5]))
        self.stanzas += len(expected)
        self.line += text.count("\n")


@cache
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("contentkit.render", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["json"] = to_json
    env.filters["stanza"] = _stanza_filter
    env.filters["kv"] = _kv_filter
    return env


# The recorder of the conf file being rendered (rendering is sequential within a process).
_ACTIVE: list[Recorder] = []


def _stanza_filter(name: str) -> str:
    return _ACTIVE[-1].stanza(name)


def _kv_filter(key: str, value: Any) -> str:
    return _ACTIVE[-1].setting(key, value)


def write_conf(template: str, path: Path, **context: Any) -> int:
    """Render a conf template into `path`, reading each stanza back as it is written and
    comparing it with what the template meant; return the number of stanzas. RenderError (and
    no file) if anything differs."""
    name = template.removesuffix(".j2")
    recorder = Recorder(source=name)
    verifier = _Verifier(recorder)
    generator = environment().get_template(template).generate(**context)
    path.parent.mkdir(parents=True, exist_ok=True)
    _ACTIVE.append(recorder)
    try:
        with path.open("w", encoding="utf-8", newline="\n") as out:
            pieces: list[str] = []
            for chunk in generator:  # Jinja yields about a line at a time: write in batches
                pieces.append(chunk)
                if len(pieces) >= 256:
                    text = "".join(pieces)
                    pieces.clear()
                    out.write(text)
                    verifier.feed(text)
            text = "".join(pieces)
            out.write(text)
            verifier.feed(text)
            verifier.close()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        _ACTIVE.pop()
    return verifier.stanzas


def render_text(template: str, **context: Any) -> str:
    """Render a template that is not a conf file (XML, JSON, Markdown)."""
    text: str = environment().get_template(template).render(**context)
    return text
