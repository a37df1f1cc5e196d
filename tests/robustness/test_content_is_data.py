"""`contentkit validate` on hostile and careless content: files outside the repository, alias
bombs, macro cycles, impossible dates, bad regexes, broken lookup CSVs, FIFOs. Each case: the
exit code, one line naming the file (and line where there is one), no traceback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from .common import assert_clean_failure, contentkit

DET = "detections/cloud/kubernetes_daemonset_deployed.yml"
MACRO = "macros/kube_audit.yml"


def _edit(pack: Path, rel: str, old: str, new: str) -> None:
    path = pack / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))


def _validate(pack: Path) -> object:
    return contentkit("validate", str(pack), cwd=pack)


BOMB = (
    "lol1: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    "lol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "lol4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "lol5: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "lol6: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "lol7: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "lol8: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "lol9: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
)


def test_alias_bomb_is_refused_quickly(pack: Path) -> None:
    path = pack / DET
    path.write_text(BOMB + path.read_text())
    started = time.monotonic()
    result = _validate(pack)
    assert time.monotonic() - started < 20
    assert_clean_failure(result, 1, f"{DET}:6:", "alias bomb")


def test_recursive_alias_is_refused(pack: Path) -> None:
    path = pack / DET
    path.write_text("loop: &x [1, *x]\n" + path.read_text())
    assert_clean_failure(_validate(pack), 1, f"{DET}:1:", "refers to a node that contains it")


@pytest.mark.parametrize(
    ("rel", "old", "new", "needle"),
    [
        (
            "contentctl.yml",
            "mitre_enrichment: lookups/mitre_enrichment.csv",
            "mitre_enrichment: ../../../../../etc/passwd",
            "contentctl.yml:16:",
        ),
        (
            "contentctl.yml",
            "mitre_enrichment: lookups/mitre_enrichment.csv",
            "mitre_enrichment: /etc/passwd",
            "is outside the repository",
        ),
        (
            DET,
            "data: datasets/kubernetes/kubernetes_audit_daemonset_created.json",
            "data: ../../../../etc/passwd",
            "dataset '../../../../etc/passwd' is outside the repository",
        ),
        (
            DET,
            "data: datasets/kubernetes/kubernetes_audit_daemonset_created.json",
            "data: /etc/hostname",
            f"{DET}:",
        ),
    ],
    ids=["enrichment-dotdot", "enrichment-absolute", "dataset-dotdot", "dataset-absolute"],
)
def test_paths_outside_the_repository(
    pack: Path, rel: str, old: str, new: str, needle: str
) -> None:
    _edit(pack, rel, old, new)
    assert_clean_failure(_validate(pack), 1, needle)


def test_lookup_file_outside_the_repository(pack: Path) -> None:
    (pack / "lookups" / "escape.yml").write_text(
        "name: escape\nfilename: ../../../../../etc/passwd\n"
        "description: reads a file outside the repository\n"
        "min_matches: 1\ncase_sensitive_match: 'true'\n"
    )
    assert_clean_failure(_validate(pack), 1, "lookups/escape.yml:2:", "outside the repository")


def test_symlink_out_of_app_template(pack: Path) -> None:
    target = pack / "app_template" / "default"
    target.mkdir(parents=True, exist_ok=True)
    os.symlink("/etc/passwd", target / "passwd.conf")
    assert_clean_failure(
        _validate(pack), 1, "app_template/default/passwd.conf", "symlink points outside"
    )


def test_fifo_in_app_template_is_an_error(pack: Path) -> None:
    target = pack / "app_template" / "default"
    target.mkdir(parents=True, exist_ok=True)
    os.mkfifo(target / "trap.conf")
    assert_clean_failure(_validate(pack), 1, "app_template/default/trap.conf", "not a regular")


def test_fifo_among_content_is_skipped_with_a_warning(pack: Path) -> None:
    os.mkfifo(pack / "detections" / "cloud" / "trap.yml")
    result = _validate(pack)
    assert result.returncode == 0, result.stderr
    assert "detections/cloud/trap.yml" in result.stdout + result.stderr
    assert "not a regular file" in result.stdout + result.stderr


def test_macro_cycle(pack: Path) -> None:
    _edit(pack, MACRO, 'definition: source="kubernetes"', "definition: '`kube_loop`'")
    (pack / "macros" / "kube_loop.yml").write_text(
        "name: kube_loop\ndefinition: '`kube_audit` | head 1'\ndescription: loops back\n"
    )
    assert_clean_failure(_validate(pack), 1, "macro calls itself: kube_audit -> kube_loop")


def test_impossible_date(pack: Path) -> None:
    _edit(pack, DET, "date: '2026-11-27'", "date: '2026-02-30'")
    assert_clean_failure(_validate(pack), 1, f"{DET}:4:", "not a date of the calendar")


@pytest.mark.parametrize(
    ("addition", "needle"),
    [
        ('| rex field=verb "(?<v>[a-z+)"', "invalid rex pattern"),
        ('| regex verb="(unclosed"', "invalid regex pattern"),
        ('| rex field=verb "^(?<v>(a+)+)\\\\2$"', "catastrophic backtracking"),
    ],
    ids=["rex", "regex", "catastrophic"],
)
def test_invalid_patterns(pack: Path, addition: str, needle: str) -> None:
    _edit(pack, DET, "| fillnull", addition.replace("'", "''") + " | fillnull")
    assert_clean_failure(_validate(pack), 1, f"{DET}:", needle)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"mitre_id,technique\nT1\xff,bad\n", "not UTF-8"),
        (b"a,b,c\n1,2,3\n4,5\n", "row 3 has 2 fields, the header has 3"),
        (b'a,b\n"1,2\n', "not well-formed CSV"),
        (b"", "empty"),
    ],
    ids=["latin1", "ragged", "open-quote", "empty"],
)
def test_broken_lookup_csv(pack: Path, data: bytes, needle: str) -> None:
    (pack / "lookups" / "broken.yml").write_text(
        "name: broken\nfilename: broken.csv\ndescription: a broken CSV\n"
        "min_matches: 1\ncase_sensitive_match: 'true'\n"
    )
    (pack / "lookups" / "broken.csv").write_bytes(data)
    assert_clean_failure(_validate(pack), 1, "lookups/broken.yml:2:", needle)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (
            ("replay", "{fifo}", "--index", "main", "--sourcetype", "s", "--source", "s",
             "--hec-url", "http://127.0.0.1:9", "--hec-token", "t"),
            1,
            "not a regular file (a FIFO or device)",
        ),
        (("docs", "{pack}", "--test-results", "{fifo}", "-q", "--output", "{out}"), 2, "not a regular file"),
        (("search", "| makeresults", "--data", "{fifo}"), 2, "no such file"),
    ],
    ids=["replay", "docs-results", "search"],
)  # fmt: skip
def test_fifos_given_on_the_command_line_never_hang(
    pack: Path, tmp_path: Path, args: tuple[str, ...], code: int, needle: str
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    filled = [a.format(fifo=fifo, pack=pack, out=tmp_path / "out") for a in args]
    assert_clean_failure(contentkit(*filled, timeout=60), code, needle)
