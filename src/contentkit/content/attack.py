"""MITRE ATT&CK technique names and tactics, from the pack's enrichment CSV.

The CSV is the one security_content ships as `app_template/lookups/mitre_enrichment.csv` (or the
file named by `mitre_enrichment` in `contentctl.yml`): a header `mitre_id,technique,tactics,groups`
and one row per technique, tactics separated by `|`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

# The enterprise ATT&CK tactics in kill-chain order (as the ATT&CK matrix lays them out).
TACTIC_ORDER: tuple[str, ...] = (
    "Reconnaissance",
    "Resource Development",
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Defense Evasion",
    "Credential Access",
    "Discovery",
    "Lateral Movement",
    "Collection",
    "Command and Control",
    "Exfiltration",
    "Impact",
)
_CANONICAL = {t.lower(): t for t in TACTIC_ORDER}
REQUIRED_COLUMNS = ("mitre_id", "technique", "tactics")


class AttackError(Exception):
    """The enrichment file cannot be read (one line, names the file)."""


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]


def tactic_name(raw: str) -> str:
    """A tactic in its usual spelling: the CSV says `Command And Control`."""
    text = " ".join(raw.split())
    return _CANONICAL.get(text.lower(), text)


def load_attack(path: Path) -> dict[str, Technique]:
    """Technique id -> Technique, from the enrichment CSV at `path`."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise AttackError(
                    f"{path}: not an ATT&CK enrichment CSV (missing column(s) {', '.join(missing)})"
                )
            out: dict[str, Technique] = {}
            for row in reader:
                tid = (row.get("mitre_id") or "").strip()
                if not tid:
                    continue
                tactics = tuple(
                    tactic_name(t) for t in (row.get("tactics") or "").split("|") if t.strip()
                )
                out[tid] = Technique(tid, (row.get("technique") or "").strip(), tactics)
            return out
    except OSError as exc:
        raise AttackError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise AttackError(f"{path}: not a readable CSV file: {exc}") from None


def technique(techniques: dict[str, Technique], tid: str) -> Technique | None:
    """The technique `tid`; a sub-technique missing from the table falls back to its parent
    (T1560.001 -> T1560) for the name and tactics."""
    found = techniques.get(tid)
    if found is None and "." in tid:
        parent = techniques.get(tid.split(".", 1)[0])
        if parent is not None:
            return Technique(tid, parent.name, parent.tactics)
    return found
