"""Splunk ``.conf`` model, deterministic writer and strict reader.

Format handled (what Splunk's conf parser accepts):

* ``[name]`` starts a stanza; the name is everything between the first ``[`` and the last ``]``
  of the stripped line (it may be empty: ``default.meta`` uses ``[]``).
* ``key = value``: the key is the text before the first ``=``, the value the text after it;
  spaces/tabs around both are stripped (a value's leading blanks and its last line's trailing
  blanks are therefore not representable).
* A line ending in ``\\`` continues the value on the next line. The logical value is the lines
  joined with ``\\n``, each continued line without its final ``\\`` but with any blanks before it
  kept; continuation lines are taken verbatim (leading blanks kept) even if they start with
  ``#`` or ``[``.
* Whole-line comments start with ``#`` (after optional blanks); there are no inline comments.

Reader strictness (``strict=True``, used to check our own output): duplicate stanzas, duplicate
keys in a stanza, keys before the first stanza header, garbage lines, carriage returns, blanks
after a continuation ``\\`` and a file ending inside a continued value are all :class:`ConfError`.
The lenient mode (``strict=False``, for third-party files) accepts duplicates (a repeated stanza
is merged into the first, a repeated key keeps the last value, like Splunk), puts keys before the
first header into an implicit ``default`` stanza, accepts CRLF, treats ``\\`` followed by blanks
as a continuation and ends a value dangling at end of file. Garbage lines (a bad stanza header,
a line without ``=``, an empty key) are errors in both, unless the lenient reader is given a
``skipped`` list: then each such line is recorded there as a :class:`ConfError` and skipped (for
loading third-party apps, where one bad line must not lose the whole file).

Writer: refuses (``ValueError`` naming stanza and key) anything that would not read back
identically: ``\\r`` or NUL anywhere, a value line ending in ``\\``, leading blanks on a value's
first line, trailing blanks on its last line, bad keys (empty, ``=``, newline, surrounding
blanks, starting with ``#`` or ``[``), stanza names with newlines or surrounding blanks, duplicate
stanza names and comments that are not single ``#`` lines. An empty value is written ``key =``.

Comments are kept as trivia (file header, before a stanza header, before a key, file trailer);
blank lines are not kept. :func:`verify_roundtrip` ignores comments.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ConfError",
    "ConfFile",
    "Stanza",
    "check_value",
    "normalize_value",
    "read_conf",
    "read_conf_file",
    "verify_roundtrip",
    "write_conf",
    "write_conf_file",
]

_BLANKS = " \t"


class ConfError(Exception):
    """A syntax or structure error in a conf file, with file name and 1-based line number."""

    def __init__(self, source: str, line: int, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        super().__init__(f"{source}:{line}: {message}")


@dataclass
class Stanza:
    """One ``[name]`` section: ordered ``key -> value`` plus attached comment lines."""

    name: str
    values: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    key_comments: dict[str, list[str]] = field(default_factory=dict)
    line: int = field(default=0, compare=False, repr=False)

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.values[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def get(self, key: str, default: str | None = None) -> str | None:
        """Value of ``key`` or ``default``."""
        return self.values.get(key, default)


@dataclass
class ConfFile:
    """An ordered list of stanzas plus comment lines at the top and bottom of the file."""

    stanzas: list[Stanza] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)
    _index: dict[str, Stanza] = field(default_factory=dict, repr=False, compare=False)

    def _lookup(self) -> dict[str, Stanza]:
        # `stanzas` is a public list that callers may change: rebuild the index when it is stale
        if len(self._index) != len(self.stanzas) or (
            self.stanzas and self._index.get(self.stanzas[-1].name) is not self.stanzas[-1]
        ):
            self._index = {}
            for stanza in self.stanzas:
                self._index.setdefault(stanza.name, stanza)
        return self._index

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Mapping[str, str]], header: Iterable[str] = ()
    ) -> ConfFile:
        """Build from ``{stanza: {key: value}}`` keeping the mapping order."""
        return cls(
            stanzas=[Stanza(name, dict(values)) for name, values in data.items()],
            header=list(header),
        )

    def to_dict(self) -> dict[str, dict[str, str]]:
        """``{stanza: {key: value}}`` (comments dropped)."""
        return {s.name: dict(s.values) for s in self.stanzas}

    def names(self) -> list[str]:
        """Stanza names in file order."""
        return [s.name for s in self.stanzas]

    def get(self, name: str) -> Stanza | None:
        """The stanza called ``name`` or ``None``."""
        return self._lookup().get(name)

    def add(self, name: str, values: Mapping[str, str] | None = None) -> Stanza:
        """Append a new stanza and return it."""
        stanza = Stanza(name, dict(values or {}))
        index = self._lookup()
        self.stanzas.append(stanza)
        index.setdefault(name, stanza)
        return stanza

    def __getitem__(self, name: str) -> Stanza:
        stanza = self.get(name)
        if stanza is None:
            raise KeyError(name)
        return stanza

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._lookup()

    def __iter__(self) -> Iterator[Stanza]:
        return iter(self.stanzas)

    def __len__(self) -> int:
        return len(self.stanzas)


# --------------------------------------------------------------------------- writer


def check_value(value: str) -> str | None:
    """Why ``value`` cannot be written and read back identically, or ``None`` if it can."""
    if "\r" in value:
        return "value contains a carriage return"
    if "\0" in value:
        return "value contains a NUL character"
    lines = value.split("\n")
    if lines[0][:1] in (" ", "\t"):
        return "value starts with a blank (Splunk strips it)"
    if lines[-1][-1:] in (" ", "\t"):
        return "value ends with a blank (Splunk strips it)"
    for number, line in enumerate(lines, 1):
        if line.endswith("\\"):
            return (
                f"line {number} of the value ends with a backslash (would read as a continuation)"
            )
    return None


def normalize_value(value: str) -> str:
    """Canonical writable form of ``value``; ValueError if its last line ends in ``\\``.

    CRLF/CR become LF, NUL is dropped, the first line's leading and the last line's trailing
    blanks are stripped (as Splunk would) and a space is added after a ``\\`` ending any other
    line (harmless in SPL, and no longer a continuation).
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
    lines = text.split("\n")
    lines[0] = lines[0].lstrip(_BLANKS)
    lines[-1] = lines[-1].rstrip(_BLANKS)
    if lines[-1].endswith("\\"):
        raise ValueError("value ends with a backslash, which a .conf file cannot represent")
    lines = [line + " " if line.endswith("\\") else line for line in lines]
    return "\n".join(lines)


