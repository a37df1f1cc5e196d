"""``outputlookup`` (Search Reference "outputlookup"): write the results to a lookup.

The repository's CSV is never written: the results go to a scratch copy in a temporary folder,
which replaces the lookup for the rest of the run (a later ``inputlookup`` or ``lookup`` of the
same name reads it). ``append=t`` starts from the lookup's current rows. The results pass on
unchanged, as in Splunk.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..lexer import search_word
from ..lookups import LookupTable
from ..values import as_list, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]


def scratch_dir() -> Path:
    """The folder of this process's scratch lookups (``CONTENTKIT_SCRATCH_DIR`` or a temporary
    folder)."""
    base = os.environ.get("CONTENTKIT_SCRATCH_DIR") or tempfile.gettempdir()
    path = Path(base) / f"contentkit-outputlookup-{os.getpid()}"
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        import atexit
        import shutil

        atexit.register(shutil.rmtree, path, True)
    return path


@register("outputlookup")
@dataclass(frozen=True)
class OutputlookupCommand(Command):
    name = "outputlookup"
    options: tuple[tuple[str, str], ...] = ()
    table: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> OutputlookupCommand:
        opts = p.parse_options()
        table = p.field_name("a lookup name or file")
        opts.update(p.parse_options())
        p.end_of_command("outputlookup")
        return cls(tuple(opts.items()), table, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.append(search_word(self.table))
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = {k.lower(): v.lower() for k, v in self.options}
        append = opts.get("append", "f") in ("t", "true", "1")
        rows = list(events)
        current = ctx.lookups.find(self.table)
        previous: list[dict[str, str]] = current.rows() if append and current is not None else []
        columns: list[str] = list(current.columns) if append and current is not None else []
        out_rows: list[dict[str, str]] = [dict(r) for r in previous]
        for r in rows:
            rec: dict[str, str] = {}
            for k, v in r.items():
                if k.startswith("_") and k not in ("_time", "_key"):
                    continue
                if k not in columns:
                    columns.append(k)
                rec[k] = "\n".join(to_str(x) for x in as_list(v))
            out_rows.append(rec)
        empty = not rows and opts.get("override_if_empty", "t") in ("f", "false", "0")
        if not empty:
            stem = Path(self.table).name
            path = scratch_dir() / (stem if stem.endswith(".csv") else stem + ".csv")
            tmp = path.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(out_rows)
            os.replace(tmp, path)
            name = current.name if current is not None else self.table
            table = LookupTable(
                name=name,
                path=path,
                case_sensitive_match=current.case_sensitive_match if current else False,
                match_type=current.match_type if current else (),
            )
            ctx.lookups.replace(self.table, table)
        yield from rows
