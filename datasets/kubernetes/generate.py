#!/usr/bin/env python3
"""Regenerate the Kubernetes audit datasets of this content pack (deterministic).

    python datasets/kubernetes/generate.py

Writes two logs of audit.k8s.io/v1 Event objects, one JSON object per line, as the API server's
log backend writes them (policy omitting the RequestReceived stage):

- kubernetes_audit_daemonset_created.json: ordinary cluster traffic (controllers, kubelets,
  a CI deployer, an operator reading pods) and one DaemonSet created by a human user.
- kubernetes_audit_no_daemonset.json: the same kind of traffic with no DaemonSet creation
  (DaemonSets are only listed and read), for the detection's negative test.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)

ACTORS = [
    # username, groups, source IP, user agent
    (
        "system:serviceaccount:kube-system:daemon-set-controller",
        ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
        "10.0.0.10",
        "kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/system:serviceaccount:kube-system:daemon-set-controller",
    ),
    (
        "system:node:ip-10-0-1-23.ec2.internal",
        ["system:nodes", "system:authenticated"],
        "10.0.1.23",
        "kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8",
    ),
    (
        "system:node:ip-10-0-2-41.ec2.internal",
        ["system:nodes", "system:authenticated"],
        "10.0.2.41",
        "kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8",
    ),
    (
        "system:serviceaccount:ci:deployer",
        ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
        "10.0.3.7",
        "helm/v3.14.4 (linux/amd64)",
    ),
    (
        "alice@example.com",
        ["sre", "system:authenticated"],
        "198.51.100.24",
        "kubectl/v1.29.2 (darwin/arm64) kubernetes/4b8e819",
    ),
]
ATTACKER = (
    "mallory@example.com",
    ["developers", "system:authenticated"],
    "203.0.113.77",
    "kubectl/v1.28.3 (linux/amd64) kubernetes/a8a1abc",
)

READS = [
    ("get", "pods", "", "v1", "payments"),
    ("list", "pods", "", "v1", "payments"),
    ("watch", "configmaps", "", "v1", "kube-system"),
    ("get", "deployments", "apps", "v1", "payments"),
    ("list", "services", "", "v1", "default"),
    ("get", "leases", "coordination.k8s.io", "v1", "kube-node-lease"),
    ("list", "daemonsets", "apps", "v1", "kube-system"),
    ("get", "daemonsets", "apps", "v1", "kube-system"),
    ("update", "leases", "coordination.k8s.io", "v1", "kube-node-lease"),
    ("patch", "deployments", "apps", "v1", "payments"),
    ("create", "configmaps", "", "v1", "payments"),
]


def _uri(verb: str, resource: str, group: str, version: str, namespace: str, name: str) -> str:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    path = f"{base}/namespaces/{namespace}/{resource}"
    if verb in {"get", "update", "patch", "delete"} and name:
        path += f"/{name}"
    if verb == "watch":
        path += "?watch=true"
    return path


def _event(
    when: datetime,
    actor: tuple,
    verb: str,
    resource: str,
    group: str,
    version: str,
    namespace: str,
    name: str,
    code: int = 200,
    request_object: dict | None = None,
) -> dict:
    username, groups, ip, agent = actor
    ref = {"resource": resource, "namespace": namespace, "apiVersion": version}
    if group:
        ref["apiGroup"] = group
    if name:
        ref["name"] = name
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse" if request_object else "Metadata",
        "auditID": str(uuid.UUID(int=random.getrandbits(128), version=4)),
        "stage": "ResponseComplete",
        "requestURI": _uri(verb, resource, group, version, namespace, name),
        "verb": verb,
        "user": {"username": username, "groups": groups},
        "sourceIPs": [ip],
        "userAgent": agent,
        "objectRef": ref,
        "responseStatus": {"metadata": {}, "code": code}
        if code < 400
        else {
            "metadata": {},
            "status": "Failure",
            "reason": "Forbidden",
            "code": code,
            "message": f'{resource}.{group or "core"} is forbidden: User "{username}" cannot {verb} resource "{resource}" in the namespace "{namespace}"',
        },
        "requestReceivedTimestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "stageTimestamp": (when + timedelta(milliseconds=12)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "annotations": {
            "authorization.k8s.io/decision": "allow" if code < 400 else "forbid",
            "authorization.k8s.io/reason": "",
        },
    }
    if request_object is not None:
        event["requestObject"] = request_object
    return event


def _daemonset(name: str, namespace: str) -> dict:
    return {
        "kind": "DaemonSet",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "hostNetwork": True,
                    "hostPID": True,
                    "containers": [
                        {
                            "name": name,
                            "image": "docker.io/library/alpine:3.19",
                            "command": ["/bin/sh", "-c", "while true; do sleep 3600; done"],
                            "securityContext": {"privileged": True},
                            "volumeMounts": [{"name": "host", "mountPath": "/host"}],
                        }
                    ],
                    "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
                },
            },
        },
    }


def _traffic(count: int, start: datetime) -> list[dict]:
    events = []
    when = start
    for i in range(count):
        when += timedelta(seconds=random.randint(1, 9), milliseconds=random.randint(0, 999))
        actor = ACTORS[i % len(ACTORS)]
        verb, resource, group, version, namespace = random.choice(READS)
        name = {
            "pods": "checkout-7d9f8c6b5-x2kqp",
            "deployments": "checkout",
            "leases": actor[0].split(":")[-1][:40],
            "daemonsets": "kube-proxy",
            "configmaps": "checkout-config",
            "services": "",
        }.get(resource, "")
        if verb == "list":
            name = ""
        events.append(_event(when, actor, verb, resource, group, version, namespace, name))
    return events


def main() -> None:
    random.seed(20261102)
    positive = _traffic(60, START)
    at = datetime.fromisoformat(
        positive[41]["requestReceivedTimestamp"].replace("Z", "+00:00")
    ) + timedelta(milliseconds=400)
    positive.insert(
        42,
        _event(
            at,
            ATTACKER,
            "create",
            "daemonsets",
            "apps",
            "v1",
            "kube-system",
            "node-agent",
            code=201,
            request_object=_daemonset("node-agent", "kube-system"),
        ),
    )
    # a denied attempt by the same user before it, as often seen when probing permissions
    positive.insert(
        40,
        _event(
            at - timedelta(seconds=30),
            ATTACKER,
            "create",
            "daemonsets",
            "apps",
            "v1",
            "default",
            "node-agent",
            code=403,
            request_object=_daemonset("node-agent", "default"),
        ),
    )
    random.seed(20261103)
    negative = _traffic(60, START + timedelta(days=1))
    for name, events in (
        ("kubernetes_audit_daemonset_created.json", positive),
        ("kubernetes_audit_no_daemonset.json", negative),
    ):
        text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"wrote {name}: {len(events)} events")


if __name__ == "__main__":
    main()
