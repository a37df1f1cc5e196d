"""Writing content YAML the way people write it: keys in the given order, multi-line text as
literal blocks, no line wrapping (so searches keep their exact text)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(_BaseDumper):
    pass


def _str(dumper: Any, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(doc: Any) -> str:
    return yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 16, indent=2
    )


def write_yaml(path: Path, doc: Any, *, check: bool = False) -> None:
    """Write `doc` to `path` (folders created); with `check`, fail if the text would not read
    back equal (the app importer skips it: its proving build compares every value anyway)."""
    text = dump_yaml(doc)
    if check and yaml.load(text, Loader=_Loader) != doc:
        raise ValueError(f"{path}: the YAML would not read back as written")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def slug(name: str) -> str:
    """A file stem from a name: lower case, runs of other characters as one `_`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "unnamed"
