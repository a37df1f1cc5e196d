"""Run the `tests:` of detections: replay each test's datasets into a fresh embedded index, run
the detection's search with its macros and lookups, and judge the results (see judge.py)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from contentkit import spl
from contentkit.content.deployment import Schedule, schedule_for
from contentkit.content.model import Content, Detection, DetectionTest
from contentkit.replay.datasets import DatasetResolver, DatasetUnavailable
from contentkit.testing import judge, schedule

# Statuses of a unit or integration result. Only "fail" and "error" make `contentkit test` fail.
PASS, FAIL, ERROR = "pass", "fail", "error"
UNSUPPORTED, UNAVAILABLE, SKIPPED = "unsupported", "dataset_unavailable", "skipped"
APP_UNAVAILABLE = "app_unavailable"
FAILING = {FAIL, ERROR}

#: the app that defines each data model of the Common Information Model
CIM_APP = "Splunk_SA_CIM"


@dataclass
class Stage:
    status: str
    message: str = ""
    duration: float = 0.0
    result_count: int | None = None
    details: list[str] = field(default_factory=list)


@dataclass
class TestOutcome:
    """One test of one detection: validation, unit and integration results."""

    detection: str
    file: str
    id: str
    test: str
    negative: bool
    attack_data: list[dict[str, str]]
    unit: Stage
    integration: Stage
    validation: Stage = field(default_factory=lambda: Stage(PASS))
    type: str = ""
    status: str = ""  # production / experimental / deprecated
    risk_events: list[dict[str, Any]] = field(default_factory=list)
    notables: list[dict[str, str]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """The worst of unit and integration, in the order fail > error > unsupported > ..."""
        from contentkit.testing.reports import WORST_FIRST

        return min((self.unit.status, self.integration.status), key=WORST_FIRST.index)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict
        return data


class SearchTarget(Protocol):
    """Somewhere other than the embedded engine to run a test: a Splunk instance, for example.

    `run` replays the datasets into a fresh place (index), runs the search (macros already
    expanded) over them and returns all result rows as dicts; it cleans up after itself. Failures
    raise `TargetError` with a one-line message."""

    name: str

    def run(self, search: str, datasets: Sequence[Any], *, label: str) -> list[dict[str, Any]]: ...


class TargetError(Exception):
    """A target could not replay or search (unreachable, refused, timed out)."""


SEARCH_TIMEOUT: float | None = 60.0  # wall-clock limit of one test's search (seconds)


@dataclass
class Engine:
    """What every test of a content repository shares: macros, lookups, datasets, schedule."""

    timeout = SEARCH_TIMEOUT  # not a field: set on the instance (`test --timeout`)

    content: Content
    resolver: DatasetResolver
    scheduled: bool = False
    macros: dict[str, Any] = field(default_factory=dict)
    lookups: dict[str, Any] = field(default_factory=dict)
    target: SearchTarget | None = None  # None: the embedded engine
    #: search-time knowledge of the loaded apps (``spl.knowledge.Knowledge``), if any
    knowledge: Any = None
    #: apps that could not be loaded (``apps.AppUnavailable``), named when a search needs them
    app_failures: list[Any] = field(default_factory=list)

    @classmethod
    def for_content(
        cls,
        content: Content,
        resolver: DatasetResolver,
        *,
        scheduled: bool = False,
        knowledge_base: Any = None,
        app_failures: Sequence[Any] = (),
    ) -> Engine:
        from contentkit.spl.lookups import LookupTable
        from contentkit.spl.macros import MacroDef

        macros: dict[str, Any] = {}
        for det in content.detections:
            macros[det.filter_macro] = MacroDef(det.filter_macro, "search *", ())
        for base in content.baselines:
            name = f"{base.stem}_filter"
            macros[name] = MacroDef(name, "search *", ())
        knowledge = None
        if knowledge_base is not None and not knowledge_base.empty:
            from contentkit.spl.knowledge import Knowledge

            knowledge = Knowledge(knowledge_base)
            macros.update(knowledge.macros())  # the repository's own macros win (below)
        if "drop_dm_object_name(1)" not in macros:  # Splunk_SA_CIM's, when it is not loaded
            macros["drop_dm_object_name(1)"] = MacroDef(
                "drop_dm_object_name", "rename $field$.* as *", ("field",)
            )
        for macro in content.macros:
            macros[macro.key] = MacroDef(macro.name, macro.definition, tuple(macro.arguments))
        lookups: dict[str, Any] = {}
        for lookup in content.lookups:
            if lookup.lookup_type != "csv" or lookup.data_file is None:
                continue
            table = LookupTable(
                name=lookup.name,
                path=lookup.data_file,
                case_sensitive_match=bool(lookup.case_sensitive_match),
                match_type=tuple(lookup.match_type),
                min_matches=lookup.min_matches or 0,
                max_matches=lookup.max_matches or 100,
                default_match=lookup.default_match,
            )
            lookups[lookup.name] = table
            lookups[lookup.data_file.name] = table
        if knowledge is not None:
            knowledge._extra_macros = dict(macros)  # event types and data models use them too
            knowledge._extra_lookups = dict(lookups)
        return cls(
            content,
            resolver,
            scheduled,
            macros,
            lookups,
            knowledge=knowledge,
            app_failures=list(app_failures),
        )

    def datasets_of(self, test: DetectionTest) -> list[spl.Dataset]:
        """The test's attack data as datasets (URLs downloaded into the cache, or mapped to a
        local mirror); DatasetUnavailable when one cannot be had."""
        return [
            spl.Dataset(
                self.resolver.resolve(attack.data, attack.sha256),
                sourcetype=attack.sourcetype,
                source=attack.source,
                host=attack.host or "contentkit",
                index=attack.index or "main",
            )
            for attack in test.attack_data
        ]

    def missing_apps(self, pipeline: Any) -> str | None:
        """Why the search cannot run for want of an app (a data model no loaded app defines),
        naming the app and where it was to come from; ``None`` when nothing is missing."""
        needed = spl.datamodels_used(pipeline)
        if not needed:
            return None
        known = set() if self.knowledge is None else set(self.knowledge.kb.datamodels)
        known_lower = {k.lower() for k in known}
        missing = sorted(
            {m.split(".")[0] for m in needed if m.split(".")[0].lower() not in known_lower}
        )
        if not missing:
            return None
        failed = [f for f in self.app_failures if getattr(f, "app", "") == CIM_APP]
        failed = failed or list(self.app_failures)
        models = ", ".join(missing)
        if failed:
            first = failed[0]
            return f"data model {models} needs app {first.app}: {first.reason} ({first.where})"
        return (
            f"data model {models} needs the app that defines it ({CIM_APP} for the CIM "
            "models): none is loaded (add it to apps: in contentctl.yml or use --app)"
        )

    # ------------------------------------------------------------------------------------------

    def run_detection(self, det: Detection) -> list[TestOutcome]:
        sched = schedule_for(det, self.content.deployment_for(det.type))
        base: dict[str, Any] = {
            "detection": det.name,
            "file": det.file,
            "id": det.id,
            "type": det.type,
            "status": det.status,
        }
        if not det.tests:
            why = (
                f"manual test: {det.manual_test}"
                if det.manual_test
                else "the detection has no tests"
            )
            return [
                TestOutcome(
                    **base,
                    test="(none)",
                    negative=False,
                    attack_data=[],
                    unit=Stage(SKIPPED, why),
                    integration=Stage(SKIPPED, why),
                )
            ]
        started = time.perf_counter()
        try:
            text = spl.expand(det.search, self.macros)
            pipeline = spl.parse(text)
        except spl.SplError as exc:
            stage = Stage(ERROR, f"search does not parse: {exc}", time.perf_counter() - started)
            return [
                self._outcome(base, t, stage, Stage(SKIPPED, "unit test did not run"))
                for t in det.tests
            ]
        missing = self.missing_apps(pipeline) if self.target is None else None
        if missing:
            stage = Stage(APP_UNAVAILABLE, missing)
            return [
                self._outcome(base, t, stage, Stage(APP_UNAVAILABLE, missing)) for t in det.tests
            ]
        unsupported = spl.unsupported_commands(pipeline) if self.target is None else []
        if unsupported:
            names = ", ".join(sorted({name for name, _ in unsupported}))
            stage = Stage(UNSUPPORTED, f"the embedded engine does not run: {names}")
            return [
                self._outcome(base, t, stage, Stage(UNSUPPORTED, stage.message)) for t in det.tests
            ]
        return [self._bounded_test(det, test, pipeline, sched, base, text) for test in det.tests]

    def _bounded_test(self, *args: Any) -> TestOutcome:
        """`_run_test` with the time and row limits of one search (a search past them fails
        with SearchTimeout, an SplError: the test errors and the run goes on)."""
        from contentkit.spl.limits import bounded

        with bounded(timeout=self.timeout):
            return self._run_test(*args)

    def _outcome(
        self, base: dict[str, Any], test: DetectionTest, unit: Stage, integration: Stage
    ) -> TestOutcome:
        attack = [
            {"data": a.data, "source": a.source, "sourcetype": a.sourcetype}
            for a in test.attack_data
        ]
        return TestOutcome(
            **base,
            test=test.name,
            negative=test.negative,
            attack_data=attack,
            unit=unit,
            integration=integration,
        )

    def _run_test(
        self,
        det: Detection,
        test: DetectionTest,
        pipeline: Any,
        sched: Schedule,
        base: dict[str, Any],
        text: str = "",
    ) -> TestOutcome:
        started = time.perf_counter()
        try:
            datasets = self.datasets_of(test)
        except DatasetUnavailable as exc:
            stage = Stage(UNAVAILABLE, str(exc))
            return self._outcome(base, test, stage, Stage(UNAVAILABLE, str(exc)))
        try:
            if self.target is not None:
                rows, note = self.target.run(text, datasets, label=f"{det.name} / {test.name}"), ""
            elif self.scheduled:
                rows, note = self._run_scheduled(pipeline, datasets, sched)
            else:
                rows = spl.run(
                    pipeline,
                    datasets=datasets,
                    lookups=self.lookups,
                    knowledge=self.knowledge,
                    macros=self.macros,
                )
                note = ""
        except TargetError as exc:
            stage = Stage(
                ERROR,
                f"{self.target.name if self.target else 'target'}: {exc}",
                time.perf_counter() - started,
            )
            return self._outcome(base, test, stage, Stage(SKIPPED, "unit test did not run"))
        except spl.SplError as exc:
            status = UNSUPPORTED if "unsupported" in str(exc) else ERROR
            stage = Stage(status, f"search failed: {exc}", time.perf_counter() - started)
            return self._outcome(base, test, stage, Stage(SKIPPED, "unit test did not run"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            stage = Stage(ERROR, f"cannot read the dataset: {exc}", time.perf_counter() - started)
            return self._outcome(base, test, stage, Stage(SKIPPED, "unit test did not run"))
        verdict = judge.judge_unit(det, test, rows)
        hits = [r for r in rows if judge.is_hit(r)]
        unit = Stage(
            verdict.status,
            (note + verdict.message).strip(),
            time.perf_counter() - started,
            len(hits),
            verdict.details,
        )
        outcome = self._outcome(base, test, unit, Stage(SKIPPED, "unit test did not pass"))
        if verdict.passed:
            outcome.integration = self._integrate(det, test, hits, sched, outcome)
        return outcome

    def _run_scheduled(
        self, pipeline: Any, datasets: Sequence[Any], sched: Schedule
    ) -> tuple[list[dict[str, Any]], str]:
        """Shift the events so the newest lands just inside the window of a scheduled run; run
        the search on the events that window sees."""
        events: list[dict[str, Any]] = []
        for ds in datasets:
            events.extend(
                spl.read_events(
                    ds.path,
                    sourcetype=ds.sourcetype,
                    source=ds.source,
                    host=ds.host,
                    index=ds.index,
                )
            )
        times = [float(e["_time"]) for e in events if e.get("_time") is not None]
        if not times:
            return (
                spl.run(pipeline, events, lookups=self.lookups, knowledge=self.knowledge),
                "no event timestamps; ",
            )
        newest, oldest = max(times), min(times)
        run_at = schedule.next_run(sched.cron_schedule, schedule.utc(newest))
        start, end = schedule.window(run_at, sched.earliest_time, sched.latest_time)
        shift = (end - 1) - newest
        seen = []
        for event in events:
            if event.get("_time") is None:
                continue
            moved = float(event["_time"]) + shift
            if start <= moved < end:
                event["_time"] = moved
                seen.append(event)
        note = ""
        if len(seen) < len(events):
            note = (
                f"the schedule's window ({sched.earliest_time} to {sched.latest_time}) sees {len(seen)} of "
                f"{len(events)} events (the data spans {newest - oldest:.0f} s); "
            )
        rows = spl.run(
            pipeline, seen, lookups=self.lookups, now=run_at.timestamp(), knowledge=self.knowledge
        )
        return rows, note

    def _integrate(
        self,
        det: Detection,
        test: DetectionTest,
        hits: list[dict[str, Any]],
        sched: Schedule,
        outcome: TestOutcome,
    ) -> Stage:
        started = time.perf_counter()
        problems: list[str] = []
        if sched.rba and det.rba is not None:
            events, trouble = judge.risk_events(det, hits)
            problems += trouble
            outcome.risk_events = [e.as_dict() for e in events[:50]]
        if sched.notable is not None:
            title = sched.notable.rule_title.replace("%name%", det.name).replace(
                "%description%", det.description
            )
            description = sched.notable.rule_description.replace("%name%", det.name).replace(
                "%description%", det.description
            )
            notables, trouble = judge.notables(title, description, hits)
            problems += trouble
            outcome.notables = notables[:50]
        if test.negative:
            if outcome.risk_events or outcome.notables:
                return Stage(
                    FAIL,
                    "negative test would raise risk events or notables",
                    time.perf_counter() - started,
                )
            return Stage(
                PASS, "no risk event or notable, as expected", time.perf_counter() - started
            )
        if not (sched.rba and det.rba is not None) and sched.notable is None:
            return Stage(
                SKIPPED,
                "the deployment creates no risk event and no notable",
                time.perf_counter() - started,
            )
        if problems:
            shown = "; ".join(problems[:5]) + (
                f" … {len(problems) - 5} more" if len(problems) > 5 else ""
            )
            return Stage(FAIL, shown, time.perf_counter() - started)
        made = []
        if outcome.risk_events:
            made.append(f"{len(outcome.risk_events)} risk event(s)")
        if outcome.notables:
            made.append(f"{len(outcome.notables)} notable(s)")
        return Stage(PASS, ", ".join(made) or "nothing to write", time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------

_ENGINE: Engine | None = None


def _run_in_worker(det: Detection) -> list[TestOutcome]:
    assert _ENGINE is not None
    return _ENGINE.run_detection(det)


def run_all(
    engine: Engine,
    detections: Sequence[Detection],
    *,
    jobs: int = 1,
    on_done: Callable[[Detection, list[TestOutcome]], None] | None = None,
) -> list[TestOutcome]:
    """Run every detection's tests, `jobs` at a time (forked workers share the engine)."""
    outcomes: list[TestOutcome] = []

    def record(det: Detection, result: list[TestOutcome]) -> None:
        outcomes.extend(result)
        if on_done is not None:
            on_done(det, result)

    if jobs <= 1 or len(detections) < 2:
        for det in detections:
            record(det, engine.run_detection(det))
        return outcomes
    import multiprocessing

    try:
        fork = multiprocessing.get_context("fork")
    except ValueError:
        for det in detections:
            record(det, engine.run_detection(det))
        return outcomes
    global _ENGINE
    _ENGINE = engine
    try:
        with fork.Pool(jobs) as pool:
            for det, result in zip(
                detections, pool.imap(_run_in_worker, detections, chunksize=4), strict=True
            ):
                record(det, result)
    finally:
        _ENGINE = None
    return outcomes


