#!/usr/bin/env python3
"""Run Splunk AppInspect on a package and check its summary.

    appinspect_check.py APPINSPECT_EXE PACKAGE [--max-warnings N]

Fails (exit 1) on any failure or error, and on more warnings than allowed. AppInspect lives in
its own virtual environment (it pins old dependencies and is not open source): a CI tool only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("appinspect")
    parser.add_argument("package", type=Path)
    parser.add_argument("--max-warnings", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            args.appinspect, "inspect", str(args.package), "--mode", "precert",
            "--included-tags", "cloud", "--skip-trusted-libraries-update", "--ci",
            "--data-format", "json", "--output-file", str(report),
        ]  # fmt: skip
        run = subprocess.run(cmd, capture_output=True, text=True)
        if not report.is_file():
            print(run.stdout[-4000:], run.stderr[-4000:], sep="\n")
            print(f"appinspect wrote no report (exit {run.returncode})")
            return 1
        data = json.loads(report.read_text())
    summary = data["summary"]
    print(f"appinspect {args.package.name}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    problems = []
    for app in data.get("reports", []):
        for group in app.get("groups", []):
            for check in group.get("checks", []):
                if check.get("result") in {"failure", "error", "warning"}:
                    for message in check.get("messages", []) or [{"message": check.get("name")}]:
                        problems.append(
                            f"  {check['result']}: {check.get('name')}: {message.get('message')}"
                        )
    print("\n".join(problems[:40]))
    bad = summary.get("failure", 0) + summary.get("error", 0)
    if bad or summary.get("warning", 0) > args.max_warnings:
        print("appinspect check FAILED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
