"""Benchmark of the embedded SPL engine on the seed detection, side by side with DuckDB.

Generates (once, cached under bench/.work/) a Kubernetes audit log of audit.k8s.io/v1 events, one
JSON object per line (~1% DaemonSet creations), runs the "Kubernetes DaemonSet Deployed" search
through contentkit's engine and the equivalent SQL through DuckDB over the same file, and prints
events/s and wall time of both.  The number of events is recorded beside the cached file when it
is generated (``<file>.meta.json``), so neither engine counts lines in the timed runs.

    .venv/bin/python bench/bench_spl.py [--events 1000000] [--repeat 3] [--no-duckdb]
    .venv/bin/python bench/bench_spl.py --ds-rate 0.1    # a file where 10% of events match

DuckDB is a bench-only dependency (``pip install duckdb``); contentkit never imports it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contentkit import spl  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work"

SEED_SEARCH = (
    '`kube_audit` "objectRef.resource"=daemonsets verb=create | fillnull '
    "| stats count values(user.groups{}) as user_groups by kind objectRef.name "
    "objectRef.namespace objectRef.resource requestObject.kind responseStatus.code sourceIPs{} "
    "stage user.username userAgent verb "
    "| rename sourceIPs{} as src_ip, user.username as user "
    "| `kubernetes_daemonset_deployed_filter`"
)
MACROS = [
    spl.MacroDef("kube_audit", 'source="kubernetes"'),
    spl.MacroDef("kubernetes_daemonset_deployed_filter", "search *"),
]

DUCKDB_SQL = """
SELECT kind, objectRef.name AS "objectRef.name", objectRef.namespace AS "objectRef.namespace",
       objectRef.resource AS "objectRef.resource",
       coalesce(json_extract_string(requestObject, '$.kind'), '0') AS "requestObject.kind",
       coalesce(CAST(responseStatus.code AS VARCHAR), '0') AS "responseStatus.code",
       src_ip, stage, "user".username AS "user", userAgent, verb,
       count(*) AS "count", list_sort(list_distinct(flatten(list("user".groups)))) AS user_groups
