"""Jinja rendering of conf files, with a record of what each template meant to write.

A conf template writes stanzas with `{{ stanza(name) }}` and settings with
`{{ setting(key, value) }}`. Both format the text through the conf writer's rules and also record
the stanza and value in a `ConfFile`: the meaning of the file. After rendering, the text is read
back with the strict reader and compared with that record, so a template that drops a setting,
repeats a key, or writes something a `.conf` reader would see differently fails the build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from contentkit.render.conffile import ConfFile, Stanza, format_setting, normalize_value


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
    """Collects the stanzas and settings a template writes."""

    conf: ConfFile = field(default_factory=ConfFile)
    current: Stanza | None = None

    def stanza(self, name: str) -> str:
        if name in self.conf:
            raise RenderError(f"[{name}]: stanza written twice")
        self.current = self.conf.add(name)
        return f"[{name}]"

    def setting(self, key: str, value: Any) -> str:
        if self.current is None:
            raise RenderError(f"setting {key!r} written before any stanza")
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
            raise RenderError(f"[{self.current.name}] {key}: written twice")
        values[key] = text
        if key in _CHECKED_KEYS and _plain(text):
            return f"{key} = {text}"
        line = format_setting(self.current.name, key, text)
        _CHECKED_KEYS.add(key)
        return line


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
    return env


def render_conf(template: str, **context: Any) -> tuple[str, ConfFile]:
    """Render a conf template; return the text and the stanzas it meant to write."""
    from contentkit.render.conffile import verify_roundtrip

    recorder = Recorder()
    text = (
        environment()
        .get_template(template)
        .render(stanza=recorder.stanza, setting=recorder.setting, **context)
    )
    name = template.removesuffix(".j2")
    differences = verify_roundtrip(recorder.conf, text, source=name)
    if differences:
        raise RenderError(f"{name}: " + "; ".join(differences[:5]))
    return text, recorder.conf


def render_text(template: str, **context: Any) -> str:
    """Render a template that is not a conf file (XML, JSON, Markdown)."""
    text: str = environment().get_template(template).render(**context)
    return text
