"""`contentkit build`: render the Splunk app from validated content and package it.

The app is assembled in a temporary folder next to the output; only when every file is written
and verified, and the package is made, do the app folder and the `.tar.gz` move into place. A
failed build leaves the previous output as it was.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contentkit import __version__
from contentkit.content.model import Content
from contentkit.render import package, templating, views, workdir

# conf templates and where their output goes inside the app
CONF_FILES = {
    "savedsearches.conf.j2": "default/savedsearches.conf",
    "macros.conf.j2": "default/macros.conf",
    "analyticstories.conf.j2": "default/analyticstories.conf",
    "transforms.conf.j2": "default/transforms.conf",
    "collections.conf.j2": "default/collections.conf",
    "app.conf.j2": "default/app.conf",
    "server.conf.j2": "default/server.conf",
    "content-version.conf.j2": "default/content-version.conf",
    "es_investigations.conf.j2": "default/es_investigations.conf",
    "workflow_actions.conf.j2": "default/workflow_actions.conf",
    "default.meta.j2": "metadata/default.meta",
}
# conf files written even without stanzas; the others are left out when empty (AppInspect warns
# about an empty collections.conf, for example)
ALWAYS_WRITTEN = {"app.conf.j2", "savedsearches.conf.j2", "macros.conf.j2", "default.meta.j2"}
MITRE_FILE = "mitre_enrichment.csv"
# saved searches a repository keeps as conf text, appended to savedsearches.conf as they are
FBD_FILE = "static_configs/savedsearches_fbd.conf"


class BuildError(Exception):
    """The build could not finish; nothing was left in the output folder."""


@dataclass
class BuildResult:
    app_dir: Path
    package: Path
    files: int
    detections: int
    baselines: int
    stories: int
    macros: int
    lookups: int


Progress = Callable[[str], None]


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")


def mitre_enrichment_file(content: Content) -> Path | None:
    """The ATT&CK enrichment CSV: contentctl.yml's `mitre_enrichment`, else app_template's."""
    config = content.config
    if config is not None and config.mitre_enrichment:
        path = content.root / config.mitre_enrichment
        return path if path.is_file() else None
    default = content.root / "app_template" / "lookups" / MITRE_FILE
    return default if default.is_file() else None


def _data_sources_csv(content: Content) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["name", "id", "author", "source", "sourcetype", "separator", "supported_TA", "description"]
    )
    for ds in sorted(content.data_sources, key=lambda d: d.name):
        tas = "|".join(t.get("name", "") for t in ds.supported_tas)
        writer.writerow(
            [ds.name, ds.id, "", ds.source, ds.sourcetype, ds.separator or "", tas, ds.description]
        )
    return out.getvalue()


def _manifest(app: views.AppView) -> str:
    manifest: dict[str, Any] = {
        "schemaVersion": "1.0.0",
        "targetWorkloads": ["_search_heads"],
        "info": {
            "title": app.title,
            "id": {"group": None, "name": app.appid, "version": app.version},
            "author": [
                {
                    "name": app.author_name,
                    "email": app.author_email or None,
                    "company": app.author_company or None,
                }
            ],
            "releaseDate": app.release_date,
            "description": app.description or app.title,
            "classification": {
                "intendedAudience": None,
                "categories": [],
                "developmentStatus": None,
            },
            "commonInformationModels": None,
            "license": {"name": None, "text": None, "uri": None},
            "privacyPolicy": {"name": None, "text": None, "uri": None},
            "releaseNotes": {"name": None, "text": "./README.md", "uri": None},
        },
        "dependencies": None,
        "tasks": None,
        "inputGroups": None,
        "incompatibleApps": None,
        "platformRequirements": None,
    }
    return json.dumps(manifest, indent=2) + "\n"


# With this many detections, savedsearches.conf renders in a second process beside the others.
PARALLEL_MIN_DETECTIONS = 300
_FORKED_CONTEXT: dict[str, Any] = {}


def _render_one(template: str, app_dir: Path, context: dict[str, Any] | None = None) -> None:
    """Render, verify and write one conf file (in this process or a forked one)."""
    target = app_dir / CONF_FILES[template]
    stanzas = templating.write_conf(template, target, **(context or _FORKED_CONTEXT))
    if not stanzas and template not in ALWAYS_WRITTEN:
        target.unlink()


BIG_CONF = "savedsearches.conf.j2"


@contextlib.contextmanager
def _big_conf_in_background(
    context: dict[str, Any], app_dir: Path, *, parallel: bool
) -> Iterator[None]:
    """Render savedsearches.conf in a forked process while the body of the `with` runs; wait for
    it (and raise its error) at the end. Without fork, or for small content, render it here."""
    fork = None
    if parallel and (os.cpu_count() or 1) >= 2:
        import multiprocessing

        with contextlib.suppress(ValueError):  # no fork on this platform
            fork = multiprocessing.get_context("fork")
    if fork is None:
        yield
        _render_one(BIG_CONF, app_dir, context)
        return
    # The forked child sees the context as it is now (copy on write): nothing is pickled but
    # the template name; errors come back as exceptions.
    _FORKED_CONTEXT.update(context)
    try:
        with fork.Pool(1) as pool:
            pending = pool.apply_async(_render_one, (BIG_CONF, app_dir))
            yield
            pending.get()
    finally:
        _FORKED_CONTEXT.clear()


def assemble(
    content: Content,
    app_dir: Path,
    *,
    source_date_epoch: int | None,
    progress: Progress,
    meanwhile: Callable[[], None] | None = None,
) -> views.AppView:
    """Write every file of the app into `app_dir` (which must be empty). `meanwhile` runs once
    savedsearches.conf is rendering in the background; an exception from it abandons the build."""
    when = views.build_date(content, source_date_epoch)
    app = views.app_view(content, when)
    template_dir = content.root / "app_template"
    if template_dir.is_dir():
        progress("copying app_template/")
        shutil.copytree(template_dir, app_dir, dirs_exist_ok=True, symlinks=False)
    context = {
        "app": app,
        "contentkit_version": __version__,
        "notable_entities": views._NOTABLE_ENTITIES,
    }
    progress(f"rendering {len(CONF_FILES)} conf files")
    parallel = len(app.detections) >= PARALLEL_MIN_DETECTIONS
    with _big_conf_in_background(context, app_dir, parallel=parallel):
        if meanwhile is not None:
            meanwhile()
        _copy_data(content, app, app_dir)
        for template in CONF_FILES:
            if template != BIG_CONF:
                _render_one(template, app_dir, context)
        nav = app_dir / "default/data/ui/nav/default.xml"
        if not nav.exists():
            _write(nav, templating.render_text("nav.xml.j2", **context))
        if not (app_dir / "README.md").exists():
            _write(app_dir / "README.md", templating.render_text("README.md.j2", **context))
        _write(app_dir / "app.manifest", _manifest(app))
    _merge_static_searches(content, app_dir, progress)
    return app


def unix_newlines(data: bytes) -> bytes:
    """CSV bytes with every line ending as a single newline (as contentctl writes lookups)."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _merge_static_searches(content: Content, app_dir: Path, progress: Progress) -> None:
    """Append the stanzas of `static_configs/savedsearches_fbd.conf` to savedsearches.conf.
    The file is read strictly, and the merged file must read back strictly too (a stanza that
    repeats a generated one is an error naming it)."""
    from contentkit.conf import ConfError, read_conf, read_conf_file

    source = content.root / FBD_FILE
    if not source.is_file():
        return
    progress(f"merging {FBD_FILE}")
    try:
        extra = read_conf_file(source, strict=True, source=FBD_FILE)
    except ConfError as exc:
        raise BuildError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise BuildError(f"{FBD_FILE}: not UTF-8 text ({exc.reason})") from None
    if not len(extra):
        return
    target = app_dir / CONF_FILES[BIG_CONF]
    text = target.read_text(encoding="utf-8")
    body = source.read_text(encoding="utf-8").replace("\r\n", "\n").strip("\n")
    merged = text.rstrip("\n") + "\n\n" + body + "\n"
    try:
        read_conf(merged, source="default/savedsearches.conf", strict=True)
    except ConfError as exc:
        raise BuildError(f"merging {FBD_FILE}: {exc}") from None
    target.write_text(merged, encoding="utf-8", newline="\n")