def run_all_targets(
    engine: Engine,
    targets: Sequence[SearchTarget],
    detections: Sequence[Detection],
    *,
    jobs: int = 4,
    on_done: Callable[[Detection, list[TestOutcome]], None] | None = None,
) -> list[TestOutcome]:
    """Run every detection's tests on the targets (Splunk instances), which share the
    detections between them: `jobs` threads per target take the next detection as they free
    up (the work is network-bound). Outcomes come back in the order of `detections`."""
    import dataclasses
    import queue
    import threading

    todo: queue.Queue[tuple[int, Detection]] = queue.Queue()
    for item in enumerate(detections):
        todo.put(item)
    results: dict[int, list[TestOutcome]] = {}
    lock = threading.Lock()

    def work(bound: Engine) -> None:
        while True:
            try:
                i, det = todo.get_nowait()
            except queue.Empty:
                return
            result = bound.run_detection(det)
            with lock:
                results[i] = result
                if on_done is not None:
                    on_done(det, result)

    threads = [
        threading.Thread(target=work, args=(dataclasses.replace(engine, target=t),), daemon=True)
        for t in targets
        for _ in range(max(1, jobs))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [o for i in range(len(detections)) for o in results.get(i, [])]


def select(
    detections: Iterable[Detection], wanted: Sequence[str], root: Path
) -> tuple[list[Detection], list[str]]:
    """The detections named (by name, file path or file stem) and the names that match none."""
    chosen: list[Detection] = []
    unknown: list[str] = []
    by_key: dict[str, Detection] = {}
    for det in detections:
        by_key[det.name.lower()] = det
        by_key[det.file] = det
        by_key[det.stem] = det
    for want in wanted:
        key = want.strip()
        path = Path(key)
        if path.exists():
            with contextlib.suppress(ValueError):
                key = path.resolve().relative_to(root).as_posix()
        found = by_key.get(key) or by_key.get(key.lower())
        if found is None:
            unknown.append(want)
        elif found not in chosen:
            chosen.append(found)
    return chosen, unknown


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
