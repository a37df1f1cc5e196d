"""`contentkit docs`: write the static documentation site (HTML and Markdown) of a content pack.

The site is written into a temporary folder next to the output and moved into place only when
every page is written, so a failure never leaves half a site. Pages link to each other with
relative paths and load nothing from the network: the site works from `file://`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from contentkit import __version__
from contentkit.content.attack import AttackError, Technique, load_attack
from contentkit.content.model import Content
from contentkit.docs import markdown, pages
from contentkit.docs.results import TestResults
from contentkit.render import package, workdir
from contentkit.render.build import mitre_enrichment_file

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
LAYER_FILE = "attack_navigator_layer.json"
# below this many detections, worker processes cost more than they save
PARALLEL_MIN_DETECTIONS = 300
_ALL = 1 << 30  # a task size that means "everything in one task"
# page kind -> (the Site attribute listing its objects, the page builder, the output folder)
_PAGES: dict[str, tuple[str, Any, str]] = {
    "detection": ("detections", pages.detection_page, "detections"),
    "story": ("story_list", pages.story_page, "stories"),
    "data_source": ("data_source_list", pages.data_source_page, "data_sources"),
    "macro": ("macro_list", pages.macro_page, "macros"),
    "baseline": ("baseline_list", pages.baseline_page, "baselines"),
    "investigation": ("investigation_list", pages.investigation_page, "investigations"),
}

Progress = Callable[[str], None]


class DocsError(Exception):
    """The site could not be written; the output folder was left as it was."""


@dataclass
class DocsResult:
    output: Path
    index: Path
    files: int
    detections: int
    stories: int
    data_sources: int
    macros: int
    techniques: int


def paragraphs(text: object) -> list[str]:
    """Prose split at blank lines (YAML block text keeps them); never empty."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", str(text)) if p.strip()]
    return parts or [""]


_URL = re.compile(r"https?://[^\s<>\"'`]+")


def linked(text: object) -> markupsafe.Markup:
    """Prose as HTML: escaped, with every http(s) address made a link (nothing else is: no
    `javascript:` or `data:` address ever becomes one). Trailing punctuation stays text."""
    value = str(text)
    out: list[str] = []
    last = 0
    for found in _URL.finditer(value):
        url = found.group(0)
        while url and url[-1] in ".,;:!?'\"":
            url = url[:-1]
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        out.append(str(markupsafe.escape(value[last : found.start()])))
        href = markupsafe.escape(url)
        out.append(f'<a href="{href}">{href}</a>')
        last = found.start() + len(url)
    out.append(str(markupsafe.escape(value[last:])))
    return markupsafe.Markup("".join(out))


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """`1 macro`, `2 macros`, `2 analytic stories`."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


def environment(*, for_markdown: bool = False) -> jinja2.Environment:
    """The Jinja environment of the HTML pages, or of the Markdown pages: there every value a
    template writes is escaped for Markdown unless a filter made it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        cache_size=-1,
        finalize=markdown.inline if for_markdown else None,
    )
    env.filters.update(markdown.FILTERS)
    env.filters["paragraphs"] = paragraphs
    env.filters["count_of"] = count_of
    env.filters["linked"] = linked
    return env


