"""Runtime: a submitted job (Job, AsyncJob): status, wait, cancel, result, download, resume.

A job object exists only once its id is in the journal. ``wait`` polls by the
:mod:`runtime.polling` policy, hands every reading to ``on_progress`` (Scenario's
progress fraction, fal's queue position and logs), and raises JobTimeoutError carrying
the job id when the caller's deadline passes; it never cancels the job. Failed and
canceled jobs raise JobFailedError / JobCanceledError. ``Job.from_journal`` rebuilds a
job after the process died; ``download`` is idempotent per target directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from musicbind.runtime.binding import Binding
from musicbind.runtime.download import adownload_file, download_file
from musicbind.runtime.errors import (
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
    MusicbindError,
    SubmissionUncertainError,
)
from musicbind.runtime.http import ErrorContext
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal import Journal, JournalEntry
from musicbind.runtime.polling import DEFAULT_WAIT_TIMEOUT, poll_delay
from musicbind.runtime.providers.base import JobHandle, JobSnapshot, ProviderAdapter

if TYPE_CHECKING:
    from musicbind.runtime.client import AsyncClient, Client
    from musicbind.runtime.submission import ClientCore

__all__ = ["AsyncJob", "Job", "JobSnapshot", "OutT", "ProgressCallback", "RawOutput"]

# The output model a result parses into; public, for the generated clients' run/submit overloads.
OutT = TypeVar("OutT", bound=BaseModel)
ProgressCallback = Callable[[JobSnapshot], None]


class RawOutput(BaseModel):
    """The result of a model whose binding has no output model: the provider's JSON as is."""

    model_config = ConfigDict(extra="allow")