def _copy_data(content: Content, app: views.AppView, app_dir: Path) -> None:
    """Lookup files, the data source list, the ATT&CK CSV and dashboards (registering the
    extra transforms and views they need in `app`)."""
    lookups_dir = app_dir / "lookups"
    for lv in app.lookups:
        if lv.filename and lv.lookup.data_file is not None:
            _write(lookups_dir / lv.filename, unix_newlines(lv.lookup.data_file.read_bytes()))
    for lookup in content.lookups:
        if lookup.lookup_type == "mlmodel" and lookup.data_file is not None:
            _write(lookups_dir / lookup.data_file.name, lookup.data_file.read_bytes())
    if content.data_sources:
        name = f"data_sources_{app.build[:8]}.csv"
        _write(lookups_dir / name, _data_sources_csv(content))
        app.extra_transforms.append(("data_sources", name, "false"))
    mitre = mitre_enrichment_file(content)
    if mitre is not None:
        _write(lookups_dir / MITRE_FILE, mitre.read_bytes())
        app.extra_transforms.append(("mitre_enrichment", MITRE_FILE, ""))
    for dash in sorted(content.dashboards, key=lambda d: d.name):
        if dash.json_file is None:
            continue
        stem = f"{app.label.lower()}__{Path(dash.file).stem}"
        definition = dash.json_file.read_text(encoding="utf-8")
        if "]]>" in definition:
            raise BuildError(f"{dash.json_file}: the dashboard JSON contains ']]>'")
        text = templating.render_text(
            "dashboard.xml.j2", label=dash.name, description=dash.description, definition=definition
        )
        _write(app_dir / "default/data/ui/views" / f"{stem}.xml", text)
        app.dashboards.append((stem, dash.name))


