"""Runtime: a client's file inputs: local files found, checked and uploaded once per journal.

Part of :class:`runtime.client_core.ClientCore` (a mixin): which file inputs name local
files and whether the provider can take them (:attr:`ProviderAdapter.file_inputs`,
``accepts_local_files``), the media lengths the cross-field rules read, and the upload plan
that sends each local file to the provider's storage once (recorded in the journal by
content, :mod:`runtime.media_uploads`). Errors: FileInputError, nothing sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import urlsplit

from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.clock import Clock
from musicbind.runtime.errors import FileInputError, MusicbindError
from musicbind.runtime.http import AuthHeader, ErrorContext, origin_of
from musicbind.runtime.providers.base import ProviderAdapter
from musicbind.runtime.retry import RetryPolicy
from musicbind.runtime.transport import TransportPlans
from musicbind.runtime.transport_steps import TransportPlan
from musicbind.runtime.webhooks import sqlite_journal

if TYPE_CHECKING:  # loaded on first use, not with a client's import (pydantic with the
    # first model class; the journal, media probing and the upload records with a submit)
    from pydantic import BaseModel

    from musicbind.runtime.journal import Journal
    from musicbind.runtime.media_uploads import UploadProgressHook


class FileInputs:
    """File-input checks and uploads of :class:`~runtime.client_core.ClientCore`."""

    protocol: ProviderProtocol
    base_url: str
    retry: RetryPolicy
    clock: Clock
    on_upload_progress: UploadProgressHook | None
    _adapter: ProviderAdapter
    _auth: AuthHeader | None
    _missing_auth_hint: str
    _transport_type: ClassVar[Callable[..., TransportPlans[Any]]]
    _transport: TransportPlans[Any]
    _storage: TransportPlans[Any] | None
    _uploads: dict[tuple[str, int, int], str]

    @property
    def journal(self) -> Journal:
        """The job journal (the client opens it on first use)."""
        raise NotImplementedError

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
        from musicbind.runtime.media import FileValueError, classify_file_value

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
                    raise self._local_refused(binding, wire, item)
                found.setdefault(name, []).append(Path(item))
        return found

    def _local_refused(self, binding: Binding, field: str, item: str) -> FileInputError:
        """The error for a local file given to a provider that takes only public URLs."""
        return FileInputError(
            f"{field}={Path(item).name!r} is a local file, but {self.protocol.display_name} "
            "takes file inputs as public http(s) URLs: upload the file somewhere public and "
            "pass the URL; nothing was sent",
            provider=self.protocol.name,
            ref=binding.ref,
        )

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
                    raise self._local_refused(binding, name, item)
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
        if not isinstance(values, Mapping):  # a model
            values = {name: getattr(values, name, None) for name in binding.media_fields}
        aliases = {name: info.alias or name for name, info in fields.items()}
        from musicbind.runtime.media import local_media_durations

        return local_media_durations(binding.media_fields, values, aliases, given)

    def _upload_plan(self, binding: Binding, model: BaseModel) -> TransportPlan[BaseModel]:
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

    def _uploaded_value(self, path: Path, ctx: ErrorContext) -> TransportPlan[str]:
        """What the file input takes for ``path``: a recorded upload's value, else a new one."""
        from musicbind.runtime.media import content_sha256
        from musicbind.runtime.media_uploads import UploadProgress, UploadRecords, report_progress

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


def path_to_str(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list) and any(isinstance(v, Path) for v in value):
        return [str(v) if isinstance(v, Path) else v for v in value]
    return value


def upload_key(path: Path) -> tuple[str, int, int]:
    """A local file's identity for the in-process upload cache: path, size, mtime.

    Across processes an upload is known by its content hash (:mod:`runtime.media_uploads`).
    """
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
