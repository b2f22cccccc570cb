"""Emulator: Scenario's API (HTTP Basic; custom generations, jobs, assets) under ``/scenario``.

* ``POST /v1/generate/custom/{modelId}`` (ids may hold a slash) -> 200
  ``{"job", "creativeUnitsCost"}``;
  ``?dryRun=true`` (or ``1``, ``api``) -> 269 ``{"creativeUnitsCost"}``, nothing runs or is charged.
  File parameters (``video``) are asset ids; the video's length comes from the uploaded asset.
* ``GET /v1/jobs/{jobId}`` -> ``{"job": {jobId, jobType, status, progress, statusHistory,
  metadata: {assetIds, error, input}}, "creativeUnitsCost"}``. Each job speaks one of the two
  real vocabularies (guide: queued, processing, success, failed, canceled; SDK: queued, pending,
  warming-up, in-progress, finalizing, success, failure, canceled), chosen by seed.
* ``POST /v1/jobs/{jobId}/action`` ``{"action": "cancel"}`` -> 200 with the job as it still is:
  the cancel lands ``Timing.cancel_s`` later, and not at all once the job is finalizing
  (progress >= 0.75): it then ends in success. A finished job answers 409.
* ``POST /v1/assets`` ``{"name", "file"|"image": base64 or data URL}`` -> ``{"asset"}``;
  ``GET /v1/assets/{assetId}`` -> ``{"asset": {id, url, mimeType, metadata}}``; result assets
  appear once their job succeeded. Errors are ``{"reason": ...}``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from musicbind.emulator.errors import provider_error, validation_error
from musicbind.emulator.jobs import (
    CANCELED,
    FAILED,
    FINALIZING,
    QUEUED,
    QUEUED_LATE,
    RUNNING,
    SUCCEEDED,
    WARMING,
    EmulatedJob,
)
from musicbind.emulator.ledger import payload_hash
from musicbind.emulator.media import decode_upload, guess_content_type
from musicbind.emulator.providers import common
from musicbind.emulator.state import SCENARIO_API_KEY, SCENARIO_API_SECRET, Asset, Emulator

PROVIDER = "scenario"
DRY_RUN_STATUS = 269
WORDS = {
    "guide": {
        QUEUED: "queued",
        QUEUED_LATE: "queued",
        WARMING: "processing",
        RUNNING: "processing",
        FINALIZING: "processing",
        SUCCEEDED: "success",
        FAILED: "failed",
        CANCELED: "canceled",
    },
    "sdk": {
        QUEUED: "queued",
        QUEUED_LATE: "pending",
        WARMING: "warming-up",
        RUNNING: "in-progress",
        FINALIZING: "finalizing",
        SUCCEEDED: "success",
        FAILED: "failure",
        CANCELED: "canceled",
    },
}


def _unauthorized(request: Request) -> Response | None:
    given = common.basic_credentials(request)
    if (
        given is not None
        and common.same_secret(given[0], SCENARIO_API_KEY)
        and common.same_secret(given[1], SCENARIO_API_SECRET)
    ):
        return None
    return provider_error(PROVIDER, 401, "Invalid API key or secret")


async def submit(request: Request) -> Response:
    """Run a custom model, or price it with ``dryRun``."""
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    emu = common.emulator_of(request)
    model_id = request.path_params["model_id"]
    ref = f"{PROVIDER}:{model_id}"
    dry_run = request.query_params.get("dryRun", "").lower() in ("true", "1", "api")
    op = "quote" if dry_run else "submit"
    if not emu.catalogue.knows(ref):
        return provider_error(PROVIDER, 404, f"Model {model_id} not found")
    body, problem = await common.json_body(request)
    key = common.idempotency_key(request)
    if problem is not None or not isinstance(body, dict):
        emu.ledger.record_submission(PROVIDER, model_id, op, "rejected", 400, None, "", key)
        return provider_error(PROVIDER, 400, problem or "the request body must be a JSON object")
    digest = payload_hash(body)
    missing = _missing_asset(emu, ref, body)
    if missing is not None:
        emu.ledger.record_submission(PROVIDER, model_id, op, "rejected", 400, None, digest, key)
        return provider_error(PROVIDER, 400, missing)
    checked = emu.catalogue.validate(ref, body, lambda _name, value: _asset_seconds(emu, value))
    if checked.errors:
        emu.ledger.record_submission(PROVIDER, model_id, op, "rejected", 400, None, digest, key)
        return validation_error(PROVIDER, checked.errors)
    plan = emu.catalogue.plan(PROVIDER, ref, checked.payload, checked.media_seconds)
    if dry_run:
        emu.ledger.record_submission(PROVIDER, model_id, op, "quoted", 269, None, digest, key)
        return JSONResponse({"creativeUnitsCost": _number(plan.cost)}, DRY_RUN_STATUS)
    if key is not None and emu.honour_idempotency_keys:
        known = emu.idempotency.get((PROVIDER, key))
        job = emu.job(PROVIDER, known) if known else None
        if job is not None:
            emu.ledger.record_submission(
                PROVIDER, model_id, op, "deduplicated", 200, job.job_id, digest, key
            )
            return JSONResponse(_generate_answer(request, emu, job))
    fate = common.job_fate(emu, PROVIDER) or SUCCEEDED
    job_id = emu.new_id("job_", 24)
    stem = model_id.replace("/", "-")
    job = emu.create_job(PROVIDER, job_id, model_id, checked.payload, plan, fate, stem)
    for output in job.outputs:
        asset_id = emu.new_id("asset_", 24)
        emu.assets[asset_id] = Asset(
            asset_id, output.file_id, output.name, output.content_type, output.seconds, job_id
        )
        job.extra.setdefault("asset_ids", []).append(asset_id)
    if fate != SUCCEEDED:
        job.error = "The generation was cancelled" if fate == CANCELED else "Generation failed"
    if key is not None:
        emu.idempotency[(PROVIDER, key)] = job_id
    emu.charge(job, digest, key)
    emu.ledger.record_submission(
        PROVIDER, model_id, op, "accepted", 200, job_id, digest, key, common.after_fault(request)
    )
    return JSONResponse(_generate_answer(request, emu, job))


def _generate_answer(request: Request, emu: Emulator, job: EmulatedJob) -> dict[str, Any]:
    return {"job": job_json(emu, job), "creativeUnitsCost": _number(job.cost)}


def _missing_asset(emu: Emulator, ref: str, body: dict[str, Any]) -> str | None:
    media, _ = emu.catalogue.media_field(ref)
    value = body.get(media) if media else None
    if isinstance(value, str) and value not in emu.assets:
        return f"Asset {value} not found (upload files with POST /v1/assets first)"
    return None


def _asset_seconds(emu: Emulator, value: Any) -> float | None:
    asset = emu.assets.get(value) if isinstance(value, str) else None
    return asset.duration if asset is not None else None


def job_json(emu: Emulator, job: EmulatedJob) -> dict[str, Any]:
    """A job as ``GET /v1/jobs/{jobId}`` shows it now."""
    now = emu.clock()
    words = WORDS[job.vocabulary]
    stage = job.stage(now)
    history: list[dict[str, str]] = []
    for at, entry in job.history(now):
        word = words[entry]
        if not history or history[-1]["status"] != word:
            history.append({"date": common.iso(job.wall(at)), "status": word})
    succeeded = stage == SUCCEEDED
    return {
        "jobId": job.job_id,
        "jobType": "custom",
        "status": words[stage],
        "progress": job.progress(now),
        "statusHistory": history,
        "createdAt": common.iso(job.created_wall),
        "updatedAt": common.iso(job.wall(max(at for at, _ in job.history(now)))),
        "metadata": {
            "assetIds": list(job.extra.get("asset_ids", [])) if succeeded else [],
            "error": job.error if stage in (FAILED, CANCELED) else None,
            "input": job.payload,
            "modelId": job.model_id,
        },
    }


async def get_job(request: Request) -> Response:
    """The job as it is now."""
    found = common.authorized_job(request, PROVIDER, _unauthorized)
    if isinstance(found, Response):
        return found
    emu, job = found
    return JSONResponse({"job": job_json(emu, job), "creativeUnitsCost": _number(job.cost)})


async def job_action(request: Request) -> Response:
    """Acknowledge a cancel; it is not terminal (read the job again)."""
    found = common.authorized_job(request, PROVIDER, _unauthorized)
    if isinstance(found, Response):
        return found
    emu, job = found
    body, problem = await common.json_body(request)
    if problem is not None or not isinstance(body, dict) or body.get("action") != "cancel":
        return provider_error(PROVIDER, 400, problem or 'expected {"action": "cancel"}')
    if job.is_terminal(emu.clock()):
        return provider_error(PROVIDER, 409, "Job is already finished")
    if not common.cancel_ignored(emu, PROVIDER):
        emu.cancel(job, emu.timing.cancel_s, ignore_when_finalizing=True)
    return JSONResponse({"job": job_json(emu, job)})


async def upload_asset(request: Request) -> Response:
    """Store a base64 upload as an asset."""
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    emu = common.emulator_of(request)
    body, problem = await common.json_body(request)
    if problem is not None or not isinstance(body, dict):
        return provider_error(PROVIDER, 400, problem or "the request body must be a JSON object")
    sources = [k for k in ("file", "image") if isinstance(body.get(k), str)]
    name = body.get("name")
    if len(sources) != 1 or not isinstance(name, str) or not name:
        return provider_error(PROVIDER, 400, 'send "name" and exactly one of "file" or "image"')
    try:
        content, declared = decode_upload(body[sources[0]])
    except ValueError as exc:
        return provider_error(PROVIDER, 400, f"{sources[0]}: {exc}")
    content_type = declared or guess_content_type(name, content)
    path = emu.add_upload(PROVIDER, name, content, content_type)
    asset_id = emu.new_id("asset_", 24)
    media = emu.media[path]
    emu.assets[asset_id] = Asset(asset_id, path, media.name, content_type, media.duration)
    return JSONResponse({"asset": _asset_json(request, emu, emu.assets[asset_id])})


async def get_asset(request: Request) -> Response:
    """An asset with its download URL."""
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    emu = common.emulator_of(request)
    asset = emu.assets.get(request.path_params["asset_id"])
    job = emu.job(PROVIDER, asset.job_id) if asset is not None and asset.job_id else None
    if asset is None or (job is not None and job.stage(emu.clock()) != SUCCEEDED):
        return provider_error(PROVIDER, 404, "Asset not found")
    return JSONResponse({"asset": _asset_json(request, emu, asset)})


def _asset_json(request: Request, emu: Emulator, asset: Asset) -> dict[str, Any]:
    if asset.file_id.startswith("files/"):
        path = asset.file_id
        size = len(emu.media[path].content)
    else:
        output = emu.outputs[asset.file_id]
        path, size = emu.output_path(PROVIDER, output), output.size
    metadata: dict[str, Any] = {
        "name": asset.name,
        "size": size,
        "kind": asset.mime_type.split("/")[0],
    }
    if asset.duration is not None:
        metadata["duration"] = asset.duration
    return {
        "id": asset.asset_id,
        "url": f"{common.origin(request)}/{path}",
        "mimeType": asset.mime_type,
        "status": "success",
        "metadata": metadata,
    }


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


ROUTES = [
    Route("/v1/generate/custom/{model_id:path}", submit, methods=["POST"]),
    Route("/v1/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/v1/jobs/{job_id}/action", job_action, methods=["POST"]),
    Route("/v1/assets", upload_asset, methods=["POST"]),
    Route("/v1/assets/{asset_id}", get_asset, methods=["GET"]),
]
