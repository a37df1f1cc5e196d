"""Checks that keep content data, never a way out or a trap for a later step:

- files the build and docs read (the ATT&CK enrichment CSV, lookup files, `app_template/`,
  local datasets) must resolve, through `..`, absolute paths and symlinks, inside the
  repository; special files (FIFOs, devices) in `app_template/` would hang a build;
- macros that call themselves (directly or through others) never finish expanding;
- dates that match YYYY-MM-DD but are not days of the calendar (2024-02-30);
- `rex` and `regex` patterns that do not compile, or could only run with catastrophic
  backtracking (see :mod:`contentkit.spl.limits`);
- lookup CSVs that are not UTF-8 or whose rows do not match the header.

Each returns cross-reference findings, located later like the others.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from datetime import date
from pathlib import Path
from typing import Any

from contentkit.content.crossref import Finding
from contentkit.content.model import Content

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_COMMAND = re.compile(r"(?:^|\|)\s*(rex|regex)\b", re.IGNORECASE)
_SED = re.compile(r"\bmode\s*=\s*sed\b", re.IGNORECASE)
MAX_CSV_BYTES = 64 << 20  # lookups past this are not parsed here (the build copies them as is)


def check(content: Content) -> list[Finding]:
    root = content.root.resolve()
    out: list[Finding] = []
    out += _paths(content, root)
    out += _macro_cycles(content)
    out += _dates(content)
    return out


def file_findings(rel: str, path: Path, kind: str, data: dict[str, Any]) -> list[Finding]:
    """The checks of one schema-valid file that need nothing else (run by the workers that
    read the files): its rex/regex patterns, and for a CSV lookup its data file."""
    out: list[Finding] = []
    key = {"detection": "search", "baseline": "search", "macro": "definition"}.get(kind)
    if key is not None:
        out += _patterns(rel, key, data[key])
    elif kind == "lookup":
        out += _lookup_csv(rel, path, data)
    return out


# ------------------------------------------------------------------------------ paths
def inside(root: Path, path: Path) -> bool:
    """Whether `path` (symlinks resolved) lies within `root` (already resolved)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return False
    return resolved == root or root in resolved.parents


def _paths(content: Content, root: Path) -> list[Finding]:
    out: list[Finding] = []
    config = content.config
    enrichment = config.mitre_enrichment if config is not None else None
    if enrichment and not inside(root, root / enrichment):
        out.append(
            Finding(
                "contentctl.yml",
                ("mitre_enrichment",),
                f"ATT&CK enrichment file '{enrichment}' is outside the repository",
            )
        )
    for lookup in content.lookups:
        if lookup.data_file is not None and not inside(root, lookup.data_file):
            out.append(
                Finding(
                    lookup.file,
                    ("filename",),
                    f"lookup file '{lookup.data_file}' is outside the repository",
                )
            )
    for det in content.detections:
        for i, test in enumerate(det.tests):
            for j, attack in enumerate(test.attack_data):
                data = attack.data
                if _URL.match(data):
                    continue
                if not inside(root, root / data):
                    out.append(
                        Finding(
                            det.file,
                            ("tests", i, "attack_data", j, "data"),
                            f"dataset '{data}' is outside the repository",
                        )
                    )
    out += _app_template(root)
    return out


def _app_template(root: Path) -> list[Finding]:
    base = root / "app_template"
    if not base.is_dir():
        return []
    out: list[Finding] = []
    prefix = len(str(root)) + 1
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path)[prefix:].replace(os.sep, "/")
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                if not inside(root, path):
                    out.append(Finding(rel, (), "symlink points outside the repository"))
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                out.append(
                    Finding(rel, (), "not a regular file (FIFO, socket or device): remove it")
                )
    return out


# ------------------------------------------------------------------------------ macros
def _macro_cycles(content: Content) -> list[Finding]:
    from contentkit import spl

    table = {m.key: m for m in content.macros}
    edges: dict[str, list[str]] = {}
    for key, macro in table.items():
        if "`" not in macro.definition:
            continue
        try:
            calls = spl.macro_calls(macro.definition)
        except spl.SplError:
            continue
        targets = []
        for call in calls:
            target = f"{call.name}({call.arity})" if call.arity else call.name
            if target in table:
                targets.append(target)
        edges[key] = targets
    out: list[Finding] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    reported: set[frozenset[str]] = set()

    def visit(key: str, path: list[str]) -> None:
        state[key] = 1
        path.append(key)
        for target in edges.get(key, ()):
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    shown = " -> ".join([*cycle, target])
                    out.append(
                        Finding(
                            table[target].file,
                            ("definition",),
                            f"macro calls itself: {shown} (it would never finish expanding)",
                        )
                    )
            elif target not in state:
                visit(target, path)
        path.pop()
        state[key] = 2

    for key in sorted(edges):
        if key not in state:
            visit(key, [])
    return out


