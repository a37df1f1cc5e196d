"""Parity with the reference: what Splunk's contentctl 5.6.2 built from security_content 5.13.0.

Every stanza of the reference's savedsearches.conf, macros.conf, analyticstories.conf and
transforms.conf must exist in our build, with equal values on the keys Splunk and Enterprise
Security act on. JSON values are compared parsed; in multi-line values, blanks at the end of each
line are ignored (contentctl writes a blank before every continuation backslash, which SPL and
the texts do not need).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from contentkit.conf.conffile import read_conf_file
from contentkit.content.validate import validate
from contentkit.render.build import build
from tests.conftest import CORPUS_5, REFERENCE, need

pytestmark = pytest.mark.corpus

ACTED_ON = re.compile(
    r"(search|cron_schedule|dispatch\..+|schedule_window|enableSched|disabled|action\.risk.*"
    r"|action\.notable.*|action\.correlationsearch\..+|alert\.suppress.*|definition|args"
    r"|match_type|min_matches|max_matches|external_type|collection|fields_list)"
)
FILES = ("savedsearches.conf", "macros.conf", "analyticstories.conf", "transforms.conf")


def _normal(value: str) -> Any:
    text = value.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return "\n".join(line.rstrip() for line in value.split("\n"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need(CORPUS_5)
    need(REFERENCE)
    report = validate(CORPUS_5)
    assert report.errors == []
    out = tmp_path_factory.mktemp("corpus-build")
    build(report.content, out)
    return out / "DA-ESS-ContentUpdate" / "default"


def compare_with_reference(app_default: Path, name: str) -> tuple[list[str], list[str], int]:
    """(stanzas of the reference's ``name`` missing from ours, settings ES acts on whose values
    differ, settings compared) between the reference build and ``app_default/name``."""
    reference = read_conf_file(REFERENCE / "default" / name, strict=False)
    assert len(reference) > 0
    ours = read_conf_file(app_default / name, strict=True)
    missing: list[str] = []
    different: list[str] = []
    compared = 0
    for stanza in reference:
        mine = ours.get(stanza.name)
        if mine is None:
            missing.append(stanza.name)
            continue
        for key, value in stanza.values.items():
            if not ACTED_ON.fullmatch(key):
                continue
            compared += 1
            if key not in mine.values:
                different.append(f"[{stanza.name}] {key}: missing")
            elif _normal(value) != _normal(mine.values[key]):
                different.append(
                    f"[{stanza.name}] {key}: {value[:120]!r} != {mine.values[key][:120]!r}"
                )
    return missing, different, compared


@pytest.mark.parametrize("name", FILES)
def test_reference_stanzas_and_values(built: Path, name: str) -> None:
    missing, different, compared = compare_with_reference(built, name)
    assert not missing, f"{len(missing)} stanzas missing, e.g. {missing[:5]}"
    assert not different, f"{len(different)} differences, e.g.\n" + "\n".join(different[:10])
    if name in {"savedsearches.conf", "macros.conf"}:
        assert compared > 1000  # the comparison really looked at values


def test_lookup_files_match_the_reference(built: Path) -> None:
    # the reference's data source list is named after its own build date; ours after ours
    def names(listing: list[str]) -> list[str]:
        return sorted(n for n in listing if not n.startswith("data_sources_"))

    reference = [
        line.removeprefix("DA-ESS-ContentUpdate/lookups/")
        for line in (REFERENCE / "package_listing.txt").read_text().splitlines()
        if line.startswith("DA-ESS-ContentUpdate/lookups/") and not line.endswith("/")
    ]
    ours = [p.name for p in (built.parent / "lookups").iterdir()]
    assert len(reference) == 67
    assert names(ours) == names(reference)
    for name in ours:
        assert (built.parent / "lookups" / name).stat().st_size > 0, name
