"""What `contentkit test` shows in the terminal: a live progress bar, then a summary."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from contentkit.content.model import Detection
from contentkit.testing.reports import counts, detection_counts
from contentkit.testing.runner import FAILING, TestOutcome


class Display:
    """Progress on stderr (a rich bar on a terminal, nothing otherwise) and the final summary."""

    def __init__(self, total: int, *, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Display:
        if not self.quiet and sys.stderr.isatty() and self.total > 0:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("testing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def done(self, det: Detection, outcomes: Sequence[TestOutcome]) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=det.name[:50])
        for o in outcomes:
            if o.verdict in FAILING:
                stage = o.unit if o.unit.status in FAILING else o.integration
                kind = "unit" if stage is o.unit else "integration"
                line = f"{o.verdict.upper()}: {o.detection} / {o.test} [{kind}]: {stage.message}"
                if self._progress is not None:
                    self._progress.console.print(line, markup=False, highlight=False)
                else:
                    print(line, file=sys.stderr)
                for detail in stage.details:
                    print(f"    {detail}", file=sys.stderr)

    def summary(self, outcomes: Sequence[TestOutcome], duration: float) -> None:
        tests = counts(outcomes)
        dets = detection_counts(outcomes)
        from contentkit.testing.reports import VERDICTS

        names = VERDICTS
        if sys.stdout.isatty():
            from rich.console import Console
            from rich.table import Table

            table = Table(
                title=f"contentkit test: {len(outcomes)} tests of {sum(dets.values())} detections in {duration:.2f} s"
            )
            table.add_column("result")
            table.add_column("detections", justify="right")
            table.add_column("tests", justify="right")
            for name in names:
                if tests[name] or dets[name]:
                    table.add_row(name, str(dets[name]), str(tests[name]))
            Console().print(table)
        else:
            parts = ", ".join(f"{dets[n]} {n}" for n in names if dets[n])
            print(f"detections: {parts or 'none'}")
            parts = ", ".join(f"{tests[n]} {n}" for n in names if tests[n])
            print(f"tests: {parts or 'none'} ({duration:.2f} s)")
