"""Runtime: what Job and AsyncJob share: the hosts they run on and their plans.

Status, wait, cancel, result and download are written once, as plans
(:mod:`runtime.plans`) over the host's transport; :mod:`runtime.jobs` performs them with
blocking calls (:class:`~runtime.jobs.Job`) or with ``await``
(:class:`~runtime.jobs.AsyncJob`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.clock import Clock
from musicbind.runtime.download import answered_file, copy_answer, job_lock, remove_stale_parts
from musicbind.runtime.errors import (
    APIResponseError,
    APITimeoutError,
    DownloadTooLargeError,
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
    OutputValidationError,
    TooManyFilesError,
)
from musicbind.runtime.http import ErrorContext
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.polling import DEFAULT_WAIT_TIMEOUT, PollPolicy, poll_delay
from musicbind.runtime.providers.base import (
    Exchange,
    FileRef,
    JobHandle,
    JobSnapshot,
    ProviderAdapter,
)
from musicbind.runtime.transport_steps import TransportPlan
from musicbind.runtime.webhooks import CHECK_EVERY_S as WEBHOOK_CHECK_S
from musicbind.runtime.webhooks import webhook_news

if TYPE_CHECKING:  # loaded on first use (pydantic with the first model class)
    from pydantic import BaseModel

    from musicbind.runtime.journal import Journal

# The output model a result parses into; public, for the generated clients' run/submit overloads.
OutT = TypeVar("OutT", bound="BaseModel")
T = TypeVar("T")
ProgressCallback = Callable[[JobSnapshot], None]


class JobHost(Protocol):
    """What a job needs of its client, and all it uses: a small, named interface.

    :class:`~runtime.client.Client` and :class:`~runtime.client.AsyncClient` are hosts;
    the plans below return I/O steps the client then drives (``client.drive``).
    """

    protocol: ProviderProtocol  # its name goes into every error's context
    clock: Clock  # monotonic time for deadlines and polling
    poll: PollPolicy
    max_download_bytes: int  # per file
    max_files_per_job: int
    max_job_bytes: int  # all of a job's files together

    @property
    def journal(self) -> Journal:
        """The client's journal."""
        ...

    @property
    def adapter(self) -> ProviderAdapter:
        """The provider's sans-IO exchanges (status, cancel, result, file refs)."""
        ...

    def binding_or_none(self, ref: str) -> Binding | None:
        """The binding of ``ref``, when the client knows it."""
        ...

    def exchange_plan(
        self,
        exchange: Exchange[T],
        ctx: ErrorContext,
        headers: Mapping[str, str] | None = None,
        *,
        deadline: float | None = None,
    ) -> TransportPlan[T]:
        """Run an adapter exchange through the client's transport."""
        ...

    def download_plan(
        self,
        ref: FileRef,
        directory: Path,
        *,
        fallback_name: str,
        ctx: ErrorContext,
        max_bytes: int,
    ) -> TransportPlan[Path]:
        """Download one result file into ``directory``."""
        ...

    def sleep_plan(self, seconds: float) -> TransportPlan[None]:
        """Wait ``seconds`` on the client's clock."""
        ...


class SyncHost(JobHost, Protocol):
    """A host that performs plans synchronously (:class:`~runtime.client.Client`)."""

    def drive(self, plan: TransportPlan[T]) -> T:
        """Perform ``plan``'s I/O steps; its result."""
        ...

    def close(self) -> None:
        """Close the connections (and the journal, if the host opened it)."""
        ...


class AsyncHost(JobHost, Protocol):
    """A host that performs plans with ``await`` (:class:`~runtime.client.AsyncClient`)."""

    async def drive(self, plan: TransportPlan[T]) -> T:
        """Perform ``plan``'s I/O steps; its result."""
        ...

    async def close(self) -> None:
        """Close the connections (and the journal, if the host opened it)."""
        ...


