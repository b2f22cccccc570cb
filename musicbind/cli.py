"""Command line: the ``musicbind`` console script; each command lives in musicbind/commands/."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from typing import Any

import click

from musicbind import __version__

# command name -> (module under musicbind.commands, one-line help). Modules load only when
# their command runs, so ``musicbind --help`` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("generate", "Generate typed bindings from provider documents."),
    "init": ("init", "Start a project: write [tool.musicbind] and a starter specs folder."),
    "check": ("generate", "Exit 1 when the bindings are not what the specs produce."),
    "registry": ("registry", "Print the model registry built from provider documents."),
    "run": ("run", "Validate, estimate, submit, wait for and download one job."),
    "batch": ("batch", "Run a file of jobs: bounded, rate-limited, cost-capped, resumable."),
    "jobs": ("jobs", "List the job journal."),
    "resume": ("jobs", "Resume waiting for and downloading a journalled job."),
    "reconcile": ("jobs", "Attach a provider job id to an uncertain journal entry, then resume."),
    "emulate": ("emulate", "Serve the local provider emulator on 127.0.0.1."),
    "demo": ("demo", "Run every seeded system end to end against the local emulator."),
    "validate": ("validate", "Validate payload files against the generated models."),
    "diff": ("diff", "Classify the changes between two spec versions (breaking or not)."),
    "schema": ("schema", "Print the JSON Schema (2020-12) of a model's input."),
    "rules": ("rules", "List the rules the documents' sentences state, and sentences left alone."),
    "sync": ("sync", "Fetch the manifest's documents upstream, take the changes, regenerate."),
    "add": ("add", "Fetch a model's documents from its provider into specs/ and generate."),
}

# import name -> the extra that installs it: `pip install musicbind` is the light install
# (bindings, runtime, validation); generation and the emulator are extras.
EXTRAS: dict[str, str] = {
    "datamodel_code_generator": "codegen",
    "jinja2": "codegen",
    "markdown_it": "codegen",
    "ruff": "codegen",
    "starlette": "emulator",
    "uvicorn": "emulator",
    "psycopg": "postgres",
    "datamodel-code-generator": "codegen",  # distribution names, for version look-ups
}


def missing_extra(exc: ModuleNotFoundError | importlib.metadata.PackageNotFoundError) -> str | None:
    """The extra whose absence raised ``exc``, or None when it is not one of ours."""
    if isinstance(exc, ModuleNotFoundError):
        return EXTRAS.get((exc.name or "").partition(".")[0])
    return EXTRAS.get(str(exc.name))


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in COMMANDS.items() if _available(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        module = importlib.import_module(f"musicbind.commands.{entry[0]}")
        command: Any = getattr(module, cmd_name.replace("-", "_") + "_command")
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ModuleNotFoundError, importlib.metadata.PackageNotFoundError) as exc:
            extra = missing_extra(exc)
            if extra is None:
                raise
            command = ctx.invoked_subcommand or "this command"
            click.echo(
                f"Error: musicbind {command} needs the {extra!r} extra: "
                f"pip install 'musicbind[{extra}]'",
                err=True,
            )
            ctx.exit(2)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(module: str) -> bool:
    return importlib.util.find_spec(f"musicbind.commands.{module}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="musicbind")
def main() -> None:
    """musicbind: typed, validated bindings for paid music-generation APIs."""
