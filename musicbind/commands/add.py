"""Command line: ``musicbind add PROVIDER:MODEL_ID [--dry-run]``: a new model in one command.

Reads the model's documents where its provider publishes them
(:mod:`musicbind.upstream.locations`), checks that each loads without errors
as its kind and describes the model, stores them under the specs folder, lists them in
the manifest (origin, kind, retrieved, validators) and generates. All or nothing: when
one document cannot be read or taken, nothing is written.

Exit status: 0 added (or ``--dry-run``), 1 not added (the model is already listed, or a
document could not be read or taken) or generation failed, 2 a usage or config error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from musicbind.commands.generate import Target, generate_command, project_target
from musicbind.commands.options import PROJECT_OUT, bindings_option, specs_option
from musicbind.commands.sync import read_listed_manifest
from musicbind.generator.project_files.overlay import ManifestEntry
from musicbind.generator.settings import display_path
from musicbind.project import shown
from musicbind.upstream.fetch import (
    UpstreamError,
    docs_variable,
    fetch,
    new_client,
    resolve_url,
    shown_url,
)
from musicbind.upstream.locations import (
    LOCATIONS,
    Location,
    model_id_problem,
    stored_name,
)
from musicbind.upstream.manifest import (
    ManifestEditError,
    append_entries,
    read_back,
    today,
    write_atomically,
)
from musicbind.upstream.sync import check_content, kept_validators


@click.command("add")
@click.argument("ref", metavar="PROVIDER:MODEL_ID")
@click.option("--dry-run", is_flag=True, help="Print what would be fetched; change nothing.")
@specs_option()
@bindings_option(f"Bindings folder to generate ({PROJECT_OUT}).")
@click.pass_context
def add_command(
    ctx: click.Context, ref: str, dry_run: bool, specs: Path | None, out: Path | None
) -> None:
    """Add a model: fetch its documents, store them in specs/, list them, generate.

    PROVIDER:MODEL_ID names a model as the bindings do, for instance:

    \b
      fal:sonilo/v1.1/video-to-music
      scenario:model_sonilo-v1-1-text-to-music
      aigateway:sonauto/v2/text-to-music

    fal: the queue OpenAPI document and the model page (llms.txt); Scenario: the
    model's markdown page; AIgateway: the model page. MUSICBIND_<PROVIDER>_DOCS_URL
    replaces a provider's documents host. Nothing is written unless every document
    loads and describes the model. A model already in the manifest is refused:
    `musicbind sync REF` updates it.
    """
    provider, _, model_id = ref.partition(":")
    locations = LOCATIONS.get(provider)
    if locations is None:
        known = ", ".join(sorted(LOCATIONS))
        raise click.BadParameter(
            f"{ref!r}: expected PROVIDER:MODEL_ID with PROVIDER one of {known}",
            param_hint="PROVIDER:MODEL_ID",
        )
    problem = model_id_problem(model_id)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="PROVIDER:MODEL_ID")
    target = project_target(specs, out)
    manifest = read_listed_manifest(target)
    manifest_path, manifest_display, text = manifest.path, manifest.display, manifest.text
    entries = manifest.entries
    planned = [
        (location, location.url(model_id), f"{provider}/{stored_name(model_id, location)}")
        for location in locations
    ]
    _refuse_known(ref, planned, entries, target, manifest_display)
    environ = os.environ
    try:
        urls = [resolve_url(url, provider, environ) for _, url, _ in planned]
    except UpstreamError as exc:
        _refuse(str(exc), code=2)
    if environ.get(docs_variable(provider), "").strip():
        click.echo(f"{provider}: documents read from {docs_variable(provider)}", err=True)
    if dry_run:
        for (location, _, path), url in zip(planned, urls, strict=True):
            click.echo(
                f"would fetch {shown_url(url)} -> {shown(target.specs / path)} ({location.kind})"
            )
        click.echo(f"would list them in {manifest_display} and generate {shown(target.out)}")
        return
    taken = _fetch_documents(planned, urls, target, provider, model_id)
    try:
        edited = append_entries(text, [entry for *_, entry in taken])
        read_back(edited, manifest_display)
    except ManifestEditError as exc:
        _refuse(f"{manifest_display}: {exc}; nothing was added")
    for path, content, _ in taken:
        write_atomically(target.specs / path, content)
    write_atomically(manifest_path, edited.encode("utf-8"))
    click.echo(
        f"Added {ref}: {', '.join(shown(target.specs / p) for p, *_ in taken)}, listed in "
        f"{manifest_display}",
        err=True,
    )
    ctx.invoke(
        generate_command, paths=(), out=out, specs=specs, overlay=None, provider=None, strict=False
    )


Planned = list[tuple[Location, str, str]]  # (where published, origin, path under specs/)


def _refuse_known(
    ref: str, planned: Planned, entries: list[ManifestEntry], target: Target, display: str
) -> None:
    """Refuse a model the manifest already lists, or whose files are already there."""
    origins = {origin for _, origin, _ in planned}
    paths = {path for *_, path in planned}
    listed = [e.path for e in entries if e.origin in origins or e.path in paths]
    if listed or _in_registry(ref, target):
        where = f" ({', '.join(listed)})" if listed else ""
        _refuse(f"{ref} is already in {display}{where}: `musicbind sync {ref}` updates it")
    present = [path for path in paths if (target.specs / path).exists()]
    if present:
        _refuse(
            f"{', '.join(shown(target.specs / p) for p in sorted(present))} already there "
            f"but not listed in {display}: move it away (or list it) first"
        )


def _fetch_documents(
    planned: Planned, urls: list[str], target: Target, provider: str, model_id: str
) -> list[tuple[str, bytes, dict[str, str]]]:
    """Each document read and checked: (path, bytes, manifest entry); the first that
    cannot be read or taken ends the command with nothing written."""
    base = target.settings.display_base(target.specs)
    taken: list[tuple[str, bytes, dict[str, str]]] = []
    with new_client() as client:
        for (location, origin, path), url in zip(planned, urls, strict=True):
            display = display_path(target.specs / path, base)
            try:
                fetched = fetch(client, url)
            except UpstreamError as exc:
                _refuse(f"{display}: {exc}; nothing was added")
            content = fetched.content or b""
            document, problem = check_content(content, display, location.kind)
            if problem is None and not any(m.model_id == model_id for m in document.models):
                found = ", ".join(sorted({m.model_id for m in document.models})) or "none"
                problem = f"it does not describe {model_id} (models in it: {found})"
            if problem is not None:
                _refuse(f"{display}: {shown_url(url)}: refused: {problem}; nothing was added")
            click.echo(f"fetched {shown_url(url)} ({len(content):,} bytes)", err=True)
            entry = {
                "path": path,
                "provider": provider,
                "kind": location.kind,
                "origin": origin,
                "retrieved": today(),
            }
            taken.append(
                (path, content, entry | kept_validators(fetched.etag, fetched.last_modified))
            )
    return taken


def _in_registry(ref: str, target: Target) -> bool:
    """Whether the project's documents already describe ``ref`` (in any document)."""
    from musicbind.generator.ingest import build_from_specs

    registry = build_from_specs(target.specs, settings=target.settings).registry
    return any(model.ref == ref for model in registry.models)


def _refuse(message: str, code: int = 1) -> NoReturn:
    click.secho(f"musicbind add: {message}", fg="red", err=True)
    sys.exit(code)
