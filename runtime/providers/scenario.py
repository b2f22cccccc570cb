"""Runtime: the Scenario job protocol (custom generate, jobs, assets, dry run).

- Submit ``POST /v1/generate/custom/{modelId}`` -> ``{"job": {...}, "creativeUnitsCost"}``.
- Status ``GET /v1/jobs/{jobId}`` -> ``{"job": {"status", "progress" 0..1, "metadata"}}``.
- Cancel ``POST /v1/jobs/{jobId}/action {"action": "cancel"}``: only an acknowledgement,
  so the job is read again and that reading is returned.
- Result: ``metadata.assetIds``, each read with ``GET /v1/assets/{assetId}`` for its ``url``;
  returned as ``{"jobId", "assetIds", "assets"}``, which parses into
  :class:`~runtime.protocol_outputs.ScenarioJobOutput` (the output of every Scenario model).
- Upload ``POST /v1/assets`` with the file inline as a base64 data URL (``image`` for
  images, ``file`` for audio, video and the rest); small files only.
- Quote ``?dryRun=true`` answers HTTP 269 with ``creativeUnitsCost`` and runs nothing.
  Any other 2xx means a job may have started: APIResponseError naming its id.

Base URLs with or without a trailing ``/v1`` both work.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from musicbind.runtime.errors import APIResponseError, FileInputError
from musicbind.runtime.http import ApiResponse, HttpCall, request_id_of
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.protocol_outputs import ScenarioJobOutput
from musicbind.runtime.providers.base import (
    Exchange,
    JobHandle,
    JobSnapshot,
    ProviderAdapter,
    Quote,
    SubmitAnswer,
    as_decimal,
    as_fraction,
    ensure_finished,
    error_text,
    json_object,
    quote_path,
    required_str,
)
from musicbind.runtime.retry import Operation

DRY_RUN_STATUS = 269
COST_UNIT = "creative units"
MAX_INLINE_UPLOAD_BYTES = 32 * 1024 * 1024  # base64 in a JSON body: small files only


class ScenarioAdapter(ProviderAdapter):
    """Scenario: HTTP Basic, jobs with progress, results and file inputs as assets."""

    name = "scenario"
    accepts_local_files = True
    file_inputs = "asset"  # file inputs take asset ids; a bare word is one
    accepts_data_urls = False
    upload_once_per_journal = True  # uploads are recorded in the journal (by content)
    upload_lifetime_s: int | None = None  # assets stay until deleted
    result_model = ScenarioJobOutput
    unpriced_hint = "Scenario prices in creative units; call quote() for its dry-run price"

    def api(self, path: str) -> str:
        """A ``/v1`` API URL under the base URL."""
        prefix = "" if self.base_url.endswith("/v1") else "/v1"
        return self.url(prefix + path)

    def submit(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[SubmitAnswer]:
        response = yield HttpCall(
            Operation.SUBMIT, "POST", self._generate_url(model_id), json=dict(payload)
        )
        body = json_object(response, "scenario submit")
        job = _job(body, "scenario submit")
        handle = JobHandle(
            model_id,
            required_str(job, "jobId", "scenario submit"),
            request_id=request_id_of(response.headers),
        )
        return SubmitAnswer(
            handle,
            self.submit_snapshot(lambda: self._snapshot(job, response)),
            cost=as_decimal(body.get("creativeUnitsCost")),
            cost_unit=COST_UNIT,
        )

    def quote(self, model_id: str, payload: Mapping[str, Any]) -> Exchange[Quote]:
        response = yield HttpCall(
            Operation.QUOTE,
            "POST",
            self._generate_url(model_id),
            json=dict(payload),
            params={"dryRun": "true"},
        )
        body = json_object(response, "scenario dry run")
        if response.status_code != DRY_RUN_STATUS:
            job = body.get("job")
            job_id = job.get("jobId") if isinstance(job, dict) else None
            raise APIResponseError(
                f"the dry run answered HTTP {response.status_code}, not {DRY_RUN_STATUS}: "
                "the provider may have started a paid job",
                provider=self.name,
                job_id=str(job_id) if job_id else None,
            )
        amount = as_decimal(body.get("creativeUnitsCost"))
        if amount is None:
            raise APIResponseError("the dry run answer has no creativeUnitsCost")
        return Quote(amount, COST_UNIT, body)

    def status(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        response = yield HttpCall(
            Operation.STATUS, "GET", self.api(f"/jobs/{quote_path(handle.job_id)}")
        )
        return self._snapshot(_job(json_object(response, "scenario job"), "scenario job"), response)

    def cancel(self, handle: JobHandle) -> Exchange[JobSnapshot]:
        # 409: the job is already past cancelling; its state is read below either way.
        yield HttpCall(
            Operation.CANCEL,
            "POST",
            self.api(f"/jobs/{quote_path(handle.job_id)}/action"),
            json={"action": "cancel"},
            accept=frozenset({409}),
        )
        return (yield from self.status(handle))

    def result(self, handle: JobHandle) -> Exchange[dict[str, Any]]:
        snapshot = yield from self.status(handle)
        ensure_finished(snapshot, self.name)
        metadata = snapshot.raw.get("metadata")
        asset_ids = metadata.get("assetIds") if isinstance(metadata, dict) else None
        if not isinstance(asset_ids, list) or not all(isinstance(a, str) for a in asset_ids):
            raise APIResponseError("the finished scenario job lists no metadata.assetIds")
        assets: list[dict[str, Any]] = []
        for asset_id in asset_ids:
            response = yield HttpCall(
                Operation.RESULT, "GET", self.api(f"/assets/{quote_path(asset_id)}")
            )
            asset = json_object(response, "scenario asset").get("asset")
            if not isinstance(asset, dict):
                raise APIResponseError(f"scenario asset {asset_id}: the answer has no 'asset'")
            assets.append(asset)
        return {"jobId": handle.job_id, "assetIds": list(asset_ids), "assets": assets}

    def upload(self, path: Path) -> Exchange[str]:
        size = path.stat().st_size
        if size > MAX_INLINE_UPLOAD_BYTES:
            raise FileInputError(
                f"{path.name} is {size} bytes; inline asset uploads take at most "
                f"{MAX_INLINE_UPLOAD_BYTES} bytes: upload it in Scenario and pass its asset id",
                provider=self.name,
            )
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        key = "image" if mime.startswith("image/") else "file"
        response = yield HttpCall(
            Operation.UPLOAD,
            "POST",
            self.api("/assets"),
            json={"name": path.name, key: f"data:{mime};base64,{data}"},
        )
        asset = json_object(response, "scenario upload").get("asset")
        if not isinstance(asset, dict):
            raise APIResponseError("scenario upload: the answer has no 'asset'")
        return required_str(asset, "id", "scenario upload")

    def _generate_url(self, model_id: str) -> str:
        return self.api(f"/generate/custom/{quote_path(model_id)}")

    def _snapshot(self, job: dict[str, Any], response: ApiResponse) -> JobSnapshot:
        word = job.get("status")
        state = self.state_of(word)
        metadata = job.get("metadata")
        error = error_text(metadata.get("error")) if isinstance(metadata, dict) else None
        error = error or error_text(job.get("error"))
        return JobSnapshot(
            state=state,
            status_word=str(word),
            progress=1.0 if state is JobState.SUCCEEDED else as_fraction(job.get("progress")),
            error=error if state is JobState.FAILED else None,
            raw=job,
            poll_after=response.hint(),
        )


def _job(body: dict[str, Any], what: str) -> dict[str, Any]:
    job = body.get("job")
    if not isinstance(job, dict):
        raise APIResponseError(f"{what}: the answer has no 'job' object")
    return job
