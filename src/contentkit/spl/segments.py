"""Splunk's segmentation of raw text, as bare search terms see it.

Splunk indexes ``_raw`` as *segments*: the text is split at **major breakers** (spaces and
``[ ] < > ( ) { } | ! ; , ' " * & ? +`` ...) and each piece again at **minor breakers**
(``/ : = @ . - $ # % \\ _``); both the pieces and the major segments are searchable (Search
Reference, "search" command, and ``segmenters.conf``'s defaults). A bare term therefore matches
only where it lines up with segment boundaries: ``root`` matches ``user root logged`` and
``uid=root`` but neither ``chroot`` nor ``rootkit``; ``pass*`` matches ``password`` but not
``bypassed``; a quoted phrase matches the sequence of its segments.

``TERM(x)`` matches ``x`` only where major breakers bound it on both sides (minor breakers inside
it are part of the term), and ``CASE(x)`` matches like a bare term but case-sensitively.

This module compiles a term into a predicate over one string. Matching is a superset-preserving
refinement of a plain substring test, so a raw-text prefilter that requires the term's literal
fragments (see :mod:`contentkit.spl.matching`) never drops an event the term would match.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: segmenters.conf default MAJOR breakers (the single characters; the URL-encoded forms such as
#: ``%20`` start with the minor breaker ``%`` and need no special case for boundary checks)
MAJOR_BREAKERS = " \t\n\r\x0b\x0c[]<>(){}|!;,'\"*&?+"
#: segmenters.conf default MINOR breakers
MINOR_BREAKERS = "/:=@.-$#%\\_"
BREAKERS = MAJOR_BREAKERS + MINOR_BREAKERS

_ANY = re.escape(BREAKERS)
_MAJOR = re.escape(MAJOR_BREAKERS)

StrPredicate = Callable[[str], bool]


def term_regex(value: str, *, major_only: bool = False) -> str:
    """The regular expression of a search term or phrase (``*`` wildcards), anchored to the
    segment boundaries around it: before its first and after its last character unless that
    character is itself a breaker (or a wildcard)."""
    bounds = MAJOR_BREAKERS if major_only else BREAKERS
    cls = _MAJOR if major_only else _ANY
    parts = value.split("*")
    body = f"[^{_MAJOR}]*".join(re.escape(p) for p in parts)
    left = "" if value[:1] in ("*", "") or value[0] in bounds else f"(?<![^{cls}])"
    right = "" if value[-1:] in ("*", "") or value[-1] in bounds else f"(?![^{cls}])"
    return left + body + right


def compile_term(
    value: str, *, major_only: bool = False, case_sensitive: bool = False
) -> StrPredicate:
    """A predicate telling whether a text contains ``value`` as a search term (see module doc)."""
    if value.strip("*") == "":
        return lambda text: True
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    rx = re.compile(term_regex(value, major_only=major_only), flags)
    if "*" in value:
        search = rx.search
        return lambda text: search(text) is not None
    # plain literal: a substring test first (fast, and most texts fail it), then the boundaries
    needle = value if case_sensitive else value.lower()
    search = rx.search
    if case_sensitive:
        return lambda text: needle in text and search(text) is not None

    def literal(text: str) -> bool:
        if needle not in text and needle not in text.lower():
            return False
        return search(text) is not None

    return literal


def segments(text: str) -> list[str]:
    """The searchable segments of ``text``: major segments and their minor pieces, lower-cased
    (for explanations and tests)."""
    out: list[str] = []
    for major in re.split(f"[{_MAJOR}]+", text.lower()):
        if not major:
            continue
        out.append(major)
        minors = [m for m in re.split(f"[{re.escape(MINOR_BREAKERS)}]+", major) if m]
        if len(minors) > 1 or (minors and minors[0] != major):
            out.extend(minors)
    return out
