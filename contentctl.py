#!/usr/bin/env python3
"""Run contentkit from a checkout: `python contentctl.py <command>` is `contentkit <command>`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from contentkit.cli import main

if __name__ == "__main__":
    main()
