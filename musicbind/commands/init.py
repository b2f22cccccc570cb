"""Command line: ``musicbind init``: start a project (``[tool.musicbind]`` and a specs folder).

Writes the config table into ./pyproject.toml (appended, the file's own text kept
byte for byte; a minimal file when there is none), a starter ``manifest.yaml`` and
``overlay.yaml``. Never overwrites a file and refuses when the table is already
there. Runs in the light install (no generator dependencies).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import NoReturn

import click

from musicbind.project import (
    DEFAULT_OUT,
    DEFAULT_SPECS,
    PYPROJECT,
    ConfigError,
    has_table,
    import_name_problem,
    parse_table,
)

MANIFEST_TEXT = """\
# Provider documents musicbind generates your bindings from (`musicbind generate`).
# Save each document in this folder and list it here; `path` is relative to this folder.
# `kind` is what the content reads as: fal-page (a fal model page, llms.txt),
# scenario-table (a Scenario parameters page), gateway-page (an AIgateway model page) or
# openapi; `origin` is where the provider publishes it; `retrieved` the day of your copy.
#
# documents:
#   - path: fal/my-model.md
#     provider: fal
#     kind: fal-page
#     origin: https://fal.ai/models/<owner>/<model>/llms.txt
#     retrieved: 2026-01-31
documents: []
"""

OVERLAY_TEXT = """\
# Your overlay: what no provider document states in a machine-readable way. musicbind's
# own overlay already gives the job protocols of the providers it knows (scenario, fal,
# aigateway: status words, auth, base URL) and the rules and prices of the models it
# ships; entries here are laid over it and win for the provider or model they name.
# ([tool.musicbind] bundled-overlay = "replace" uses this file alone.)
#
# models:
#   "fal:<owner>/<model>":
#     rules:
#       - kind: segment_within_media   # start + length must fit in the media's length
#         media: video_url
#         start: start_offset
#         length: duration
#     pricing:
#       currency: USD
#       amount: "0.009"
#       unit: second                   # or request
#       seconds_from: duration
#
# providers:
#   myprovider:
#     display_name: My Provider
#     base_url: https://api.example.com
#     auth: bearer                     # basic, key or bearer
#     statuses: {queued: QUEUED, running: RUNNING, done: SUCCEEDED, failed: FAILED}
"""


def _toml_string(value: str) -> str:
    # JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def table_text(specs: str, out: str, package: str) -> str:
    """The ``[tool.musicbind]`` table ``init`` writes."""
    return (
        "[tool.musicbind]\n"
        "# musicbind: provider documents -> typed bindings (`musicbind generate`).\n"
        f"specs = {_toml_string(specs)}  # manifest.yaml, overlay.yaml and the documents\n"
        f"out = {_toml_string(out)}  # the package `musicbind generate` writes\n"
        f"package = {_toml_string(package)}  # its import name\n"
        '# overlay = "<specs>/overlay.yaml"  # the default, when that file exists\n'
        '# bundled-overlay = "extend"  # or "replace": your overlay without musicbind\'s\n'
    )


def _folder_option(value: str, option: str, root: Path) -> str:
    path = Path(value)
    if not value.strip():
        raise click.BadParameter("must not be empty", param_hint=option)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            raise click.BadParameter(
                f"{value}: give a folder inside this project", param_hint=option
            ) from None
    return path.as_posix()


@click.command("init")
@click.option(
    "--specs",
    metavar="DIR",
    default=DEFAULT_SPECS,
    show_default=True,
    help="Folder for the provider documents, manifest.yaml and overlay.yaml.",
)
@click.option(
    "--out",
    metavar="DIR",
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder of the bindings package `musicbind generate` writes.",
)
@click.option(
    "--package",
    metavar="NAME",
    help="Import name of that package (default: the --out folder's name).",
)
def init_command(specs: str, out: str, package: str | None) -> None:
    """Start using musicbind in this project (the current folder).

    Appends a [tool.musicbind] table to ./pyproject.toml (creating a minimal one when
    there is none) and writes a starter manifest.yaml and overlay.yaml in the specs
    folder. `generate`, `check`, `validate`, `schema`, `diff` and the pre-commit hooks
    then read that table. Existing files are never overwritten.
    """
    root = Path.cwd()
    specs = _folder_option(specs, "--specs", root)
    out = _folder_option(out, "--out", root)
    hint = "" if package else " (the --out folder's name; choose one with --package)"
    package = package or Path(out).name
    problem = import_name_problem(package)
    if problem is not None:
        raise click.BadParameter(problem + hint, param_hint="--package")
    pyproject = root / PYPROJECT
    original = pyproject.read_bytes() if pyproject.is_file() else b""
    text = original.decode("utf-8", errors="replace")
    if has_table(text):
        _refuse(f"{PYPROJECT} already has a [tool.musicbind] table; nothing was written.")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        _refuse(f"{PYPROJECT} is not valid TOML ({exc}); fix it first. Nothing was written.")
    newline = "\r\n" if b"\r\n" in original else "\n"
    table = table_text(specs, out, package)
    if original and not text.endswith(("\n", "\r")):
        table = "\n" + table
    addition = ("\n" if original else "") + table
    updated = text + addition
    try:
        parse_table(tomllib.loads(updated)["tool"]["musicbind"], pyproject, updated)
    except (tomllib.TOMLDecodeError, KeyError, ConfigError) as exc:  # pragma: no cover
        _refuse(f"cannot write a valid [tool.musicbind] table: {exc}")
    pyproject.write_bytes(original + addition.replace("\n", newline).encode("utf-8"))
    folder = root / specs
    written = [_starter(folder / "manifest.yaml", MANIFEST_TEXT, specs)]
    written.append(_starter(folder / "overlay.yaml", OVERLAY_TEXT, specs))
    action = "Added [tool.musicbind] to" if original else "Created"
    settings = ", ".join(
        f"{key} = {_toml_string(value)}"
        for key, value in (("specs", specs), ("out", out), ("package", package))
    )
    click.echo(f"{action} {PYPROJECT}: {settings}")
    for line in written:
        click.echo(line)
    click.echo(
        "\nNext:\n"
        f"  1. Save provider documents under {specs}/ (a fal model page, a Scenario\n"
        f"     parameters page, an OpenAPI document); list each in {specs}/manifest.yaml.\n"
        f"  2. musicbind generate   writes {out}/ (pip install 'musicbind[codegen]')\n"
        f"  3. from {package}.fal.client import FalClient\n"
        "  4. In CI: musicbind check --strict (the bindings match the specs) and\n"
        "     musicbind validate payloads/ (payload files against your bindings)"
    )


def _starter(path: Path, text: str, specs: str) -> str:
    shown = f"{specs}/{path.name}"
    if path.exists():
        return f"Kept the existing {shown}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"Created {shown}"


def _refuse(message: str) -> NoReturn:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)
