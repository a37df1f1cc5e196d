"""What the server and replay tests share: the seed detection's dataset and search."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DATASET = REPO / "datasets" / "kubernetes" / "kubernetes_audit_daemonset_created.json"
NEGATIVE = REPO / "datasets" / "kubernetes" / "kubernetes_audit_no_daemonset.json"
# the seed detection's search with its macros expanded (`kube_audit` -> source="kubernetes",
# the filter macro -> search *)
DETECTION = (
    'source="kubernetes" "objectRef.resource"=daemonsets verb=create | fillnull '
    "| stats count values(user.groups{}) as user_groups by kind objectRef.name "
    "objectRef.namespace objectRef.resource requestObject.kind responseStatus.code sourceIPs{} "
    "stage user.username userAgent verb "
    "| rename sourceIPs{} as src_ip, user.username as user | search *"
)


def normalize(rows: list[dict[str, Any]]) -> list[str]:
    """Rows as Splunk's REST API shows them (strings, lists for multivalue), sorted, as JSON."""

    def show(value: Any) -> Any:
        if isinstance(value, list | tuple):
            items = [show(v) for v in value]
            return items[0] if len(items) == 1 else items
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return sorted(
        json.dumps({k: show(v) for k, v in row.items() if v is not None}, sort_keys=True)
        for row in rows
    )
