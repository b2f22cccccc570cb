"""Runtime: the AIgateway async-job protocol (OpenAI-style errors, Bearer auth).

- Submit ``POST /v1/audio/music {"model": id, ...}`` -> 202 ``{"id", "status"}``.
- Status ``GET /v1/jobs/{id}`` -> ``{"status", "result": {"url", "duration"}, "error"}``.
- Result: the ``result`` object of the completed job.
- Cancel ``DELETE /v1/jobs/{id}`` (cancels a queued job; 409 when it is too late), then
  the job is read again.
- Errors are ``{"error": {"message", "type", "code"}}``.

Base URLs with or without a trailing ``/v1`` both work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from musicbind.runtime.errors import APIResponseError
from musicbind.runtime.http import ApiResponse, HttpCall, request_id_of
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


class GatewayAdapter(ProviderAdapter):
    """AIgateway: Bearer key, one job endpoint for every async model."""

    name = "aigateway"

    def api(self, path: str) -> str:
        """A ``/v1`` API URL under the base URL."""
        prefix = "" if self.base_url.endswith("/v1") else "/v1"
        return self.url(prefix + path)

    def submit(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[SubmitAnswer]:
        body = {"model": model_id, **payload}
        response = yield HttpCall(Operation.SUBMIT, "POST", self.api("/audio/music"), json=body)
        answer = json_object(response, "aigateway submit")
        handle = JobHandle(
            model_id,
            required_str(answer, "id", "aigateway submit"),
            request_id=request_id_of(response.headers),
        )
        snapshot = self.submit_snapshot(lambda: self._snapshot(answer, response))
        return SubmitAnswer(handle, snapshot)

    def status(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        response = yield HttpCall(Operation.STATUS, "GET", self._job_url(handle))
        return self._snapshot(json_object(response, "aigateway job"), response)

    def result(self, handle: JobHandle) -> Exchange[dict[str, Any]]:
        snapshot = yield from self.status(handle)
        ensure_finished(snapshot, self.name)
        result = snapshot.raw.get("result")
        if not isinstance(result, dict):
            raise APIResponseError("the completed aigateway job has no 'result' object")
        return result

    def cancel(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        yield HttpCall(Operation.CANCEL, "DELETE", self._job_url(handle), accept=frozenset({409}))
        return (yield from self.status(handle))

    def _job_url(self, handle: JobHandle) -> str:
        return self.api(f"/jobs/{quote_path(handle.job_id)}")

    def _snapshot(self, body: dict[str, Any], response: ApiResponse) -> JobSnapshot:
        word = body.get("status")
        state = self.state_of(word)
        progress = body.get("progress")
        return JobSnapshot(
            state=state,
            status_word=str(word),
            progress=1.0
            if state is JobState.SUCCEEDED
            else (float(progress) if isinstance(progress, int | float) else None),
            error=error_text(body.get("error")) if state is JobState.FAILED else None,
            raw=body,
            poll_after=response.hint(),
        )
