"""Command line: ``musicbind registry`` prints the model registry built from provider documents."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from musicbind.commands.generate import print_problems, project_target
from musicbind.commands.options import specs_option
from musicbind.project import shown

if TYPE_CHECKING:
    from musicbind.generator.registry.model import Registry


@dataclass(frozen=True, slots=True)
class RegistryInputs:
    """Where a registry comes from: loose PATHS (with an overlay and a provider), else specs."""

    paths: tuple[Path, ...]
    specs: Path | None
    overlay: Path | None
    provider: str | None


def registry_inputs(command: Callable[..., None]) -> Callable[..., None]:
    """The options of a command that builds a registry: loose PATHS or the project's specs.

    The command receives them as one ``inputs: RegistryInputs`` argument.
    """

    @functools.wraps(command)
    def with_inputs(
        paths: tuple[Path, ...],
        specs: Path | None,
        overlay: Path | None,
        provider: str | None,
        **options: Any,
    ) -> None:
        command(inputs=RegistryInputs(paths, specs, overlay, provider), **options)

    decorated: Callable[..., None] = with_inputs
    for option in reversed(
        (
            click.argument(
                "paths",
                nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
            ),
            specs_option(),
            click.option(
                "--overlay",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Overlay laid over musicbind's for loose PATHS.",
            ),
            click.option(
                "--provider", help="Provider of loose PATHS when their content does not say."
            ),
        )
    ):
        decorated = option(decorated)
    return decorated


def build_registry_for(inputs: RegistryInputs) -> Registry:
    """The registry of loose ``paths`` (with musicbind's overlay under ``overlay``), else of
    the project's specs folder (``--specs``, else ``[tool.musicbind]``, else specs/)."""
    paths, specs, overlay, provider = inputs.paths, inputs.specs, inputs.overlay, inputs.provider
    from musicbind.generator.ingest import (
        build_from_paths,
        build_from_specs,
        default_overlay_path,
    )

    if paths:
        built = build_from_paths(
            list(paths),
            overlay or default_overlay_path(),
            Path.cwd(),
            provider,
            bundled_overlay=True,
        )
    else:
        target = project_target(specs, None)
        if not target.specs.is_dir():
            raise click.UsageError(f"no specs folder at {shown(target.specs)} and no PATHS given")
        built = build_from_specs(target.specs, settings=target.settings)
    return built.registry


@click.command("registry")
@click.option("--json", "as_json", is_flag=True, help="Print the whole registry as stable JSON.")
@registry_inputs
def registry_command(inputs: RegistryInputs, as_json: bool) -> None:
    """Print the registry of specs/ (or of PATHS): models, fields, rules, pricing, provenance."""
    from musicbind.generator.snapshot.serialize import registry_to_json

    registry = build_registry_for(inputs)
    if as_json:
        sys.stdout.write(registry_to_json(registry))
    else:
        print_problems(list(registry.problems))
        for model in registry.models:
            price = (
                f"{model.pricing.amount} {model.pricing.currency}/{model.pricing.unit}"
                if model.pricing
                else "-"
            )
            click.echo(
                f"{model.ref}  inputs={len(model.inputs)}  price={price}  "
                f"from {', '.join(model.sources)}"
            )
            for rule in model.rules:
                click.echo(f"  rule {rule.name}  ({rule.location})")
    if any(p.level.value == "error" for p in registry.problems):
        sys.exit(1)
