"""Static facts about a search string that validation needs before any SPL engine runs.

This is deliberately shallow: macro calls, lookups, and a best-effort set of output fields. It never
raises; where a fact cannot be told it says so (`None`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

_COMMENT = re.compile(r"```.*?```", re.S)
_LOOKUP = re.compile(
    r"(?:^|[|\[])\s*(lookup|inputlookup|outputlookup)\s+((?:[A-Za-z_]+\s*=\s*\S+\s+)*)\"?([A-Za-z0-9_.:-]+)"
)


@dataclass(frozen=True)
class MacroCall:
    name: str
    args: tuple[str, ...]
    offset: int  # position of the opening backtick in the search

    @property
    def key(self) -> str:
        return f"{self.name}({len(self.args)})" if self.args else self.name


@lru_cache(maxsize=8192)
def strip_comments(search: str) -> str:
    """Blank out ```comments``` keeping offsets intact."""
    return _COMMENT.sub(lambda m: " " * len(m.group(0)), search)


def split_args(text: str) -> tuple[str, ...]:
    """Split macro arguments on commas outside double quotes."""
    args: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == "," and not quoted:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    args.append("".join(current).strip())
    return tuple(args)


_SPECIALS = re.compile(r'\\.|["`]', re.S)


@lru_cache(maxsize=8192)
def _macro_spans(search: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each backtick-delimited macro call outside double-quoted strings."""
    spans = []
    quoted = False
    start = -1
    for match in _SPECIALS.finditer(strip_comments(search)):
        token = match.group(0)
        if token == '"':
            if start < 0:
                quoted = not quoted
        elif token == "`" and not quoted:
            if start < 0:
                start = match.start()
            else:
                spans.append((start, match.end()))
                start = -1
    return tuple(spans)


@lru_cache(maxsize=8192)
def macro_calls(search: str) -> tuple[MacroCall, ...]:
    """Every `` `macro` `` and `` `macro(args)` `` call in the search (comments and quoted
    strings skipped)."""
    calls = []
    for start, end in _macro_spans(search):
        body = search[start + 1 : end - 1].strip()
        if not body:
            continue
        paren = body.find("(")
        if paren > 0 and body.endswith(")"):
            name = body[:paren].strip()
            args = split_args(body[paren + 1 : -1])
        else:
            name, args = body, ()
        calls.append(MacroCall(name, args, start))
    return tuple(calls)


def lookup_uses(search: str) -> list[tuple[str, str, int]]:
    """(command, lookup name, offset) for every lookup/inputlookup/outputlookup."""
    if "lookup" not in search:
        return []
    text = strip_comments(search)
    return [(m.group(1), m.group(3), m.start(3)) for m in _LOOKUP.finditer(text)]


def expand_macros(
    search: str, macros: Mapping[str, tuple[tuple[str, ...], str]], depth: int = 0
) -> str:
    """Textual macro expansion for analysis. `macros`: key -> (argument names, definition).

    Unknown macros are left as they are; `drop_dm_object_name(X)` becomes `rename X.* as *`.
    """
    if depth > 10:
        return search

    text = strip_comments(search)
    out: list[str] = []
    last = 0
    for call, (start, end) in zip(macro_calls(text), _macro_spans(text), strict=True):
        out.append(text[last:start])
        last = end
        if call.name == "drop_dm_object_name" and len(call.args) == 1:
            out.append(f"rename {call.args[0].strip(chr(34))}.* as *")
        elif call.key in macros:
            names, definition = macros[call.key]
            for arg_name, value in zip(names, call.args, strict=False):
                definition = definition.replace(f"${arg_name}$", value)
            out.append(expand_macros(definition, macros, depth + 1))
        else:
            out.append(text[start:end])
    out.append(text[last:])
    return "".join(out)


_PIPE_TOKENS = re.compile(r'\\.|["\[\]|]', re.S)


def split_pipes(search: str) -> list[str]:
    """Split a search into commands at top-level pipes (outside quotes and brackets)."""
    parts: list[str] = []
    depth = 0
    quoted = False
    last = 0
    for match in _PIPE_TOKENS.finditer(search):
        token = match.group(0)
        if token == '"':
            quoted = not quoted
        elif quoted or len(token) == 2:
            continue
        elif token == "[":
            depth += 1
        elif token == "]":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(search[last : match.start()].strip())
            last = match.end()
    parts.append(search[last:].strip())
    return [p for p in parts if p]


