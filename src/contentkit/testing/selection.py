"""Which detections a test run covers: what changed in git, and which slice of them (shards).

`contentkit test --changes [--since REF]` asks git (the `git` command) for the files that differ
between REF (default: the merge base of HEAD with the default branch) and the working tree,
untracked files included. A detection is selected when its own file changed, or when it uses a
changed macro (also through other macros), lookup (also through macros), data source, analytic
story, deployment (of its type) or test dataset. A changed object that no longer exists is
named from its old version in git.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contentkit import gitrepo
from contentkit.content import searchscan
from contentkit.content.model import Content, Detection

DEFAULT_BRANCHES = ("main", "master", "develop")


class SelectionError(Exception):
    """Git cannot answer (not installed, not a repository, unknown REF) or a bad --shard."""


# ---------------------------------------------------------------------------------------------
# git


def _git(root: Path, *args: str) -> str:
    try:
        return gitrepo.text(root, *args)
    except gitrepo.GitError as exc:
        raise SelectionError(str(exc)) from None


def git_toplevel(root: Path) -> Path:
    return Path(_git(root, "rev-parse", "--show-toplevel").strip())


def _ref_exists(root: Path, ref: str) -> bool:
    return gitrepo.ref_exists(root, ref)


def default_base(root: Path) -> str:
    """The merge base of HEAD with the default branch (origin's HEAD, else main, master or
    develop, remote or local)."""
    candidates: list[str] = []
    try:
        head = _git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip()
        candidates.append(head.removeprefix("refs/remotes/"))
    except SelectionError:
        pass
    for name in DEFAULT_BRANCHES:
        candidates += [f"origin/{name}", name]
    for ref in candidates:
        if _ref_exists(root, ref):
            return _git(root, "merge-base", "HEAD", ref).strip()
    raise SelectionError(
        "cannot find the default branch (none of origin/HEAD, main, master, develop); "
        "give --since REF"
    )


def changed_files(root: Path, since: str) -> tuple[str, list[str]]:
    """(resolved commit of `since`, files changed since it relative to `root`), working tree
    and untracked files included."""
    top = git_toplevel(root)
    if not _ref_exists(root, since):
        raise SelectionError(f"unknown git revision {since!r}")
    commit = _git(root, "rev-parse", f"{since}^{{commit}}").strip()
    listed = _git(root, "diff", "--name-only", "-z", commit, "--", ".").split("\0")
    listed += _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", ".").split("\0")
    base = root.resolve()
    out = set()
    for name in listed:
        if not name:
            continue
        # diff names are relative to the top level, ls-files names to the current folder
        for candidate in (top / name, base / name):
            try:
                out.add(candidate.resolve().relative_to(base).as_posix())
                break
            except ValueError:
                continue
    return commit, sorted(out)


def _old_document(root: Path, commit: str, rel: str) -> dict[str, Any] | None:
    """The YAML document at `rel` as it was in `commit` (for objects deleted since)."""
    top = git_toplevel(root)
    path = (root.resolve() / rel).relative_to(top).as_posix()
    try:
        text = _git(root, "show", f"{commit}:{path}")
        doc = yaml.safe_load(text)
    except (SelectionError, yaml.YAMLError):
        return None
    return doc if isinstance(doc, dict) else None


# ---------------------------------------------------------------------------------------------
# what a detection depends on


@dataclass
class Selected:
    detection: Detection
    reasons: list[str] = field(default_factory=list)


def _macro_closure(content: Content) -> dict[str, tuple[set[str], set[str]]]:
    """macro name -> (macro names it uses, transitively including itself; lookups it uses)."""
    direct: dict[str, tuple[set[str], set[str]]] = {}
    for macro in content.macros:
        calls = {c.name for c in searchscan.macro_calls(macro.definition)}
        lookups = {name for _c, name, _o in searchscan.lookup_uses(macro.definition)}
        used = direct.setdefault(macro.name, (set(), set()))
        used[0].update(calls)
        used[1].update(lookups)
    closure: dict[str, tuple[set[str], set[str]]] = {}
    for name in direct:
        seen = {name}
        reached: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            calls, used_lookups = direct.get(current, (set(), set()))
            reached |= used_lookups
            for call in calls - seen:
                seen.add(call)
                stack.append(call)
        closure[name] = (seen, reached)
    return closure


def _uses(det: Detection, closure: dict[str, tuple[set[str], set[str]]]) -> tuple[set, set]:
    macros: set[str] = set()
    lookups = {_lookup_key(name) for _c, name, _o in searchscan.lookup_uses(det.search)}
    for call in searchscan.macro_calls(det.search):
        names, used_lookups = closure.get(call.name, ({call.name}, set()))
        macros |= names
        lookups |= {_lookup_key(n) for n in used_lookups}
    return macros, lookups


def _lookup_key(name: str) -> str:
    return re.sub(r"\.csv$", "", name)


def select_changed(
    content: Content, files: Iterable[str], *, old_document: Any = None
) -> list[Selected]:
    """Detections affected by `files` (paths relative to the content root), with the reasons.
    `old_document(rel)` reads a file's last committed version when it no longer exists."""
    changed = set(files)
    by_file = {
        "macros": {m.file: m.name for m in content.macros},
        "lookups": {lk.file: lk.name for lk in content.lookups},
        "data_sources": {d.file: d.name for d in content.data_sources},
        "stories": {s.file: s.name for s in content.stories},
        "deployments": {d.file: d.type for d in content.deployments},
    }
    for lk in content.lookups:
        if lk.data_file is not None:
            try:
                rel = lk.data_file.resolve().relative_to(content.root.resolve()).as_posix()
            except ValueError:
                continue
            by_file["lookups"].setdefault(rel, lk.name)
    named: dict[str, set[str]] = {kind: set() for kind in by_file}
    key = {"deployments": "type"}
    for rel in changed:
        folder = rel.split("/", 1)[0]
        if folder not in by_file:
            continue
        name = by_file[folder].get(rel)
        if name is None and rel.endswith((".yml", ".yaml")) and old_document is not None:
            doc = old_document(rel)
            if doc is not None:
                name = doc.get(key.get(folder, "name"))
        if name is None and folder == "lookups":
            name = Path(rel).stem  # a CSV without its YAML
        if isinstance(name, str):
            named[folder].add(name if folder != "lookups" else _lookup_key(name))
    closure = _macro_closure(content)
    out: list[Selected] = []
    for det in sorted(content.detections, key=lambda d: d.file):
        reasons: list[str] = []
        if det.file in changed:
            reasons.append(f"changed: {det.file}")
        macros, lookups = _uses(det, closure)
        reasons += [f"macro {m}" for m in sorted(macros & named["macros"])]
        reasons += [f"lookup {lk}" for lk in sorted(lookups & named["lookups"])]
        for ds in det.data_sources:
            parts = set(ds.split(" AND ")) | {ds}
            reasons += [f"data source {p}" for p in sorted(parts & named["data_sources"])]
        reasons += [f"story {s}" for s in det.analytic_stories if s in named["stories"]]
        if det.type.lower() in {t.lower() for t in named["deployments"]}:
            reasons.append(f"deployment of type {det.type}")
        for test in det.tests:
            for attack in test.attack_data:
                if attack.data in changed:
                    reasons.append(f"dataset {attack.data}")
        if reasons:
            out.append(Selected(det, list(dict.fromkeys(reasons))))
    return out


