"""Command line: ``musicbind schema REF``: the JSON Schema (2020-12) of a model's input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from musicbind.generator.settings import BuildSettings
    from musicbind.project import ProjectConfig


@click.command("schema")
@click.argument("ref")
@click.option(
    "--package",
    help="Bindings package whose registry snapshot to read (default: the one "
    "[tool.musicbind] in pyproject.toml names, else musicbind.generated).",
)
@click.option(
    "--specs",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Build the registry from this specs folder instead of the package's snapshot.",
)
def schema_command(ref: str, package: str | None, specs: Path | None) -> None:
    """Print the JSON Schema (draft 2020-12) of REF's input on stdout.

    Properties are the wire names, with ranges, allowed values, defaults and
    descriptions; shapes are under $defs. Cross-field rules, which no JSON Schema
    keyword can state, are in "x-musicbind-rules" and in the description.
    """
    from musicbind.generator.emit.json_schema import input_json_schema
    from musicbind.project import find_project
    from musicbind.reports.sources import SourceError, load_specs, package_registry
    from musicbind.validation.package_import import PackageImportError, bindings_package
    from musicbind.validation.validator import did_you_mean

    project = find_project()
    try:
        if specs is not None:
            loaded = load_specs(specs, str(specs), _settings_for(specs, project))
        else:
            loaded = package_registry(bindings_package(package, project))
    except (SourceError, PackageImportError) as exc:
        raise click.UsageError(str(exc)) from None
    models = {m.ref: m for m in loaded.registry.models}
    model = models.get(ref)
    if model is None:
        import difflib

        close = difflib.get_close_matches(ref, list(models), n=3, cutoff=0.6)
        by_id = {r.split(":", 1)[-1]: r for r in models}
        close = close or [by_id[m] for m in difflib.get_close_matches(ref, list(by_id), n=3)]
        hint = did_you_mean(close)
        if not hint:
            known = sorted(models)
            more = f" and {len(known) - 5} more" if len(known) > 5 else ""
            hint = "known: " + ", ".join(known[:5]) + more if known else "the package has none"
        raise click.BadParameter(f"no model {ref!r}; {hint}", param_hint="REF")
    click.echo(json.dumps(input_json_schema(model), indent=2, ensure_ascii=False))


def _settings_for(specs: Path, project: ProjectConfig | None) -> BuildSettings | None:
    """The project's overlays when ``specs`` is the project's specs folder."""
    if project is None or specs.resolve() != project.specs.resolve():
        return None
    return project.build_settings()
