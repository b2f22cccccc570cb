"""Runtime: what both clients share: configuration, payload validation and the submit plans.

Credentials come from the arguments or the environment (the adapter says which variables:
:meth:`runtime.providers.base.ProviderAdapter.credential_variables`); the base URL from the
argument, ``MUSICBIND_<PROVIDER>_BASE_URL`` or the protocol. File inputs and uploads are
:mod:`runtime.client_files`, the journal bookkeeping around a submit
:mod:`runtime.submit_records`, the cost check :mod:`runtime.cost_check`.
Errors: pydantic.ValidationError for an invalid payload, ConfigurationError,
CostLimitError, FileInputError, SubmissionUncertainError (see :mod:`runtime.errors`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar, cast
from urllib.parse import urlsplit

from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.client_files import FileInputs, path_to_str
from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.cost_check import check_cost
from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.download import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_FILES_PER_JOB,
    DEFAULT_MAX_JOB_BYTES,
    answers_folder,
    download_plan,
    save_body,
)
from musicbind.runtime.errors import (
    APIResponseError,
    ConfigurationError,
    MissingCredentialsError,
    MusicbindError,
)
from musicbind.runtime.http import ApiResponse, ErrorContext, HttpCall, display_url
from musicbind.runtime.job_core import output_model_of
from musicbind.runtime.polling import DEFAULT_POLL_POLICY, PollPolicy
from musicbind.runtime.providers.base import Exchange, FileRef, ProviderAdapter, Quote, SubmitAnswer
from musicbind.runtime.retry import Operation, RetryPolicy
from musicbind.runtime.secrets import InvalidCredentialError, Secret, clean_credential
from musicbind.runtime.submit_records import SubmitRecords
from musicbind.runtime.transport import TransportPlans
from musicbind.runtime.transport_core import DEFAULT_TIMEOUT, Timeouts
from musicbind.runtime.transport_steps import TransportPlan, pause
from musicbind.runtime.webhooks import WebhookInbox, WebhookTarget, webhook_target, with_callback

if TYPE_CHECKING:  # loaded on first use (pydantic with the first model class)
    import httpx
    from pydantic import BaseModel

    from musicbind.runtime.journal import Journal
    from musicbind.runtime.media_uploads import UploadProgressHook
else:
    httpx = deferred_module("httpx")

# A string, so that importing a client does not import pydantic (it loads with the first
# model class): a type checker reads it as the union.
Payload: TypeAlias = "BaseModel | Mapping[str, Any]"


def base_url_env(provider: str) -> str:
    """The environment variable that overrides ``provider``'s base URL."""
    return f"MUSICBIND_{provider.upper()}_BASE_URL"


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a finished submit plan hands the client to build its job from."""

    binding: Binding
    intent_id: str
    answer: SubmitAnswer


T = TypeVar("T")
ClientPlan = TransportPlan[T]
HttpClientT = TypeVar("HttpClientT", "httpx.Client", "httpx.AsyncClient")


class ClientCore(SubmitRecords, FileInputs, Generic[HttpClientT]):
    """Configuration, validation, cost checks and journal bookkeeping shared by both clients.

    Also what a job needs of its client (:class:`runtime.jobs.JobHost`): the adapter and
    the plans of its I/O, which :class:`Client` and :class:`AsyncClient` only drive.
    """

    protocol: ProviderProtocol  # set by generated subclasses (or passed to __init__)
    _transport_type: ClassVar[Callable[..., TransportPlans[Any]]]
    _transport: TransportPlans[Any]
    # Called as a local file goes up to the provider's storage (runtime.media_uploads).
    on_upload_progress: UploadProgressHook | None = None

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        api_secret: str | Secret | None = None,
        base_url: str | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        protocol: ProviderProtocol | None = None,
        timeout: float | Timeouts | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        poll: PollPolicy = DEFAULT_POLL_POLICY,
        clock: Clock = SYSTEM_CLOCK,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        idempotency_header: str | None = None,
        http_client: HttpClientT | None = None,
        max_files_per_job: int = DEFAULT_MAX_FILES_PER_JOB,
        max_job_bytes: int = DEFAULT_MAX_JOB_BYTES,
    ) -> None:
        chosen = protocol or getattr(type(self), "protocol", None)
        if not isinstance(chosen, ProviderProtocol):
            raise ConfigurationError(
                f"{type(self).__name__} needs a ProviderProtocol: pass protocol=... "
                "or use a generated client"
            )
        self.protocol = chosen
        name = chosen.name
        chosen_url = base_url or os.environ.get(base_url_env(name)) or chosen.base_url
        self.base_url = chosen_url.rstrip("/")
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ConfigurationError(
                f"{name} base URL must be http(s): {display_url(self.base_url)}", provider=name
            )
        # The adapters load with the client that uses them, not with its class.
        from musicbind.runtime.providers import adapter_for

        self._adapter = adapter_for(chosen, self.base_url)
        key_var, secret_var = self._adapter.credential_variables(chosen)
        key = _secret(api_key, key_var, provider=name)
        secret = _secret(api_secret, secret_var, provider=name) if chosen.auth == "basic" else None
        self._auth = self._adapter.auth_header(key, secret)
        wanted = " and ".join(
            v for v in (key_var, secret_var if chosen.auth == "basic" else None) if v
        )
        self._missing_auth_hint = f"set {wanted} (in Python, or pass api_key= to the client)"
        from musicbind.runtime.journal import Journal  # with a client, not with its class

        self._journal_arg = journal
        self._journal: Journal | None = journal if isinstance(journal, Journal) else None
        self.retry = retry or RetryPolicy()
        self.poll = poll
        self.clock = clock
        self.max_download_bytes = max_download_bytes
        self.max_files_per_job = max_files_per_job
        self.max_job_bytes = max_job_bytes
        # Only for a provider (or stand-in) that honours idempotency keys: each submit then
        # carries "<header>: <intent id>" and is retried like a read.
        self.idempotency_header = idempotency_header
        # (path, size, mtime) -> asset id or file URL; the journal keeps them across processes
        self._uploads: dict[tuple[str, int, int], str] = {}
        self._storage: TransportPlans[Any] | None = None  # see _storage_transport
        self._transport = self._transport_type(
            provider=self.protocol.name,
            base_url=self.base_url,
            auth=self._auth,
            missing_auth_hint=self._missing_auth_hint,
            retry=self.retry,
            clock=clock,
            timeout=timeout,
            http_client=http_client,
            idempotent_submit=idempotency_header is not None,
            anonymous=chosen.auth == "none",
        )

    @property
    def adapter(self) -> ProviderAdapter:
        """The provider adapter: the sans-IO exchanges this client's requests come from."""
        return self._adapter

    def exchange_plan(
        self,
        exchange: Exchange[T],
        ctx: ErrorContext,
        headers: Mapping[str, str] | None = None,
        *,
        deadline: float | None = None,
    ) -> ClientPlan[T]:
        """Run an adapter exchange through the transport (``headers`` go with a submit)."""
        try:
            call = next(exchange)
            while True:
                call = with_submit_headers(call, headers)
                if call.to_file:
                    answer = yield from self._to_file_plan(call, ctx, deadline)
                else:
                    answer = yield from self._transport.request_plan(call, ctx, deadline)
                call = exchange.send(answer)
        except StopIteration as stop:
            return cast(T, stop.value)
        except MusicbindError as error:
            error.add_context(**ctx.as_kwargs())
            raise
        finally:
            exchange.close()

    def _to_file_plan(
        self, call: HttpCall, ctx: ErrorContext, deadline: float | None
    ) -> ClientPlan[ApiResponse]:
        """Send ``call``; its 2xx body streams into the journal's answers folder (a paid
        answer that is the result itself, such as an audio file), under the download cap."""
        folder = answers_folder(self.journal.path)

        def consume(response: httpx.Response) -> TransportPlan[ApiResponse]:
            saved, _ = yield from save_body(response, folder, self.max_download_bytes)
            return ApiResponse(
                response.status_code,
                response.headers,
                b"",
                str(response.url),
                received_at=self.clock.wall(),
                file=saved,
            )

        return self._transport.exchange_plan(call, ctx, consume, deadline)

    def download_plan(
        self,
        ref: FileRef,
        directory: Path,
        *,
        fallback_name: str,
        ctx: ErrorContext,
        max_bytes: int,
    ) -> ClientPlan[Path]:
        """Download one result file into ``directory`` (see :mod:`runtime.download`)."""
        return download_plan(
            self._transport,
            ref,
            directory,
            fallback_name=fallback_name,
            ctx=ctx,
            max_bytes=max_bytes,
        )

    def sleep_plan(self, seconds: float) -> ClientPlan[None]:
        """Wait ``seconds`` on the client's clock."""
        return pause(seconds)

    def __repr__(self) -> str:
        shown = display_url(self.base_url)
        return f"{type(self).__name__}(provider={self.protocol.name!r}, base_url={shown!r})"

    @property
    def journal(self) -> Journal:
        """The job journal (opened on first use)."""
        if self._journal is None:
            from musicbind.runtime.journal import Journal

            path = self._journal_arg if not isinstance(self._journal_arg, Journal) else None
            self._journal = Journal(path)
        return self._journal

    def _close_journal(self) -> None:
        """Close the journal if this client opened it."""
        if self._journal is not None and self._journal is not self._journal_arg:
            self._journal.close()

    def resolve_binding(self, ref: str) -> Binding:
        """The binding for a ref; generated clients override this."""
        raise LookupError(
            f"{type(self).__name__} cannot look up {ref!r}: pass the Binding itself "
            "(generated clients resolve refs)"
        )

    def binding_or_none(self, ref: str) -> Binding | None:
        """:meth:`resolve_binding`, or None when the ref is unknown."""
        try:
            return self.resolve_binding(ref)
        except LookupError:
            return None

    def binding(self, binding_or_ref: Binding | str) -> Binding:
        """The binding itself, checked to belong to this client's provider."""
        binding = (
            self.resolve_binding(binding_or_ref)
            if isinstance(binding_or_ref, str)
            else binding_or_ref
        )
        if binding.provider != self.protocol.name:
            raise ConfigurationError(
                f"{binding.ref} is a {binding.provider} model; this client speaks "
                f"{self.protocol.name}",
                provider=self.protocol.name,
                ref=binding.ref,
            )
        return binding

    def validate(
        self,
        binding_or_ref: Binding | str,
        payload: Payload,
        *,
        media_duration: Mapping[str, float] | None = None,
    ) -> BaseModel:
        """The payload as the binding's input model (pydantic.ValidationError when invalid).

        ``pathlib.Path`` values become strings first, so file inputs may be given as paths.
        The length of a local media file is read from the file when ``media_duration``
        does not give it, so the cross-field rules hold; a file input that cannot be sent
        (no such file, ``file://``, ``ftp://``...) raises FileInputError.
        """
        binding = self.binding(binding_or_ref)
        if isinstance(payload, Mapping):
            data: Any = {key: path_to_str(value) for key, value in payload.items()}
        else:  # a model
            data = payload.model_dump(by_alias=True, exclude_unset=True)
        durations = self._media_lengths(binding, data, media_duration)
        context = {"media_duration": durations} if durations else None
        if isinstance(payload, binding.input_model) and context is None:
            model: BaseModel = payload
        else:
            model = binding.input_model.model_validate(data, context=context)
        self._local_files(binding, model)
        return model

    def estimate_cost(
        self,
        binding_or_ref: Binding | str,
        payload: Payload,
        media_duration: Mapping[str, float] | None = None,
    ) -> Decimal | None:
        """The registry's price for ``payload`` (pricing currency), or None when unknown."""
        binding = self.binding(binding_or_ref)
        model = self.validate(binding, payload, media_duration=media_duration)
        return binding.estimate_cost(model, self._media_lengths(binding, model, media_duration))

    def _submit_headers(self, intent_id: str) -> dict[str, str] | None:
        """The idempotency key header for a submit, when the provider honours one."""
        return {self.idempotency_header: intent_id} if self.idempotency_header else None

    # Submit, quote and upload written once as plans (generators yielding the provider
    # exchanges they need); Client and AsyncClient only drive the exchanges.

    def _submit_plan(
        self,
        binding: Binding | str,
        payload: Payload,
        max_cost: Decimal | float | str | None,
        media_duration: Mapping[str, float] | None,
        *,
        webhook_url: str | WebhookTarget | None = None,
    ) -> ClientPlan[Submitted]:
        """Validate, check the cost, upload, journal, submit, journal the job id."""
        bound = self.binding(binding)
        target = webhook_target(webhook_url, self._adapter, self.journal) if webhook_url else None
        model = self.validate(bound, payload, media_duration=media_duration)
        lengths = self._media_lengths(bound, model, media_duration)
        estimate = check_cost(bound, model, max_cost, lengths)
        if self._auth is None and self.protocol.auth != "none":  # refused here: nothing sent
            raise MissingCredentialsError(
                f"no credentials for {self.protocol.name}: {self._missing_auth_hint}",
                provider=self.protocol.name,
                ref=bound.ref,
            )
        model = yield from self._upload_plan(bound, model)
        wire = wire_payload(model)
        intent_id = self._intent(bound, wire, estimate)
        ctx = ErrorContext(self.protocol.name, bound.ref)
        try:
            exchange = self._adapter.submit(bound.model_id, wire)
            if target is not None:
                exchange = with_callback(exchange, self._adapter, target)
            answer = yield from self.exchange_plan(exchange, ctx, self._submit_headers(intent_id))
        except BaseException as error:  # also an interrupt: the submit may have left
            replacement = self._submit_failed(intent_id, error, bound, wire)
            if replacement is error:
                raise
            raise replacement from error
        self._accepted(intent_id, answer, ctx)
        if target is not None:
            WebhookInbox(self.journal).expect(self.protocol.name, answer.handle.job_id, target)
        return Submitted(bound, intent_id, answer)

    def _quote_plan(
        self,
        binding: Binding | str,
        payload: Payload,
        media_duration: Mapping[str, float] | None,
    ) -> ClientPlan[Quote]:
        bound = self.binding(binding)
        model = self.validate(bound, payload, media_duration=media_duration)
        wire = wire_payload((yield from self._upload_plan(bound, model)))
        ctx = ErrorContext(self.protocol.name, bound.ref)
        try:
            quote: Quote = yield from self.exchange_plan(
                self._adapter.quote(bound.model_id, wire), ctx
            )
        except APIResponseError as error:
            self._quote_escaped(bound, wire, error)
            raise
        return quote

    def _job_kwargs(
        self,
        binding: Binding,
        intent_id: str,
        answer: SubmitAnswer,
        output_type: type[BaseModel] | None,
    ) -> dict[str, Any]:
        return {
            "ref": binding.ref,
            "handle": answer.handle,
            "intent_id": intent_id,
            "output_type": output_type or output_model_of(binding, self._adapter),
            "journal": self.journal,
            "last": answer.snapshot,
        }


def _secret(value: str | Secret | None, variable: str | None, *, provider: str) -> Secret | None:
    """The credential from the argument or ``variable``, stripped and checked before any use."""
    name = "the api_key/api_secret argument"
    if isinstance(value, Secret):
        value = value.reveal()
    elif value is None and variable is not None:
        value = os.environ.get(variable) or None
        name = f"${variable}"
    if not value:
        return None
    try:
        cleaned = clean_credential(value, name=name)
    except InvalidCredentialError as error:
        raise ConfigurationError(str(error), provider=provider) from None
    return Secret(cleaned) if cleaned else None


def wire_payload(model: BaseModel) -> dict[str, Any]:
    """The JSON body for a validated input model: wire names, unset optional values left out."""
    to_wire = getattr(model, "to_wire", None)
    if callable(to_wire):
        return cast(dict[str, Any], to_wire())
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def with_submit_headers(call: HttpCall, headers: Mapping[str, str] | None) -> HttpCall:
    """``call`` carrying ``headers`` when it is the paid submit."""
    if not headers or call.operation is not Operation.SUBMIT:
        return call
    return replace(call, headers={**(call.headers or {}), **headers})
