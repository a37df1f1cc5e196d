"""Content-derived text in the Markdown pages is shown as written: no HTML, no links, images
or emphasis that the content did not mean as text."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .common import contentkit

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
EVIL = "Click [here](javascript:alert(1)) <img src=x onerror=alert(1)> ![i](http://x/i.png) **b** `c` ~~s~~"


def test_markdown_pages_escape_content(pack: Path, tmp_path: Path) -> None:
    path = pack / DET
    doc = yaml.safe_load(path.read_text())
    doc["description"] = EVIL
    doc["how_to_implement"] = EVIL
    doc["known_false_positives"] = EVIL
    doc["author"] = "<b>Mallory</b> [me](http://evil.example)"
    doc["references"] = [
        "https://example.com/a) [x](javascript:alert(1)",
        "https://example.com/<script>",
    ]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "site"
    result = contentkit("docs", str(pack), "-q", "--output", str(out), cwd=pack)
    assert result.returncode == 0, result.stderr
    pages = list((out / "markdown").rglob("*.md"))
    page = next(p for p in pages if "kubernetes_daemonset_deployed" in p.name).read_text()
    assert "<img" not in page and "<b>" not in page and "<script" not in page
    assert not re.search(r"(?<!\\)\]\(javascript:", page)  # only escaped brackets
    assert not re.search(r"(?<!\\)!\[i(?<!\\)\]\(", page) and "**b**" not in page
    assert "\\[here\\]" in page  # shown as written
    assert "<https://example.com/a%29%20%5Bx%5D%28javascript:alert%281%29>" in page
    html = next(p for p in out.rglob("*.html") if "kubernetes_daemonset_deployed" in p.name)
    assert "<img src=x" not in html.read_text()
