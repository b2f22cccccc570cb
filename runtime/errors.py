"""Runtime: the documented error tree every runtime call raises from.

::

    MusicbindError                    provider, ref, job_id, request_id (where known)
    ├── ConfigurationError            the client cannot be used as configured
    │   └── MissingCredentialsError   no key in the arguments or the environment
    ├── InputError (ValueError)       refused before any request was sent
    │   ├── FileInputError            a file input that cannot be sent (fal: a local path)
    │   └── CostLimitError            estimate above ``max_cost``, or no estimate to compare
    ├── QuoteNotSupportedError        (NotImplementedError) no dry run at this provider
    ├── APIError                      the provider, or the network to it, said no
    │   ├── APIConnectionError        no answer: refused, DNS, reset, protocol error
    │   │   └── APITimeoutError       connect, read, write or pool timeout
    │   ├── APIStatusError            an HTTP error answer: status_code, detail, retry_after
    │   │   ├── BadRequestError             400
    │   │   ├── AuthenticationError         401
    │   │   ├── InsufficientCreditsError    402
    │   │   ├── PermissionDeniedError       403
    │   │   ├── NotFoundError               404
    │   │   ├── ConflictError               409
    │   │   ├── UnprocessableEntityError    422  field_errors: provider detail per field
    │   │   ├── RateLimitError              429  retry_after
    │   │   └── ServerError                 5xx
    │   └── APIResponseError          an answer the protocol does not allow (bad JSON, no id)
    │       ├── SubmitRedirectError   a submit redirected to another host (not followed)
    │       └── UnknownJobStatusError also runtime.binding.UnknownStatusError
    ├── JobError
    │   ├── JobFailedError            the provider says the job failed: detail
    │   ├── JobCanceledError
    │   └── JobTimeoutError           the caller's deadline passed; the job still runs
    ├── SubmissionUncertainError      a paid submit may or may not have created a job
    ├── UnrecordedJobError            a job was created but the journal could not record it
    ├── OutputValidationError         a paid result no longer fits its model: raw
    ├── JournalError                  the journal cannot be opened or written: path
    └── DownloadError
        ├── ContentLengthMismatchError
        ├── DownloadTooLargeError
        └── TooManyFilesError         more result files than the per-job cap

Every message passes through :func:`runtime.secrets.redact`; no error keeps a request
or response object (their headers carry credentials).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from musicbind.runtime.binding import UnknownStatusError
from musicbind.runtime.secrets import redact

_CONTEXT_FIELDS = ("provider", "ref", "job_id", "request_id")


class MusicbindError(Exception):
    """Base of every runtime error. Context attributes are None where unknown."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        ref: str | None = None,
        job_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = redact(message)
        # Exception.__init__ directly: subclasses also derive from ValueError or
        # UnknownStatusError, whose __init__ takes other arguments.
        Exception.__init__(self, self.message)
        self.provider = provider
        self.ref = ref
        self.job_id = job_id
        self.request_id = request_id

    def add_context(
        self,
        *,
        provider: str | None = None,
        ref: str | None = None,
        job_id: str | None = None,
        request_id: str | None = None,
    ) -> MusicbindError:
        """Fill context fields that are still unknown; returns self for ``raise``."""
        given = {"provider": provider, "ref": ref, "job_id": job_id, "request_id": request_id}
        for name, value in given.items():
            if value is not None and getattr(self, name) is None:
                setattr(self, name, value)
        return self

    def context(self) -> dict[str, str]:
        """The known context fields."""
        return {n: v for n in _CONTEXT_FIELDS if (v := getattr(self, n)) is not None}

    def __str__(self) -> str:
        parts = [f"{name.replace('_', ' ')} {value}" for name, value in self.context().items()]
        return f"{self.message} ({', '.join(parts)})" if parts else self.message

    def __repr__(self) -> str:
        extra = "".join(f", {name}={value!r}" for name, value in self.context().items())
        return f"{type(self).__name__}({self.message!r}{extra})"


class ConfigurationError(MusicbindError):
    """The client cannot be used as configured (unknown provider, bad base URL)."""


class MissingCredentialsError(ConfigurationError):
    """No credentials in the arguments or the environment; nothing was sent."""


class InputError(MusicbindError, ValueError):
    """The call was refused before any request was sent."""


class FileInputError(InputError):
    """A file input that cannot be sent as given."""


class CostLimitError(InputError):
    """The estimate is above ``max_cost``, or there is no estimate to compare with it."""

    def __init__(self, message: str, *, estimate: object, max_cost: object, **context: str) -> None:
        super().__init__(message, **context)
        self.estimate = estimate
        self.max_cost = max_cost


class QuoteNotSupportedError(MusicbindError, NotImplementedError):
    """The provider has no dry run; use ``estimate_cost`` instead."""


class APIError(MusicbindError):
    """The provider, or the network to it, did not do what was asked."""


