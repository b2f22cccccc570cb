"""Command line: ``musicbind run``: validate, estimate, submit, wait, download one job.

Exit status: 0 on success; 1 on any error (its message, no traceback); 3 when a submit
may or may not have created a job (see ``musicbind jobs``); 4 when ``--timeout`` passed
before the job ended (the job is not canceled: ``musicbind resume JOB``).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from musicbind.commands.journal_option import journal_option
from musicbind.commands.options import (
    media_duration_option,
    probe_urls_option,
    results_option,
)
from musicbind.runtime.binding import Binding, UnknownStatusError
from musicbind.runtime.client import Client
from musicbind.runtime.cost_check import why_no_estimate
from musicbind.runtime.errors import JobTimeoutError, MusicbindError, SubmissionUncertainError
from musicbind.runtime.jobs import Job
from musicbind.runtime.journal import Journal, JournalLookupError
from musicbind.runtime.media_uploads import UploadProgress, UploadProgressHook
from musicbind.runtime.polling import DEFAULT_WAIT_TIMEOUT
from musicbind.runtime.providers.base import JobSnapshot
from musicbind.validation.files import read_regular_file

MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
EXIT_UNCERTAIN = 3
EXIT_TIMEOUT = 4


class CommandError(click.ClickException):
    """A runtime error shown as its message (exit status 1)."""


class UncertainSubmissionExit(CommandError):
    """A submit that may have created a job (exit status 3)."""

    exit_code = EXIT_UNCERTAIN


class TimeoutExit(CommandError):
    """The wait's deadline passed; the job still runs (exit status 4)."""

    exit_code = EXIT_TIMEOUT


# C0 and C1 controls, DEL, and the bidirectional overrides and isolates that reorder text.
_UNSAFE_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def plain_text(text: str) -> str:
    """Provider text made inert for a terminal: control and bidi characters shown escaped.

    Also a lone surrogate, which no terminal encoding can write.
    """
    text = _UNSAFE_TERMINAL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shown(text: object) -> str:
    """Provider text for rich output: :func:`plain_text`, then rich markup escaped."""
    return escape(plain_text(str(text)))


def command_error(error: BaseException) -> CommandError:
    """The click exception that reports ``error`` (its text made inert for a terminal)."""
    message = plain_text(str(error))
    if isinstance(error, SubmissionUncertainError):
        return UncertainSubmissionExit(message)
    if isinstance(error, JobTimeoutError):
        return TimeoutExit(message)
    return CommandError(message)


HANDLED_ERRORS = (
    MusicbindError,
    ValidationError,
    UnknownStatusError,
    JournalLookupError,
    LookupError,
)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the runtime's typed errors into a one-line message and an exit status."""
    try:
        yield
    except HANDLED_ERRORS as error:
        raise command_error(error) from None
    except OSError as error:  # a journal or output directory that cannot be written
        raise command_error(error) from None


PACKAGE_HELP = (
    "Import name of the bindings package (default: the one [tool.musicbind] in pyproject.toml "
    "names, else musicbind.generated, the bindings bundled with musicbind)."
)


def bindings_for(requested: str | None) -> str:
    """The bindings package ``run`` and ``resume`` use: ``--package``, else the project's
    (``[tool.musicbind]``), else the bundled ``musicbind.generated``; importable on return."""
    from musicbind.project import find_project
    from musicbind.validation.package_import import PackageImportError, bindings_package

    try:
        return bindings_package(requested, find_project())
    except PackageImportError as error:
        raise click.UsageError(str(error)) from None


class _GeneratedLookupClient(Client):
    """A runtime Client whose refs resolve through a generated package."""

    package = "musicbind.generated"

    def resolve_binding(self, ref: str) -> Binding:
        generated: Any = importlib.import_module(self.package)
        binding: Binding = generated.get_binding(ref)
        return binding


def client_for(
    provider: str,
    *,
    journal: Journal,
    base_url: str | None = None,
    fallback: Any = None,
    package: str = "musicbind.generated",
) -> Client:
    """The generated client of ``provider`` in ``package`` (``<package>.<provider>.client``),
    else a runtime Client with the package's protocol, else one with ``fallback`` (a
    ProviderProtocol)."""
    try:
        module = importlib.import_module(f"{package}.{provider}.client")
    except ImportError:
        module = None
    if module is not None:
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name, None)
            if isinstance(value, type) and issubclass(value, Client) and value is not Client:
                client: Client = value(journal=journal, base_url=base_url)
                return client
    try:
        protocol = importlib.import_module(f"{package}.{provider}").PROTOCOL
    except (ImportError, AttributeError):
        protocol = fallback
    if protocol is None:
        raise MusicbindError(f"no bindings for provider {provider!r} in {package}")
    client = _GeneratedLookupClient(protocol=protocol, journal=journal, base_url=base_url)
    client.package = package
    return client


