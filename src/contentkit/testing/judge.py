"""Pass/fail rules for a detection's results, stricter than Splunk's own test tool.

Unit: at least one real hit (a row whose `count` is 0 is not a hit), every risk-object field
non-null in every hit, every threat-object field non-null in at least one hit, and the test's own
expectations (result count bounds, field values). A negative test passes only with no hit.

Integration: the risk events Enterprise Security would write for the hits (risk object, type,
score, threat objects, the risk message with every `$field$` filled) and the notable for
detections whose deployment creates one; a token left unfilled or a field missing fails.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contentkit.content.model import Detection, DetectionTest

Row = dict[str, Any]
_TOKEN = re.compile(r"\$([^$\s]+)\$")
# tokens ES fills itself, not from the result
_ES_TOKENS = {"info_min_time", "info_max_time", "name", "search_name"}


def present(value: Any) -> bool:
    """Non-null as ES sees it: not missing, not empty, not an empty multivalue."""
    if value is None:
        return False
    if isinstance(value, (list, tuple)):
        return any(present(v) for v in value)
    return str(value) != ""


def values_of(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if present(v)]
    return [str(value)] if present(value) else []


def is_hit(row: Row) -> bool:
    """A result row that is a detection, not the lone `count=0` row of `| stats count`."""
    count = row.get("count")
    if count is None or isinstance(count, (list, tuple)):
        return True
    try:
        return float(count) != 0
    except (TypeError, ValueError):
        return True


@dataclass
class Verdict:
    status: str  # pass | fail
    message: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def _sample(rows: Sequence[Row], fields: Sequence[str] = (), limit: int = 3) -> str:
    shown = []
    for row in rows[:limit]:
        keys = [f for f in fields if f in row] or [k for k in row if not k.startswith("_")][:6]
        shown.append("{" + ", ".join(f"{k}={row.get(k)!r}" for k in keys) + "}")
    more = f" … {len(rows) - limit} more" if len(rows) > limit else ""
    return "; ".join(shown) + more


def judge_unit(det: Detection, test: DetectionTest, rows: Sequence[Row]) -> Verdict:
    hits = [r for r in rows if is_hit(r)]
    if test.negative:
        if hits:
            return Verdict("fail", f"negative test returned {len(hits)} result(s): {_sample(hits)}")
        return Verdict(
            "pass",
            f"no result, as expected ({len(rows)} row(s) with count=0)"
            if rows
            else "no result, as expected",
        )
    if not hits:
        why = "only a count=0 row" if rows else "no result"
        return Verdict("fail", f"the search found nothing on the test data ({why})")
    problems: list[str] = []
    if det.rba is not None:
        for risk in det.rba.risk_objects:
            missing = [i for i, row in enumerate(hits) if not present(row.get(risk.field))]
            if missing:
                problems.append(
                    f"risk object field '{risk.field}' is empty in {len(missing)} of {len(hits)} "
                    f"result(s) (e.g. result {missing[0] + 1})"
                )
        for threat in det.rba.threat_objects:
            if not any(present(row.get(threat.field)) for row in hits):
                problems.append(f"threat object field '{threat.field}' is empty in every result")
    expect = test.expect
    if expect.min_results is not None and len(hits) < expect.min_results:
        problems.append(f"expected at least {expect.min_results} result(s), got {len(hits)}")
    if expect.max_results is not None and len(hits) > expect.max_results:
        problems.append(f"expected at most {expect.max_results} result(s), got {len(hits)}")
    for name, wanted in expect.fields.items():
        wanted_values = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
        seen = [values_of(row.get(name)) for row in hits]
        for value in wanted_values:
            if not any(value in values for values in seen):
                got = sorted({v for values in seen for v in values})[:5]
                problems.append(f"no result has {name}={value!r} (values seen: {got})")
    if problems:
        fields = [r.field for r in det.rba.risk_objects] if det.rba else []
        return Verdict("fail", "; ".join(problems), [f"sample: {_sample(hits, fields)}"])
    return Verdict("pass", f"{len(hits)} result(s)")


def fill_tokens(template: str, row: Row) -> tuple[str, list[str]]:
    """Replace `$field$` tokens with the row's values (multivalues joined with ','); return the
    text and the tokens that had no value."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _ES_TOKENS:
            return match.group(0)
        values = values_of(row.get(name))
        if not values:
            missing.append(name)
            return match.group(0)
        return ",".join(values)

    return _TOKEN.sub(replace, template), missing


@dataclass
class RiskEvent:
    risk_object: str
    risk_object_type: str
    risk_score: int
    risk_message: str
    threat_objects: list[dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "risk_object": self.risk_object,
            "risk_object_type": self.risk_object_type,
            "risk_score": self.risk_score,
            "risk_message": self.risk_message,
            "threat_objects": self.threat_objects,
        }


def risk_events(det: Detection, hits: Sequence[Row]) -> tuple[list[RiskEvent], list[str]]:
    """The risk events ES would write for these hits, and what is wrong with them."""
    events: list[RiskEvent] = []
    problems: list[str] = []
    if det.rba is None:
        return events, problems
    for index, row in enumerate(hits, 1):
        message, missing = fill_tokens(det.rba.message, row)
        for token in missing:
            problems.append(f"result {index}: risk message token ${token}$ has no value")
        threats = [
            {"threat_object": value, "threat_object_type": t.type}
            for t in det.rba.threat_objects
            for value in values_of(row.get(t.field))
        ]
        for risk in det.rba.risk_objects:
            values = values_of(row.get(risk.field))
            if not values:
                problems.append(f"result {index}: risk object field '{risk.field}' is missing")
            for value in values:  # ES writes one risk event per value of a multivalue field
                events.append(RiskEvent(value, risk.type, risk.score, message, threats))
    return events, problems


def notables(
    title: str, description: str, hits: Sequence[Row]
) -> tuple[list[dict[str, str]], list[str]]:
    out: list[dict[str, str]] = []
    problems: list[str] = []
    for index, row in enumerate(hits, 1):
        filled_title, missing_title = fill_tokens(title, row)
        filled_description, missing_description = fill_tokens(description, row)
        for token in missing_title + missing_description:
            problems.append(f"result {index}: notable token ${token}$ has no value")
        out.append({"rule_title": filled_title, "rule_description": filled_description})
    return out, problems