FROM (
    SELECT *, unnest(sourceIPs) AS src_ip
    FROM read_json(?, format = 'newline_delimited', maximum_object_size = 16777216, columns = {
        'kind': 'VARCHAR', 'stage': 'VARCHAR', 'verb': 'VARCHAR', 'userAgent': 'VARCHAR',
        'sourceIPs': 'VARCHAR[]', 'user': 'STRUCT(username VARCHAR, groups VARCHAR[])',
        'objectRef': 'STRUCT(resource VARCHAR, namespace VARCHAR, name VARCHAR)',
        'requestObject': 'JSON', 'responseStatus': 'STRUCT(code INTEGER)'})
    WHERE lower(objectRef.resource) = 'daemonsets' AND lower(verb) = 'create'
)
GROUP BY ALL
ORDER BY ALL
"""

# --------------------------------------------------------------------------- data generation
NAMESPACES = ["default", "kube-system", "monitoring", "payments", "web", "ingress-nginx", "logging"]
CONTROLLERS = [
    (
        "system:kube-controller-manager",
        ["system:authenticated"],
        "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819/leader-election",
    ),
    (
        "system:kube-scheduler",
        ["system:authenticated"],
        "kube-scheduler/v1.29.2 (linux/amd64) kubernetes/4b8e819/leader-election",
    ),
    (
        "system:node:worker-1",
        ["system:nodes", "system:authenticated"],
        "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    ),
    (
        "system:node:worker-2",
        ["system:nodes", "system:authenticated"],
        "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    ),
    (
        "system:serviceaccount:kube-system:coredns",
        ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
        "coredns/v1.11.1 (linux/amd64) kubernetes/4b8e819",
    ),
    (
        "system:serviceaccount:monitoring:prometheus",
        ["system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"],
        "Prometheus/2.51.0",
    ),
]
HUMANS = [
    (
        "kubernetes-admin",
        ["system:masters", "system:authenticated"],
        "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    ),
    (
        "alice@example.com",
        ["developers", "system:authenticated"],
        "kubectl/v1.28.4 (darwin/arm64) kubernetes/bae2c62",
    ),
    (
        "bob@example.com",
        ["sre", "oncall", "system:authenticated"],
        "kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9",
    ),
    (
        "system:serviceaccount:ci:deployer",
        ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"],
        "argocd-application-controller/v2.10.4",
    ),
]
CORE = {
    "pods",
    "configmaps",
    "secrets",
    "nodes",
    "endpoints",
    "services",
    "events",
    "serviceaccounts",
}


def _object(kind: str, name: str, ns: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name, "tier": "agent"}},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": f"registry.example.com/{name}:1.4.2",
                            "resources": {"limits": {"cpu": "200m", "memory": "128Mi"}},
                        }
                    ],
                    "hostNetwork": False,
                    "tolerations": [{"operator": "Exists"}],
                },
            },
        },
    }


def make_event(rng: random.Random, t: datetime, ds_rate: float) -> dict[str, Any]:
    r = rng.random()
    ns = rng.choice(NAMESPACES)
    request_object = None
    stage = "ResponseComplete"
    code = 200
    if r < ds_rate:  # the interesting one: a DaemonSet creation
        user, groups, ua = rng.choice(HUMANS)
        verb, resource, name = (
            "create",
            "daemonsets",
            rng.choice(["node-agent", "log-shipper", "cryptominer", "netdiag"]),
        )
        request_object = _object("DaemonSet", name, ns)
        code = 201
        if rng.random() < 0.3:
            stage, code = "RequestReceived", None
    elif r < 0.35:
        user, groups, ua = rng.choice(CONTROLLERS[:2])
        verb, resource, name, ns = (
            "update",
            "leases",
            rng.choice(["kube-controller-manager", "kube-scheduler"]),
            "kube-system",
        )
    elif r < 0.75:
        user, groups, ua = rng.choice(CONTROLLERS)
        verb = rng.choice(["get", "list", "watch"])
        resource = rng.choice(
            [
                "pods",
                "configmaps",
                "secrets",
                "nodes",
                "endpoints",
                "services",
                "daemonsets",
                "deployments",
            ]
        )
        name = "" if verb != "get" else f"{resource[:-1]}-{rng.randrange(1000):03d}"
    elif r < 0.85:
        user, groups, ua = rng.choice(CONTROLLERS[2:4])
        verb, resource, name = (
            "create",
            "events",
            f"pod-{rng.randrange(10**6):06x}.17c3a{rng.randrange(10**4):04d}",
        )
        code = 201
    elif r < 0.93:
        user, groups, ua = rng.choice(CONTROLLERS[2:4])
        verb, resource, name, ns = "patch", "nodes", rng.choice(["worker-1", "worker-2"]), ""
    else:
        user, groups, ua = rng.choice(HUMANS)
        verb = rng.choice(["create", "update", "delete", "patch"])
        resource = rng.choice(["deployments", "replicasets", "pods", "configmaps", "services"])
        name = f"{rng.choice(['web', 'api', 'worker', 'cache'])}-{rng.randrange(100)}"
        if verb == "create":
            code = 201
            request_object = _object(
                {"deployments": "Deployment", "replicasets": "ReplicaSet"}.get(resource, "Pod"),
                name,
                ns,
            )
    group = "" if resource in CORE else ("coordination.k8s.io" if resource == "leases" else "apps")
    prefix = "/api/v1" if not group else f"/apis/{group}/v1"
    uri = f"{prefix}/namespaces/{ns}/{resource}" if ns else f"{prefix}/{resource}"
    if name and verb not in ("create", "list", "watch"):
        uri += f"/{name}"
    ips = [f"10.0.{rng.randrange(4)}.{rng.randrange(1, 250)}"]
    if rng.random() < 0.1:
        ips.append("192.168.49.1")
    ts = t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ev: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse" if request_object else "Metadata",
        "auditID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "stage": stage,
        "requestURI": uri,
        "verb": verb,
        "user": {"username": user, "groups": groups},
        "sourceIPs": ips,
        "userAgent": ua,
        "objectRef": {
            k: v
            for k, v in (
                ("resource", resource),
                ("namespace", ns),
                ("name", name),
                ("apiGroup", group),
            )
            if v
        },
    }
    if code is not None:
        ev["responseStatus"] = {"metadata": {}, "code": code}
    if request_object is not None:
        ev["requestObject"] = request_object
    ev["requestReceivedTimestamp"] = ts
    ev["stageTimestamp"] = (t + timedelta(milliseconds=rng.randrange(1, 40))).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    ev["annotations"] = {"authorization.k8s.io/decision": "allow"}
    if not user.startswith("system:"):
        ev["annotations"]["authorization.k8s.io/reason"] = (
            f'RBAC: allowed by ClusterRoleBinding "{user}"'
        )
    return ev


def generate(path: Path, n: int, ds_rate: float, seed: int = 7) -> None:
    rng = random.Random(seed)
    t = datetime(2024, 5, 14, 9, 0, 0, tzinfo=UTC)
    tmp = path.with_suffix(".tmp")
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(tmp, "w", encoding="utf-8") as fh:
        batch: list[str] = []
        for i in range(n):
            t += timedelta(microseconds=rng.randrange(500, 5000))
            batch.append(dumps(make_event(rng, t, ds_rate)))
            if len(batch) == 10000:
                fh.write("\n".join(batch) + "\n")
                batch.clear()
                if (i + 1) % 200000 == 0:
                    print(f"  generated {i + 1:,} events", file=sys.stderr)
        if batch:
            fh.write("\n".join(batch) + "\n")
    tmp.replace(path)
    _sidecar(path).write_text(json.dumps({"events": n, "bytes": path.stat().st_size}))


def _sidecar(path: Path) -> Path:
    """The JSON file beside a generated dataset recording how many events it holds."""
    return path.with_name(path.name + ".meta.json")


def known_events(path: Path) -> int | None:
    """The number of events of a generated dataset (None when unknown or stale)."""
    try:
        meta = json.loads(_sidecar(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("bytes") != path.stat().st_size:
        return None
    events = meta.get("events")
    return events if isinstance(events, int) else None


def count_lines(path: Path) -> int:
    """The number of events (lines) of a dataset, counted outside the timed runs."""
    n = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


# --------------------------------------------------------------------------- runs
def run_contentkit(path: Path) -> tuple[float, list[dict[str, Any]], spl.ScanStats]:
    # the number of events is known from generation: the engine need not count lines
    stats = spl.ScanStats(count_events=False)
    start = time.perf_counter()
    rows = spl.run(
        SEED_SEARCH, datasets=[spl.Dataset(path, "_json", "kubernetes")], macros=MACROS, stats=stats
    )
    return time.perf_counter() - start, rows, stats


def run_duckdb(path: Path) -> tuple[float, list[tuple[Any, ...]]] | None:
    try:
        import duckdb
    except ImportError:
        return None
    con = duckdb.connect()
    start = time.perf_counter()
    rows = con.execute(DUCKDB_SQL, [str(path)]).fetchall()
    return time.perf_counter() - start, rows


def _normalise_ck(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for r in rows:
        groups = r.get("user_groups")
        groups = groups if isinstance(groups, list) else [groups]
        out.append(
            (
                r["objectRef.name"],
                r["objectRef.namespace"],
                r["src_ip"],
                r["stage"],
                r["user"],
                r["responseStatus.code"],
                int(r["count"]),
                tuple(sorted(groups)),
            )
        )
    return sorted(out)


def _normalise_duck(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(
        (r[1], r[2], r[6], r[7], r[8], r[5], int(r[11]), tuple(sorted(r[12]))) for r in rows
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--ds-rate", type=float, default=0.01, help="fraction of DaemonSet creations")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--no-duckdb", action="store_true")
    args = ap.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    rate = "" if args.ds_rate == 0.01 else f"_{args.ds_rate:g}"
    path = WORK / f"k8s_audit_{args.events}{rate}.json"
    if args.regenerate or not path.exists():
        print(f"generating {args.events:,} audit events into {path} ...", file=sys.stderr)
        t0 = time.perf_counter()
        generate(path, args.events, args.ds_rate)
        print(f"  done in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    events = known_events(path)
    if events is None:  # a file cached before the sidecar existed: count its lines once
        events = count_lines(path)
        _sidecar(path).write_text(json.dumps({"events": events, "bytes": path.stat().st_size}))
    size_mb = path.stat().st_size / 1e6

    # the engines take turns, so that a change of load on the machine affects both alike
    ck_times = []
    rows: list[dict[str, Any]] = []
    stats = spl.ScanStats()
    duck_times = []
    duck_rows: list[tuple[Any, ...]] = []
    result = None
    for _ in range(args.repeat):
        elapsed, rows, stats = run_contentkit(path)
        ck_times.append(elapsed)
        if not args.no_duckdb:
            result = run_duckdb(path)
            if result is not None:
                duck_times.append(result[0])
                duck_rows = result[1]
    ck = min(ck_times)

    print(f"dataset: {path.name}  {events:,} events  {size_mb:,.0f} MB")
    print(f"search : {spl.expand(SEED_SEARCH, MACROS)[:110]}...")
    print()
    print(f"{'engine':<22}{'best s':>10}{'events/s':>16}{'MB/s':>10}{'rows':>8}")
    print(
        f"{'contentkit (spl)':<22}{ck:>10.3f}{events / ck:>16,.0f}{size_mb / ck:>10,.0f}{len(rows):>8}"
    )
    print(f"  parsed {stats.events_parsed:,} candidate events of {events:,} (raw-text prefilter)")
    if not args.no_duckdb:
        if result is None:
            print("duckdb: not installed (pip install duckdb) - skipped")
        else:
            dk = min(duck_times)
            print(
                f"{'duckdb (read_json)':<22}{dk:>10.3f}{events / dk:>16,.0f}{size_mb / dk:>10,.0f}{len(duck_rows):>8}"
            )
            same = _normalise_ck(rows) == _normalise_duck(duck_rows)
            print(
                f"  same results: {'yes' if same else 'NO'}   contentkit/duckdb time ratio: {ck / dk:.2f}"
            )
    target = 500_000
    print(f"\ntarget >= {target:,} events/s: {'met' if events / ck >= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