class JobCore(Generic[OutT]):
    """State and bookkeeping the sync and async jobs share."""

    def __init__(
        self,
        *,
        ref: str,
        handle: JobHandle,
        intent_id: str | None,
        output_type: type[OutT],
        journal: Journal,
        last: JobSnapshot | None = None,
    ) -> None:
        self.journal = journal
        self.ref = ref
        self.handle = handle
        self.intent_id = intent_id
        self.output_type = output_type
        self.last: JobSnapshot | None = last
        self._result: dict[str, Any] | None = None

    @property
    def job_id(self) -> str:
        """The provider's job id (fal: the request id)."""
        return self.handle.job_id

    def __repr__(self) -> str:
        state = self.last.state if self.last else "?"
        return f"{type(self).__name__}(ref={self.ref!r}, job_id={self.job_id!r}, state={state})"

    def _host(self) -> JobHost:
        raise NotImplementedError

    def _ctx(self) -> ErrorContext:
        return ErrorContext(
            self._host().protocol.name, self.ref, self.job_id, self.handle.request_id
        )

    def _journal_update(self, **fields: str | None) -> None:
        if self.intent_id is not None:
            self.journal.update(self.intent_id, **fields)

    def _observe(self, snapshot: JobSnapshot) -> JobSnapshot:
        before = self.last
        self.last = snapshot
        if before is None or (before.state, before.status_word) != (
            snapshot.state,
            snapshot.status_word,
        ):
            self._journal_update(
                state=str(snapshot.state), status_word=snapshot.status_word, error=snapshot.error
            )
        return snapshot

    def _ended(self, snapshot: JobSnapshot) -> JobSnapshot:
        """Return a succeeded reading; raise for a failed or canceled one."""
        ctx = self._ctx().as_kwargs()
        if snapshot.state is JobState.FAILED:
            detail = snapshot.error or "the provider gave no detail"
            raise JobFailedError(f"the job failed: {detail}", detail=snapshot.error, **ctx)
        if snapshot.state is JobState.CANCELED:
            raise JobCanceledError("the job was canceled", **ctx)
        return snapshot

    def _timeout(self, timeout: float) -> JobTimeoutError:
        state = str(self.last.state) if self.last else None
        return JobTimeoutError(
            f"the job did not finish within {timeout:g} s (last state {state}); it was not "
            f"canceled: wait again, or run `musicbind resume {self.job_id}`",
            timeout=timeout,
            last_state=state,
            **self._ctx().as_kwargs(),
        )

    def _failed_result(self, error: JobFailedError) -> None:
        self._journal_update(state=str(JobState.FAILED), error=error.detail or error.message)

    def _deadline(self, timeout: float) -> float | None:
        """The clock's monotonic time at which a wait of ``timeout`` seconds ends."""
        if not math.isfinite(timeout):
            return None
        return self._host().clock.monotonic() + max(timeout, 0.0)

    def _passed(self, deadline: float | None) -> bool:
        return deadline is not None and self._host().clock.monotonic() >= deadline

    def _keep_result(self, data: dict[str, Any]) -> dict[str, Any]:
        """Keep (and journal) the raw result before anything may refuse its shape."""
        self._result = data
        self._journal_update(result_json=json.dumps(data, sort_keys=True, default=str))
        return data

    def _journalled_result(self) -> dict[str, Any] | None:
        if self._result is not None or self.intent_id is None:
            return self._result
        text = self.journal.get(self.intent_id).result_json
        if text:
            data = json.loads(text)
            if isinstance(data, dict):
                self._result = data
        return self._result

    def _parse(self, data: dict[str, Any]) -> OutT:
        """The result as the output model; OutputValidationError (with the raw JSON) if not."""
        from pydantic import ValidationError  # loaded already: the output type is a model

        try:
            return self.output_type.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in item['loc']) or '(top)'}: {item['msg']}"
                for item in error.errors()[:5]
            )
            raise OutputValidationError(
                f"the result does not fit {self.output_type.__name__} (the provider may have "
                f"changed its output): {problems}. The raw result is kept on the error "
                f"(.raw) and in the journal; `download` still fetches its files",
                raw=data,
                **self._ctx().as_kwargs(),
            ) from None

    def _plan_download(self, data: Mapping[str, Any], directory: Path) -> list[PlannedFile]:
        """Each result file with its journalled copy in ``directory``, when that copy exists.

        The journalled list is never trusted on its own: every file the result names is
        checked, so a download interrupted after file 1 of 3 fetches files 2 and 3.
        """
        core = self._host()
        refs = core.adapter.file_refs(data)
        if len(refs) > core.max_files_per_job:
            raise TooManyFilesError(
                f"the result names {len(refs)} files, more than the cap of "
                f"{core.max_files_per_job} per job; nothing was downloaded (raise "
                "max_files_per_job to fetch them)",
                **self._ctx().as_kwargs(),
            )
        stored: list[str] = []
        if self.intent_id is not None:
            entry = self.journal.get(self.intent_id)
            if entry.out_dir == str(directory):
                stored = entry.files
        plan = []
        for index, ref in enumerate(refs):
            existing = Path(stored[index]) if index < len(stored) else None
            if existing is not None and not existing.is_file():
                existing = None
            plan.append(PlannedFile(index + 1, ref, existing))
        return plan

    def _byte_budget(self, planned: list[PlannedFile], max_bytes: int | None) -> ByteBudget:
        core = self._host()
        done = sum(p.existing.stat().st_size for p in planned if p.existing is not None)
        return ByteBudget(max_bytes or core.max_download_bytes, core.max_job_bytes - done)

    # The job's operations, written once as plans: generators that yield the I/O steps
    # they need (through the host's exchange, sleep and download plans) and receive each
    # step's result. Job and AsyncJob only hand them to their client to drive.

    def _status_plan(self, deadline: float | None = None) -> Plan[JobSnapshot]:
        host = self._host()
        snapshot = yield from host.exchange_plan(
            host.adapter.status(self.handle), self._ctx(), deadline=deadline
        )
        return self._observe(snapshot)

    def _cancel_plan(self) -> Plan[JobSnapshot]:
        host = self._host()
        snapshot = yield from host.exchange_plan(host.adapter.cancel(self.handle), self._ctx())
        return self._observe(snapshot)

    def _wait_plan(
        self, timeout: float | None, on_progress: ProgressCallback | None
    ) -> Plan[JobSnapshot]:
        timeout = DEFAULT_WAIT_TIMEOUT if timeout is None else timeout
        core = self._host()
        started = core.clock.monotonic()
        deadline = self._deadline(timeout)
        polls = 0
        while True:
            heard, quiet = webhook_news(
                self.journal, core.protocol.name, self.job_id, core.clock.wall()
            )
            if heard is not None or quiet > 0:  # a webhook told the end, or is expected
                if heard is not None:
                    snapshot = self._observe(heard)
                    if on_progress is not None:
                        on_progress(snapshot)
                    return self._ended(snapshot)
                elapsed = core.clock.monotonic() - started
                if elapsed >= timeout:
                    raise self._timeout(timeout)
                yield from core.sleep_plan(min(quiet, WEBHOOK_CHECK_S, timeout - elapsed))
                continue
            try:
                snapshot = yield from self._status_plan(deadline)
            except APITimeoutError:
                if self._passed(deadline):
                    raise self._timeout(timeout) from None
                raise
            polls += 1
            if on_progress is not None:
                on_progress(snapshot)
            if snapshot.state.is_terminal:
                return self._ended(snapshot)
            elapsed = core.clock.monotonic() - started
            delay = poll_delay(polls, elapsed, hint=snapshot.poll_after, policy=core.poll)
            if elapsed >= timeout:
                raise self._timeout(timeout)
            yield from core.sleep_plan(min(delay, timeout - elapsed))

    def _raw_result_plan(
        self, timeout: float | None, on_progress: ProgressCallback | None
    ) -> Plan[dict[str, Any]]:
        host = self._host()
        if host.adapter.answered_at_submit(self.handle):
            kept = self._journalled_result()
            if kept is None:
                raise APIResponseError(
                    f"the answer of job {self.job_id} was its result, and the journal holds "
                    "no copy of it",
                    **self._ctx().as_kwargs(),
                )
            return kept
        if self.last is None or self.last.state is not JobState.SUCCEEDED:
            yield from self._wait_plan(timeout, on_progress)
        try:
            host = self._host()
            data = yield from host.exchange_plan(host.adapter.result(self.handle), self._ctx())
        except JobFailedError as error:
            self._failed_result(error)
            raise
        return self._keep_result(data)

    def _result_plan(
        self, timeout: float | None, on_progress: ProgressCallback | None
    ) -> Plan[OutT]:
        return self._parse((yield from self._raw_result_plan(timeout, on_progress)))

    def _download_job_plan(
        self, directory: str | Path, timeout: float | None, max_bytes: int | None
    ) -> Plan[list[Path]]:
        target = Path(directory).resolve()
        target.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(target)
        with job_lock(self.journal.path, self._lock_key()):
            data = self._journalled_result()
            if data is None:
                data = yield from self._raw_result_plan(timeout, None)
            planned = self._plan_download(data, target)
            budget = self._byte_budget(planned, max_bytes)
            paths: list[Path] = []
            for item in planned:
                kept = answered_file(self.journal.path, item.ref.url)
                if item.existing is None and kept is not None:
                    path = copy_answer(kept, target, f"{self.job_id}-{item.number}")
                    budget.spend(path)
                    paths.append(path)
                    self._record_files(paths, target)
                elif item.existing is None:
                    fallback = f"{self.job_id}-{item.number}"
                    path = yield from self._host().download_plan(
                        item.ref,
                        target,
                        fallback_name=fallback,
                        ctx=self._ctx(),
                        max_bytes=budget.cap(self._ctx()),
                    )
                    budget.spend(path)
                    paths.append(path)
                    self._record_files(paths, target)
                else:
                    paths.append(item.existing)
            self._record_files(paths, target)
            return paths

    def _record_files(self, files: list[Path], directory: Path) -> None:
        if self.intent_id is not None:
            self.journal.record_files(self.intent_id, files, directory)

    def _lock_key(self) -> str:
        return self.intent_id or f"{self._host().protocol.name}:{self.job_id}"


