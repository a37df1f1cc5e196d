"""`contentkit init` and `contentkit new …`: thin commands over `contentkit.content.scaffold`.

Every answer can be given as an option; only when an option without a default is missing and
standard input is a terminal does the command ask for it. In CI (no terminal) a missing option
is a usage error naming it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_USAGE = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"contentkit: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _ask(value: Any, option: str, prompt: str, default: Any = None) -> Any:
    """The option's value; else the default; else ask on a terminal; else a usage error."""
    if value not in (None, "", ()):
        return value
    if default is not None:
        return default
    if sys.stdin.isatty():
        return click.prompt(prompt)
    _fail(f"missing {option} (no terminal to ask on)")


def _root(path: Path) -> Path:
    from contentkit.content.layout import CONFIG_FILE

    if not (path / CONFIG_FILE).is_file():
        _fail(f"{path}: no {CONFIG_FILE} here (run `contentkit init` first, or give --path)")
    return path


def _write(root: Path, make: Callable[[], tuple[Any, ...]]) -> None:
    """Write the new object ``make()`` describes ((path in the repository, document[, CSV text]),
    see ``scaffold.write_object``) into ``root`` and print its path; a ScaffoldError from either
    step is a usage error."""
    from contentkit.content.scaffold import ScaffoldError, write_object

    try:
        path = write_object(root, *make())
    except ScaffoldError as exc:
        _fail(str(exc))
    click.echo(os.path.relpath(path))


def _written(paths: list[Path]) -> None:
    for path in paths:
        click.echo(os.path.relpath(path))