def latest_name(appid: str) -> str:
    """The package's second name, which stays the same from release to release."""
    return f"{appid}-latest.tar.gz"


def build(
    content: Content,
    output: Path,
    *,
    source_date_epoch: int | None = None,
    progress: Progress | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> BuildResult:
    """Build `content` into `output`. The content must be free of errors: validated before, or
    by `meanwhile`, which runs while the biggest file renders in the background and abandons
    the build (leaving the output untouched) by raising."""
    say = progress or (lambda _message: None)
    config = content.config
    if config is None:
        raise BuildError("contentctl.yml is missing or invalid")
    epoch = source_date_epoch
    if epoch is None:
        env = package.resolve_source_date_epoch(None)
        epoch = env if env else None
    try:
        output.mkdir(parents=True, exist_ok=True)
        work = workdir.make(output, ".contentkit-build.")  # removes an interrupted build's
    except OSError as exc:
        raise BuildError(f"cannot write to {output}: {exc.strerror}") from None
    try:
        app_dir = work / config.appid
        app_dir.mkdir()
        try:
            app = assemble(
                content, app_dir, source_date_epoch=epoch, progress=say, meanwhile=meanwhile
            )
        except templating.RenderError as exc:
            raise BuildError(f"generated file does not read back as meant: {exc}") from None
        except (OSError, ValueError) as exc:
            raise BuildError(str(exc)) from None
        say("packaging")
        stamp = int(views.build_date(content, epoch).timestamp())
        try:
            tarball = package.make_tarball(
                app_dir, work / f"{config.appid}-{config.version}.tar.gz", source_date_epoch=stamp
            )
        except package.PackageError as exc:
            raise BuildError(str(exc)) from None
        files = sum(1 for p in app_dir.rglob("*") if p.is_file())
        final_dir = output / config.appid
        final_package = output / tarball.name
        latest = work / latest_name(config.appid)
        shutil.copyfile(tarball, latest)
        try:
            package.atomic_replace_dir(app_dir, final_dir)
            tarball.replace(final_package)
            latest.replace(output / latest.name)
        except (OSError, package.PackageError) as exc:
            raise BuildError(f"cannot move the build into {output}: {exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BuildResult(
        app_dir=final_dir,
        package=final_package,
        files=files,
        detections=len(app.detections),
        baselines=len(app.baselines),
        stories=len(app.stories),
        macros=len(app.macros),
        lookups=len(app.lookups),
    )