_WORD = re.compile(r'"[^"]*"|\'[^\']*\'|[^\s,()]+(?:\([^)]*\))?')
# commands whose output fields this scan cannot follow
_OPAQUE_COMMANDS = {
    "join",
    "append",
    "appendpipe",
    "appendcols",
    "map",
    "union",
    "multisearch",
    "foreach",
    "transpose",
    "xyseries",
    "untable",
    "spath",
    "kvform",
    "extract",
    "mvexpand",
    "apply",
    "fit",
    "inputlookup",
    "from",
    "datamodel",
    "return",
    "format",
    "sendalert",
    "collect",
}
_AGG_COMMANDS = {"stats", "tstats", "chart", "timechart", "sistats", "mstats"}


def _top_fields(args: str) -> set[str]:
    """Output fields of ``top``/``rare`` (Search Reference "top"): a leading ``<N>`` is the
    limit, ``countfield``/``percentfield`` rename and ``showcount``/``showperc`` drop the two
    added fields."""
    tokens = _WORD.findall(args)
    if tokens and tokens[0].isdigit():
        tokens = tokens[1:]
    options = {k.lower(): _unquote(v) for k, _, v in (t.partition("=") for t in tokens if "=" in t)}
    fields = {_unquote(t) for t in tokens if "=" not in t and t.lower() != "by"}
    if options.get("showcount", "t").lower() not in ("f", "false", "0", "no"):
        fields.add(options.get("countfield", "count"))
    if options.get("showperc", "t").lower() not in ("f", "false", "0", "no"):
        fields.add(options.get("percentfield", "percent"))
    return fields


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


def _aggregate_fields(args: str) -> set[str]:
    # drop options like summariesonly=true, allow_old_summaries=true and the `from datamodel` part
    by_split = re.split(r"\s+by\s+", args, maxsplit=1, flags=re.I)
    head = by_split[0]
    fields: set[str] = set()
    if len(by_split) == 2:
        for token in _WORD.findall(by_split[1]):
            token = _unquote(token)
            if "=" in token:
                continue
            fields.add(token)
    head = re.split(r"\s+(?:from|where)\s+", head, maxsplit=1, flags=re.I)[0]
    tokens = _WORD.findall(head)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if "=" in token and "(" not in token:
            i += 1
            continue
        if i + 2 < len(tokens) and tokens[i + 1].lower() == "as":
            fields.add(_unquote(tokens[i + 2]))
            i += 3
            continue
        if token.lower() not in {"as", "by"}:
            fields.add(_unquote(token))
        i += 1
    return fields


def output_fields(
    search: str, macros: Mapping[str, tuple[tuple[str, ...], str]]
) -> set[str] | None:
    """Best-effort names of the fields a search outputs; None when it cannot be told.

    Only the tail matters: from the last command that sets the output fields (stats, table, ...)
    or that this scan cannot follow, to the end; macros are expanded only there."""
    tail: list[str] = []
    for segment in reversed(split_pipes(strip_comments(search))):
        parts = split_pipes(expand_macros(segment, macros)) if "`" in segment else [segment]
        tail[:0] = parts
        if any(_sets_fields(part) for part in parts):
            break
    return _follow(tail)


def _sets_fields(segment: str) -> bool:
    words = segment.split(None, 2)
    if not words:
        return False
    command = words[0].lower()
    if command in _OPAQUE_COMMANDS or command in _AGG_COMMANDS:
        return True
    if command in {"top", "rare", "table"}:
        return True
    return command == "fields" and len(words) > 1 and not words[1].startswith("-")


