"""`contentkit import ...`: the click commands (thin; the work is in the importer modules).

Only click is imported at start-up: the importers load when a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _fail(message: str, status: int = 2) -> None:
    click.echo(f"contentkit: error: {message}", err=True)
    sys.exit(status)


@click.group(name="import", context_settings=CONTEXT)
def import_group() -> None:
    """Bring existing content in: a Splunk app's saved searches, or Sigma rules.

    \b
    Examples:
      contentkit import splunk-app DA-ESS-ContentUpdate-5.13.0.tar.gz --output my_content
      contentkit import splunk-app /opt/splunk/etc/apps/my_app --output my_content
      contentkit import sigma rules/ --output my_content
    """


@import_group.command(name="splunk-app", context_settings=CONTEXT)
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("imported"),
    show_default=True,
    help="The new repository's folder (must not exist, or be empty).",
)
def splunk_app(source: Path, output: Path) -> None:
    """Turn a Splunk app (folder, .tgz, .tar.gz or .spl) into a content repository.

    Saved searches become detections (scheduled and correlation searches) and baselines
    (ESCU support searches), with their schedule, risk and notable actions, ES annotations
    and drilldowns; macros.conf, analyticstories.conf, transforms.conf + lookups/ become macros,
    stories and lookups; the app's other files go to app_template/. The result is then built and
    compared with the app: every setting the build would not write the same way is listed in
    OUTPUT/import-report.json, so nothing is dropped silently.

    \b
    Examples:
      contentkit import splunk-app DA-ESS-ContentUpdate-5.13.0.tar.gz --output escu
      contentkit import splunk-app ./my_app --output my_content && contentkit build my_content
    """
    from contentkit.importers.splunk_app import IMPORT_REPORT, AppImportError, import_splunk_app
    from contentkit.importers.verify import summary

    try:
        report = import_splunk_app(source, output)
    except AppImportError as exc:
        _fail(str(exc))
        return
    counts = ", ".join(f"{n} {what}" for what, n in report.counts.items() if n)
    click.echo(f"Imported into {output}: {counts}")
    for note in report.notes:
        click.echo(f"contentkit: note: {note}", err=True)
    grouped = summary(report.leftovers)
    if report.problems:
        click.echo("The imported repository was not built: it has validation errors.")
    elif grouped:
        click.echo(
            f"{len(report.leftovers)} settings of the app are not reproduced by the build "
            f"(values in {output / IMPORT_REPORT}):"
        )
        for key, count in grouped:
            click.echo(f"  {count:6d}  {key}")
    else:
        click.echo("The build of the imported repository reproduces every setting of the app.")
    if report.problems:
        for problem in report.problems:
            click.echo(problem, err=True)
        _fail(
            f"the imported repository has {len(report.problems)} validation errors (fix them, "
            f"then run contentkit build {output})",
            1,
        )


@import_group.command(name="sigma", context_settings=CONTEXT)
@click.argument("rules", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--pipeline",
    "pipelines",
    multiple=True,
    metavar="NAME",
    help="pySigma pipeline to convert with (repeatable: splunk_cim, splunk_windows, "
    "splunk_sysmon_acceleration). Default: splunk_cim where the log source maps to a CIM "
    "data model, else splunk_windows for Windows rules.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository to add the detections to (created when absent).",
)
def sigma(rules: tuple[Path, ...], pipelines: tuple[str, ...], output: Path) -> None:
    """Convert Sigma rules (files or folders) into detections with pySigma's Splunk backend.

    Each rule becomes detections/sigma/<title>.yml with its name, id, date, author, status,
    level (risk score and type), ATT&CK tags, false positives, references and data source,
    plus a filter macro. Rules pySigma cannot convert are listed with its reason (exit 1).
    The repository is validated at the end. Needs: pip install 'contentkit[import]'.

    \b
    Examples:
      contentkit import sigma rules/windows/process_creation --output .
      contentkit import sigma proc_creation_win_whoami.yml --pipeline splunk_windows -o my_content
    """
    from contentkit.importers.sigma import SigmaImportError, import_sigma

    try:
        report = import_sigma(list(rules), output, pipelines)
    except SigmaImportError as exc:
        _fail(str(exc))
        return
    for item in report.converted:
        click.echo(f"converted {item.file} -> {item.path} ({item.form})")
    for path in report.written:
        click.echo(f"wrote {path}")
    for file, reason in report.failed:
        click.echo(f"{file}: not converted: {reason}", err=True)
    click.echo(f"{len(report.converted)} rules converted, {len(report.failed)} not converted")
    for problem in report.problems:
        click.echo(problem, err=True)
    if report.problems:
        _fail(f"{output} has {len(report.problems)} validation errors after the import", 1)
    if report.failed:
        sys.exit(1)