@dataclass(frozen=True, slots=True)
class PlannedFile:
    number: int  # 1-based, for the fallback name
    ref: FileRef
    existing: Path | None


@dataclass(slots=True)
class ByteBudget:
    """Per-file and per-job caps on downloaded bytes."""

    per_file: int
    remaining: int

    def cap(self, ctx: ErrorContext) -> int:
        """The most the next file may take."""
        if self.remaining <= 0:
            raise DownloadTooLargeError(
                "the job's files reached the per-job cap (max_job_bytes); the rest were not "
                "downloaded",
                **ctx.as_kwargs(),
            )
        return min(self.per_file, self.remaining)

    def spend(self, path: Path) -> None:
        self.remaining -= path.stat().st_size


Plan = TransportPlan[T]


def output_model_of(binding: Binding | None, adapter: ProviderAdapter) -> type[BaseModel]:
    """What a job's result parses into: the binding's output model, else the protocol's.

    Every Scenario result is a ScenarioJobOutput, whatever the model; without either,
    :class:`~runtime.protocol_outputs.RawOutput` keeps the provider's JSON as it is.
    """
    if binding is not None and binding.output_model is not None:
        return binding.output_model
    if adapter.result_model is not None:
        return adapter.result_model
    # A model class is built on first use: the first one costs pydantic ~25 ms, not paid
    # by importing a client.
    from musicbind.runtime.protocol_outputs import RawOutput

    return RawOutput