class _Writer:
    """Renders pages with one compiled template per page type and format."""

    def __init__(self, site: pages.Site, out: Path) -> None:
        self.site = site
        self.out = out
        self.env = environment()
        self.md_env = environment(for_markdown=True)
        self.common = {
            "site_title": site.title,
            "app_version": site.version,
            "appid": site.appid,
            "contentkit_version": __version__,
            "results_given": site.results is not None,
        }
        self.coverage = pages.coverage(site)
        self.files = 0
        self._templates: dict[str, jinja2.Template] = {}

    def template(self, name: str) -> jinja2.Template:
        found = self._templates.get(name)
        if found is None:
            env = self.md_env if name.endswith(".md.j2") else self.env
            found = self._templates[name] = env.get_template(name)
        return found

    def page(self, kind: str, rel: str, context: dict[str, Any]) -> None:
        """Write `rel`.html and markdown/`rel`.md from the templates of `kind`."""
        depth = rel.count("/")
        root = "../" * depth
        html = self.template(f"{kind}.html.j2").render(self.common, root=root, **context)
        md = self.template(f"{kind}.md.j2").render(self.common, root=root, **context)
        self.write(f"{rel}.html", html)
        self.write(f"markdown/{rel}.md", md)

    def write(self, rel: str, text: str) -> None:
        with open(self.out / rel, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        self.files += 1

    def run(self, task: tuple[str, int, int]) -> int:
        """Write the pages of one task: (kind, start, stop) over that kind's objects."""
        kind, start, stop = task
        before = self.files
        site = self.site
        if kind in _PAGES:
            items, make_page, folder = _PAGES[kind]
            for obj in getattr(site, items)[start:stop]:
                context = make_page(site, obj)
                self.page(kind, f"{folder}/{context['slug']}", context)
        elif kind == "lists":
            self.lists()
        elif kind == "index":
            self.index()
        return self.files - before

    def lists(self) -> None:
        site = self.site
        stories = [
            {
                "story": s,
                "slug": site.story_slug[s.name],
                "count": _count(site.detections_by_story, s.name),
            }
            for s in site.stories.values()
        ]
        self.page("stories", "stories/index", {"stories": stories})
        sources = [
            {
                "ds": d,
                "slug": site.data_source_slug[d.name],
                "platform": pages.platform_of(d),
                "count": _count(site.detections_by_data_source, d.name),
            }
            for d in site.data_sources.values()
        ]
        self.page("data_sources", "data_sources/index", {"data_sources": sources})
        macros = [
            {
                "macro": m,
                "slug": site.macro_slug[m.key],
                "count": _count(site.detections_by_macro, m.key),
            }
            for m in site.macros.values()
        ]
        self.page("macros", "macros/index", {"macros": macros})
        baselines = [{"base": b, "slug": site.baseline_slug[b.file]} for b in site.baseline_list]
        self.page("baselines", "baselines/index", {"baselines": baselines})
        investigations = [
            {"inv": i, "slug": site.investigation_slug[i.file]} for i in site.investigation_list
        ]
        self.page("investigations", "investigations/index", {"investigations": investigations})
        self.page("coverage", "coverage", {"coverage": self.coverage, "layer_file": LAYER_FILE})

    def index(self) -> None:
        site = self.site
        rows = pages.index_rows(site)
        counts = {
            "stories": len(site.stories),
            "data_sources": len(site.data_sources),
            "macros": len(site.macros),
            "techniques": len(self.coverage["techniques"]),
        }
        context = {
            "rows": rows,
            "filters": pages.index_filters(site, rows),
            "counts": counts,
            "layer_file": LAYER_FILE,
        }
        self.page("index", "index", context)


def _count(table: dict[str, list[Any]], key: str) -> int:
    return len(table.get(key, ()))


def _tasks(site: pages.Site, step: int) -> list[tuple[str, int, int]]:
    """The work, biggest first (the index and the detection pages), in pieces of `step`."""
    tasks: list[tuple[str, int, int]] = [("index", 0, 0), ("lists", 0, 0)]
    sizes = {
        "detection": len(site.detections),
        "story": len(site.stories),
        "data_source": len(site.data_sources),
        "macro": len(site.macros),
        "baseline": len(site.baseline_list),
        "investigation": len(site.investigation_list),
    }
    for kind, size in sizes.items():
        tasks += [(kind, i, min(i + step, size)) for i in range(0, size, step)]
    return tasks


# The writer of the parent process, inherited by forked workers.
_FORKED: list[_Writer] = []


def _task_in_worker(task: tuple[str, int, int]) -> int:
    return _FORKED[0].run(task)


def _write_pages(writer: _Writer, progress: Progress) -> None:
    site = writer.site
    workers = min(os.cpu_count() or 1, 4)
    if len(site.detections) < PARALLEL_MIN_DETECTIONS or workers < 2:
        for task in _tasks(site, _ALL):
            writer.run(task)
        return
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        for task in _tasks(site, _ALL):
            writer.run(task)
        return
    for name in sorted(p.name for p in TEMPLATES.iterdir() if p.suffix == ".j2"):
        writer.template(name)  # compile every template once, before the fork
    _FORKED[:] = [writer]
    try:
        with context.Pool(workers) as pool:
            writer.files += sum(pool.imap_unordered(_task_in_worker, _tasks(site, 60)))
    finally:
        _FORKED.clear()
    progress(f"rendered with {workers} worker processes")


def load_techniques(content: Content) -> dict[str, Technique]:
    path = mitre_enrichment_file(content)
    if path is None:
        return {}
    try:
        return load_attack(path)
    except AttackError as exc:
        raise DocsError(str(exc)) from None


def write_site(
    content: Content,
    out: Path,
    *,
    results: TestResults | None = None,
    progress: Progress | None = None,
) -> DocsResult:
    """Write the whole site into the empty folder `out`."""
    say = progress or (lambda _message: None)
    techniques = load_techniques(content)
    site = pages.make_site(content, techniques, results)
    writer = _Writer(site, out)
    folders = ("detections", "stories", "data_sources", "macros", "baselines", "investigations")
    for folder in (*folders, "static"):
        (out / folder).mkdir(parents=True, exist_ok=True)
        if folder != "static":
            (out / "markdown" / folder).mkdir(parents=True, exist_ok=True)
    for item in sorted(STATIC.iterdir()):
        if item.is_file():
            shutil.copyfile(item, out / "static" / item.name)
            writer.files += 1

    say(
        f"writing {len(site.detections)} detection, {len(site.stories)} story, "
        f"{len(site.data_sources)} data source and {len(site.macros)} macro pages"
    )
    _write_pages(writer, say)
    writer.write(
        LAYER_FILE,
        json.dumps(pages.navigator_layer(site, writer.coverage, __version__), indent=2) + "\n",
    )
    return DocsResult(
        output=out,
        index=out / "index.html",
        files=writer.files,
        detections=len(site.detections),
        stories=len(site.stories),
        data_sources=len(site.data_sources),
        macros=len(site.macros),
        techniques=len(writer.coverage["techniques"]),
    )


def build_docs(
    content: Content,
    output: Path,
    *,
    results: TestResults | None = None,
    progress: Progress | None = None,
) -> DocsResult:
    """Write the documentation site of `content` (validated, without errors) into `output`,
    replacing what was there only once the new site is complete."""
    output = output.resolve()
    if output.exists() and not output.is_dir():
        raise DocsError(f"{output}: exists and is not a folder")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        work = workdir.make(output.parent, f".{output.name}.new.")
        work.chmod(0o755)  # mkdtemp's 0700 would follow the site into place
    except OSError as exc:
        raise DocsError(f"cannot write to {output.parent}: {exc.strerror}") from None
    try:
        try:
            result = write_site(content, work, results=results, progress=progress)
        except jinja2.TemplateError as exc:
            raise DocsError(f"template error: {exc}") from None
        except OSError as exc:
            raise DocsError(f"cannot write the site: {exc}") from None
        try:
            package.atomic_replace_dir(work, output)
        except (OSError, package.PackageError) as exc:
            raise DocsError(f"cannot move the site into {output}: {exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result.output = output
    result.index = output / "index.html"
    return result
