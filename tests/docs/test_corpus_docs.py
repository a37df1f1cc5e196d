"""`contentkit docs` on security_content 5.13.0: every page is written and no internal link of
the HTML or Markdown pages is broken."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import CORPUS_5, need
from tests.docs.conftest import run_cli

pytestmark = pytest.mark.corpus

_MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
# fenced blocks and code spans (SPL is full of `](`), which hold no links
_MD_CODE = re.compile(r"^(`{3,})[^\n]*\n.*?^\1$|(`+).+?\2", re.S | re.M)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src"):
                self.links.append(value)
            elif name == "id":
                self.ids.add(value)


def _internal(link: str) -> bool:
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = need(CORPUS_5)
    out = tmp_path_factory.mktemp("corpus-docs") / "site"
    run = run_cli("docs", corpus, "--output", out, "--quiet")
    assert run.returncode == 0, run.stderr[-2000:]
    return out


def test_every_page_is_written(corpus_site: Path) -> None:
    detections = list((corpus_site / "detections").glob("*.html"))
    assert len(detections) == 1870
    assert len(list((corpus_site / "markdown/detections").glob("*.md"))) == 1870
    assert len(list((corpus_site / "stories").glob("*.html"))) == 302 + 1  # + the list
    assert len(list((corpus_site / "data_sources").glob("*.html"))) == 288 + 1
    assert len(list((corpus_site / "macros").glob("*.html"))) == 219 + 1
    index = (corpus_site / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr data-type=") == 1870
    layer = json.loads((corpus_site / "attack_navigator_layer.json").read_text())
    assert layer["domain"] == "enterprise-attack"
    assert len(layer["techniques"]) > 300


def test_no_broken_internal_html_link(corpus_site: Path) -> None:
    pages: dict[Path, _Links] = {}
    for page in corpus_site.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    assert len(pages) > 2600
    broken: list[str] = []
    checked = 0
    for page, parser in pages.items():
        for link in parser.links:
            if not _internal(link):
                continue
            parts = urlsplit(link)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.is_file():
                broken.append(f"{page.relative_to(corpus_site.resolve())}: {link}")
                continue
            if not target.is_relative_to(corpus_site.resolve()):
                broken.append(f"{page.relative_to(corpus_site.resolve())}: {link} leaves the site")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and parts.fragment not in pages[target].ids
            ):
                broken.append(f"{page.relative_to(corpus_site.resolve())}: {link} (no anchor)")
    assert checked > 20000
    assert broken == [], f"{len(broken)} broken links, first: {broken[:10]}"


def test_no_broken_internal_markdown_link(corpus_site: Path) -> None:
    broken: list[str] = []
    checked = 0
    for page in (corpus_site / "markdown").rglob("*.md"):
        text = _MD_CODE.sub("", page.read_text(encoding="utf-8"))
        for link in _MD_LINK.findall(text):
            if not _internal(link) or link.startswith("#"):
                continue
            checked += 1
            target = (page.parent / unquote(urlsplit(link).path)).resolve()
            if not target.is_file():
                broken.append(f"{page.relative_to(corpus_site)}: {link}")
    assert checked > 20000
    assert broken == [], f"{len(broken)} broken links, first: {broken[:10]}"
