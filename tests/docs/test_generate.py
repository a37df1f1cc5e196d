"""The docs generator in-process: what `build_docs` writes, in one process and with worker
processes, how it escapes the content's text, and how it fails without touching the old site."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from contentkit.content.validate import validate
from contentkit.docs import generate
from contentkit.docs.results import parse_results
from tests.docs.conftest import SECOND, make_pack, results_document

SITE_FILES = [
    "attack_navigator_layer.json",
    "baselines/baseline_of_daemonset_creators.html",
    "baselines/index.html",
    "coverage.html",
    "data_sources/index.html",
    "data_sources/kubernetes_audit.html",
    "detections/kubernetes_daemonset_deployed.html",
    "detections/kubernetes_privileged_pod_created.html",
    "index.html",
    "investigations/index.html",
    "investigations/kubernetes_activity_by_user.html",
    "macros/index.html",
    "macros/kube_audit.html",
    "markdown/baselines/baseline_of_daemonset_creators.md",
    "markdown/baselines/index.md",
    "markdown/coverage.md",
    "markdown/data_sources/index.md",
    "markdown/data_sources/kubernetes_audit.md",
    "markdown/detections/kubernetes_daemonset_deployed.md",
    "markdown/detections/kubernetes_privileged_pod_created.md",
    "markdown/index.md",
    "markdown/investigations/index.md",
    "markdown/investigations/kubernetes_activity_by_user.md",
    "markdown/macros/index.md",
    "markdown/macros/kube_audit.md",
    "markdown/stories/index.md",
    "markdown/stories/kubernetes_security.md",
    "static/style.css",
    "stories/index.html",
    "stories/kubernetes_security.html",
]


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory):  # the pack with two detections
    report = validate(make_pack(tmp_path_factory.mktemp("gen") / "pack"))
    assert report.errors == []
    return report.content


def _files(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())


def _static() -> list[str]:
    return sorted(p.name for p in generate.STATIC.iterdir() if p.is_file())


def test_build_docs_writes_the_whole_site(content, tmp_path: Path) -> None:
    messages: list[str] = []
    out = tmp_path / "site"
    result = generate.build_docs(content, out, progress=messages.append)
    assert _static() == ["style.css"]
    assert _files(out) == SITE_FILES
    assert (result.output, result.index) == (out.resolve(), out.resolve() / "index.html")
    assert (result.files, result.detections, result.stories) == (len(SITE_FILES), 2, 1)
    assert (result.data_sources, result.macros, result.techniques) == (1, 1, 2)
    assert messages == ["writing 2 detection, 1 story, 1 data source and 1 macro pages"]
    assert oct(out.stat().st_mode & 0o777) == "0o755"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary folder left
    layer = json.loads((out / "attack_navigator_layer.json").read_text())
    assert sorted(t["techniqueID"] for t in layer["techniques"]) == ["T1204", "T1610"]
    detection = (out / "detections/kubernetes_daemonset_deployed.html").read_text()
    assert 'href="../static/style.css"' in detection  # one folder down: links go up one
    assert 'href="static/style.css"' in (out / "index.html").read_text()


def test_worker_processes_write_the_same_site(
    content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = generate.build_docs(content, tmp_path / "one")
    monkeypatch.setattr(generate, "PARALLEL_MIN_DETECTIONS", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    messages: list[str] = []
    forked = generate.build_docs(content, tmp_path / "two", progress=messages.append)
    assert messages[-1] == "rendered with 2 worker processes"
    assert forked.files == single.files == len(SITE_FILES)
    for rel in SITE_FILES:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
    assert generate._FORKED == []
    # one core: no workers
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    messages.clear()
    generate.build_docs(content, tmp_path / "three", progress=messages.append)
    assert len(messages) == 1


def test_tasks_cover_every_page_in_pieces(content) -> None:
    from contentkit.docs import pages

    site = pages.make_site(content, generate.load_techniques(content), None)
    assert generate._tasks(site, 1) == [
        ("index", 0, 0),
        ("lists", 0, 0),
        ("detection", 0, 1),
        ("detection", 1, 2),
        ("story", 0, 1),
        ("data_source", 0, 1),
        ("macro", 0, 1),
        ("baseline", 0, 1),
        ("investigation", 0, 1),
    ]
    assert generate._tasks(site, 60)[2] == ("detection", 0, 2)
    assert generate._count({"a": [1, 2]}, "a") == 2
    assert generate._count({}, "a") == 0


def test_text_is_escaped_in_html_only(content, tmp_path: Path) -> None:
    generate.build_docs(content, tmp_path / "site")
    slug = Path(SECOND).stem
    html = (tmp_path / "site" / f"detections/{slug}.html").read_text()
    md = (tmp_path / "site" / f"markdown/detections/{slug}.md").read_text()
    assert "(&lt;script&gt;alert(1)&lt;/script&gt; &amp; kube-proxy)" in html
    assert "(&lt;script&gt;alert(1)&lt;/script&gt; &amp; kube-proxy)" in md
    env = generate.environment()
    assert env.get_template("index.html.j2").environment.autoescape is generate._autoescape
    assert generate._autoescape("x.html.j2") and not generate._autoescape("x.md.j2")
    assert not generate._autoescape(None)
    assert env.from_string("{{ '<a>' }}").render() == "<a>"  # only named HTML templates


def test_results_reach_the_pages(content, tmp_path: Path) -> None:
    results = parse_results(results_document())
    generate.build_docs(content, tmp_path / "site", results=results)
    page = (tmp_path / "site/markdown/detections/kubernetes_daemonset_deployed.md").read_text()
    assert "| Unit (True Positive Test) | ✅ Passing |" in page


def test_output_that_is_a_file_is_refused(content, tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.write_text("keep me")
    with pytest.raises(generate.DocsError) as caught:
        generate.build_docs(content, target)
    assert str(caught.value) == f"{target.resolve()}: exists and is not a folder"
    assert target.read_text() == "keep me"


def test_failed_write_leaves_the_old_site(
    content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    generate.build_docs(content, out)
    before = _files(out)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(generate.pages, "navigator_layer", broken)
    with pytest.raises(generate.DocsError) as caught:
        generate.build_docs(content, out)
    assert str(caught.value) == "cannot write the site: [Errno 28] No space left on device"
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_template_error_is_a_docs_error(
    content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jinja2

    def broken(*_args: object, **_kwargs: object) -> None:
        raise jinja2.UndefinedError("'det' is undefined")

    monkeypatch.setattr(generate.pages, "navigator_layer", broken)
    with pytest.raises(generate.DocsError) as caught:
        generate.build_docs(content, tmp_path / "site")
    assert str(caught.value) == "template error: 'det' is undefined"
    assert list(tmp_path.iterdir()) == []


def test_unwritable_parent(content, tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_text("")
    with pytest.raises(generate.DocsError) as caught:
        generate.build_docs(content, parent / "site")
    assert str(caught.value).startswith(f"cannot write to {parent.resolve()}: ")


def test_bad_attack_file_is_a_docs_error(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    (pack / "lookups/mitre_enrichment.csv").write_text("not,the,header\n")
    report = validate(pack)
    with pytest.raises(generate.DocsError) as caught:
        generate.build_docs(report.content, tmp_path / "site")
    assert str(caught.value) == (
        f"{pack / 'lookups/mitre_enrichment.csv'}: not an ATT&CK enrichment CSV "
        "(missing column(s) mitre_id, technique, tactics)"
    )
    assert not (tmp_path / "site").exists()


def test_no_attack_file_means_no_techniques(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    (pack / "lookups/mitre_enrichment.csv").unlink()
    (pack / "contentctl.yml").write_text(
        (pack / "contentctl.yml")
        .read_text()
        .replace("mitre_enrichment: lookups/mitre_enrichment.csv\n", "")
    )
    report = validate(pack)
    assert generate.load_techniques(report.content) == {}


def test_paragraphs_and_count_of() -> None:
    assert generate.paragraphs("a\nb\n\n  c  \n \n\n") == ["a\nb", "c"]
    assert generate.paragraphs("") == [""]
    assert generate.paragraphs(None) == ["None"]
    assert generate.count_of(1, "macro") == "1 macro"
    assert generate.count_of(0, "macro") == "0 macros"
    assert generate.count_of(2, "analytic story", "analytic stories") == "2 analytic stories"


EXPECTED = Path(__file__).parent / "expected"


def test_a_whole_page_in_both_formats(content, tmp_path: Path) -> None:
    # the macro page, byte for byte: layout, whitespace, escaping and links
    from contentkit import __version__

    generate.build_docs(content, tmp_path / "site")
    html = (tmp_path / "site/macros/kube_audit.html").read_text()
    md = (tmp_path / "site/markdown/macros/kube_audit.md").read_text()
    expected_html = (EXPECTED / "kube_audit.html").read_text().replace("@VERSION@", __version__)
    assert html == expected_html
    assert md == (EXPECTED / "kube_audit.md").read_text()


def test_templates_refuse_undefined_names() -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        generate.environment().from_string("{{ missing }}").render()


def test_list_pages_count_the_detections_of_each_object(content, tmp_path: Path) -> None:
    generate.build_docs(content, tmp_path / "site")
    md = tmp_path / "site" / "markdown"
    assert (
        (md / "stories/index.md")
        .read_text()
        .endswith(
            "| [Kubernetes Security](../stories/kubernetes_security.md) | Cloud Security | 2 |\n"
        )
    )
    assert (
        (md / "data_sources/index.md")
        .read_text()
        .endswith(
            "| [Kubernetes Audit](../data_sources/kubernetes_audit.md) | Kubernetes | `_json` "
            "| `kubernetes` | 2 |\n"
        )
    )
    assert (
        (md / "macros/index.md")
        .read_text()
        .endswith('| [`kube_audit`](../macros/kube_audit.md) | `source="kubernetes"` | 2 |\n')
    )


def test_the_note_about_missing_test_results(content, tmp_path: Path) -> None:
    note = "No test results were given to <code>contentkit docs</code>"
    generate.build_docs(content, tmp_path / "without")
    page = "detections/kubernetes_daemonset_deployed.html"
    assert note in (tmp_path / "without" / page).read_text()
    generate.build_docs(content, tmp_path / "with", results=parse_results(results_document()))
    assert note not in (tmp_path / "with" / page).read_text()


def test_site_folders_layer_text_and_the_work_folder(content, tmp_path: Path) -> None:
    from contentkit import __version__

    out = tmp_path / "a" / "b" / "site"
    seen: list[str] = []

    def progress(_message: str) -> None:  # called while the site is being written
        seen.extend(p.name for p in out.parent.iterdir())

    generate.build_docs(content, out, progress=progress)
    assert len(seen) == 1 and seen[0].startswith(".site.new.")
    assert [p.name for p in out.parent.iterdir()] == ["site"]
    folders = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_dir())
    assert folders == [
        "baselines",
        "data_sources",
        "detections",
        "investigations",
        "macros",
        "markdown",
        "markdown/baselines",
        "markdown/data_sources",
        "markdown/detections",
        "markdown/investigations",
        "markdown/macros",
        "markdown/stories",
        "static",
        "stories",
    ]
    layer = (out / "attack_navigator_layer.json").read_text()
    assert layer.startswith('{\n  "name": "contentkit Detections coverage",\n  "versions": {\n')
    assert f"generated by contentkit {__version__}" in layer
    assert layer.endswith("}\n")


def test_write_site_into_an_empty_folder(content, tmp_path: Path) -> None:
    result = generate.write_site(content, tmp_path)
    assert (result.output, result.index) == (tmp_path, tmp_path / "index.html")
    assert result.files == len(SITE_FILES)
