"""Runtime: the fal queue protocol (submit, status with logs, result, cancel).

- Submit ``POST /{endpoint_id}`` -> QueueStatus ``{"request_id", "status", "status_url",
  "response_url", "cancel_url", "queue_position"}``; the request id is the job id.
  Provider URLs are kept only when they are on the base URL's origin; otherwise the
  documented paths under the base URL are used.
- Status ``GET /{endpoint_id}/requests/{request_id}/status?logs=1`` -> ``IN_QUEUE |
  IN_PROGRESS | COMPLETED`` with ``queue_position`` and ``logs``. There is no failed
  word: COMPLETED with ``error``/``error_type`` is FAILED (CANCELED when the error type
  names a cancellation).
- Result ``GET /{endpoint_id}/requests/{request_id}``; a 422 answer (pydantic ``detail``)
  means the job failed: JobFailedError with that detail; 499 means it was cancelled.
- Cancel ``PUT .../requests/{request_id}/cancel`` (400: already finished), then re-read.
- File inputs are public URLs (or ``data:`` URIs, which fal documents). A local file is
  uploaded first through fal's storage API: ``POST {storage}/storage/upload/initiate
  ?storage_type=fal-cdn-v3`` ``{"file_name", "content_type"}`` (with the key and the
  expiry in ``X-Fal-Object-Lifecycle-Preference`` and ``X-Fal-Object-Lifecycle``) ->
  ``{"upload_url", "file_url"}``, then ``PUT`` the bytes to ``upload_url`` (a signed URL:
  no credentials go there); the input takes ``file_url``. The storage is
  ``https://rest.fal.ai`` for fal's own queue, and the base URL itself for any other base
  URL (a proxy, the emulator).
- A file larger than :attr:`FalAdapter.multipart_threshold_bytes` (90 MiB, where fal's
  JavaScript client switches) goes up in parts, as fal's client sends them: ``POST
  {storage}/storage/upload/initiate-multipart?storage_type=fal-cdn-v3`` (same body, key and
  lifecycle headers) -> ``{"upload_url", "file_url"}``; each part of
  :attr:`FalAdapter.multipart_chunk_bytes` (10 MiB) is ``PUT {upload_url path}/{n}{upload_url
  query}`` (n from 1; read from the file one part at a time) and its ``ETag`` kept; then ``POST
  {upload_url path}/complete{query}`` ``{"parts": [{"partNumber", "etag"}, ...]}``. Parts and
  completion go to the signed upload URL as fal's client sends them: without the key (the
  transport adds it only on the storage base URL's own origin and path). A part is retried by
  the client's retry policy on its own, never the whole upload; the file URL is returned only
  once the completion succeeded, so a broken upload never reaches a submit.
"""

from __future__ import annotations

