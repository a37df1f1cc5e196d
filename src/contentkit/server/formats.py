"""Response bodies in the formats of splunkd's REST API: Atom feeds with `s:dict` content,
`<response><messages>` errors, search results as XML or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ATOM = "http://www.w3.org/2005/Atom"
REST = "http://dev.splunk.com/ns/rest"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
ACL = {
    "app": "search",
    "owner": "admin",
    "sharing": "global",
    "modifiable": "1",
    "perms": {"read": ["*"], "write": ["admin"]},
}
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _value_xml(value: Any) -> str:
    if isinstance(value, Mapping):
        keys = "".join(
            f"<s:key name={quoteattr(str(k))}>{_value_xml(v)}</s:key>" for k, v in value.items()
        )
        return f"<s:dict>{keys}</s:dict>"
    if isinstance(value, list | tuple):
        items = "".join(f"<s:item>{_value_xml(v)}</s:item>" for v in value)
        return f"<s:list>{items}</s:list>"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return escape(str(value))


def entry_xml(title: str, path: str, content: Mapping[str, Any], *, root: bool = False) -> str:
    """One Atom entry (`root`: as a document of its own, with the namespaces)."""
    content = {"eai:acl": ACL, **content}
    ns = f' xmlns="{ATOM}" xmlns:s="{REST}" xmlns:opensearch="{OPENSEARCH}"' if root else ""
    return (
        f"<entry{ns}><title>{escape(title)}</title><id>{escape(path)}</id>"
        f"<updated>{now_iso()}</updated>"
        f'<link href={quoteattr(path)} rel="alternate"/>'
        f"<author><name>admin</name></author>"
        f'<content type="text/xml">{_value_xml(content)}</content></entry>'
    )


def feed_xml(title: str, path: str, entries: Sequence[tuple[str, str, Mapping[str, Any]]]) -> str:
    """An Atom feed of (title, path, content) entries."""
    body = "".join(entry_xml(t, p, c) for t, p, c in entries)
    return (
        f'{XML_HEAD}<feed xmlns="{ATOM}" xmlns:s="{REST}" xmlns:opensearch="{OPENSEARCH}">'
        f"<title>{escape(title)}</title><id>{escape(path)}</id><updated>{now_iso()}</updated>"
        f"<author><name>Splunk</name></author>"
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        f"<opensearch:itemsPerPage>{max(len(entries), 30)}</opensearch:itemsPerPage>"
        f"<opensearch:startIndex>0</opensearch:startIndex>{body}</feed>"
    )


def feed_json(path: str, entries: Sequence[tuple[str, str, Mapping[str, Any]]]) -> str:
    return json.dumps(
        {
            "links": {},
            "origin": path,
            "updated": now_iso(),
            "generator": {"version": "9.3.0"},
            "entry": [
                {
                    "name": t,
                    "id": p,
                    "updated": now_iso(),
                    "links": {"alternate": p},
                    "author": "admin",
                    "acl": ACL,
                    "content": dict(c),
                }
                for t, p, c in entries
            ],
            "paging": {"total": len(entries), "perPage": 30, "offset": 0},
            "messages": [],
        }
    )


def messages_xml(kind: str, text: str) -> str:
    return (
        f"{XML_HEAD}<response><messages><msg type={quoteattr(kind)}>{escape(text)}</msg>"
        "</messages></response>"
    )


def messages_json(kind: str, text: str) -> str:
    return json.dumps({"messages": [{"type": kind, "text": text}]})


def results_json(
    rows: Sequence[Mapping[str, Any]],
    fields: Iterable[str],
    *,
    offset: int = 0,
    messages: Sequence[tuple[str, str]] = (),
) -> str:
    return json.dumps(
        {
            "preview": False,
            "init_offset": offset,
            "messages": [{"type": k, "text": t} for k, t in messages],
            "fields": [{"name": f} for f in fields],
            "results": list(rows),
            "highlighted": {},
        }
    )


def results_xml(
    rows: Sequence[Mapping[str, Any]],
    fields: Iterable[str],
    *,
    offset: int = 0,
    messages: Sequence[tuple[str, str]] = (),
) -> str:
    names = list(fields)
    parts = [XML_HEAD, "<results preview='0'>\n<meta>\n<fieldOrder>\n"]
    parts.extend(f"<field>{escape(n)}</field>\n" for n in names)
    parts.append("</fieldOrder>\n</meta>\n")
    if messages:
        parts.append("<messages>\n")
        parts.extend(f"<msg type={quoteattr(k)}>{escape(t)}</msg>\n" for k, t in messages)
        parts.append("</messages>\n")
    for i, row in enumerate(rows):
        parts.append(f"<result offset='{offset + i}'>\n")
        for key, value in row.items():
            values = value if isinstance(value, list) else [value]
            tag = "v" if key == "_raw" else "text"
            inner = "".join(f"<value><{tag}>{escape(str(v))}</{tag}></value>" for v in values)
            if key == "_raw":
                inner = f"<v xml:space='preserve' trunc='0'>{escape(str(value))}</v>"
            parts.append(f"<field k={quoteattr(key)}>{inner}</field>\n")
        parts.append("</result>\n")
    parts.append("</results>\n")
    return "".join(parts)


def results_csv(rows: Sequence[Mapping[str, Any]], fields: Iterable[str]) -> str:
    import csv
    import io

    names = list(fields)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(
            ["\n".join(v) if isinstance(v := row.get(n, ""), list) else str(v) for n in names]
        )
    return out.getvalue()
