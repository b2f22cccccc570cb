"""Runtime: what both clients share: configuration, payload validation, cost and file checks.

Also the journal bookkeeping around a submit: the intent row before sending, the job id
after, and the verdict on a failed submit (``rejected``, ``not_sent`` or ``uncertain``
with reconcile instructions, see :mod:`runtime.retry` for what counts as ambiguous).
Credentials come from the arguments or the environment (:data:`CREDENTIAL_ENV`); the
base URL from the argument, ``MUSICBIND_<PROVIDER>_BASE_URL`` or the protocol.
Errors: pydantic.ValidationError for an invalid payload, ConfigurationError,
CostLimitError, FileInputError, SubmissionUncertainError (see :mod:`runtime.errors`).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar, cast
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.download import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_FILES_PER_JOB,
    DEFAULT_MAX_JOB_BYTES,
    answers_folder,
    download_plan,
    save_body,
)
from musicbind.runtime.errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    ConfigurationError,
    CostLimitError,
    FileInputError,
    MissingCredentialsError,
    MusicbindError,
    SubmissionUncertainError,
    SubmitRedirectError,
    UnrecordedJobError,
)
from musicbind.runtime.http import ApiResponse, ErrorContext, HttpCall, display_url, origin_of
from musicbind.runtime.jobs import output_model_of
from musicbind.runtime.journal import Journal, write_unrecorded_job
from musicbind.runtime.media import (
    FileValueError,
    classify_file_value,
    content_sha256,
    local_media_durations,
)
from musicbind.runtime.media_uploads import (
    UploadProgress,
    UploadProgressHook,
    UploadRecords,
    report_progress,
)
from musicbind.runtime.polling import DEFAULT_POLL_POLICY, PollPolicy
from musicbind.runtime.providers import JobHandle, Quote, SubmitAnswer, adapter_for
from musicbind.runtime.providers.base import Exchange, FileRef, ProviderAdapter
from musicbind.runtime.retry import Operation, RetryPolicy, is_ambiguous_submit
from musicbind.runtime.secrets import InvalidCredentialError, Secret, clean_credential
from musicbind.runtime.transport import DEFAULT_TIMEOUT, TransportPlan, TransportPlans, pause
from musicbind.runtime.webhooks import (
    WebhookInbox,
    WebhookTarget,
    sqlite_journal,
    webhook_target,
    with_callback,
)

Payload = BaseModel | Mapping[str, Any]

# provider -> (key variable, secret variable or None)
CREDENTIAL_ENV: Mapping[str, tuple[str, str | None]] = {
    "scenario": ("SCENARIO_API_KEY", "SCENARIO_API_SECRET"),
    "fal": ("FAL_KEY", None),
    "aigateway": ("AIGATEWAY_API_KEY", None),
}


def credential_variables(protocol: ProviderProtocol) -> tuple[str, str | None]:
    """The environment variables of ``protocol``'s key (and secret, for basic auth)."""
    known = CREDENTIAL_ENV.get(protocol.name)
    if known is not None:
        return known
    stem = protocol.name.upper().replace("-", "_")
    key = protocol.key_env or f"{stem}_API_KEY"
    return key, (f"{stem}_API_SECRET" if protocol.auth == "basic" else None)


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
HttpClientT = TypeVar("HttpClientT", httpx.Client, httpx.AsyncClient)