def lookup_binding(ref: str, package: str = "musicbind.generated") -> Binding:
    """The binding of ``ref`` in the generated ``package`` (imported only now)."""
    try:
        generated: Any = importlib.import_module(package)
    except ImportError as error:
        raise MusicbindError(
            f"the bindings package {package} cannot be imported: {error}"
        ) from None
    binding: Binding = generated.get_binding(ref)
    return binding


def read_payload(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of ``path`` and the JSON object in it (``-`` reads standard input)."""
    if str(path) == "-":
        text = sys.stdin.read(MAX_PAYLOAD_BYTES + 1)
    else:
        try:
            data = read_regular_file(path, MAX_PAYLOAD_BYTES)
        except OSError as error:
            raise click.ClickException(f"{path}: {error.strerror or error}") from None
        if data is None:
            raise click.ClickException(f"{path}: larger than {MAX_PAYLOAD_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise click.ClickException(f"{path}: not UTF-8 text (byte {error.start})") from None
    if len(text) > MAX_PAYLOAD_BYTES:
        raise click.ClickException(f"{path}: larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise click.ClickException(f"{path}: not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise click.ClickException(f"{path}: the payload must be a JSON object")
    return text, payload


class PayloadProblems(CommandError):
    """A payload the model refuses; its problems are printed as ``musicbind validate``
    prints them (exit status 1, nothing submitted)."""


def refuse_payload(
    error: ValidationError,
    payload: dict[str, Any],
    binding: Binding,
    path: Path,
    text: str,
    durations: Mapping[str, float] | None = None,
) -> PayloadProblems:
    """Print ``error``'s problems (located, with rule, spec line and did-you-mean) to
    standard error; the exception that ends the command."""
    from musicbind.validation.payload_errors import binding_findings, finding_lines
    from musicbind.validation.report import plural

    file = "<stdin>" if str(path) == "-" else path.as_posix()
    findings = binding_findings(
        error, payload, binding, file=file, text=text, media_duration=durations
    )
    for line in finding_lines(findings):
        click.echo(plain_text(line), err=True)
    count = plural(len(findings), "problem")
    return PayloadProblems(
        f"{count} in {file} for {plain_text(binding.ref)}: nothing was submitted"
    )


@contextmanager
def upload_bars(console: Console) -> Iterator[UploadProgressHook]:
    """A hook drawing each local file's upload as a bar on ``console`` (from its first part)."""
    bars: Progress | None = None
    tasks: dict[str, TaskID] = {}

    def show(step: UploadProgress) -> None:
        nonlocal bars
        if bars is None:
            columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
            bars = Progress(*columns, console=console, transient=False)
            bars.start()
        if step.file_name not in tasks:
            described = f"uploading {shown(step.file_name)}"
            tasks[step.file_name] = bars.add_task(described, total=step.total)
        bars.update(tasks[step.file_name], completed=step.sent)

    try:
        yield show
    finally:
        if bars is not None:
            bars.stop()


def wait_with_progress(job: Job[Any], console: Console, timeout: float | None) -> JobSnapshot:
    """``job.wait`` with a rich progress bar on ``console``."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"job {shown(job.job_id)}", total=None)

        def show(snapshot: JobSnapshot) -> None:
            parts = [f"{snapshot.state.value.lower()} ({shown(snapshot.status_word)})"]
            if snapshot.queue_position is not None:
                parts.append(f"queue position {snapshot.queue_position}")
            if snapshot.logs:
                parts.append(shown(snapshot.logs[-1][:60]))
            total = 1.0 if snapshot.progress is not None else None
            progress.update(
                task,
                description=", ".join(parts),
                total=total,
                completed=snapshot.progress or 0.0,
            )

        return job.wait(timeout, on_progress=show)


def finish(job: Job[Any], out_dir: Path, console: Console, timeout: float | None) -> None:
    """Wait for the job, download its files and print their paths (one per line, stdout)."""
    wait_with_progress(job, console, timeout)
    paths = job.download(out_dir)
    if not paths:
        console.print("the job succeeded but its result names no file")
    for path in paths:
        click.echo(plain_text(str(path)))


@click.command("run")
@click.argument("ref")
@click.argument("payload_file", type=click.Path(dir_okay=False, path_type=Path, allow_dash=True))
@results_option()
@click.option(
    "--max-cost", help="Refuse to submit when the estimate is above this (USD), or unknown."
)
@journal_option()
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    help="Stop waiting after this many seconds (the job keeps running; resume it later).",
)
@media_duration_option("Length of a media input, for rules and the estimate.")
@probe_urls_option(
    "Read the length of http(s) media from the file's header (ranged requests, at most "
    "2 MiB), for rules and the estimate."
)
@click.option("--package", help=PACKAGE_HELP)
def run_command(
    ref: str,
    payload_file: Path,
    out_dir: Path,
    max_cost: str | None,
    journal_path: Path | str | None,
    timeout: float | None,
    media_duration: dict[str, float],
    probe_urls: bool,
    package: str | None,
) -> None:
    """Validate PAYLOAD_FILE (JSON) for model REF, show the estimate, submit, wait, download.

    The result files' paths are printed on standard output, one per line.
    """
    console = Console(stderr=True, emoji=False, highlight=False)
    given = media_duration or None
    limit = _decimal(max_cost)
    text, payload = read_payload(payload_file)
    bindings = bindings_for(package)
    with reported_errors():
        binding = lookup_binding(ref, bindings)
        # validated before the journal is opened: a refused payload leaves nothing behind
        payload, durations = local_media(binding, payload, payload_file, given, probe_urls)
        context = {"media_duration": durations} if durations else None
        try:
            model = binding.input_model.model_validate(payload, context=context)
        except ValidationError as error:
            raise refuse_payload(error, payload, binding, payload_file, text, durations) from None
        with (
            Journal(journal_path) as journal,
            client_for(binding.provider, journal=journal, package=bindings) as client,
        ):
            with upload_bars(console) as hook:
                client.on_upload_progress = hook
                _show_estimate(client, binding, model, durations, console)
                job = client.submit(binding, model, max_cost=limit, media_duration=durations)
            console.print(
                f"submitted {shown(ref)}: job {shown(job.job_id)} (journal entry {job.intent_id})"
            )
            finish(job, out_dir, console, timeout)


def local_media(
    binding: Binding,
    payload: dict[str, Any],
    payload_file: Path,
    given: dict[str, float] | None,
    probe_urls: bool = False,
) -> tuple[dict[str, Any], dict[str, float] | None]:
    """The payload with its local file paths made absolute (relative paths are relative
    to the payload file, as in ``musicbind validate``) and the media lengths: ``given``,
    else read from the local files. Refuses file inputs that cannot be sent (a path to no
    file, ``file://``, ``ftp://``...) before anything is sent."""
    from musicbind.runtime.media import (
        file_input_problems,
        file_input_rules,
        local_media_durations,
        with_absolute_paths,
    )

    folder = Path.cwd() if str(payload_file) == "-" else payload_file.parent
    fields = binding.input_model.model_fields
    aliases = {name: info.alias or name for name, info in fields.items()}
    payload = with_absolute_paths(binding.file_fields, payload, aliases, folder)
    rules = file_input_rules(binding.provider)
    problems = file_input_problems(binding.file_fields, payload, aliases, rules, folder=folder)
    if problems:
        for problem in problems:
            click.echo(plain_text(f"{problem.wire}: {problem.reason}"), err=True)
        raise CommandError(
            f"{len(problems)} file input(s) of {plain_text(binding.ref)} cannot be sent: "
            "nothing was submitted"
        )
    durations = local_media_durations(binding.media_fields, payload, aliases, given)
    if probe_urls:
        from musicbind.runtime.media_probe import probe_url

        for python in binding.media_fields:
            value = payload.get(aliases.get(python, python))
            if python in durations or not isinstance(value, str):
                continue
            if value.lower().startswith(("http://", "https://")):
                probed = probe_url(value)
                if probed.seconds is None:
                    click.echo(plain_text(f"note: {probed.problem}"), err=True)
                else:
                    durations[python] = probed.seconds
    return payload, durations or None


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number", param_hint="--max-cost") from None


def _show_estimate(
    client: Client,
    binding: Binding,
    model: Any,
    durations: dict[str, float] | None,
    console: Console,
) -> None:
    estimate = binding.estimate_cost(model, durations)
    if estimate is not None and binding.pricing is not None:
        console.print(f"estimated cost: {estimate.normalize():f} {binding.pricing.currency}")
        return
    try:
        quote = client.quote(binding, model, media_duration=durations)
    except NotImplementedError:
        console.print(f"estimated cost: unknown ({why_no_estimate(binding, model, durations)})")
        return
    console.print(f"quoted cost (dry run): {quote.amount.normalize():f} {quote.unit}")
