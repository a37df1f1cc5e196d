"""`build --api` on security_content 5.13.0: valid JSON with every detection, story, macro and
lookup, in contentctl's dist/api shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contentkit.content.validate import validate
from contentkit.render.api import KINDS, file_name, write_api
from tests.conftest import CORPUS_5, need

pytestmark = pytest.mark.corpus

DETECTION_KEYS = {
    "name",
    "author",
    "date",
    "version",
    "id",
    "description",
    "references",
    "tags",
    "type",
    "search",
    "how_to_implement",
    "known_false_positives",
    "datamodel",
    "source",
    "nes_fields",
    "rba",
    "macros",
    "lookups",
}


def test_api_output_of_the_corpus(tmp_path: Path) -> None:
    need(CORPUS_5)
    report = validate(CORPUS_5)
    assert report.errors == []
    content = report.content
    write_api(content, tmp_path)
    docs = {k: json.loads((tmp_path / file_name(k)).read_text(encoding="utf-8")) for k in KINDS}
    detections = docs["detections"]["detections"]
    assert len(detections) == len(content.detections) > 1800
    assert {d["id"] for d in detections} == {d.id for d in content.detections}
    assert all(set(d) == DETECTION_KEYS for d in detections)
    assert len(docs["stories"]["stories"]) == len(content.stories)
    assert len(docs["baselines"]["baselines"]) == len(content.baselines)
    names = {lk["name"] for lk in docs["lookups"]["lookups"]}
    assert names == {lk.name for lk in content.lookups} | {"data_sources"}
    macros = {m["name"] for m in docs["macros"]["macros"]}
    assert {m.name for m in content.macros} <= macros
    with_macros = [d for d in detections if d["macros"]]
    assert len(with_macros) > 1800  # every search calls at least its filter macro
    warned = [d for d in detections if d["description"].startswith("**WARNING**")]
    statuses = {"experimental", "deprecated"}
    assert len(warned) == sum(d.status in statuses for d in content.detections)
    assert len(warned) == 119  # as many as contentctl's build of 5.13.0 warns about
    assert docs["version"]["version"]["name"] == f"v{content.config.version}"
