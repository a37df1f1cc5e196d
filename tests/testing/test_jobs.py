"""`contentkit test --jobs`: detections tested in worker processes give the same report, in the
same order, as one at a time."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.testing.test_cli_test import DET, _run

NAME = "Kubernetes DaemonSet Deployed"
FILTER = "kubernetes_daemonset_deployed_filter"


def _copies(pack: Path, n: int) -> list[str]:
    """n more detections like the seed; every third one searches for the wrong verb."""
    seed = (pack / DET).read_text()
    names = []
    for i in range(n):
        name = f"Kubernetes DaemonSet Copy {i}"
        text = seed.replace(NAME, name).replace(FILTER, f"kubernetes_daemonset_copy_{i}_filter")
        text = text.replace("6f0b8c52-3e1d-4a7b-9f26-c4d8e1a5b370", str(uuid.UUID(int=i + 1)))
        if i % 3 == 2:
            text = text.replace("verb=create", "verb=delete")
        (pack / f"detections/cloud/kubernetes_daemonset_copy_{i}.yml").write_text(text)
        names.append(name)
    return names


def _summary(data: dict) -> list[tuple[str, str, str, str]]:
    return [
        (r["detection"], r["test"], r["unit"]["status"], r["integration"]["status"])
        for r in data["results"]
    ]


def test_jobs_give_the_same_report_as_one_at_a_time(seed_pack: Path) -> None:
    names = _copies(seed_pack, 6)
    one, one_data = _run(seed_pack, "--jobs", "1")
    three, three_data = _run(seed_pack, "-j", "3")
    assert one.returncode == three.returncode == 1  # the copies with the wrong verb fail
    assert _summary(one_data) == _summary(three_data)
    summary = _summary(three_data)
    assert len(summary) == 14  # 7 detections, 2 tests each
    assert sorted({s[0] for s in summary}) == sorted([NAME, *names])
    failing = sorted({s[0] for s in summary if s[2] == "fail"})
    assert failing == ["Kubernetes DaemonSet Copy 2", "Kubernetes DaemonSet Copy 5"]
    assert three_data["counts"]["fail"] == 2 and three_data["counts"]["pass"] == 12
    for result in three_data["results"]:
        if result["detection"] not in failing and not result["negative"]:
            assert result["unit"]["result_count"] == 2
            assert result["integration"]["message"] == "2 risk event(s)"
    assert one_data["counts"] == three_data["counts"]


@pytest.mark.parametrize("jobs", ["0", "65", "two"])
def test_jobs_out_of_range_is_a_usage_error(pack: Path, jobs: str) -> None:
    result, data = _run(pack, "--jobs", jobs)
    assert result.returncode == 2 and data == {}
    assert "Invalid value for '-j' / '--jobs'" in result.stderr
