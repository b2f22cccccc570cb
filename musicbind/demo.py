"""Demo: every system the seeds describe, end to end through the generated clients and the emulator.

Regenerates the bindings when specs/ changed, starts the emulator on a free
loopback port, then for each system: shows the cost estimate (Scenario: its dry
run), submits through the typed client method, waits with a progress bar,
downloads, and measures each file's duration. Returns a :class:`DemoResult`;
:mod:`musicbind.demo_summary` turns it into the table a person reads or JSON records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from musicbind.demo_cases import DemoCase, demo_cases
from musicbind.runtime.jobs import JobSnapshot
from musicbind.runtime.polling import DEFAULT_POLL_POLICY, POLL_INITIAL_INTERVAL, PollPolicy
from musicbind.validation.report import plural

if TYPE_CHECKING:
    from musicbind.emulator.jobs import Timing

DURATION_TOLERANCE_S = 0.05
# How long each emulated job waits in the queue, then runs: long enough to watch the bars.
DEMO_TIMING = "0.6,2"
# With --all every model runs once, one after the other: short jobs keep the whole run short.
CATALOGUE_TIMING = "0.05,0.15"
SCENARIO_UNIT = "creative units"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A price shown before submitting: Scenario's dry run, or the published price in USD."""

    amount: Decimal | None  # None: the provider states no price for this model
    unit: str  # SCENARIO_UNIT or "USD"
    source: str  # "dry run" or "published price"

    @property
    def short(self) -> str:
        """``2 CU``, ``$0.0900`` or ``unknown`` (the summary's key says what CU is)."""
        if self.amount is None:
            return "unknown"
        if self.unit == "USD":
            return f"${self.amount:.4f}"
        return f"{self.amount} CU" if self.unit == SCENARIO_UNIT else f"{self.amount} {self.unit}"


