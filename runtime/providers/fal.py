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
- File inputs are public URLs; local paths are refused (``accepts_local_files``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from musicbind.runtime.errors import JobCanceledError, JobFailedError
from musicbind.runtime.http import ApiResponse, HttpCall, error_detail, origin_of, request_id_of
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


class FalAdapter(ProviderAdapter):
    """fal: ``Authorization: Key``, a queue with positions and logs, URL file inputs."""

    name = "fal"

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