import json
import math
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from musicbind.runtime.errors import (
    APIResponseError,
    FileInputError,
    JobCanceledError,
    JobFailedError,
)
from musicbind.runtime.http import (
    ApiResponse,
    HttpCall,
    RawBody,
    error_detail,
    origin_of,
    request_id_of,
)
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.providers.base import (
    Exchange,
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

RESULT_FAILURE_STATUSES = frozenset({422})
RESULT_CANCELED_STATUS = 499
_CANCEL_ERROR_TYPES = frozenset(
    {"client_cancelled", "request_cancelled", "request_canceled", "cancelled", "canceled"}
)
_URL_KEYS = ("status_url", "response_url", "cancel_url")
QUEUE_HOST = "queue.fal.run"
STORAGE_URL = "https://rest.fal.ai"
STORAGE_TYPE = "fal-cdn-v3"
# The expiry of an upload: fal's Python client sends it under both names on an initiate.
LIFECYCLE_HEADERS = ("X-Fal-Object-Lifecycle-Preference", "X-Fal-Object-Lifecycle")
UPLOAD_LIFETIME_S = 7 * 24 * 3600  # how long fal keeps an uploaded input (asked for)
MULTIPART_THRESHOLD_BYTES = 90 * 1024 * 1024  # larger files go up in parts (as fal-js does)
MULTIPART_CHUNK_BYTES = 10 * 1024 * 1024  # one part (fal's clients use 10 MiB)
MAX_MULTIPART_PARTS = 10_000  # the object stores behind fal's storage take no more parts


class FalAdapter(ProviderAdapter):
    """fal: ``Authorization: Key``, a queue with positions and logs, URL file inputs."""

    name = "fal"
    default_key_env = "FAL_KEY"  # what fal's own clients read
    accepts_local_files = True
    accepts_data_urls = True  # fal documents base64 data URIs as file inputs
    upload_once_per_journal = True  # uploads are recorded in the journal (by content)
    file_inputs = "url"
    upload_lifetime_s: int | None = UPLOAD_LIFETIME_S
    webhook_param = "fal_webhook"  # submit query parameter naming the URL fal calls back

    @property
    def storage_base_url(self) -> str:
        """Where local files are uploaded: fal's REST host for its queue, else the base URL."""
        return STORAGE_URL if urlsplit(self.base_url).hostname == QUEUE_HOST else self.base_url

    # Instance-settable (tests lower them to split a small file): bytes above which a file
    # goes up in parts, and the size of each part but the last.
    multipart_threshold_bytes: int = MULTIPART_THRESHOLD_BYTES
    multipart_chunk_bytes: int = MULTIPART_CHUNK_BYTES

    def upload(self, path: Path) -> Exchange[str]:
        """Upload ``path`` to fal's storage (in parts when large); returns its file URL."""
        size = path.stat().st_size
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if size > self.multipart_threshold_bytes:
            return (yield from self._upload_in_parts(path, size, mime))
        upload_url, file_url = yield from self._initiate("initiate", path.name, mime)
        yield HttpCall(
            Operation.UPLOAD, "PUT", upload_url, content=RawBody(path.read_bytes(), mime)
        )
        return file_url

    def _initiate(self, route: str, file_name: str, mime: str) -> Exchange[tuple[str, str]]:
        """``POST /storage/upload/{route}`` -> (upload URL, file URL), both http(s)."""
        headers = {}
        if self.upload_lifetime_s:
            lifetime = {"expiration_duration_seconds": self.upload_lifetime_s}
            headers = dict.fromkeys(LIFECYCLE_HEADERS, json.dumps(lifetime))
        response = yield HttpCall(
            Operation.UPLOAD,
            "POST",
            f"{self.storage_base_url}/storage/upload/{route}",
            params={"storage_type": STORAGE_TYPE},
            json={"file_name": file_name, "content_type": mime},
            headers=headers,
        )
        body = json_object(response, "fal storage")
        upload_url = required_str(body, "upload_url", "fal storage")
        file_url = required_str(body, "file_url", "fal storage")
        for url in (upload_url, file_url):
            if urlsplit(url).scheme not in ("http", "https"):
                raise APIResponseError("fal storage: the answer names a URL that is not http(s)")
        return upload_url, file_url

    def _upload_in_parts(self, path: Path, size: int, mime: str) -> Exchange[str]:
        chunk = self.multipart_chunk_bytes
        if chunk <= 0:
            raise FileInputError("the multipart chunk size must be positive", provider=self.name)
        count = math.ceil(size / chunk)
        if count > MAX_MULTIPART_PARTS:
            raise FileInputError(
                f"{path.name} is {size} bytes: {count} parts of {chunk} bytes, more than the "
                f"{MAX_MULTIPART_PARTS} fal's storage takes; nothing was uploaded",
                provider=self.name,
            )
        upload_url, file_url = yield from self._initiate("initiate-multipart", path.name, mime)
        target = urlsplit(upload_url)
        base = f"{target.scheme}://{target.netloc}{target.path.rstrip('/')}"
        query = f"?{target.query}" if target.query else ""
        parts: list[dict[str, Any]] = []
        with path.open("rb") as handle:  # one part in memory at a time
            while data := handle.read(chunk):
                number = len(parts) + 1
                response = yield HttpCall(
                    Operation.UPLOAD,
                    "PUT",
                    f"{base}/{number}{query}",
                    content=RawBody(data, ""),  # no Content-Type, as fal's client sends parts
                )
                etag = response.headers.get("etag")
                if not etag:
                    raise APIResponseError(
                        f"fal storage: part {number} of {count} of {path.name} was stored but "
                        "the answer has no ETag; the upload cannot be completed"
                    )
                parts.append({"partNumber": number, "etag": etag})
        if len(parts) != count:
            raise FileInputError(
                f"{path.name} changed while it was uploaded; nothing was submitted",
                provider=self.name,
            )
        yield HttpCall(Operation.UPLOAD, "POST", f"{base}/complete{query}", json={"parts": parts})
        return file_url

    def submit(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[SubmitAnswer]:
        response = yield HttpCall(
            Operation.SUBMIT, "POST", self.url(f"/{quote_path(model_id)}"), json=dict(payload)
        )
        body = json_object(response, "fal submit")
        request_id = required_str(body, "request_id", "fal submit")
        urls = {
            key: value
            for key in _URL_KEYS
            if isinstance(value := body.get(key), str) and self._same_origin(value)
        }
        handle = JobHandle(
            model_id,
            request_id,
            request_id=request_id_of(response.headers) or request_id,
            urls=urls,
        )
        snapshot = self.submit_snapshot(lambda: self._snapshot(body, response))
        return SubmitAnswer(handle, snapshot)

    def status(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        url = handle.urls.get("status_url") or self._request_url(handle, "/status")
        response = yield HttpCall(Operation.STATUS, "GET", url, params={"logs": "1"})
        return self._snapshot(json_object(response, "fal status"), response)

    def result(self, handle: JobHandle) -> Exchange[dict[str, Any]]:
        url = handle.urls.get("response_url") or self._request_url(handle, "")
        accept = RESULT_FAILURE_STATUSES | {RESULT_CANCELED_STATUS}
        response = yield HttpCall(Operation.RESULT, "GET", url, accept=accept)
        if response.status_code == RESULT_CANCELED_STATUS:
            raise JobCanceledError("the job was canceled", provider=self.name)
        if response.status_code in RESULT_FAILURE_STATUSES:
            detail = error_detail(response.content) or f"HTTP {response.status_code}"
            raise JobFailedError(f"the job failed: {detail}", detail=detail, provider=self.name)
        body = json_object(response, "fal result")
        if isinstance(body.get("status"), str) and ("error" in body or "error_type" in body):
            ensure_finished(self._snapshot(body, response), self.name)
        return body

    def cancel(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        url = handle.urls.get("cancel_url") or self._request_url(handle, "/cancel")
        # 400: already finished; the reading below says how.
        yield HttpCall(Operation.CANCEL, "PUT", url, accept=frozenset({400, 409}))
        return (yield from self.status(handle))

    def _request_url(self, handle: JobHandle, suffix: str) -> str:
        path = f"/{quote_path(handle.model_id)}/requests/{quote_path(handle.job_id)}{suffix}"
        return self.url(path)

    def _same_origin(self, url: str) -> bool:
        try:
            return origin_of(url) == self.origin
        except Exception:  # an unparsable URL from the provider is simply not used
            return False

    def _snapshot(self, body: dict[str, Any], response: ApiResponse) -> JobSnapshot:
        word = body.get("status")
        state = self.state_of(word)
        error = error_text(body.get("error"))
        error_type = body.get("error_type")
        if state is JobState.SUCCEEDED and (error or error_type):
            cancelled = isinstance(error_type, str) and error_type.lower() in _CANCEL_ERROR_TYPES
            state = JobState.CANCELED if cancelled else JobState.FAILED
            error = error or str(error_type)
        position = body.get("queue_position")
        return JobSnapshot(
            state=state,
            status_word=str(word),
            progress=1.0 if state is JobState.SUCCEEDED else None,
            queue_position=position if isinstance(position, int) and position >= 0 else None,
            logs=_log_lines(body.get("logs")),
            error=error if state is not JobState.SUCCEEDED else None,
            raw=body,
            poll_after=response.hint(),
        )


def _log_lines(logs: object) -> tuple[str, ...]:
    if not isinstance(logs, list):
        return ()
    lines: list[str] = []
    for entry in logs:
        if isinstance(entry, dict) and isinstance(entry.get("message"), str):
            lines.append(entry["message"])
        elif isinstance(entry, str):
            lines.append(entry)
    return tuple(lines)