@dataclass(slots=True)
class DemoRow:
    """What happened to one system."""

    case: DemoCase
    ref: str = ""
    job_id: str = ""
    state: str = "NOT RUN"
    estimate: Estimate | None = None
    files: list[Path] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        """Succeeded, with files, each as long as asked for."""
        return not self.problem

    @property
    def problem(self) -> str:
        """Why the row is not ok, in words (``""`` when it is)."""
        if self.error:
            return f"{self.state}: {self.error}"
        if self.state != "SUCCEEDED":
            return self.state
        if not self.durations:
            return "no file with a measurable length"
        expected = self.case.expected_seconds
        if expected is not None and any(
            abs(d - expected) > DURATION_TOLERANCE_S for d in self.durations
        ):
            lengths = ", ".join(f"{d:.2f}" for d in self.durations)
            return f"lengths {lengths} s, asked for {expected:g} s (±{DURATION_TOLERANCE_S} s)"
        return ""


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Every system's row, the ledger's duplicate charges, where the files went, how long."""

    rows: list[DemoRow]
    duplicates: int
    out: Path
    seconds: float

    @property
    def ok(self) -> bool:
        """Every system ok and nothing charged twice (the demo's exit status)."""
        return not self.duplicates and all(row.ok for row in self.rows)

    @property
    def journal(self) -> Path:
        """The job journal the demo's clients wrote."""
        return self.out / "journal.sqlite3"


def measured_duration(path: Path) -> float | None:
    """A media file's duration in seconds, read with mutagen (None when it cannot tell)."""
    import mutagen

    try:
        media = mutagen.File(path)
    except (mutagen.MutagenError, OSError):
        return None
    length = getattr(getattr(media, "info", None), "length", None)
    return float(length) if isinstance(length, int | float) else None


def _estimate(client: Any, case: DemoCase, binding: Any) -> Estimate:
    payload = {k: v for k, v in case.arguments.items()}
    if case.provider == "scenario":
        quote = client.quote(binding, payload, media_duration=case.media_duration)
        unit = SCENARIO_UNIT if "creative" in quote.unit else str(quote.unit)
        return Estimate(Decimal(quote.amount), unit, "dry run")
    cost: Decimal | None = client.estimate_cost(binding, payload, case.media_duration)
    return Estimate(cost, "USD", "published price")


def run_case(
    client: Any,
    case: DemoCase,
    out: Path,
    on_progress: Callable[[JobSnapshot], None],
    console: Console,
    row: DemoRow | None = None,
) -> DemoRow:
    """Estimate, submit, wait, download and measure one system, filling ``row`` as it goes
    (so a failure part-way still shows the job id and the estimate)."""
    row = row if row is not None else DemoRow(case)
    row.ref = f"{case.provider}:{_model_id(client, case)}"
    binding = client.resolve_binding(row.ref)
    row.estimate = _estimate(client, case, binding)
    line = Text.assemble((case.title, "bold"), f": estimate {row.estimate.short}")
    console.print(line.append(f" ({row.estimate.source})"))
    submit = getattr(client, f"submit_{case.method}")
    job = submit(**case.arguments, media_duration=case.media_duration)
    row.job_id = job.job_id
    snapshot = job.wait(timeout=60, on_progress=on_progress)
    row.state = snapshot.state.value
    row.files = job.download(out / case.provider / case.method)
    row.durations = [d for d in map(measured_duration, row.files) if d is not None]
    return row


def _model_id(client: Any, case: DemoCase) -> str:
    import importlib

    module = importlib.import_module(f"musicbind.generated.{case.provider}")
    for ref, module_name in module.MODELS.items():
        if module_name == case.method:
            return str(ref).split(":", 1)[1]
    raise LookupError(f"no {case.provider} model with method {case.method}")


def regenerate_if_needed(root: Path, console: Console) -> None:
    """When run from musicbind's repository, make generated/ match specs/ before using it.

    The repository is the project whose [tool.musicbind] writes the bundled bindings.
    """
    from musicbind.project import PYPROJECT, read_project
    from musicbind.validation.package_import import BUNDLED_PACKAGE

    project = read_project(root / PYPROJECT) if (root / PYPROJECT).is_file() else None
    if project is None or project.package != BUNDLED_PACKAGE:
        return
    specs, out, settings = project.specs, project.out, project.build_settings()
    if not specs.is_dir() or not out.is_dir():
        return
    from musicbind.generator.generate import check_specs, generate_specs

    if check_specs(specs, out, settings).up_to_date:
        console.print("bindings are up to date with specs/")
        return
    outcome = generate_specs(specs, out, settings)
    written = len(outcome.report.written) if outcome.report else 0
    console.print(f"specs/ changed: regenerated generated/ ({plural(written, 'file')} written)")


def _clients(emu: Any, journal: Path, poll: PollPolicy = DEFAULT_POLL_POLICY) -> dict[str, Any]:
    from musicbind.generated.aigateway.client import AIgatewayClient
    from musicbind.generated.fal.client import FalClient
    from musicbind.generated.scenario.client import ScenarioClient

    env = emu.env()
    return {
        "scenario": ScenarioClient(
            api_key=env["SCENARIO_API_KEY"],
            api_secret=env["SCENARIO_API_SECRET"],
            base_url=emu.base_url("scenario"),
            journal=journal,
            poll=poll,
        ),
        "fal": FalClient(
            api_key=env["FAL_KEY"], base_url=emu.base_url("fal"), journal=journal, poll=poll
        ),
        "aigateway": AIgatewayClient(
            api_key=env["AIGATEWAY_API_KEY"],
            base_url=emu.base_url("aigateway"),
            journal=journal,
            poll=poll,
        ),
    }


def catalogue_poll(timing: Timing) -> PollPolicy:
    """Polling scaled to the emulator's job times, so that a run of every model stays short.

    Real providers' jobs take seconds to minutes; the emulator's, with ``--all``, a fraction
    of a second: the default first poll after 0.5 s would dominate the run.
    """
    total = timing.queue_s + timing.run_s
    initial = min(POLL_INITIAL_INTERVAL, max(0.02, total / 4))
    return PollPolicy(initial=initial, early_max=max(initial, total), min_hint=initial)


def run_demo(
    out: Path,
    console: Console,
    root: Path | None = None,
    timing: str = DEMO_TIMING,
    *,
    catalogue: bool = False,
) -> DemoResult:
    """Run every case against an emulator whose jobs take ``timing`` (``QUEUE,RUN`` seconds).

    The cases are the five seeded systems, or with ``catalogue`` every generated binding
    once, each with a payload derived from the binding (:mod:`musicbind.demo_cases`).
    """
    from musicbind.emulator.jobs import Timing
    from musicbind.emulator.media import DEMO_VIDEO_SECONDS, demo_video
    from musicbind.emulator.server import EmulatorServer

    started = time.perf_counter()
    regenerate_if_needed(root or Path.cwd(), console)
    out.mkdir(parents=True, exist_ok=True)
    video = out / "demo.mp4"
    video.write_bytes(demo_video().content)
    rows: list[DemoRow] = []
    emu_timing = Timing.parse(timing)
    with EmulatorServer(seed=7, timing=emu_timing) as emu:
        console.print(f"emulator listening at {emu.origin}", highlight=False)
        poll = catalogue_poll(emu_timing) if catalogue else DEFAULT_POLL_POLICY
        clients = _clients(emu, out / "journal.sqlite3", poll)
        try:
            if catalogue:
                from musicbind.demo_cases import catalogue_cases

                cases = catalogue_cases(clients, video, emu.media_url(), DEMO_VIDEO_SECONDS)
            else:
                cases = demo_cases(video, emu.media_url(), DEMO_VIDEO_SECONDS)
            with _progress(console) as progress:
                for case in cases:
                    task = progress.add_task(case.title, total=1.0, status="queued")
                    rows.append(
                        _run_one(clients[case.provider], case, out, progress, task, console)
                    )
        finally:
            for client in clients.values():
                client.close()
        duplicates = emu.ledger.duplicate_charges()
    return DemoResult(rows, duplicates, out, time.perf_counter() - started)


def _run_one(
    client: Any, case: DemoCase, out: Path, progress: Progress, task: TaskID, console: Console
) -> DemoRow:
    def on_progress(snapshot: JobSnapshot) -> None:
        done = (
            snapshot.progress
            if snapshot.progress is not None
            else (1.0 if snapshot.state.is_terminal else 0.0)
        )
        progress.update(task, completed=done, status=snapshot.status_word or snapshot.state.value)

    row = DemoRow(case)
    try:
        run_case(client, case, out, on_progress, console, row)
    except Exception as error:  # shown in the summary; the demo goes on with the next system
        row.state, row.error = "ERROR", f"{type(error).__name__}: {error}"
        progress.update(task, status="ERROR")
        return row
    progress.update(task, completed=1.0, status=row.state)
    return row


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.fields[status]:<12}"),
        TimeElapsedColumn(),
        console=console,
    )
