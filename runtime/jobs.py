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
from typing import TYPE_CHECKING, Any, ClassVar

from musicbind.runtime.errors import (
    ConfigurationError,
    MusicbindError,
    SubmissionUncertainError,
)
from musicbind.runtime.job_core import (
    AsyncHost,
    JobCore,
    JobHost,
    OutT,
    Plan,
    ProgressCallback,
    SyncHost,
    T,
    output_model_of,
)
from musicbind.runtime.providers.base import (
    JobHandle,
    JobSnapshot,
)

if TYPE_CHECKING:  # loaded on first use (pydantic with the first model class)
    from pydantic import BaseModel

    from musicbind.runtime.journal import Journal, JournalEntry

__all__ = ["AsyncJob", "Job", "JobHost", "JobSnapshot", "OutT", "ProgressCallback"]


class Job(JobCore[OutT]):
    """A submitted job, driven synchronously through its client."""

    # The client a job opened from the journal alone builds: set by runtime.client, which
    # imports this module (a job never imports its client; see "No import cycles").
    client_type: ClassVar[Callable[..., SyncHost] | None] = None

    def __init__(self, client: SyncHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client
        self._owns_client = False
        self._owns_journal = False

    def _host(self) -> JobHost:
        return self.client

    def _run(self, plan: Plan[T]) -> T:
        return self.client.drive(plan)

    @classmethod
    def from_journal(
        cls,
        key: str,
        *,
        client: SyncHost | None = None,
        journal: Journal | str | Path | None = None,
    ) -> Job[BaseModel]:
        """The journalled job whose intent id or job id is ``key`` (a unique prefix will do).

        Without ``client`` one is built from the protocol and base URL the job was
        submitted with, credentials from the environment; close it with ``close()``.
        """
        job: Job[BaseModel] = _restored(Job, cls.client_type, key, client, journal)
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
        return self._run(self._status_plan())

    def wait(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobSnapshot:
        """Poll until the job ends; the final reading when it succeeded.

        ``timeout`` in seconds is an overall deadline: it also cuts short a status
        request that hangs or trickles. None means :data:`~runtime.polling.DEFAULT_WAIT_TIMEOUT`
        and ``math.inf`` waits without a deadline.
        """
        return self._run(self._wait_plan(timeout, on_progress))

    def cancel(self) -> JobSnapshot:
        """Ask the provider to cancel; the job's state read afterwards (it may still succeed)."""
        return self._run(self._cancel_plan())

    def raw_result(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """The provider's result JSON as received (journalled), waiting for the job first."""
        return self._run(self._raw_result_plan(timeout, on_progress))

    def result(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> OutT:
        """The parsed output, waiting for the job first when it has not succeeded yet.

        OutputValidationError (carrying the raw JSON) when the result no longer fits.
        """
        return self._run(self._result_plan(timeout, on_progress))

    def download(
        self,
        directory: str | Path,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> list[Path]:
        """Store every result file in ``directory``; their paths (journalled).

        Files already stored there are kept; the missing ones are fetched. ``max_bytes``
        caps each file (default: the client's ``max_download_bytes``); the client's
        ``max_files_per_job`` and ``max_job_bytes`` cap the job. One process at a time
        downloads a job (a lock next to the journal).
        """
        return self._run(self._download_job_plan(directory, timeout, max_bytes))


class AsyncJob(JobCore[OutT]):
    """Asynchronous twin of :class:`Job`: the same plans, performed with ``await``."""

    client_type: ClassVar[Callable[..., AsyncHost] | None] = None  # as Job.client_type

    def __init__(self, client: AsyncHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client
        self._owns_client = False
        self._owns_journal = False

    def _host(self) -> JobHost:
        return self.client

    async def _run(self, plan: Plan[T]) -> T:
        return await self.client.drive(plan)

    @classmethod
    def from_journal(
        cls,
        key: str,
        *,
        client: AsyncHost | None = None,
        journal: Journal | str | Path | None = None,
    ) -> AsyncJob[BaseModel]:
        """Async :meth:`Job.from_journal`."""
        job: AsyncJob[BaseModel] = _restored(AsyncJob, cls.client_type, key, client, journal)
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
        return await self._run(self._status_plan())

    async def wait(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobSnapshot:
        """Async :meth:`Job.wait` (``timeout`` is an overall deadline)."""
        return await self._run(self._wait_plan(timeout, on_progress))

    async def cancel(self) -> JobSnapshot:
        """Ask the provider to cancel; the job's state read afterwards (it may still succeed)."""
        return await self._run(self._cancel_plan())

    async def raw_result(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Async :meth:`Job.raw_result`."""
        return await self._run(self._raw_result_plan(timeout, on_progress))

    async def result(
        self,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> OutT:
        """Async :meth:`Job.result`."""
        return await self._run(self._result_plan(timeout, on_progress))

    async def download(
        self,
        directory: str | Path,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> list[Path]:
        """Async :meth:`Job.download`."""
        return await self._run(self._download_job_plan(directory, timeout, max_bytes))


def _restored(
    job_type: type[Any],
    client_type: Callable[..., Any] | None,
    key: str,
    client: JobHost | None,
    journal: Journal | str | Path | None,
) -> Any:
    """The journalled job ``key`` names, of ``job_type``, driven by ``client`` or a new one.

    A client built here (``client_type``, from the protocol and base URL the job was
    submitted with) and a journal opened here are closed by the job's ``close``.
    """
    if client is None and client_type is None:
        raise ConfigurationError(
            "no client to drive the job: pass client=..., or import it as "
            "musicbind.runtime.Job (which brings the runtime's client)"
        )
    book, own_book, entry, handle = _journal_entry(key, journal, client)
    owned = client is None
    if client is None:
        assert client_type is not None
        client = client_type(protocol=entry.protocol, base_url=entry.base_url, journal=book)
    job = job_type(client, **_job_fields(entry, handle, client, book))
    job._owns_client, job._owns_journal = owned, own_book
    return job


def _journal_entry(
    key: str, journal: Journal | str | Path | None, client: JobHost | None
) -> tuple[Journal, bool, JournalEntry, JobHandle]:
    """The journal, whether it was opened here, and the entry and handle ``key`` names."""
    book, own_book = _journal(journal, client)
    try:
        entry = book.get(key)
        handle = _handle_of(entry, book)
    except BaseException:
        if own_book:
            book.close()
        raise
    return book, own_book, entry, handle


def _job_fields(
    entry: JournalEntry, handle: JobHandle, client: JobHost, book: Journal
) -> dict[str, Any]:
    return {
        "ref": entry.ref,
        "handle": handle,
        "intent_id": entry.intent_id,
        "output_type": output_model_of(client.binding_or_none(entry.ref), client.adapter),
        "journal": book,
    }


def _journal(journal: Journal | str | Path | None, client: JobHost | None) -> tuple[Journal, bool]:
    """The journal to read, and whether it was opened here (and must be closed here)."""
    from musicbind.runtime.journal import Journal

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
