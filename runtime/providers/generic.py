"""Runtime: the one adapter for every provider bound from its OpenAPI document alone.

No per-provider code: each model's call is registry data (``ProviderProtocol.operations``,
one :class:`~runtime.binding.HttpOperation` per model id):

- Submit: ``method path`` under the base URL; inputs named in ``path_params`` fill the
  path's ``{...}``, those in ``query_params`` go in the query, the rest is the JSON body (or
  the multipart form, where ``files`` name the inputs sent as file parts: a local path is
  read and sent, anything else goes as a form field).
- ``answer == "json"``: the answer is the result; the job is done at once, and the result
  is journalled with the acceptance (there is nothing to read again later).
- ``answer == "binary"``: the answer's bytes are the result (an audio file). They are
  streamed into the journal's answers folder under the download cap; the result is
  ``{"audio": {"url": "spool:<file>", "content_type", "file_size"}}`` and ``download``
  copies the file out.
- ``answer == "job"``: the answer's ``job.id_field`` names the job; ``GET job.status_path``
  reads it (its ``status_field`` word mapped by the protocol's statuses; an unknown word is
  never success); the whole status answer is the result; cancel when the document states how.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from musicbind.runtime.binding import HttpOperation, ProviderProtocol
from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.errors import APIResponseError, ConfigurationError, FileInputError
from musicbind.runtime.http import ApiResponse, AuthHeader, HttpCall, RawBody, request_id_of
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.providers.base import (
    SPOOL_SCHEME,
    Exchange,
    FileRef,
    JobHandle,
    JobSnapshot,
    ProviderAdapter,
    SubmitAnswer,
    ensure_finished,
    error_text,
    json_object,
    quote_path,
    required_str,
)
from musicbind.runtime.retry import Operation
from musicbind.runtime.secrets import Secret

if TYPE_CHECKING:
    import httpx
else:
    httpx = deferred_module("httpx")

ANSWERED = "answered"  # the status word of a call whose answer was its result
MAX_FORM_FILE_BYTES = 256 * 1024 * 1024
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")
_URL_KEY = re.compile(r"(?:^|_)(?:url|uri)$|(?:Url|Uri)$")


class GenericAdapter(ProviderAdapter):
    """Calls a generic provider's operations as its registry data describes them."""

    name = "openapi"
    accepts_local_files = True  # multipart file parts: the file is sent with the submit

    def __init__(self, protocol: ProviderProtocol, base_url: str) -> None:
        super().__init__(protocol, base_url)
        self.operations = protocol.operations

    def operation(self, model_id: str) -> HttpOperation:
        """The operation of ``model_id``; ConfigurationError when the protocol has none."""
        try:
            return self.operations[model_id]
        except KeyError:
            raise ConfigurationError(
                f"{self.protocol.display_name} has no operation for model {model_id!r}; "
                "regenerate the bindings",
                provider=self.protocol.name,
            ) from None

    def auth_header(self, api_key: Secret | None, api_secret: Secret | None) -> AuthHeader | None:
        scheme = self.protocol.auth
        if scheme in ("header", "query"):
            if api_key is None or not self.protocol.auth_name:
                return None
            return AuthHeader(self.protocol.auth_name, api_key, in_query=scheme == "query")
        if scheme == "none":
            return None
        return super().auth_header(api_key, api_secret)

    def answered_at_submit(self, handle: JobHandle) -> bool:
        return self.operation(handle.model_id).answer != "job"

    # exchanges ---------------------------------------------------------------------------

    def submit(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[SubmitAnswer]:
        operation = self.operation(model_id)
        call = self._submit_call(operation, self.request_values(model_id, payload))
        response = yield call
        request_id = request_id_of(response.headers)
        if operation.answer == "binary":
            result = _file_result(response)
            job_id = request_id or f"answer-{_digest(result)}"
            return self._answered(model_id, job_id, request_id, result)
        if operation.answer == "job" and operation.job is not None:
            body = json_object(response, f"{self.protocol.name} submit")
            *envelope, id_name = operation.job.id_field.split(".")
            holder = body
            for name in envelope:  # an id in an envelope: {"data": {"task_id": ...}}
                inner = holder.get(name)
                holder = inner if isinstance(inner, dict) else {}
            job_id = required_str(holder, id_name, f"{self.protocol.name} submit")
            handle = JobHandle(model_id, job_id, request_id=request_id)
            status_field = operation.job.status_field
            snapshot = (
                self.submit_snapshot(lambda: self._snapshot(operation, body, response))
                if status_field in body
                else None
            )
            return SubmitAnswer(handle, snapshot)
        body = _json_result(response, self.protocol.name)
        given_id = body.get("id")
        job_id = (
            str(given_id)
            if isinstance(given_id, str | int) and not isinstance(given_id, bool) and given_id
            else (request_id or f"answer-{_digest(body)}")
        )
        return self._answered(model_id, job_id, request_id, body)

    def status(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        operation = self.operation(handle.model_id)
        if operation.answer != "job" or operation.job is None:
            return JobSnapshot(JobState.SUCCEEDED, ANSWERED, progress=1.0)
        url = self._job_url(operation.job.status_path, handle.job_id)
        response = yield HttpCall(Operation.STATUS, "GET", url)
        body = json_object(response, f"{self.protocol.name} job")
        return self._snapshot(operation, body, response)

    def result(self, handle: JobHandle) -> Exchange[dict[str, Any]]:
        operation = self.operation(handle.model_id)
        if operation.answer != "job":
            raise APIResponseError(
                f"the answer of {handle.model_id} was its result and is kept only in the "
                "journal; it cannot be asked for again",
                provider=self.protocol.name,
            )
        snapshot = yield from self.status(handle)
        ensure_finished(snapshot, self.protocol.name)
        return dict(snapshot.raw)

    def cancel(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        operation = self.operation(handle.model_id)
        job = operation.job
        if operation.answer == "job" and job is not None:
            if job.cancel_method is None or job.cancel_path is None:
                raise ConfigurationError(
                    f"{self.protocol.display_name}'s document states no way to cancel a "
                    f"{handle.model_id} job; it runs to its end",
                    provider=self.protocol.name,
                )
            url = self._job_url(job.cancel_path, handle.job_id)
            yield HttpCall(Operation.CANCEL, job.cancel_method, url, accept=frozenset({409}))
        return (yield from self.status(handle))

    def upload(self, path: Path) -> Exchange[str]:
        """A local file of a multipart input is sent with the submit itself: kept as a path."""
        return str(path)
        yield  # pragma: no cover

    def file_refs(self, result: Mapping[str, Any]) -> list[FileRef]:
        """Objects with a ``url`` (also ``spool:`` answers) and http(s) strings under URL keys."""
        refs = super().file_refs(result)
        seen = {ref.url for ref in refs}
        for key, value in _string_items(result):
            if not isinstance(value, str) or value in seen:
                continue
            scheme = urlsplit(value).scheme
            is_answer = key == "url" and value.startswith(SPOOL_SCHEME)
            if is_answer or (scheme in ("http", "https") and _URL_KEY.search(key)):
                seen.add(value)
                name = value.rsplit("/", 1)[-1].split("?", 1)[0]
                refs.append(FileRef(value, name, None))
        return refs

    def request_values(self, model_id: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """The values a submit sends (path, query and body): the payload itself here; a
        provider that names the model in the body adds it (the gateway)."""
        return payload

    # helpers -----------------------------------------------------------------------------

    def _submit_call(self, operation: HttpOperation, payload: Mapping[str, Any]) -> HttpCall:
        values = dict(payload)
        path = operation.path
        placeholders = _PLACEHOLDER.findall(operation.path)
        for name in dict.fromkeys([*operation.path_params, *placeholders]):
            if name not in values:
                raise ConfigurationError(
                    f"{operation.path} needs {name!r} for its path; it was not given",
                    provider=self.protocol.name,
                )
            segment = quote_path(_text(values.pop(name))).replace("/", "%2F")
            path = path.replace("{" + name + "}", segment)
        params = {
            name: _text(values.pop(name))
            for name in operation.query_params
            if name in values and values[name] is not None
        }
        url = self.url(path)
        method = operation.method.upper()
        to_file = operation.answer == "binary"
        if operation.body in ("multipart", "form"):
            body = _form(values, operation.files, multipart=operation.body == "multipart")
            return HttpCall(
                Operation.SUBMIT, method, url, params=params or None, content=body, to_file=to_file
            )
        return HttpCall(
            Operation.SUBMIT, method, url, json=values, params=params or None, to_file=to_file
        )

    def _answered(
        self, model_id: str, job_id: str, request_id: str | None, result: dict[str, Any]
    ) -> SubmitAnswer:
        handle = JobHandle(model_id, job_id, request_id=request_id)
        snapshot = JobSnapshot(JobState.SUCCEEDED, ANSWERED, progress=1.0, raw=result)
        return SubmitAnswer(handle, snapshot, result=result)

    def _job_url(self, template: str, job_id: str) -> str:
        path = _PLACEHOLDER.sub(lambda _: quote_path(job_id).replace("/", "%2F"), template, 1)
        return self.url(path)

    def _snapshot(
        self, operation: HttpOperation, body: dict[str, Any], response: ApiResponse
    ) -> JobSnapshot:
        job = operation.job
        assert job is not None  # only job operations are read
        word = body.get(job.status_field)
        state = self.state_of(word)
        progress = body.get("progress")
        error = body.get(job.error_field) if job.error_field else None
        return JobSnapshot(
            state=state,
            status_word=str(word),
            progress=1.0
            if state is JobState.SUCCEEDED
            else (
                min(max(float(progress), 0.0), 1.0)
                if isinstance(progress, int | float) and not isinstance(progress, bool)
                else None
            ),
            error=error_text(error) if state is JobState.FAILED else None,
            raw=body,
            poll_after=response.hint(),
        )


def _text(value: Any) -> str:
    """A path or query value as text (booleans as JSON writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _json_result(response: ApiResponse, provider: str) -> dict[str, Any]:
    if not response.content.strip():
        return {}
    body = response.json()
    if isinstance(body, dict):
        return body
    raise APIResponseError(
        f"{provider}: expected a JSON object as the answer, got {type(body).__name__}",
        provider=provider,
    )


def _file_result(response: ApiResponse) -> dict[str, Any]:
    if response.file is None:
        raise APIResponseError("the answer should have been saved to a file")
    content_type = response.headers.get("content-type")
    return {
        "audio": {
            "url": f"{SPOOL_SCHEME}{response.file.name}",
            "content_type": content_type.split(";")[0].strip() if content_type else None,
            "file_size": response.file.stat().st_size,
        }
    }


def _form(values: Mapping[str, Any], files: tuple[str, ...], *, multipart: bool) -> RawBody:
    """The form as one body: multipart (fields as text, local files read whole) or, for a
    ``form`` operation, urlencoded."""
    data: dict[str, Any] = {}
    parts: list[tuple[str, tuple[str, bytes, str]]] = []
    for name, value in values.items():
        items = value if isinstance(value, list) and name in files else [value]
        for item in items:
            path = _local_file(item) if name in files else None
            if path is not None:
                parts.append((name, (path.name, _read(path), _media_type(path))))
            elif isinstance(item, dict | list):
                data[name] = json.dumps(item)
            elif item is not None:
                data[name] = _text(item)
    if multipart and not parts:
        return _text_multipart(data)
    request = httpx.Request("POST", "http://form.invalid/", data=data, files=parts or None)
    body = request.read()
    return RawBody(body, request.headers["content-type"])


def _text_multipart(data: Mapping[str, str]) -> RawBody:
    """A multipart body of text fields only (httpx sends those urlencoded)."""
    boundary = os.urandom(16).hex()
    chunks: list[bytes] = []
    for name, value in data.items():
        quoted = name.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return RawBody(b"".join(chunks), f"multipart/form-data; boundary={boundary}")


def _local_file(value: Any) -> Path | None:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str) or urlsplit(value).scheme in ("http", "https", "data"):
        return None
    path = Path(value).expanduser()
    return path if path.is_file() else None


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FORM_FILE_BYTES:
            raise FileInputError(
                f"{path.name} is {size} bytes, over the {MAX_FORM_FILE_BYTES}-byte limit for a "
                "file sent in a form; nothing was sent"
            )
        return path.read_bytes()
    except OSError as error:
        raise FileInputError(f"cannot read {path.name}: {error.strerror or error}") from None


def _media_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _string_items(value: Any, key: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(value, Mapping):
        for name, item in value.items():
            found.extend(_string_items(item, str(name)))
    elif isinstance(value, list):
        for item in value:
            found.extend(_string_items(item, key))
    else:
        found.append((key, value))
    return found