class _JobCore(Generic[OutT]):
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

    def _core(self) -> ClientCore:
        raise NotImplementedError

    def _ctx(self) -> ErrorContext:
        return ErrorContext(
            self._core().protocol.name, self.ref, self.job_id, self.handle.request_id
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

    def _store_result(self, data: dict[str, Any]) -> OutT:
        self._result = data
        self._journal_update(result_json=json.dumps(data, sort_keys=True, default=str))
        return self.output_type.model_validate(data)

    def _already_downloaded(self, directory: Path) -> list[Path] | None:
        if self.intent_id is None:
            return None
        entry = self.journal.get(self.intent_id)
        files = [Path(name) for name in entry.files]
        if files and entry.out_dir == str(directory) and all(p.is_file() for p in files):
            return files
        return None

    def _record_files(self, files: list[Path], directory: Path) -> None:
        if self.intent_id is not None:
            self.journal.record_files(self.intent_id, files, directory)


class Job(_JobCore[OutT]):
    """A submitted job, driven synchronously through its client."""

    def __init__(self, client: Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client
        self._owns_client = False
        self._owns_journal = False

    def _core(self) -> ClientCore:
        return self.client

    @classmethod
    def from_journal(
        cls,
        key: str,
        *,
        client: Client | None = None,
        journal: Journal | str | Path | None = None,
    ) -> Job[BaseModel]:
        """The journalled job whose intent id or job id is ``key`` (a unique prefix will do).

        Without ``client`` one is built from the protocol and base URL the job was
        submitted with, credentials from the environment; close it with ``close()``.
        """
        from musicbind.runtime.client import Client

        book, own_book = _journal(journal, client)
        try:
            entry = book.get(key)
            handle = _handle_of(entry, book)
        except BaseException:
            if own_book:
                book.close()
            raise
        owned = client is None
        if client is None:
            client = Client(protocol=entry.protocol, base_url=entry.base_url, journal=book)
        job: Job[BaseModel] = Job(
            client,
            ref=entry.ref,
            handle=handle,
            intent_id=entry.intent_id,
            output_type=output_model_of(client.binding_or_none(entry.ref), client._adapter),
            journal=book,
        )
        job._owns_client, job._owns_journal = owned, own_book
        return job

    def close(self) -> None:
        """Close the client and journal if :meth:`from_journal` opened them."""
        if self._owns_client:
            self.client.close()
        if self._owns_journal:
            self.journal.close()

    def __enter__(self) -> Job[OutT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def status(self) -> JobSnapshot:
        """Read the job once (and journal a changed state)."""
        return self._observe(
            self.client._drive(self.client._adapter.status(self.handle), self._ctx())
        )

    def wait(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobSnapshot:
        """Poll until the job ends; the final reading when it succeeded.

        ``timeout`` in seconds; None means :data:`~runtime.polling.DEFAULT_WAIT_TIMEOUT`
        and ``math.inf`` waits without a deadline.
        """
        timeout = DEFAULT_WAIT_TIMEOUT if timeout is None else timeout
        clock = self.client.clock
        started = clock.monotonic()
        polls = 0
        while True:
            snapshot = self.status()
            polls += 1
            if on_progress is not None:
                on_progress(snapshot)
            if snapshot.state.is_terminal:
                return self._ended(snapshot)
            elapsed = clock.monotonic() - started
            delay = poll_delay(polls, elapsed, hint=snapshot.poll_after, policy=self.client.poll)
            if elapsed >= timeout:
                raise self._timeout(timeout)
            delay = min(delay, timeout - elapsed)
            clock.sleep(delay)

    def cancel(self) -> JobSnapshot:
        """Ask the provider to cancel; the job's state read afterwards (it may still succeed)."""
        return self._observe(
            self.client._drive(self.client._adapter.cancel(self.handle), self._ctx())
        )

    def result(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> OutT:
        """The parsed output, waiting for the job first when it has not succeeded yet."""
        if self.last is None or self.last.state is not JobState.SUCCEEDED:
            self.wait(timeout, on_progress)
        try:
            data = self.client._drive(self.client._adapter.result(self.handle), self._ctx())
        except JobFailedError as error:
            self._failed_result(error)
            raise
        return self._store_result(data)

    def download(
        self,
        directory: str | Path,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> list[Path]:
        """Store every result file in ``directory``; their paths (journalled).

        ``max_bytes`` caps each file (default: the client's ``max_download_bytes``).
        """
        target = Path(directory).resolve()
        done = self._already_downloaded(target)
        if done is not None:
            return done
        if self._result is None:
            self.result(timeout)
        assert self._result is not None
        paths: list[Path] = []
        for index, ref in enumerate(self.client._adapter.file_refs(self._result), start=1):
            paths.append(
                download_file(
                    self.client._transport,
                    ref,
                    target,
                    fallback_name=f"{self.job_id}-{index}",
                    ctx=self._ctx(),
                    max_bytes=max_bytes or self.client.max_download_bytes,
                )
            )
            self._record_files(paths, target)
        return paths


class AsyncJob(_JobCore[OutT]):
    """Asynchronous twin of :class:`Job`."""

    def __init__(self, client: AsyncClient, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client
        self._owns_client = False
        self._owns_journal = False

    def _core(self) -> ClientCore:
        return self.client

    @classmethod
    def from_journal(
        cls,
        key: str,
        *,
        client: AsyncClient | None = None,
        journal: Journal | str | Path | None = None,
    ) -> AsyncJob[BaseModel]:
        """Async :meth:`Job.from_journal`."""
        from musicbind.runtime.client import AsyncClient

        book, own_book = _journal(journal, client)
        try:
            entry = book.get(key)
            handle = _handle_of(entry, book)
        except BaseException:
            if own_book:
                book.close()
            raise
        owned = client is None
        if client is None:
            client = AsyncClient(protocol=entry.protocol, base_url=entry.base_url, journal=book)
        job: AsyncJob[BaseModel] = AsyncJob(
            client,
            ref=entry.ref,
            handle=handle,
            intent_id=entry.intent_id,
            output_type=output_model_of(client.binding_or_none(entry.ref), client._adapter),
            journal=book,
        )
        job._owns_client, job._owns_journal = owned, own_book
        return job

    async def close(self) -> None:
        """Close the client and journal if :meth:`from_journal` opened them."""
        if self._owns_client:
            await self.client.close()
        if self._owns_journal:
            self.journal.close()

    async def __aenter__(self) -> AsyncJob[OutT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def status(self) -> JobSnapshot:
        """Read the job once (and journal a changed state)."""
        exchange = self.client._adapter.status(self.handle)
        return self._observe(await self.client._drive(exchange, self._ctx()))

    async def wait(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobSnapshot:
        """Poll until the job ends; the final reading when it succeeded.

        ``timeout`` in seconds; None means :data:`~runtime.polling.DEFAULT_WAIT_TIMEOUT`
        and ``math.inf`` waits without a deadline.
        """
        timeout = DEFAULT_WAIT_TIMEOUT if timeout is None else timeout
        clock = self.client.clock
        started = clock.monotonic()
        polls = 0
        while True:
            snapshot = await self.status()
            polls += 1
            if on_progress is not None:
                on_progress(snapshot)
            if snapshot.state.is_terminal:
                return self._ended(snapshot)
            elapsed = clock.monotonic() - started
            delay = poll_delay(polls, elapsed, hint=snapshot.poll_after, policy=self.client.poll)
            if elapsed >= timeout:
                raise self._timeout(timeout)
            delay = min(delay, timeout - elapsed)
            await clock.async_sleep(delay)

    async def cancel(self) -> JobSnapshot:
        """Ask the provider to cancel; the job's state read afterwards (it may still succeed)."""
        exchange = self.client._adapter.cancel(self.handle)
        return self._observe(await self.client._drive(exchange, self._ctx()))

    async def result(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> OutT:
        """The parsed output, waiting for the job first when it has not succeeded yet."""
        if self.last is None or self.last.state is not JobState.SUCCEEDED:
            await self.wait(timeout, on_progress)
        try:
            data = await self.client._drive(self.client._adapter.result(self.handle), self._ctx())
        except JobFailedError as error:
            self._failed_result(error)
            raise
        return self._store_result(data)

    async def download(
        self,
        directory: str | Path,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> list[Path]:
        """Store every result file in ``directory``; their paths (journalled).

        ``max_bytes`` caps each file (default: the client's ``max_download_bytes``).
        """
        target = Path(directory).resolve()
        done = self._already_downloaded(target)
        if done is not None:
            return done
        if self._result is None:
            await self.result(timeout)
        assert self._result is not None
        paths: list[Path] = []
        for index, ref in enumerate(self.client._adapter.file_refs(self._result), start=1):
            paths.append(
                await adownload_file(
                    self.client._transport,
                    ref,
                    target,
                    fallback_name=f"{self.job_id}-{index}",
                    ctx=self._ctx(),
                    max_bytes=max_bytes or self.client.max_download_bytes,
                )
            )
            self._record_files(paths, target)
        return paths


def _journal(
    journal: Journal | str | Path | None, client: ClientCore | None
) -> tuple[Journal, bool]:
    """The journal to read, and whether it was opened here (and must be closed here)."""
    if isinstance(journal, Journal):
        return journal, False
    if journal is None and client is not None:
        return client.journal, False
    return Journal(journal), True


def _handle_of(entry: JournalEntry, journal: Journal) -> JobHandle:
    if entry.submission == "accepted" and entry.handle_json:
        data: Mapping[str, Any] = json.loads(entry.handle_json)
        return JobHandle.from_json(data)
    context = {"provider": entry.provider, "ref": entry.ref}
    if entry.submission in ("pending", "uncertain"):
        raise SubmissionUncertainError(
            f"journal entry {entry.intent_id} has no job id: the submit may or may not have "
            f"created a job. {entry.reconcile or ''}".strip(),
            intent_id=entry.intent_id,
            journal_path=journal.path,
            **context,
        )
    raise MusicbindError(
        f"journal entry {entry.intent_id} never became a job (submission {entry.submission}: "
        f"{entry.error or 'no detail'})",
        **context,
    )


def output_model_of(binding: Binding | None, adapter: ProviderAdapter) -> type[BaseModel]:
    """What a job's result parses into: the binding's output model, else the protocol's.

    Every Scenario result is a ScenarioJobOutput, whatever the model; without either,
    :class:`RawOutput` keeps the provider's JSON as it is.
    """
    if binding is not None and binding.output_model is not None:
        return binding.output_model
    return adapter.result_model or RawOutput
