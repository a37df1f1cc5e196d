"""``iplocation`` (Search Reference "iplocation"): location fields of an IP address from a MaxMind
database (GeoLite2/GeoIP2 City or Country, ``.mmdb``), read with the ``maxminddb`` library.

The database is the user's (MaxMind's licence forbids shipping it): its path comes from the
``CONTENTKIT_GEOIP_DB`` environment variable. Without it the command fails with
``unsupported: no GeoIP database``, so a test never passes on made-up locations.

Fields: ``City``, ``Country``, ``Region``, ``lat``, ``lon`` (``allfields=t`` adds ``Continent``,
``MetroCode`` and ``Timezone``), each with ``prefix=``; addresses that are not in the database
(private ranges) get empty values, as in Splunk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..errors import SplError
from ..lexer import search_word
from ..values import as_list, to_str
from . import register

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]
GEOIP_ENV = "CONTENTKIT_GEOIP_DB"


@lru_cache(maxsize=4)
def _reader(path: str) -> Any:
    import maxminddb

    return maxminddb.open_database(path)


def _name(rec: Any, key: str, lang: str) -> str:
    part = rec.get(key) if isinstance(rec, dict) else None
    if not isinstance(part, dict):
        return ""
    names = part.get("names") or {}
    return str(names.get(lang) or names.get("en") or "")


def locate(record: Any, lang: str = "en") -> dict[str, Any]:
    """The iplocation fields of a MaxMind City/Country record (empty values when missing)."""
    rec = record if isinstance(record, dict) else {}
    loc = rec.get("location") or {}
    subs = rec.get("subdivisions") or []
    region = ""
    if subs and isinstance(subs[0], dict):
        names = subs[0].get("names") or {}
        region = str(names.get(lang) or names.get("en") or "")
    return {
        "City": _name(rec, "city", lang),
        "Country": _name(rec, "country", lang),
        "Region": region,
        "lat": loc.get("latitude", ""),
        "lon": loc.get("longitude", ""),
        "Continent": _name(rec, "continent", lang),
        "MetroCode": loc.get("metro_code", ""),
        "Timezone": loc.get("time_zone", ""),
    }


_BASIC = ("City", "Country", "Region", "lat", "lon")


@register("iplocation")
@dataclass(frozen=True)
class IplocationCommand(Command):
    name = "iplocation"
    options: tuple[tuple[str, str], ...] = ()
    field: str = ""

    @classmethod
    def parse(cls, p: Parser, name: Token) -> IplocationCommand:
        opts = p.parse_options()
        field = p.field_name("an IP address field")
        opts.update(p.parse_options())
        p.end_of_command("iplocation")
        return cls(tuple(opts.items()), field, pos=name.pos)

    def args_spl(self) -> str:
        parts = [f"{k}={search_word(v)}" for k, v in self.options]
        parts.append(search_word(self.field))
        return " ".join(parts)

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        path = os.environ.get(GEOIP_ENV)
        if not path:
            raise SplError(
                f"iplocation: unsupported: no GeoIP database (set {GEOIP_ENV} to a MaxMind "
                ".mmdb file)",
                self.pos,
                ctx.text,
            )
        try:
            reader = _reader(path)
        except (OSError, ValueError) as exc:
            raise SplError(
                f"iplocation: cannot read GeoIP database {path}: {exc}", self.pos, ctx.text
            ) from None
        opts = {k.lower(): v for k, v in self.options}
        prefix = opts.get("prefix", "")
        lang = opts.get("lang", "en")
        allfields = opts.get("allfields", "f").lower() in ("t", "true", "1")
        keys = tuple(locate({})) if allfields else _BASIC
        for e in events:
            vals = as_list(e.get(self.field))
            if vals:
                try:
                    record = reader.get(to_str(vals[0]).strip())
                except ValueError:  # not an IP address
                    record = None
                fields = locate(record, lang)
                for k in keys:
                    e[prefix + k] = fields[k]
            yield e