def _check_key(stanza: str, key: object) -> None:
    if not isinstance(key, str):
        raise TypeError(f"[{stanza}]: key {key!r} is not a string")
    problem = None
    if not key:
        problem = "empty key"
    elif "=" in key:
        problem = "key contains '='"
    elif "\n" in key or "\r" in key or "\0" in key:
        problem = "key contains a line break or NUL"
    elif key != key.strip(_BLANKS):
        problem = "key has leading or trailing blanks"
    elif key[0] in "#[":
        problem = "key starts with '#' or '['"
    if problem:
        raise ValueError(f"[{stanza}] {key!r}: {problem}")


def _check_comment(where: str, line: object) -> str:
    if not isinstance(line, str):
        raise TypeError(f"{where}: comment {line!r} is not a string")
    if "\n" in line or "\r" in line or "\0" in line:
        raise ValueError(f"{where}: comment {line!r} contains a line break or NUL")
    if not line.lstrip(_BLANKS).startswith("#"):
        raise ValueError(f"{where}: comment {line!r} does not start with '#'")
    if line != line.rstrip(_BLANKS):
        raise ValueError(f"{where}: comment {line!r} has trailing blanks")
    if line.endswith("\\"):
        raise ValueError(f"{where}: comment {line!r} ends with a backslash")
    return line


def _check_stanza_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"stanza name {name!r} is not a string")
    if "\n" in name or "\r" in name or "\0" in name:
        raise ValueError(f"[{name!r}]: stanza name contains a line break or NUL")
    if name != name.strip(_BLANKS):
        raise ValueError(f"[{name}]: stanza name has leading or trailing blanks")
    return name


def _key_lines(key: str, value: str) -> str:
    """`key = value`, with every line of a multi-line value but the last ending in `\\`."""
    lines = value.split("\n")
    if len(lines) == 1:
        return f"{key} = {value}" if value else f"{key} ="
    return f"{key} = " + "\\\n".join(lines)


def format_setting(stanza: str, key: str, value: str) -> str:
    """One `key = value` setting as conf text (possibly several lines); ValueError naming the
    stanza and key if the key or value cannot be written and read back unchanged."""
    _check_key(stanza, key)
    problem = check_value(value)
    if problem:
        raise ValueError(f"[{stanza}] {key}: {problem}")
    return _key_lines(key, value)


