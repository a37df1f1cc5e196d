"""A `contentkit serve` child process shared by the tests of a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contentkit.server.process import ServerProcess, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("splunkd"))
    try:
        yield proc
    finally:
        proc.stop()
