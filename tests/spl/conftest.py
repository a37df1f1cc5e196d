"""Shared fixtures of the SPL engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit import spl

DATA = Path(__file__).parent / "data"

SEED_SEARCH = (
    '`kube_audit` "objectRef.resource"=daemonsets verb=create | fillnull '
    "| stats count values(user.groups{}) as user_groups by kind objectRef.name "
    "objectRef.namespace objectRef.resource requestObject.kind responseStatus.code sourceIPs{} "
    "stage user.username userAgent verb "
    "| rename sourceIPs{} as src_ip, user.username as user "
    "| `kubernetes_daemonset_deployed_filter`"
)


@pytest.fixture
def seed_macros() -> dict[str, spl.MacroDef]:
    return {
        "kube_audit": spl.MacroDef("kube_audit", 'source="kubernetes"'),
        "kubernetes_daemonset_deployed_filter": spl.MacroDef(
            "kubernetes_daemonset_deployed_filter", "search *"
        ),
    }


def raw_events(*raws: str, **fields: object) -> list[dict[str, object]]:
    """Events from raw JSON/text lines with search-time extraction."""
    return list(
        spl.read_events(
            list(raws),
            sourcetype=str(fields.get("sourcetype", "")),
            source=str(fields.get("source", "test")),
        )
    )