def _iter_lines(conf: ConfFile) -> Iterator[str]:
    for line in conf.header:
        yield _check_comment("header", line)
    seen: set[str] = set()
    first = not conf.header
    for stanza in conf.stanzas:
        name = _check_stanza_name(stanza.name)
        if name in seen:
            raise ValueError(f"[{name}]: duplicate stanza")
        seen.add(name)
        if not first:
            yield ""
        first = False
        for line in stanza.comments:
            yield _check_comment(f"[{name}]", line)
        yield f"[{name}]"
        for key, value in stanza.values.items():
            _check_key(name, key)
            if not isinstance(value, str):
                raise TypeError(f"[{name}] {key}: value {value!r} is not a string")
            problem = check_value(value)
            if problem:
                raise ValueError(f"[{name}] {key}: {problem}")
            for line in stanza.key_comments.get(key, ()):
                yield _check_comment(f"[{name}] {key}", line)
            yield _key_lines(key, value)
    if conf.trailer:
        yield ""
        for line in conf.trailer:
            yield _check_comment("trailer", line)


def write_conf(conf: ConfFile) -> str:
    """Render ``conf`` as text (``\\n`` line endings, final newline); ValueError if unsafe."""
    return "\n".join(_iter_lines(conf)) + "\n"


def write_conf_file(conf: ConfFile, path: Path) -> None:
    """Write ``conf`` to ``path`` as UTF-8 (no BOM)."""
    Path(path).write_bytes(write_conf(conf).encode("utf-8"))


# --------------------------------------------------------------------------- reader


def read_conf(
    text: str,
    *,
    source: str = "<string>",
    strict: bool = True,
    skipped: list[ConfError] | None = None,
) -> ConfFile:
    """Parse conf ``text``; raise :class:`ConfError` (file, line, message) on the first error.

    With ``strict=False`` and a ``skipped`` list, garbage lines are appended to ``skipped`` and
    ignored instead of raising."""
    if strict and skipped is not None:
        raise ValueError("skipped lines are only collected by the lenient reader (strict=False)")
    if text.startswith("\ufeff"):
        text = text[1:]
    conf = ConfFile()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    by_name: dict[str, Stanza] = {}
    current: Stanza | None = None
    pending: list[str] = []
    seen_content = False

    # continuation state
    cont_stanza: Stanza | None = None
    cont_key = ""
    cont_parts: list[str] = []
    cont_start = 0

    def store(stanza: Stanza, key: str, value: str, lineno: int) -> None:
        if key in stanza.values:
            if strict:
                raise ConfError(source, lineno, f"duplicate key {key!r} in stanza [{stanza.name}]")
            del stanza.values[key]  # last one wins, at its new position
        stanza.values[key] = value

    lineno = 0
    for lineno, raw in enumerate(lines, 1):
        line = raw
        if "\r" in line:
            if strict:
                raise ConfError(source, lineno, "carriage return (files must use LF line endings)")
            line = line.rstrip("\r")
        if cont_stanza is not None:
            continued, part = _split_continuation(line, strict, source, lineno)
            cont_parts.append(part)
            if not continued:
                store(cont_stanza, cont_key, "\n".join(cont_parts), cont_start)
                cont_stanza = None
            continue
        stripped = line.strip(_BLANKS)
        if not stripped:
            continue
        if stripped.startswith("#"):
            pending.append(stripped)
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                bad = ConfError(source, lineno, f"bad stanza header {_short(stripped)}")
                if skipped is None:
                    raise bad
                skipped.append(bad)
                continue
            name = stripped[1:-1]
            if not seen_content:
                conf.header.extend(pending)
            existing = by_name.get(name)
            if existing is not None:
                if strict:
                    raise ConfError(
                        source,
                        lineno,
                        f"duplicate stanza [{name}] (first at line {existing.line})",
                    )
                current = existing
                if seen_content:
                    current.comments.extend(pending)
            else:
                current = Stanza(name, line=lineno)
                if seen_content:
                    current.comments = pending
                by_name[name] = current
                conf.stanzas.append(current)
            pending = []
            seen_content = True
            continue
        if "=" not in stripped:
            bad = ConfError(
                source, lineno, f"not a stanza, key = value or comment: {_short(stripped)}"
            )
            if skipped is None:
                raise bad
            skipped.append(bad)
            continue
        key_part, value_part = line.split("=", 1)
        key = key_part.strip(_BLANKS)
        if not key:
            bad = ConfError(source, lineno, "empty key before '='")
            if skipped is None:
                raise bad
            skipped.append(bad)
            continue
        if current is None:
            if strict:
                raise ConfError(source, lineno, f"key {key!r} outside any stanza")
            current = by_name.get("default")
            if current is None:
                current = Stanza("default", line=lineno)
                by_name["default"] = current
                conf.stanzas.append(current)
            if not seen_content:
                conf.header.extend(pending)
                pending = []
            seen_content = True
        if pending:
            current.key_comments.setdefault(key, []).extend(pending)
            pending = []
        value_part = value_part.lstrip(_BLANKS)
        continued, part = _split_continuation(value_part, strict, source, lineno)
        if continued:
            cont_stanza, cont_key, cont_parts, cont_start = current, key, [part], lineno
        else:
            store(current, key, part, lineno)
    if cont_stanza is not None:
        if strict:
            raise ConfError(source, lineno, f"file ends inside the continued value of {cont_key!r}")
        store(cont_stanza, cont_key, "\n".join(cont_parts), cont_start)
    if seen_content:
        conf.trailer = pending
    else:
        conf.header.extend(pending)
    return conf