def _follow(segments: list[str]) -> set[str] | None:
    fields: set[str] | None = None
    for segment in segments:
        words = segment.split(None, 1)
        command = words[0].lower()
        if command in _OPAQUE_COMMANDS:
            return None
        args = words[1] if len(words) > 1 else ""
        if command in _AGG_COMMANDS:
            fields = _aggregate_fields(args)
        elif command in {"top", "rare"}:
            fields = _top_fields(args)
        elif command == "table":
            fields = {_unquote(t) for t in _WORD.findall(args)}
        elif command == "fields":
            names = {_unquote(t) for t in _WORD.findall(args) if t not in {"-", "+"}}
            if args.lstrip().startswith("-"):
                if fields is not None:
                    fields -= names
            else:
                fields = names
        elif command == "rename" and fields is not None:
            fields = _rename(fields, args)
        elif command == "rename":
            pass
        elif command == "eval" and fields is not None:
            for match in re.finditer(r"(?:^|,)\s*(\"[^\"]+\"|'[^']+'|[^\s=,]+)\s*=(?!=)", args):
                fields.add(_unquote(match.group(1)))
        elif command in {"lookup"} and fields is not None:
            outputs = re.split(r"\s+OUTPUT(?:NEW)?\s+", args, maxsplit=1, flags=re.I)
            if len(outputs) == 2:
                fields |= _aggregate_fields(outputs[1])
        elif command == "rex" and fields is not None:
            fields |= set(re.findall(r"\?P?<([A-Za-z_][A-Za-z0-9_]*)>", args))
        elif command in {"eventstats", "streamstats"} and fields is not None:
            fields |= _aggregate_fields(args)
    return fields


def _rename(fields: set[str], args: str) -> set[str]:
    tokens = [_unquote(t) for t in _WORD.findall(args)]
    pairs = []
    i = 0
    while i + 2 < len(tokens):
        if tokens[i + 1].lower() == "as":
            pairs.append((tokens[i], tokens[i + 2]))
            i += 3
        else:
            i += 1
    out = set(fields)
    for old, new in pairs:
        if "*" in old:
            pattern = re.compile("^" + re.escape(old).replace(r"\*", "(.*)") + "$")
            for name in list(out):
                match = pattern.match(name)
                if match:
                    out.discard(name)
                    out.add(new.replace("*", match.group(1), 1) if "*" in new else new)
        elif old in out:
            out.discard(old)
            out.add(new)
        else:
            out.add(new)
    return out


def field_in(field: str, fields: set[str]) -> bool:
    """Is `field` one of `fields` (which may hold wildcard patterns like `*` or `Processes.*`)?"""
    if field in fields:
        return True
    for name in fields:
        if "*" in name and re.fullmatch(re.escape(name).replace(r"\*", ".*"), field):
            return True
    return False


# Commands after the last field-setting one that this scan follows exactly (they add no field
# it does not see); any other command, a lookup without OUTPUT, or a macro it cannot expand may
# add fields.
_FOLLOWED = {
    "stats",
    "tstats",
    "chart",
    "timechart",
    "sistats",
    "mstats",
    "table",
    "fields",
    "rename",
    "eval",
    "rex",
    "eventstats",
    "streamstats",
    "where",
    "search",
    "sort",
    "dedup",
    "head",
    "tail",
    "fillnull",
    "reverse",
    "makemv",
    "mvcombine",
    "regex",
    "uniq",
    "top",
    "rare",
}
_NOT_ADDING_MACROS = re.compile(r".*_filter$|drop_dm_object_name|security_content_ctime")


def tail_may_add_fields(search: str, macros: Mapping[str, tuple[tuple[str, ...], str]]) -> bool:
    """Could the end of the search (after its last field-setting command) produce fields that
    `output_fields` does not list? True for unknown macros, lookups without OUTPUT and commands
    the scan does not follow."""
    for segment in reversed(split_pipes(strip_comments(search))):
        for call in macro_calls(segment):
            if call.key not in macros and not _NOT_ADDING_MACROS.fullmatch(call.name):
                return True
        parts = split_pipes(expand_macros(segment, macros)) if "`" in segment else [segment]
        for part in parts:
            words = part.split(None, 1)
            if not words or words[0].startswith("`"):
                continue
            command = words[0].lower()
            args = words[1] if len(words) > 1 else ""
            if command == "lookup":
                if not re.search(r"\sOUTPUT(?:NEW)?\s", args, re.I):
                    return True
            elif command not in _FOLLOWED:
                return True
        if any(_sets_fields(part) for part in parts):
            return False
    return True
