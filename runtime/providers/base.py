"""Runtime: what a provider adapter is: sans-IO exchanges that build requests and read answers.

An adapter never performs I/O. Each operation is a generator (an :data:`Exchange`)
that yields the :class:`~runtime.transport.HttpCall` it needs, receives the
:class:`~runtime.transport.ApiResponse`, and returns a parsed value; the sync and
async clients drive the same generator. Parsing problems raise
``APIResponseError``; a status word the protocol does not list raises
``UnknownJobStatusError`` (never success); a failed job raises ``JobFailedError``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote, unquote, urlsplit

from musicbind.runtime.binding import ProviderProtocol, UnknownStatusError
from musicbind.runtime.errors import (
    APIResponseError,
    FileInputError,
    JobCanceledError,
    JobFailedError,
    QuoteNotSupportedError,
    UnknownJobStatusError,
)
from musicbind.runtime.http import ApiResponse, AuthHeader, HttpCall, origin_of
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.secrets import Secret, basic_credentials

if TYPE_CHECKING:
    from pydantic import BaseModel

T = TypeVar("T")
Exchange = Generator[HttpCall, ApiResponse, T]
SPOOL_SCHEME = "spool:"  # a result URL naming an answer kept by the journal: spool:<file name>


@dataclass(frozen=True, slots=True)
class JobHandle:
    """Everything needed to address one job again, also after a restart (journalled)."""

    model_id: str
    job_id: str
    request_id: str | None = None
    urls: Mapping[str, str] = field(default_factory=dict)  # provider-given, same origin only

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_json`)."""
        return {
            "model_id": self.model_id,
            "job_id": self.job_id,
            "request_id": self.request_id,
            "urls": dict(self.urls),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobHandle:
        """The handle :meth:`to_json` wrote."""
        return cls(
            model_id=str(data["model_id"]),
            job_id=str(data["job_id"]),
            request_id=data.get("request_id"),
            urls={str(k): str(v) for k, v in (data.get("urls") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """One reading of a job, provider-neutral. ``raw`` is the provider's JSON."""

    state: JobState
    status_word: str
    progress: float | None = None  # 0..1 when the provider reports it
    queue_position: int | None = None
    logs: tuple[str, ...] = ()
    error: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    poll_after: float | None = None  # a server hint (Retry-After) for the next poll


@dataclass(frozen=True, slots=True)
class SubmitAnswer:
    """What a successful submit told us."""

    handle: JobHandle
    snapshot: JobSnapshot | None
    cost: Decimal | None = None
    cost_unit: str | None = None
    # The result itself, when the answer is the result (no job to read later): journalled
    # with the acceptance.
    result: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """A provider's own price for a payload, from a dry run that ran nothing."""

    amount: Decimal
    unit: str
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileRef:
    """A result file: where to fetch it and a name suggestion (sanitised before use)."""

    url: str
    name_hint: str
    content_type: str | None = None


class ProviderAdapter:
    """Base of the per-provider adapters; subclasses implement the exchanges."""

    name: ClassVar[str] = ""
    accepts_local_files: ClassVar[bool] = False  # True: local paths are uploaded
    # The model ``result()``'s JSON parses into when the protocol, not a model document,
    # decides its shape (Scenario); a binding's own output model comes first.
    result_model: ClassVar[type[BaseModel] | None] = None
    # The key's environment variable when the protocol names none (``key_env``): the name
    # the provider's own SDK reads (fal: ``FAL_KEY``); None means ``<NAME>_API_KEY``.
    default_key_env: ClassVar[str | None] = None
    # Why the registry states no price for this provider's models, in words a user can act on.
    unpriced_hint: ClassVar[str] = "the registry has no price for this model"

    def __init__(self, protocol: ProviderProtocol, base_url: str) -> None:
        self.protocol = protocol
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)

    @classmethod
    def credential_variables(cls, protocol: ProviderProtocol) -> tuple[str, str | None]:
        """The environment variables of ``protocol``'s key and, for basic auth, its secret:
        ``key_env`` from the registry, else the provider's own name, else ``<NAME>_API_KEY``
        (and ``<NAME>_API_SECRET``)."""
        stem = protocol.name.upper().replace("-", "_")
        key = protocol.key_env or cls.default_key_env or f"{stem}_API_KEY"
        return key, (f"{stem}_API_SECRET" if protocol.auth == "basic" else None)

    def url(self, path: str) -> str:
        """Base URL + path: never built from the host alone (base URLs may carry a prefix)."""
        return self.base_url + path

    def auth_header(self, api_key: Secret | None, api_secret: Secret | None) -> AuthHeader | None:
        """The authentication header for the protocol's scheme, or None without credentials."""
        if api_key is None:
            return None
        if self.protocol.auth == "basic":
            if api_secret is None:
                return None
            return AuthHeader("Authorization", basic_credentials(api_key, api_secret))
        if self.protocol.auth == "key":
            return AuthHeader("Authorization", Secret(f"Key {api_key.reveal()}"))
        return AuthHeader("Authorization", Secret(f"Bearer {api_key.reveal()}"))

    @staticmethod
    def submit_snapshot(read: Callable[[], JobSnapshot]) -> JobSnapshot | None:
        """The reading in a submit answer, or None when it cannot be read.

        Once the job id is known the submit succeeded: an unreadable status in the same
        answer must not turn a created (paid) job into an uncertain one; the next status
        request reports the problem instead.
        """
        try:
            return read()
        except APIResponseError:
            return None

    def answered_at_submit(self, handle: JobHandle) -> bool:
        """Whether the submit's answer was the result itself (kept in the journal then)."""
        return False

    def state_of(self, word: object) -> JobState:
        """Map a status word; unknown or missing words raise UnknownJobStatusError."""
        if not isinstance(word, str):
            raise UnknownJobStatusError(self.protocol.name, repr(word))
        try:
            return self.protocol.state_of(word)
        except UnknownStatusError:
            raise UnknownJobStatusError(self.protocol.name, word) from None

    # The exchanges. Each yields HttpCalls and returns the parsed answer.

    def submit(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[SubmitAnswer]:
        """Create the (paid) job."""
        raise NotImplementedError

    def status(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        """Read the job once."""
        raise NotImplementedError

    def result(self, handle: JobHandle) -> Exchange[dict[str, Any]]:
        """The finished job's output as JSON (JobFailedError when it failed)."""
        raise NotImplementedError

    def cancel(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        """Ask for cancellation, then read the job again (an acknowledgement is not terminal)."""
        raise NotImplementedError

    def upload(self, path: Path) -> Exchange[str]:
        """Upload a local file; returns what the file input takes (an asset id)."""
        raise FileInputError(f"{self.protocol.display_name} file inputs cannot be uploaded")
        yield  # pragma: no cover  (makes this a generator)

    def quote(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[Quote]:
        """The provider's price from a dry run."""
        raise QuoteNotSupportedError(
            f"{self.protocol.display_name} has no dry run; use estimate_cost() for the "
            "price the registry states",
            provider=self.protocol.name,
        )
        yield  # pragma: no cover

    def file_refs(self, result: Mapping[str, Any]) -> list[FileRef]:
        """Every downloadable file in a result: objects with an http(s) ``url``, deduplicated."""
        refs: list[FileRef] = []
        seen: set[str] = set()
        for item in _objects(result):
            url = item.get("url")
            if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
                continue
            if url in seen:
                continue
            seen.add(url)
            hint = item.get("file_name") or item.get("name") or _url_basename(url)
            kind = item.get("content_type") or item.get("mimeType")
            refs.append(FileRef(url, str(hint or ""), kind if isinstance(kind, str) else None))
        return refs


def quote_path(segment: str) -> str:
    """A model id or job id for a URL path: slashes kept (fal and Scenario ids contain them)."""
    return quote(segment, safe="/:@-._~")


def json_object(response: ApiResponse, what: str) -> dict[str, Any]:
    """The answer's body, which must be a JSON object."""
    body = response.json()
    if not isinstance(body, dict):
        raise APIResponseError(f"{what}: expected a JSON object, got {type(body).__name__}")
    return body


def required_str(data: Mapping[str, Any], key: str, what: str) -> str:
    """``data[key]`` as a non-empty string, else APIResponseError."""
    value = data.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise APIResponseError(f"{what}: the answer has no {key!r}")
    return str(value)


def as_decimal(value: object) -> Decimal | None:
    """A JSON number as Decimal, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def as_fraction(value: object) -> float | None:
    """A progress value clamped to 0..1, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(max(float(value), 0.0), 1.0)


def error_text(value: object) -> str | None:
    """A provider error field (string or ``{"message": ...}``) as text."""
    if isinstance(value, dict):
        value = value.get("message") or value.get("detail") or value.get("type")
    if value is None or value == "":
        return None
    return str(value)


def ensure_finished(snapshot: JobSnapshot, provider: str) -> None:
    """Raise when a job that should have a result ended otherwise."""
    if snapshot.state is JobState.FAILED:
        detail = snapshot.error or "no detail given"
        raise JobFailedError(f"the job failed: {detail}", detail=snapshot.error, provider=provider)
    if snapshot.state is JobState.CANCELED:
        raise JobCanceledError("the job was canceled", provider=provider)
    if snapshot.state is not JobState.SUCCEEDED:
        raise APIResponseError(
            f"the job has no result yet (state {snapshot.state}, status {snapshot.status_word!r})",
            provider=provider,
        )


def _objects(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _url_basename(url: str) -> str:
    return posixpath.basename(unquote(urlsplit(url).path))
