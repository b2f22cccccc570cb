"""Runtime: the journal bookkeeping around a submit (intent, acceptance, verdict on failure).

Part of :class:`runtime.client_core.ClientCore` (a mixin): the intent row before sending,
the job id after, and the verdict on a failed submit (``rejected``, ``not_sent`` or
``uncertain`` with reconcile instructions; see :mod:`runtime.retry` for what counts as
ambiguous); a job the journal could not record goes to the fallback file with the exact
command that resumes it. Errors: SubmissionUncertainError, UnrecordedJobError.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    ConfigurationError,
    MusicbindError,
    SubmissionUncertainError,
    SubmitRedirectError,
    UnrecordedJobError,
)
from musicbind.runtime.http import ErrorContext
from musicbind.runtime.providers.base import JobHandle, SubmitAnswer
from musicbind.runtime.retry import is_ambiguous_submit

if TYPE_CHECKING:  # the journal loads with the client's first use of it
    from musicbind.runtime.journal import Journal


class SubmitRecords:
    """Journal bookkeeping of :class:`~runtime.client_core.ClientCore`."""

    protocol: ProviderProtocol
    base_url: str

    @property
    def journal(self) -> Journal:
        """The job journal (the client opens it on first use)."""
        raise NotImplementedError

    def _intent(self, binding: Binding, wire: Mapping[str, Any], estimate: Decimal | None) -> str:
        return self.journal.record_intent(
            protocol=self.protocol,
            ref=binding.ref,
            model_id=binding.model_id,
            base_url=self.base_url,
            payload=wire,
            estimate=str(estimate) if estimate is not None else None,
            estimate_currency=binding.pricing.currency if binding.pricing else None,
        )

    def _accepted(self, intent_id: str, answer: SubmitAnswer, ctx: ErrorContext) -> None:
        handle = answer.handle
        snapshot = answer.snapshot
        try:
            self.journal.update(
                intent_id,
                submission="accepted",
                job_id=handle.job_id,
                request_id=handle.request_id,
                handle_json=json.dumps(handle.to_json(), sort_keys=True),
                cost=str(answer.cost) if answer.cost is not None else None,
                cost_unit=answer.cost_unit,
                state=str(snapshot.state) if snapshot else None,
                status_word=snapshot.status_word if snapshot else None,
                # An answer that is the result itself is kept now: there is no job to read.
                result_json=(
                    json.dumps(answer.result, sort_keys=True, default=str)
                    if answer.result is not None
                    else None
                ),
            )
        except Exception as exc:
            raise self._unrecorded(binding_ref_of(ctx), handle, intent_id, exc) from None

    def _unrecorded(
        self, ref: str, handle: JobHandle, intent_id: str, error: Exception
    ) -> UnrecordedJobError:
        """The job exists but the journal failed: keep its id in the fallback file, say how."""
        from musicbind.runtime.journal import write_unrecorded_job

        path = self.journal.path
        written = write_unrecorded_job(
            path,
            {
                "job_id": handle.job_id,
                "provider": self.protocol.name,
                "ref": ref,
                "model_id": handle.model_id,
                "request_id": handle.request_id,
                "intent_id": intent_id,
                "handle": handle.to_json(),
            },
        )
        command = resume_command(handle.job_id, ref, path)
        kept = f"its id was written to {written}" if written else "KEEP THIS JOB ID"
        reason = error.message if isinstance(error, MusicbindError) else str(error)
        return UnrecordedJobError(
            f"{self.protocol.display_name} created job {handle.job_id} for {ref}, but the "
            f"journal could not record it ({reason}); {kept}. Finish it with: {command}",
            fallback_path=written,
            resume_command=command,
            provider=self.protocol.name,
            ref=ref,
            job_id=handle.job_id,
            request_id=handle.request_id,
        )

    def _reconcile_entry(self, key: str, job_id: str) -> str:
        """Attach ``job_id`` to a ``pending``/``uncertain`` journal entry; its intent id."""
        entry = self.journal.get(key)
        if entry.provider != self.protocol.name:
            raise ConfigurationError(
                f"journal entry {entry.intent_id} is a {entry.provider} job; this client speaks "
                f"{self.protocol.name}",
                provider=self.protocol.name,
            )
        if entry.submission == "accepted" and entry.job_id == job_id:
            return entry.intent_id
        if entry.submission not in ("pending", "uncertain"):
            raise MusicbindError(
                f"journal entry {entry.intent_id} is {entry.submission}"
                + (f" (job {entry.job_id})" if entry.job_id else "")
                + "; only a pending or uncertain entry can be given a job id",
                provider=entry.provider,
                ref=entry.ref,
            )
        handle = JobHandle(entry.model_id, job_id)
        self.journal.update(
            entry.intent_id,
            submission="accepted",
            job_id=job_id,
            handle_json=json.dumps(handle.to_json(), sort_keys=True),
            reconcile=f"job id {job_id} attached by hand (was {entry.submission})",
        )
        return entry.intent_id

    def _attach_entry(self, binding: Binding, job_id: str) -> str:
        """A journal entry for a job the journal never recorded; its intent id."""
        for entry in self.journal.entries():
            if entry.job_id == job_id and entry.provider == self.protocol.name:
                return entry.intent_id
        intent_id = self.journal.record_intent(
            protocol=self.protocol,
            ref=binding.ref,
            model_id=binding.model_id,
            base_url=self.base_url,
            payload={},
        )
        handle = JobHandle(binding.model_id, job_id)
        self.journal.update(
            intent_id,
            submission="accepted",
            job_id=job_id,
            handle_json=json.dumps(handle.to_json(), sort_keys=True),
            reconcile="attached by job id: the payload was not recorded",
        )
        return intent_id

    def _submit_failed(
        self, intent_id: str, error: BaseException, binding: Binding, wire: Mapping[str, Any]
    ) -> BaseException:
        """Journal why a submit failed; the exception to raise instead (or ``error``)."""
        ambiguous = _is_ambiguous(error)
        if not ambiguous:
            refused = isinstance(error, APIStatusError | SubmitRedirectError)
            self.journal.update(
                intent_id,
                submission="rejected" if refused else "not_sent",
                error=str(error),
            )
            return error
        created = self.journal.get(intent_id).created_at[:19].replace("T", " ")
        reconcile = (
            f"The submit of {binding.ref} may have created a job at {self.protocol.display_name}. "
            f"Look in its dashboard for a {binding.model_id} job created around {created} UTC "
            f"before submitting again; if there is one, run `musicbind reconcile {intent_id} "
            f"--job-id JOB_ID` to attach it and fetch its result (`musicbind jobs` lists this "
            f"entry, {intent_id})."
        )
        self.journal.update(
            intent_id,
            submission="uncertain",
            error=str(error) or type(error).__name__,
            reconcile=reconcile,
        )
        if not isinstance(error, Exception):  # KeyboardInterrupt, CancelledError: keep them
            return error
        return SubmissionUncertainError(
            f"the submit failed after it may have reached {self.protocol.display_name} "
            f"({type(error).__name__}: {error}); it was NOT retried, to avoid paying twice. "
            + reconcile,
            intent_id=intent_id,
            journal_path=self.journal.path,
            provider=self.protocol.name,
            ref=binding.ref,
        )

    def _quote_escaped(
        self, binding: Binding, wire: Mapping[str, Any], error: APIResponseError
    ) -> None:
        """A dry run that started a real job: journal it so it is not lost."""
        if error.job_id is None:
            return
        intent_id = self._intent(binding, wire, None)
        handle = JobHandle(binding.model_id, error.job_id)
        self.journal.update(
            intent_id,
            submission="accepted",
            job_id=error.job_id,
            handle_json=json.dumps(handle.to_json()),
            error=error.message,
        )


def _is_ambiguous(error: BaseException) -> bool:
    if isinstance(error, SubmitRedirectError):
        return False  # the provider answered with a redirect: it ran nothing
    if isinstance(error, APIStatusError):
        return is_ambiguous_submit(status=error.status_code)
    if isinstance(error, APIConnectionError):
        return error.ambiguous
    if isinstance(error, APIError):
        return True  # an answer we could not read: it may well name a new job
    # Other runtime errors are raised before sending (missing credentials); anything
    # else (KeyboardInterrupt, CancelledError) interrupted the request: no way to know.
    return not isinstance(error, MusicbindError)


def binding_ref_of(ctx: ErrorContext) -> str:
    """The model ref an error context names (always set for a submit)."""
    return ctx.ref or ""


def resume_command(job_id: str, ref: str, journal_path: Path) -> str:
    """The exact command that resumes a job the journal does not hold."""
    command = f"musicbind resume --job-id {shlex.quote(job_id)} --ref {shlex.quote(ref)}"
    if os.environ.get("MUSICBIND_JOURNAL") != str(journal_path):
        command += f" --journal {shlex.quote(str(journal_path))}"
    return command
