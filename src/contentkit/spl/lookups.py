"""CSV lookup tables (lazy loading) and their resolver."""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SplError
from .values import to_str, wildcard_regex

_MATCH = re.compile(r"^\s*(WILDCARD|CIDR|EXACT)\s*\(\s*([^)]+?)\s*\)\s*$", re.IGNORECASE)


@dataclass
class LookupTable:
    """A CSV lookup: ``name`` as referenced by searches, ``path`` of the CSV file."""

    name: str
    path: str | Path
    case_sensitive_match: bool = False
    match_type: tuple[str, ...] = ()
    min_matches: int = 0
    max_matches: int = 100
    default_match: str | None = None
    _rows: list[dict[str, str]] | None = field(default=None, repr=False, compare=False)
    _columns: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def filename(self) -> str:
        return Path(self.path).name

    def rows(self) -> list[dict[str, str]]:
        if self._rows is None:
            try:
                with open(self.path, encoding="utf-8-sig", newline="") as fh:
                    reader = csv.DictReader(fh)
                    self._columns = list(reader.fieldnames or [])
                    self._rows = [{k: v for k, v in r.items() if k is not None} for r in reader]
            except OSError as exc:
                raise SplError(
                    f"cannot read lookup {self.name!r} ({self.path}): {exc.strerror}"
                ) from None
            except csv.Error as exc:
                raise SplError(f"bad CSV in lookup {self.name!r} ({self.path}): {exc}") from None
        return self._rows

    @property
    def columns(self) -> list[str]:
        self.rows()
        return self._columns

    def _match_kinds(self) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for spec in self.match_type:
            for part in re.split(r",\s*(?=[A-Za-z]+\()", spec):
                m = _MATCH.match(part)
                if m:
                    kinds[m.group(2)] = m.group(1).upper()
        return kinds

    def match(self, inputs: Mapping[str, str]) -> list[dict[str, str]]:
        """Rows whose input columns match ``inputs`` (column -> value), up to ``max_matches``."""
        kinds = self._match_kinds()
        out: list[dict[str, str]] = []
        for row in self.rows():
            if all(
                self._cell_matches(kinds.get(col, "EXACT"), row.get(col, ""), val)
                for col, val in inputs.items()
            ):
                out.append(row)
                if len(out) >= self.max_matches:
                    break
        return out

    def _cell_matches(self, kind: str, cell: str, value: str) -> bool:
        if kind == "WILDCARD" and "*" in cell:
            return wildcard_regex(cell, self.case_sensitive_match).fullmatch(value) is not None
        if kind == "CIDR":
            try:
                return ipaddress.ip_address(value.strip()) in ipaddress.ip_network(
                    cell.strip(), strict=False
                )
            except ValueError:
                return cell == value
        if self.case_sensitive_match:
            return cell == value
        return cell.lower() == value.lower()


class LookupResolver:
    """Find lookup tables by name, by file name, or by file name without ``.csv``."""

    def __init__(self, tables: Mapping[str, LookupTable] | None = None) -> None:
        self._by: dict[str, LookupTable] = {}
        for key, table in (tables or {}).items():
            self._by.setdefault(key, table)
            self._by.setdefault(table.name, table)
            self._by.setdefault(table.filename, table)

    def get(self, name: str, pos: int | None = None, text: str | None = None) -> LookupTable:
        table = self._by.get(name)
        if table is None and not name.endswith(".csv"):
            table = self._by.get(name + ".csv")
        if table is None:
            known = ", ".join(sorted({t.name for t in self._by.values()})[:10])
            hint = f" (known: {known})" if known else " (no lookups configured)"
            raise SplError(f"unknown lookup {name!r}{hint}", pos, text)
        return table

    def find(self, name: str) -> LookupTable | None:
        """The table of ``name`` (as :meth:`get` finds it) or ``None``."""
        return self._by.get(name) or (
            None if name.endswith(".csv") else self._by.get(name + ".csv")
        )

    def replace(self, name: str, table: LookupTable) -> None:
        """Make ``name`` (and the table's own names) refer to ``table`` from now on."""
        for key in (name, table.name, table.filename):
            self._by[key] = table


def row_value(row: Mapping[str, Any], col: str) -> str:
    return to_str(row.get(col, ""))