def _split_continuation(line: str, strict: bool, source: str, lineno: int) -> tuple[bool, str]:
    """(continues, text) for one physical value line."""
    if line.endswith("\\"):
        return True, line[:-1]
    trimmed = line.rstrip(_BLANKS)
    if trimmed.endswith("\\") and trimmed != line:
        if strict:
            raise ConfError(source, lineno, "blanks after a line-continuation backslash")
        return True, trimmed[:-1]
    return False, trimmed


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def read_conf_file(
    path: Path,
    *,
    strict: bool = True,
    source: str | None = None,
    skipped: list[ConfError] | None = None,
) -> ConfFile:
    """Read a UTF-8 conf file; undecodable bytes are a :class:`ConfError` at their line.

    With a ``skipped`` list (lenient reader only) undecodable bytes are replaced by U+FFFD and
    recorded there, and garbage lines are skipped as in :func:`read_conf`."""
    data = Path(path).read_bytes()
    name = source if source is not None else str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = ConfError(name, line, f"invalid UTF-8 at byte {exc.start}")
        if skipped is None or strict:
            raise bad from None
        skipped.append(bad)
        text = data.decode("utf-8", errors="replace")
    return read_conf(text, source=name, strict=strict, skipped=skipped)


# --------------------------------------------------------------------------- verification


def verify_roundtrip(
    expected: ConfFile, text: str, *, source: str = "<rendered>", check_order: bool = False
) -> list[str]:
    """Differences between ``expected`` and ``text`` read back strictly (empty list: identical).

    Compares stanza names and, per stanza, keys and exact values; comments are ignored.
    With ``check_order`` the stanza and key order must match too.
    """
    try:
        actual = read_conf(text, source=source, strict=True)
    except ConfError as exc:
        return [str(exc)]
    problems: list[str] = []
    want = {s.name: s for s in expected.stanzas}
    got = {s.name: s for s in actual.stanzas}
    if len(want) != len(expected.stanzas):
        problems.append("expected model has duplicate stanza names")
    for name, stanza in want.items():
        other = got.get(name)
        if other is None:
            problems.append(f"[{name}]: stanza missing")
            continue
        for key, value in stanza.values.items():
            if key not in other.values:
                problems.append(f"[{name}] {key}: key missing")
            elif other.values[key] != value:
                problems.append(f"[{name}] {key}: {_describe_change(value, other.values[key])}")
        for key in other.values:
            if key not in stanza.values:
                problems.append(f"[{name}] {key}: unexpected key")
        if (
            check_order
            and stanza.values.keys() == other.values.keys()
            and list(stanza.values) != list(other.values)
        ):
            problems.append(f"[{name}]: key order differs")
    for name in got:
        if name not in want:
            problems.append(f"[{name}]: unexpected stanza")
    if check_order and want.keys() == got.keys() and list(want) != list(got):
        problems.append("stanza order differs")
    return problems


def _describe_change(want: str, got: str) -> str:
    index = next(
        (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b),
        min(len(want), len(got)),
    )
    line = want.count("\n", 0, index) + 1
    start = max(0, index - 20)
    return (
        f"value differs at character {index} (value line {line}): expected "
        f"{json.dumps(want[start : index + 20])} got {json.dumps(got[start : index + 20])}"
    )