@click.command(context_settings=CONTEXT)
@click.argument("path", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--appid", default="DA-ESS-MyContent", show_default=True, help="The app's id.")
@click.option("--title", default="My Detections", show_default=True, help="The app's title.")
@click.option(
    "--prefix", default="MYCO", show_default=True, help="Label before every search's name."
)
@click.option("--author", default="Detection Engineering", show_default=True)
@click.option("--company", default="Example Corp", show_default=True)
@click.option("--email", default="detections@example.com", show_default=True)
def init(
    path: Path, appid: str, title: str, prefix: str, author: str, company: str, email: str
) -> None:
    """Start a content repository in PATH (created if missing).

    Writes contentctl.yml and one working example of everything in the security_content layout:
    a detection (detections/cloud/) with a positive and a negative test and their datasets
    (datasets/), its macro, analytic story and data source, deployments for every detection
    type, and the ATT&CK CSV. The result validates, builds and tests at once. Existing files
    are never overwritten: PATH must not hold contentctl.yml or content folders yet.

    \b
    Examples:
      contentkit init my_content --appid DA-ESS-AcmeDetections --title "Acme Detections" --prefix ACME
      cd my_content && contentkit validate && contentkit build && contentkit test
    """
    from contentkit.content.scaffold import AppSettings, ScaffoldError, init_repository

    settings = AppSettings(
        appid=appid,
        title=title,
        prefix=prefix,
        author_name=author,
        author_company=company,
        author_email=email,
    )
    try:
        written = init_repository(path, settings)
    except ScaffoldError as exc:
        _fail(str(exc))
    _written(written)
    click.echo(f"Initialised {path} ({len(written)} files)", err=True)


@click.group(context_settings=CONTEXT)
def new() -> None:
    """Add one new object to the repository: detection, story, macro, lookup or data-source.

    Each writes one YAML file that validates (fresh UUID, today's date, version 1) and prints
    its path. Every answer can be an option; a missing one is asked for on a terminal only.

    \b
    Examples:
      contentkit new detection --name "Suspicious Service Created" --type TTP --story "Persistence"
      contentkit new story --name "Persistence"
      contentkit new macro --name my_index --definition 'index=main'
    """


_PATH = click.option(
    "--path",
    "root",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="The content repository.",
)


@new.command(context_settings=CONTEXT)
@_PATH
@click.option("--name", help="Detection name (the file name and filter macro come from it).")
@click.option(
    "--type",
    "type_",
    type=click.Choice(["TTP", "Anomaly", "Hunting", "Correlation"]),
    default="TTP",
    show_default=True,
)
@click.option(
    "--folder",
    type=click.Choice(["endpoint", "network", "cloud", "web", "application"]),
    default="endpoint",
    show_default=True,
    help="Folder under detections/.",
)
@click.option(
    "--security-domain",
    type=click.Choice(["endpoint", "network", "threat", "identity", "access", "audit"]),
    default="endpoint",
    show_default=True,
)
@click.option("--author", default="Detection Engineering", show_default=True)
@click.option("--description", default="", help="What the detection finds.")
@click.option(
    "--search",
    default="",
    help="The SPL; the filter macro is appended when the search lacks it.",
)
@click.option("--data-source", "data_sources", multiple=True, help="Data source name; repeatable.")
@click.option("--story", "stories", multiple=True, help="Analytic story name; repeatable.")
@click.option("--mitre", "mitre", multiple=True, help="ATT&CK technique id; repeatable.")
@click.option("--risk-field", default="user", show_default=True)
@click.option(
    "--risk-type",
    type=click.Choice(["user", "system", "other"]),
    default="user",
    show_default=True,
)
@click.option("--risk-score", type=click.IntRange(0, 100), default=50, show_default=True)
@click.option("--dataset", help="Dataset path (in the repository) or URL for a first test.")
@click.option("--source", help="Source of the dataset's events.")
@click.option("--sourcetype", help="Sourcetype of the dataset's events.")
def detection(root: Path, name: str | None, type_: str, **options: Any) -> None:
    """Write detections/<folder>/<name>.yml.

    \b
    Examples:
      contentkit new detection --name "Kubernetes Pod Exec" --type Anomaly --folder cloud \\
          --search '`kube_audit` verb=create objectRef.subresource=exec | stats count by user.username' \\
          --story "Kubernetes Security" --data-source "Kubernetes Audit" --risk-field user.username
    """
    from contentkit.content.scaffold import DetectionSpec, detection_doc

    root = _root(root)
    spec = DetectionSpec(
        name=_ask(name, "--name", "Detection name"),
        type=type_,
        folder=options["folder"],
        security_domain=options["security_domain"],
        author=options["author"],
        description=options["description"],
        search=options["search"],
        data_sources=list(options["data_sources"]),
        stories=list(options["stories"]),
        mitre_attack_ids=list(options["mitre"]),
        risk_field=options["risk_field"],
        risk_type=options["risk_type"],
        risk_score=options["risk_score"],
        dataset=options["dataset"],
        source=options["source"],
        sourcetype=options["sourcetype"],
    )
    _write(root, lambda: detection_doc(spec))


@new.command(context_settings=CONTEXT)
@_PATH
@click.option("--name", help="Story name.")
@click.option("--author", default="Detection Engineering", show_default=True)
@click.option("--description", default="")
@click.option("--narrative", default="")
@click.option("--category", default="Adversary Tactics", show_default=True)
def story(
    root: Path, name: str | None, author: str, description: str, narrative: str, category: str
) -> None:
    """Write stories/<name>.yml.

    \b
    Example:
      contentkit new story --name "Kubernetes Security" --category "Cloud Security"
    """
    from contentkit.content.scaffold import story_doc

    root = _root(root)
    _write(
        root,
        lambda: story_doc(
            _ask(name, "--name", "Story name"), author, description, narrative, category
        ),
    )


@new.command(context_settings=CONTEXT)
@_PATH
@click.option("--name", help="Macro name (letters, digits, _).")
@click.option("--definition", help="What the macro expands to.")
@click.option("--argument", "arguments", multiple=True, help="Argument name; repeatable.")
@click.option("--description", default="")
def macro(
    root: Path,
    name: str | None,
    definition: str | None,
    arguments: tuple[str, ...],
    description: str,
) -> None:
    """Write macros/<name>.yml.

    \b
    Examples:
      contentkit new macro --name windows_security --definition 'index=wineventlog sourcetype=XmlWinEventLog'
      contentkit new macro --name in_range --argument field --definition '$field$>10'
    """
    from contentkit.content.scaffold import macro_doc

    root = _root(root)
    _write(
        root,
        lambda: macro_doc(
            _ask(name, "--name", "Macro name"),
            _ask(definition, "--definition", "Definition"),
            description,
            list(arguments),
        ),
    )


@new.command(context_settings=CONTEXT)
@_PATH
@click.option("--name", help="Lookup name (letters, digits, _).")
@click.option("--description", default="")
@click.option("--field", "fields", multiple=True, help="Column name; repeatable.")
@click.option("--kvstore", is_flag=True, help="A KV store collection instead of a CSV file.")
def lookup(
    root: Path, name: str | None, description: str, fields: tuple[str, ...], kvstore: bool
) -> None:
    """Write lookups/<name>.yml and, for a CSV lookup, lookups/<name>.csv with the header row.

    \b
    Example:
      contentkit new lookup --name known_admins --field user --field team
    """
    from contentkit.content.scaffold import lookup_doc

    root = _root(root)
    columns = list(fields)
    if not columns and sys.stdin.isatty():
        columns = [c.strip() for c in click.prompt("Columns (comma separated)").split(",")]
    _write(
        root,
        lambda: lookup_doc(
            _ask(name, "--name", "Lookup name"), description, columns, kvstore=kvstore
        ),
    )


@new.command(name="data-source", context_settings=CONTEXT)
@_PATH
@click.option("--name", help="Data source name, e.g. 'Sysmon EventID 1'.")
@click.option("--source", help="Source of its events.")
@click.option("--sourcetype", help="Sourcetype of its events.")
@click.option("--author", default="Detection Engineering", show_default=True)
@click.option("--description", default="")
def data_source(
    root: Path,
    name: str | None,
    source: str | None,
    sourcetype: str | None,
    author: str,
    description: str,
) -> None:
    """Write data_sources/<name>.yml.

    \b
    Example:
      contentkit new data-source --name "Okta System Log" --source okta --sourcetype OktaIM2:log
    """
    from contentkit.content.scaffold import data_source_doc

    root = _root(root)
    _write(
        root,
        lambda: data_source_doc(
            _ask(name, "--name", "Data source name"),
            _ask(source, "--source", "Source"),
            _ask(sourcetype, "--sourcetype", "Sourcetype"),
            author,
            description,
        ),
    )
