"""PCRE syntax Splunk users write in rex/regex/match/replace, translated for Python's re."""

from __future__ import annotations

from contentkit import spl


def test_hex_code_points_in_braces() -> None:
    # security_content's "Detect RTLO In File Name" uses \x{202E} (RIGHT-TO-LEFT OVERRIDE)
    rows = spl.run(
        'search * | rex field=name "(?<before>.+)(?<rtlo>\\x{202E})(?<after>.+)" '
        "| table before after",
        [{"_raw": "x", "name": "invoice\u202efdp.exe"}, {"_raw": "y", "name": "plain.exe"}],
    )
    assert rows == [{"before": "invoice", "after": "fdp.exe"}, {}]
