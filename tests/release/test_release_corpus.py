"""`release check` against a previous release built by Splunk's contentctl: the same content
built by contentkit compares equal, object by object (the digest leaves out what the two tools
derive differently), so switching tools does not demand a version bump of everything."""

from __future__ import annotations

import pytest

from contentkit.release.check import check
from contentkit.release.snapshot import from_app_files, from_repository
from contentkit.render.appdiff import load_app
from tests.conftest import CORPUS_5, REFERENCE, need

pytestmark = pytest.mark.corpus


def test_contentctl_build_of_the_same_content_compares_equal() -> None:
    need(CORPUS_5)
    need(REFERENCE)
    previous = from_app_files(load_app(REFERENCE))
    current = from_repository(CORPUS_5)
    kinds = ("detection", "story", "macro")
    compared = [k for k in previous.entries if k in current.entries and k.split(":")[0] in kinds]
    assert len(compared) > 1870 + 100
    changed = [k for k in compared if previous.entries[k].digest != current.entries[k].digest]
    assert changed == []
    # the reference folder holds no lookup CSVs, so only lookups and the (equal) app version
    # are reported
    kinds_reported = {v.kind for v in check(previous, current)}
    assert kinds_reported <= {"app", "lookup"}
