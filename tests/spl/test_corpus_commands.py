"""Every command of security_content 5.13.0's searches runs in the engine, except those that need
a runtime the engine does not have (listed, with the reason, in the README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit import spl

from .test_corpus import CORPUS, _load, _macros

pytestmark = pytest.mark.corpus

#: command -> why the embedded engine does not run it
NOT_RUN = {
    "tstats": "data models (issue 10)",
    "datamodel": "data models (issue 10)",
    "from": "data models (issue 10)",
    "apply": "MLTK",
    "fit": "MLTK",
    "cyberchef": "an app's custom command",
    "dnstwist": "an app's custom command",
}


def test_only_commands_needing_other_runtimes_are_unsupported() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    macros = _macros(CORPUS)
    seen: dict[str, str] = {}
    files = sorted((CORPUS / "detections").rglob("*.yml")) + sorted(
        (CORPUS / "baselines").rglob("*.yml")
    )
    for path in files:
        search = _load(path).get("search")
        if not search:
            continue
        for call in spl.macro_calls(search):
            if call.name.endswith("_filter") and call.key not in macros:
                macros[call.key] = spl.MacroDef(call.name, "search *")
        pipeline = spl.parse(spl.expand(search, macros), strict=True)
        for name, _ in spl.unsupported_commands(pipeline):
            seen.setdefault(name.lower(), str(Path(path).relative_to(CORPUS)))
    unexpected = {k: v for k, v in seen.items() if k not in NOT_RUN}
    assert unexpected == {}
