"""Literal search (spl/literals.py): Hyperscan when installed, RE2 otherwise; lines by fragment."""

from __future__ import annotations

import pytest

from contentkit.spl import literals
from contentkit.spl.literals import LineFinder, LiteralSet

needs_hyperscan = pytest.mark.skipif(
    literals.hyperscan() is None, reason="hyperscan is not installed on this platform"
)


@pytest.fixture(params=["hyperscan", "re2"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "re2":
        monkeypatch.setattr(literals, "hyperscan", lambda: None)
    elif literals.hyperscan() is None:
        pytest.skip("hyperscan is not installed on this platform")
    return str(request.param)


def test_search_finds_any_literal(engine: str) -> None:
    found = LiteralSet([b'"user.', b"\\u"])
    assert found.search(b'{"user.name": "x"}')
    assert found.search(b'{"k": "caf\\u00e9"}')
    assert not found.search(b'{"user": {"name": "x"}}')
    assert not found.search(b"")
    # literal bytes, not patterns: regex metacharacters and NUL are themselves
    odd = LiteralSet([b"a.b", b"(x|y)*", b"\x00\xff"])
    assert odd.search(b"--a.b--") and not odd.search(b"--axb--")
    assert odd.search(b"(x|y)*") and not odd.search(b"xy")
    assert odd.search(b"\x00\xff")


def test_case_is_ignored_only_when_asked(engine: str) -> None:
    assert LiteralSet([b"create"], caseless=True).search(b'"verb":"CREATE"')
    assert not LiteralSet([b"create"]).search(b'"verb":"CREATE"')
    # ASCII only, as bytes.lower() does: other bytes match exactly
    assert not LiteralSet([b"\xc3\xa9"], caseless=True).search("É".encode())
    assert not LiteralSet([b"\xe9"], caseless=True).search(b"\xc9")  # Latin-1 letters too


def test_empty_literals_are_refused() -> None:
    with pytest.raises(ValueError):
        LiteralSet([])
    with pytest.raises(ValueError):
        LiteralSet([b"x", b""])


@needs_hyperscan
def test_line_finder_reports_each_matching_line_once_at_its_newline() -> None:
    data = b"a DaemonSets b daemonsets\nnone here\nx PODS\nlast daemonsets"
    ends: list[int] = []
    LineFinder([b"daemonsets", b"pods"]).scan(data, ends.append)
    # the last line has no newline: it is the caller's to check
    assert ends == [data.index(b"\n") + 1, data.index(b"PODS\n") + 5]
    stopped: list[int] = []
    LineFinder([b"daemonsets", b"pods"]).scan(data, lambda to: stopped.append(to) or True)
    assert len(stopped) == 1  # the handler stopped the scan
    with pytest.raises(ValueError):
        LineFinder([b"two\nlines"])


@needs_hyperscan
def test_threads_may_scan_with_one_finder_at_once() -> None:
    """A scan releases the GIL; each thread gets its own scratch space (one shared scratch
    failed with ScratchInUseError)."""
    import threading

    finder = LineFinder([b"needle"])
    found = LiteralSet([b"needle"])
    data = (b"x" * 1000 + b"\n") * 50_000 + b"a needle\n"
    results: list[object] = []

    def work() -> None:
        try:
            for _ in range(3):
                ends: list[int] = []
                finder.scan(data, ends.append)
                results.append((ends, found.search(data)))
        except Exception as exc:  # collected: an exception in a thread would go unseen
            results.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [([len(data)], True)] * 12
