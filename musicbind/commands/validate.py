"""Command line: ``musicbind validate FILE...``: check payload files against the generated models.

Exit status: 0 when every payload is valid, 1 when any problem was found, 2 on a
usage error, a file that cannot be read, or no payload found at all (unless --allow-empty).
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from musicbind.commands.options import format_option, media_duration_option, probe_urls_option
from musicbind.validation.report import FORMATS, plural


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--model", "model", metavar="REF", help="Validate every payload as this model.")
@format_option(FORMATS, "text, json, or github (GitHub Actions annotations).")
@media_duration_option("Length of the media in FIELD (wire or python name), for cross-field rules.")
@probe_urls_option(
    "Read the length of http(s) media in media fields from the file's header "
    "(ranged requests, at most 2 MiB each), for the cross-field rules."
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Exit 0 when the files and folders hold no payload at all (an error otherwise).",
)
@click.option(
    "--package",
    help="Import name of the bindings package (default: the one [tool.musicbind] in "
    "pyproject.toml names, else musicbind.generated, the bindings bundled with musicbind).",
)
def validate_command(
    files: tuple[Path, ...],
    model: str | None,
    output_format: str,
    media_duration: dict[str, float],
    probe_urls: bool,
    allow_empty: bool,
    package: str | None,
) -> None:
    """Validate payload files (JSON, JSON Lines, YAML) against the generated models.

    A payload is {"model": REF, "input": {...}}, or just the input with --model.
    Every problem is reported with its file:line:column, JSON path, the rule it
    breaks and the spec document that states the rule. Local media files named in
    a payload are probed for their length so the cross-field rules apply; file
    inputs that cannot be sent (no such file, file://, ftp://) are reported.
    """
    from musicbind.project import find_project
    from musicbind.validation import report as render
    from musicbind.validation.package_import import PackageImportError, bindings_package
    from musicbind.validation.validator import (
        BindingSource,
        PackageError,
        ValidateOptions,
        Validator,
        did_you_mean,
    )

    try:
        package = bindings_package(package, find_project())
        source = BindingSource(package)
    except (PackageError, PackageImportError) as exc:
        raise click.UsageError(str(exc)) from None
    if model is not None and source.binding(model) is None:
        hint = did_you_mean(source.suggest(model))
        raise click.BadParameter(
            f"no model {model!r} in {package}" + (f"; {hint}" if hint else ""),
            param_hint="--model",
        )
    validator = Validator(source, ValidateOptions(model, media_duration, probe_urls))
    report = validator.validate(files)
    unknown = validator.unknown_media_names()
    if unknown and report.payloads:
        known = sorted(validator.media_fields_seen)
        hint = did_you_mean(difflib.get_close_matches(unknown[0], known, n=2, cutoff=0.5))
        raise click.BadParameter(
            f"{', '.join(unknown)}: no checked payload's model has a media field of that name"
            + (f" (media fields: {', '.join(known)})" if known else " (they have none)")
            + (f"; {hint}" if hint else ""),
            param_hint="--media-duration",
        )
    if output_format == "json":
        click.echo(render.json_text(report))
    else:
        lines = (
            render.github_lines(report) if output_format == "github" else render.text_lines(report)
        )
        for line in lines:
            click.echo(line)
        colour = "green" if report.exit_code == 0 else "red"
        click.secho(render.summary(report), fg=colour, err=True)
        if validator.rules_unchecked:
            click.echo(
                f"note: media-length rules not checked in "
                f"{plural(validator.rules_unchecked, 'payload')}: no length known\n"
                "      (pass --media-duration FIELD=SECONDS, or name a local file)",
                err=True,
            )
    if report.payloads == 0 and not report.findings and not allow_empty:
        names = ", ".join(str(path) for path in files)
        click.secho(
            f"error: no payloads found in {names} (JSON, JSON Lines or YAML files); "
            "pass --allow-empty if that is expected",
            fg="red",
            err=True,
        )
        sys.exit(2)
    sys.exit(report.exit_code)