class APIConnectionError(APIError):
    """No HTTP answer arrived (refused, DNS failure, reset, protocol error).

    ``ambiguous`` is False only when the request provably never reached the server
    (connection refused, DNS failure, connect timeout); a submit that failed with
    ``ambiguous=True`` may have created a job.
    """

    def __init__(self, message: str, *, ambiguous: bool = True, **context: str | None) -> None:
        super().__init__(message, **context)
        self.ambiguous = ambiguous


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One provider complaint about one input field (pydantic-style ``detail`` entries)."""

    location: tuple[str | int, ...]  # as the provider gave it, e.g. ("body", "duration")
    message: str
    kind: str | None = None
    field: str | None = None  # python field name when the wire name maps onto one


class APIStatusError(APIError):
    """An HTTP error answer. ``detail`` is the provider's explanation (redacted, shortened)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        **context: str | None,
    ) -> None:
        super().__init__(message, **context)
        self.status_code = status_code
        self.detail = redact(detail) if detail is not None else None
        self.retry_after = retry_after
        self.headers = {k.lower(): redact(v) for k, v in (headers or {}).items()}


class BadRequestError(APIStatusError):
    """400: the request is malformed."""


class AuthenticationError(APIStatusError):
    """401: credentials missing or wrong."""


class InsufficientCreditsError(APIStatusError):
    """402: no credit left."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials do not grant access."""


class NotFoundError(APIStatusError):
    """404: no such model, job or asset."""


class ConflictError(APIStatusError):
    """409: the resource is not in a state that allows the request."""


class UnprocessableEntityError(APIStatusError):
    """422: the provider refused the parameters; ``field_errors`` says which."""

    field_errors: tuple[FieldError, ...] = ()


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the wait the provider asked for."""


class ServerError(APIStatusError):
    """5xx: the provider failed."""


class APIResponseError(APIError):
    """An answer the provider's protocol does not allow (not JSON, no job id, ...)."""


# For mypy, UnknownStatusError types ``provider`` as str, MusicbindError as str | None; this
# class always sets it, so both readings hold.
class SubmitRedirectError(APIResponseError):
    """A paid submit was answered with a redirect to another host: not followed.

    The provider answered (it ran nothing: a redirect is not a job), and nothing was sent
    to the other host, so the submission is journalled ``rejected``.
    """


class UnknownJobStatusError(APIResponseError, UnknownStatusError):  # type: ignore[misc]
    """A status word the protocol does not list: an error, never success."""

    def __init__(self, provider: str, word: str, **context: str | None) -> None:
        APIResponseError.__init__(
            self, f"{provider} answered with unknown job status {word!r}", **context
        )
        self.provider = provider
        self.word = word


class JobError(MusicbindError):
    """The job itself did not end in success."""


class JobFailedError(JobError):
    """The provider reports the job failed; ``detail`` is its explanation."""

    def __init__(self, message: str, *, detail: str | None = None, **context: str | None) -> None:
        super().__init__(message, **context)
        self.detail = redact(detail) if detail is not None else None


class JobCanceledError(JobError):
    """The job was canceled."""


class JobTimeoutError(JobError):
    """The caller's deadline passed first. The job was not canceled; resume it by its id."""

    def __init__(
        self, message: str, *, timeout: float, last_state: str | None, **context: str | None
    ) -> None:
        super().__init__(message, **context)
        self.timeout = timeout
        self.last_state = last_state


class SubmissionUncertainError(MusicbindError):
    """A paid submit failed after it may have reached the provider. It was not retried.

    ``intent_id`` names the journal row (state ``uncertain``) that records what was sent.
    """

    def __init__(
        self, message: str, *, intent_id: str, journal_path: Path | None, **context: str | None
    ) -> None:
        super().__init__(message, **context)
        self.intent_id = intent_id
        self.journal_path = journal_path


class DownloadError(MusicbindError):
    """A result file could not be stored; no partial file is left behind."""


class ContentLengthMismatchError(DownloadError):
    """The body was not as long as its Content-Length said."""


class DownloadTooLargeError(DownloadError):
    """The body (after decompression) grew past the size cap."""


class TooManyFilesError(DownloadError):
    """A result names more files than the per-job cap allows; nothing was fetched."""


class OutputValidationError(MusicbindError):
    """A paid result does not fit the output model (its shape changed at the provider).

    ``raw`` is the provider's JSON as received: nothing is lost, and ``Job.download``
    still fetches the file URLs found in it.
    """

    def __init__(self, message: str, *, raw: Mapping[str, Any], **context: str | None) -> None:
        super().__init__(message, **context)
        self.raw = raw


class JournalError(MusicbindError):
    """The journal cannot be opened, read or written; ``path`` names it."""

    def __init__(self, message: str, *, path: Path, **context: str | None) -> None:
        super().__init__(message, **context)
        self.path = path


class UnrecordedJobError(MusicbindError):
    """The provider created a job but the journal could not record it.

    ``fallback_path`` is where its id was written instead (None when that failed too);
    ``resume_command`` is the exact command that finishes it.
    """

    def __init__(
        self,
        message: str,
        *,
        fallback_path: Path | None,
        resume_command: str,
        **context: str | None,
    ) -> None:
        super().__init__(message, **context)
        self.fallback_path = fallback_path
        self.resume_command = resume_command


STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for_status(status_code: int) -> type[APIStatusError]:
    """The error class for an HTTP error status."""
    if status_code >= 500:
        return ServerError
    return STATUS_ERRORS.get(status_code, APIStatusError)