def select_since(content: Content, since: str | None) -> tuple[str, list[Selected]]:
    """(the commit compared with, the selected detections)."""
    root = content.root
    git_toplevel(root)  # one clear error when git or the repository is missing
    ref = since or default_base(root)
    commit, files = changed_files(root, ref)
    return commit, select_changed(
        content, files, old_document=lambda rel: _old_document(root, commit, rel)
    )


# ---------------------------------------------------------------------------------------------
# shards and plans


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1 <= I <= N) -> (I, N)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise SelectionError(f"--shard {text!r}: expected I/N, e.g. 2/4")
    index, total = int(match.group(1)), int(match.group(2))
    if total < 1 or not 1 <= index <= total:
        raise SelectionError(f"--shard {text!r}: I must be between 1 and N")
    return index, total


def shard(detections: Sequence[Detection], index: int, total: int) -> list[Detection]:
    """The `index`-th of `total` slices (1-based): detections sorted by file and dealt out in
    turn, weighted by test count so that slices take about as long."""
    ordered = sorted(detections, key=lambda d: d.file)
    loads = [0] * total
    slices: list[list[Detection]] = [[] for _ in range(total)]
    for det in sorted(ordered, key=lambda d: (-len(d.tests), d.file)):
        lightest = min(range(total), key=lambda i: (loads[i], i))
        slices[lightest].append(det)
        loads[lightest] += max(1, len(det.tests))
    return sorted(slices[index - 1], key=lambda d: d.file)


def plan_document(
    selected: Sequence[Detection],
    reasons: dict[str, list[str]] | None = None,
    *,
    since: str | None = None,
    shard_text: str | None = None,
) -> dict[str, Any]:
    reasons = reasons or {}
    return {
        "since": since,
        "shard": shard_text,
        "count": len(selected),
        "detections": [
            {
                "name": det.name,
                "file": det.file,
                "reasons": reasons.get(det.file, []),
                "tests": [t.name for t in det.tests],
            }
            for det in selected
        ],
    }


def write_plan(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    temp.replace(path)


def narrow(
    content: Content,
    chosen: Sequence[Detection],
    *,
    changes: bool,
    since: str | None,
    shard_text: str | None,
) -> tuple[list[Detection], dict[str, list[str]], str | None]:
    """What `contentkit test` runs: `chosen` narrowed to the changed detections (with
    `changes`) and to one shard. Returns (detections, reasons by file, commit compared with)."""
    selected = list(chosen)
    reasons: dict[str, list[str]] = {}
    commit = None
    if changes or since is not None:
        commit, found = select_since(content, since)
        reasons = {s.detection.file: s.reasons for s in found}
        selected = [d for d in selected if d.file in reasons]
    if shard_text is not None:
        index, total = parse_shard(shard_text)
        selected = shard(selected, index, total)
    return selected, reasons, commit
