"""Command line: ``musicbind sync [REF...] [--check]``: take the providers' new documents.

Reads every manifest document (or those of the REFs) from its origin, conditionally,
and takes the ones that changed upstream and still load as their kind; prints what
the change means (breaking / compatible / notable, as ``musicbind diff`` classifies
it) and regenerates as ``musicbind generate`` does. ``--check`` changes nothing.

Exit status: 0 done (``--check``: every document is as upstream has it); 1 a document
differs upstream (``--check``), or one could not be taken (``sync``: refused or not
read; the others are taken) or regeneration failed; 2 a usage or config error; 3
(``--check`` only) no document differs but one could not be read upstream.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from musicbind.commands.generate import (
    Target,
    generate_command,
    print_problems,
    project_target,
)
from musicbind.commands.options import PROJECT_OUT, bindings_option, specs_option
from musicbind.generator.load.records import Level
from musicbind.generator.project_files.overlay import ManifestEntry, load_manifest
from musicbind.generator.settings import BuildSettings, display_path
from musicbind.project import shown
from musicbind.upstream.fetch import docs_variable, new_client, printable
from musicbind.upstream.manifest import (
    ManifestEditError,
    read_back,
    read_manifest_text,
    set_fields,
    today,
    write_atomically,
)
from musicbind.upstream.sync import (
    Outcome,
    Status,
    entries_for,
    preview_registry,
    sync_one,
)
from musicbind.validation.report import plural

if TYPE_CHECKING:
    from musicbind.generator.registry.model import Registry

MANIFEST = "manifest.yaml"
EXIT_DIFFERS = 1
EXIT_UNREAD = 3
_COLOURS = {
    Status.CHANGED: "cyan",
    Status.REFUSED: "red",
    Status.FAILED: "red",
    Status.SKIPPED: "yellow",
}


@click.command("sync")
@click.argument("refs", nargs=-1, metavar="[REF]...")
@click.option(
    "--check",
    is_flag=True,
    help="Change nothing; exit 1 when a document differs upstream (for a scheduled CI job).",
)
@specs_option()
@bindings_option(f"Bindings folder to regenerate ({PROJECT_OUT}).")
@click.pass_context
def sync_command(
    ctx: click.Context, refs: tuple[str, ...], check: bool, specs: Path | None, out: Path | None
) -> None:
    """Fetch the manifest's documents from their origins and take what changed.

    REF is a model ref (fal:sonilo/v1.1/video-to-music: every document describing it)
    or a document path as the manifest lists it; without REFs, every document. Requests
    are conditional (the ETag and Last-Modified kept in the manifest), bounded in time
    and size, and retried. A new document is taken only when it loads without errors
    as the manifest's kind (else the old one is kept and the reason printed); it
    replaces the old one at once, the manifest's `retrieved` becomes today, the change
    is classified as `musicbind diff` does and the bindings are regenerated.
    MUSICBIND_<PROVIDER>_DOCS_URL replaces a provider's documents host (a mirror, the
    emulator). Exit status: 0 done; 1 differs (--check) or not all taken; 2 usage;
    3 (--check) some document could not be read.
    """
    target = project_target(specs, out)
    manifest = read_listed_manifest(target)
    manifest_path, manifest_display, text = manifest.path, manifest.display, manifest.text
    base, entries = manifest.base, manifest.entries
    if refs:
        entries = _selected(refs, entries, target, base, manifest_display)
    if not entries:
        click.echo(f"{manifest_display} lists no document: nothing to sync", err=True)
        return
    outcomes = _fetch_all(target.specs, base, entries)
    changed = [o for o in outcomes if o.status is Status.CHANGED]
    differs = [o for o in outcomes if o.status in (Status.CHANGED, Status.REFUSED)]
    unread = [o for o in outcomes if o.status in (Status.FAILED, Status.REFUSED)]
    if check:
        failed = [o for o in outcomes if o.status is Status.FAILED]
        _check_report(target.specs, target.settings, changed, differs, failed)
    wrote = _take(target, manifest_path, text, manifest_display, outcomes, changed)
    if changed:
        click.echo(
            f"Took {plural(len(changed), 'document')} from upstream: "
            + ", ".join(o.entry.path for o in changed),
            err=True,
        )
    status = 0
    if wrote:
        click.echo(f"Regenerating {shown(target.out)}", err=True)
        try:
            ctx.invoke(
                generate_command,
                paths=(),
                out=out,
                specs=specs,
                overlay=None,
                provider=None,
                strict=False,
            )
        except SystemExit as exc:  # generate's own report is printed; keep its status
            status = exc.code if isinstance(exc.code, int) else 1
    else:
        click.echo("Nothing changed upstream: nothing to regenerate", err=True)
    if unread:
        click.secho(
            f"{plural(len(unread), 'document')} not taken (see above): the old copies are kept",
            fg="red",
            err=True,
        )
        status = status or 1
    if status:
        sys.exit(status)


@dataclass(frozen=True, slots=True)
class ListedManifest:
    """A project's manifest, read for editing: its text and entries (none in error)."""

    path: Path
    display: str
    text: str
    entries: list[ManifestEntry]
    base: Path  # display paths are relative to it


def read_listed_manifest(target: Target) -> ListedManifest:
    """The project's manifest; a usage error (exit 2) when it is missing or has errors,
    before anything is fetched."""
    path = target.specs / MANIFEST
    if not path.is_file():
        raise click.UsageError(f"no {MANIFEST} in {shown(target.specs)} (run `musicbind init`)")
    base = target.settings.display_base(target.specs)
    display = display_path(path, base)
    text = read_manifest_text(path, display)
    entries, problems = load_manifest(text, display)
    if any(p.level is Level.ERROR for p in problems):
        print_problems(problems)
        click.secho(f"fix {display} first; nothing was fetched", fg="red", err=True)
        sys.exit(2)
    return ListedManifest(path, display, text, entries, base)