class ClientCore(Generic[HttpClientT]):
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
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
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
        key_var, secret_var = credential_variables(chosen)
        key = _secret(api_key, key_var, provider=name)
        secret = _secret(api_secret, secret_var, provider=name) if chosen.auth == "basic" else None
        self._adapter = adapter_for(chosen, self.base_url)
        self._auth = self._adapter.auth_header(key, secret)
        wanted = " and ".join(
            v for v in (key_var, secret_var if chosen.auth == "basic" else None) if v
        )
        self._missing_auth_hint = f"set {wanted} (in Python, or pass api_key= to the client)"
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
        if isinstance(payload, BaseModel):
            data: Any = payload.model_dump(by_alias=True, exclude_unset=True)
        else:
            data = {key: _path_to_str(value) for key, value in payload.items()}
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

    def _check_cost(
        self,
        binding: Binding,
        model: BaseModel,
        max_cost: Decimal | float | str | None,
        media_duration: Mapping[str, float] | None,
    ) -> Decimal | None:
        media_duration = self._media_lengths(binding, model, media_duration)
        estimate = binding.estimate_cost(model, media_duration)
        if max_cost is None:
            return estimate
        try:
            limit = Decimal(str(max_cost))
        except InvalidOperation:
            raise CostLimitError(
                f"max_cost={max_cost!r} is not a number", estimate=estimate, max_cost=max_cost
            ) from None
        context = {"provider": binding.provider, "ref": binding.ref}
        if estimate is None:
            raise CostLimitError(
                f"max_cost={limit} was given but the cost of {binding.ref} cannot be estimated: "
                f"{why_no_estimate(binding, model, media_duration)}; nothing was sent",
                estimate=None,
                max_cost=limit,
                **context,
            )
        if estimate > limit:
            currency = binding.pricing.currency if binding.pricing else ""
            raise CostLimitError(
                f"estimated cost {estimate} {currency} is above max_cost={limit}; nothing was sent",
                estimate=estimate,
                max_cost=limit,
                **context,
            )
        return estimate

    def _local_files(self, binding: Binding, model: BaseModel) -> dict[str, list[Path]]:
        """File inputs that name local files, per python field (each value's original text).

        Refuses (FileInputError, nothing sent) what cannot be sent: a path to no file,
        ``file://``, ``ftp://`` and other URLs no provider fetches, a ``data:`` URL where
        the provider does not document it, and local files where it cannot upload them.
        """
        found: dict[str, list[Path]] = {}
        takes = getattr(self._adapter, "file_inputs", None)
        if takes is None:  # the adapter states no file-input rules (generic form fields)
            return self._local_form_files(binding, model)
        data_urls = bool(getattr(self._adapter, "accepts_data_urls", False))
        fields = binding.input_model.model_fields
        for name in binding.file_fields:
            value = getattr(model, name, None)
            values = value if isinstance(value, list) else [value]
            wire = (fields[name].alias if name in fields else None) or name
            for item in values:
                if not isinstance(item, str):
                    continue
                try:
                    kind = classify_file_value(item, takes=takes, data_urls=data_urls)
                except FileValueError as error:
                    raise FileInputError(
                        f"{wire}={item[:200]!r}: {error}; nothing was sent",
                        provider=self.protocol.name,
                        ref=binding.ref,
                    ) from None
                if kind.kind != "local":
                    continue
                if not self._adapter.accepts_local_files:
                    raise FileInputError(
                        f"{wire}={Path(item).name!r} is a local file, but "
                        f"{self.protocol.display_name} takes file inputs as public http(s) "
                        "URLs: upload the file somewhere public and pass the URL; nothing "
                        "was sent",
                        provider=self.protocol.name,
                        ref=binding.ref,
                    )
                found.setdefault(name, []).append(Path(item))
        return found

    def _local_form_files(self, binding: Binding, model: BaseModel) -> dict[str, list[Path]]:
        """Existing local files in the file inputs of a provider without file-input rules."""
        found: dict[str, list[Path]] = {}
        for name in binding.file_fields:
            value = getattr(model, name, None)
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str) or urlsplit(item).scheme in ("http", "https", "data"):
                    continue
                if not Path(item).expanduser().is_file():
                    continue
                if not self._adapter.accepts_local_files:
                    raise FileInputError(
                        f"{name}={Path(item).name!r} is a local file, but "
                        f"{self.protocol.display_name} takes file inputs as public http(s) "
                        "URLs: upload the file somewhere public and pass the URL; nothing "
                        "was sent",
                        provider=self.protocol.name,
                        ref=binding.ref,
                    )
                found.setdefault(name, []).append(Path(item))
        return found

    def _with_uploads(
        self, model: BaseModel, uploaded: Mapping[str, Mapping[str, str]]
    ) -> BaseModel:
        """``model`` with each uploaded local path replaced by what the provider took."""
        update: dict[str, Any] = {}
        for name, values in uploaded.items():
            value = getattr(model, name)
            if isinstance(value, list):
                update[name] = [values.get(v, v) for v in value]
            else:
                update[name] = values.get(value, value)
        return model.model_copy(update=update)

    def _media_lengths(
        self,
        binding: Binding,
        values: BaseModel | Mapping[str, Any],
        given: Mapping[str, float] | None,
    ) -> dict[str, float]:
        """``given`` media lengths plus those read from local files in the media fields."""
        fields = binding.input_model.model_fields
        if isinstance(values, BaseModel):
            values = {name: getattr(values, name, None) for name in binding.media_fields}
        aliases = {name: info.alias or name for name, info in fields.items()}
        return local_media_durations(binding.media_fields, values, aliases, given)

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

    def _submit_headers(self, intent_id: str) -> dict[str, str] | None:
        """The idempotency key header for a submit, when the provider honours one."""
        return {self.idempotency_header: intent_id} if self.idempotency_header else None

    # Submit, quote and upload written once as plans (generators yielding the provider
    # exchanges they need); Client and AsyncClient only drive the exchanges.

    def _upload_plan(self, binding: Binding, model: BaseModel) -> ClientPlan[BaseModel]:
        """Upload the model's local files (each at most once per journal); the model to send."""
        local = self._local_files(binding, model)
        if not local:
            return model
        ctx = ErrorContext(self.protocol.name, binding.ref)
        uploaded: dict[str, dict[str, str]] = {}
        for name, paths in local.items():
            uploaded[name] = {}
            for path in paths:
                uploaded[name][str(path)] = yield from self._uploaded_value(path, ctx)
        return self._with_uploads(model, uploaded)

    def _uploaded_value(self, path: Path, ctx: ErrorContext) -> ClientPlan[str]:
        """What the file input takes for ``path``: a recorded upload's value, else a new one."""
        resolved = path.expanduser().resolve()
        key = upload_key(resolved)
        if key in self._uploads:
            return self._uploads[key]
        storage = self._storage_transport()
        origin = "{}://{}:{}".format(*origin_of(storage.base_url))
        digest = content_sha256(resolved)
        records = UploadRecords(self.journal.path, lock_timeout=self.journal.lock_timeout)
        # Kept across processes only for real uploads, and only in a SQLite journal.
        kept = sqlite_journal(self.journal) and bool(
            getattr(self._adapter, "upload_once_per_journal", False)
        )
        record = records.find(self.protocol.name, origin, digest) if kept else None
        if record is None:
            exchange = self._adapter.upload(resolved)
            sent = 0
            try:
                call = next(exchange)
                while True:
                    answer = yield from storage.request_plan(call, ctx)
                    if call.content is not None:  # the file, or one part of it, went up
                        sent += len(call.content.data)
                        done = UploadProgress(self.protocol.name, resolved.name, sent, key[1])
                        report_progress(self.on_upload_progress, done)
                    call = exchange.send(answer)
            except StopIteration as stop:
                value = cast(str, stop.value)
            except MusicbindError as error:
                error.add_context(**ctx.as_kwargs())
                raise
            finally:
                exchange.close()
            if upload_key(resolved) != key:  # what went up is not what was hashed and checked
                raise FileInputError(
                    f"{resolved.name} changed while it was uploaded; nothing was submitted "
                    "(run again once it is written)",
                    **ctx.as_kwargs(),
                )
            record = (records.record if kept else records.unrecorded)(
                provider=self.protocol.name,
                storage_origin=origin,
                sha256=digest,
                size=key[1],
                file_name=resolved.name,
                value=value,
                lifetime_s=getattr(self._adapter, "upload_lifetime_s", None),
            )
        self._uploads[key] = record.value
        return record.value

    def _storage_transport(self) -> TransportPlans[Any]:
        """The transport to the provider's storage (its credentials go there and nowhere else)."""
        base = getattr(self._adapter, "storage_base_url", self.base_url)
        if base == self.base_url:
            return self._transport
        if self._storage is None or self._storage.base_url != base:
            self._storage = self._transport_type(
                provider=self.protocol.name,
                base_url=base,
                auth=self._auth,
                missing_auth_hint=self._missing_auth_hint,
                retry=self.retry,
                clock=self.clock,
                http_client=self._transport._client,
            )
        return self._storage

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
        estimate = self._check_cost(bound, model, max_cost, media_duration)
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


def _path_to_str(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list) and any(isinstance(v, Path) for v in value):
        return [str(v) if isinstance(v, Path) else v for v in value]
    return value


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


def upload_key(path: Path) -> tuple[str, int, int]:
    """A local file's identity for the in-process upload cache: path, size, mtime.

    Across processes an upload is known by its content hash (:mod:`runtime.media_uploads`).
    """
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


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


def why_no_estimate(binding: Binding, model: BaseModel, media: Mapping[str, float] | None) -> str:
    """Why ``binding.estimate_cost`` gives None for this payload, in words a user can act on."""
    pricing = binding.pricing
    if pricing is None:
        if binding.provider == "scenario":
            return "Scenario prices in creative units; call quote() for its dry-run price"
        return "the registry has no price for this model"
    if pricing.unit == "second" and pricing.media and pricing.media not in (media or {}):
        return (
            f"the price depends on the length of {pricing.media}: pass "
            f"media_duration={{{pricing.media!r}: seconds}}"
        )
    return "a field the price depends on is unset"