# ------------------------------------------------------------------------------ dates
def _dates(content: Content) -> list[Finding]:
    out: list[Finding] = []
    groups: list[Any] = [content.detections, content.baselines, content.stories, content.lookups]
    for objects in groups:
        for obj in objects:
            value = getattr(obj, "date", "")
            if not value or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                continue
            try:
                date.fromisoformat(value)
            except ValueError:
                out.append(Finding(obj.file, ("date",), f"'{value}' is not a date of the calendar"))
    return out


# ------------------------------------------------------------------------------ regexes
def _patterns(file: str, key: str, text: str) -> list[Finding]:
    """Compile the pattern of every `rex` and `regex` of a search or macro definition (read
    from the text, without parsing the search)."""
    lowered = text.lower()
    if "rex" not in lowered and "regex" not in lowered:
        return []
    out: list[Finding] = []
    for command, pattern in regex_patterns(text):
        if re.search(r"\$\w+\$", pattern):
            continue  # a macro argument ($arg$): known only once expanded
        problem = _pattern_problem(pattern)
        if problem is not None:
            out.append(Finding(file, (key,), f"invalid {command} pattern {pattern!r}: {problem}"))
    return out


_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>")
_SEEN: dict[str, str | None] = {}  # pattern -> problem (many searches share patterns)


def _pattern_problem(pattern: str) -> str | None:
    if pattern in _SEEN:
        return _SEEN[pattern]
    from contentkit.spl.limits import check_regex

    problem = None
    try:  # PCRE's (?<name>...) as Python's; \x{...} is translated by check_regex
        check_regex(_NAMED_GROUP.sub(r"(?P<\1>", pattern))
    except re.error as exc:
        problem = str(exc)
    _SEEN[pattern] = problem
    return problem


def regex_patterns(text: str) -> list[tuple[str, str]]:
    """(command, pattern) of each `rex`/`regex` command in an SPL text: rex's first quoted
    argument that is not an option value (its sed mode skipped), regex's first quoted string;
    unescaped as the SPL lexer does."""
    from contentkit.spl.errors import SplError
    from contentkit.spl.lexer import read_quoted

    out: list[tuple[str, str]] = []
    for m in _COMMAND.finditer(text):
        command = m.group(1).lower()
        pos = m.end()
        while True:
            quote = text.find('"', pos)
            pipe = text.find("|", pos)
            if quote < 0 or (0 <= pipe < quote):
                break
            try:
                value, after = read_quoted(text, quote)
            except SplError:
                break
            before = text[m.end() : quote]
            option_value = before.rstrip().endswith("=")
            if command == "rex" and (option_value or _SED.search(before)):
                pos = after
                continue
            out.append((command, value))
            break
    return out


# ------------------------------------------------------------------------------ lookups
def _lookup_csv(rel: str, path: Path, data: dict[str, Any]) -> list[Finding]:
    """Check the CSV file of a lookup definition (when it is one and lies in the repository)."""
    from contentkit.content.model import lookup_from

    lookup = lookup_from(path, rel, data)
    csv_path = lookup.data_file
    if lookup.lookup_type != "csv" or csv_path is None:
        return []
    root = Path(str(path)[: -len(rel) - 1]).resolve()
    if not inside(root, csv_path):
        return []  # reported by the path checks
    try:
        info = csv_path.stat()
    except OSError:
        return []  # a missing file is reported by the cross-reference checks
    where = ("filename",) if "filename" in data else ()
    if not stat.S_ISREG(info.st_mode):
        return [Finding(rel, where, f"lookup file '{csv_path.name}' is not a regular file")]
    if info.st_size > MAX_CSV_BYTES:
        return []
    problem = csv_problem(csv_path.read_bytes())
    if problem is None:
        return []
    return [Finding(rel, where, f"lookup file '{csv_path.name}': {problem}")]


def csv_problem(data: bytes) -> str | None:
    """Why a lookup CSV cannot be used (not UTF-8, no header, a row of the wrong width), or
    None when it is fine."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"not UTF-8 (byte 0x{data[exc.start]:02x} on line {line})"
    if not text.strip():
        return "empty (a lookup needs a header row)"
    if '"' not in text:  # no quoting: a row's width is its commas (fast path)
        lines = text.splitlines()
        commas = lines[0].count(",")
        if not lines[0].replace(",", "").strip():
            return "the header row has no field names"
        n_rows = len(lines) - lines.count("")
        if text.count(",") == commas * n_rows and not any(
            row.count(",") != commas for row in lines[1:2]
        ):
            return None  # as many commas as every row having the header's: consistent
        for number, row in enumerate(lines[1:], 2):
            if row and row.count(",") != commas:
                return f"row {number} has {row.count(',') + 1} fields, the header has {commas + 1}"
    try:
        rows = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(rows)
        width = len(header)
        if not any(h.strip() for h in header):
            return "the header row has no field names"
        for number, cells in enumerate(rows, 2):
            if cells and len(cells) != width:
                return f"row {number} has {len(cells)} fields, the header has {width}"
    except csv.Error as exc:
        return f"not well-formed CSV: {exc}"
    return None