def _selected(
    refs: tuple[str, ...],
    entries: list[ManifestEntry],
    target: Target,
    base: Path,
    manifest_display: str,
) -> list[ManifestEntry]:
    """The entries the REFs name; a usage error for a REF that names none."""
    registry = None
    if any(ref not in {e.path for e in entries} for ref in refs):
        from musicbind.generator.ingest import build_from_specs

        registry = build_from_specs(target.specs, settings=target.settings).registry

    def shown_entry(entry: ManifestEntry) -> str:
        return display_path(target.specs / entry.path, base)

    chosen, unknown = entries_for(refs, entries, registry, shown_entry)
    if unknown:
        raise click.UsageError(
            f"{', '.join(unknown)}: no document in {manifest_display} describes this (give "
            "a model ref such as fal:<model id>, or a document path as the manifest lists it)"
        )
    return chosen


def _fetch_all(specs: Path, base: Path, entries: list[ManifestEntry]) -> list[Outcome]:
    """Each document read upstream, one progress line each as it is done."""
    outcomes: list[Outcome] = []
    overridden = sorted(
        {e.provider for e in entries if os.environ.get(docs_variable(e.provider), "").strip()}
    )
    for provider in overridden:
        variable = docs_variable(provider)
        click.echo(f"{provider}: documents read from {variable}", err=True)
    with new_client() as client:
        for number, entry in enumerate(entries, start=1):
            outcome = sync_one(client, specs, base, entry, os.environ)
            outcomes.append(outcome)
            detail = f" ({outcome.detail})" if outcome.detail else ""
            click.secho(
                f"[{number}/{len(entries)}] {entry.path}: {outcome.status.value}{detail}",
                fg=_COLOURS.get(outcome.status),
                err=True,
            )
    return outcomes


def _check_report(
    specs: Path,
    settings: BuildSettings,
    changed: list[Outcome],
    differs: list[Outcome],
    failed: list[Outcome],
) -> NoReturn:
    """``--check``: what taking the changes would mean, then the exit status."""
    if changed:
        from musicbind.generator.ingest import build_from_specs

        before = build_from_specs(specs, settings=settings).registry
        after = preview_registry(specs, settings, {o.entry.path: o.content or b"" for o in changed})
        _print_diff(before, after)
    refused = [o for o in differs if o.status is Status.REFUSED]
    if changed:
        click.secho(
            f"{_documents_verb(len(changed), 'differs', 'differ')} upstream: "
            "`musicbind sync` takes the new copies",
            fg="red",
            err=True,
        )
    if refused:
        click.secho(
            f"{_documents_verb(len(refused), 'differs', 'differ')} upstream but would not "
            "load: `musicbind sync` keeps the old copies",
            fg="red",
            err=True,
        )
    if differs:
        sys.exit(EXIT_DIFFERS)
    if failed:
        click.secho(
            f"{_documents_verb(len(failed), 'was', 'were')} not read upstream (see above)",
            fg="red",
            err=True,
        )
        sys.exit(EXIT_UNREAD)
    click.echo("Every document is as upstream has it", err=True)
    sys.exit(0)


def _take(
    target: Target,
    manifest_path: Path,
    text: str,
    manifest_display: str,
    outcomes: list[Outcome],
    changed: list[Outcome],
) -> bool:
    """Write the changed documents (each at once) and their manifest lines (in place),
    print what the change means; whether anything was written."""
    from musicbind.generator.ingest import build_from_specs

    specs, settings = target.specs, target.settings
    before = build_from_specs(specs, settings=settings).registry if changed else None
    listed = load_manifest(text, manifest_display)[0]
    index = {entry.path: number for number, entry in enumerate(listed)}
    edited = text
    try:
        for outcome in outcomes:
            values = dict(outcome.validators)
            if outcome.status is Status.CHANGED:
                values["retrieved"] = today()
            elif outcome.status is not Status.UNCHANGED:
                continue
            if values:
                edited = set_fields(edited, index[outcome.entry.path], values)
        read_back(edited, manifest_display)
    except ManifestEditError as exc:
        click.secho(f"{manifest_display}: {exc}; nothing was written", fg="red", err=True)
        sys.exit(1)
    for outcome in changed:
        write_atomically(specs / outcome.entry.path, outcome.content or b"")
    if edited != text:
        write_atomically(manifest_path, edited.encode("utf-8"))
    if before is not None:
        _print_diff(before, build_from_specs(specs, settings=settings).registry)
    return bool(changed) or edited != text


def _print_diff(before: Registry, after: Registry) -> None:
    """The registry changes, one line each (as `musicbind diff` prints them), and counts."""
    from musicbind.generator.diff.registries import Severity, diff_registries
    from musicbind.reports import diff_report

    changes = diff_registries(before, after)
    for line in diff_report.text_lines(changes):
        click.echo(printable(line))  # names and values from provider documents
    numbers = diff_report.counts(changes)
    summary = ", ".join(f"{numbers[s.value]} {s.value}" for s in Severity)
    click.echo(f"upstream changes: {summary}", err=True)


def _documents_verb(count: int, singular: str, plural_verb: str) -> str:
    return f"{plural(count, 'document')} {singular if count == 1 else plural_verb}"
