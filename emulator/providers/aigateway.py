"""Emulator: AIgateway's async music API (Bearer ``sk-aig-...``) under ``/aigateway``.

* ``POST /v1/audio/music`` ``{"model", "prompt", "duration", "format", ...}`` -> 202
  ``{"id": "job_...", "object": "job", "status": "queued", "model", "created"}``. The body less
  ``model`` is validated with the model's generated input model (400 on rejection); an omitted
  model or ``auto/music`` routes to ``sonauto/v2/text-to-music``.
* ``GET /v1/jobs/{id}`` -> ``queued``, ``running`` (with ``progress``), then ``completed`` with
  ``result: {url, duration, content_type}``, ``failed`` with ``error: {code, message}`` (not
  charged) or ``cancelled``.
* ``DELETE /v1/jobs/{id}`` (or ``POST /v1/jobs/{id}/cancel``) cancels a queued job and answers
  its record; a finished job answers its record unchanged; a running job answers 409.
* Errors: ``{"error": {"type", "message", "code", "param"}}`` with the documented types.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from musicbind.emulator.errors import provider_error, validation_error
from musicbind.emulator.jobs import CANCELED, FAILED, QUEUED, QUEUED_LATE, SUCCEEDED, EmulatedJob
from musicbind.emulator.ledger import payload_hash
from musicbind.emulator.providers import common, generic
from musicbind.emulator.state import AIGATEWAY_API_KEY, Emulator

PROVIDER = "aigateway"
DEFAULT_MODEL = "sonauto/v2/text-to-music"
_WORDS = {
    QUEUED: "queued",
    QUEUED_LATE: "queued",
    SUCCEEDED: "completed",
    FAILED: "failed",
    CANCELED: "cancelled",
}


def _unauthorized(request: Request) -> Response | None:
    key = common.token(request, "Bearer")
    if key is not None and common.same_secret(key, AIGATEWAY_API_KEY):
        return None
    return provider_error(PROVIDER, 401, "Invalid or missing API key")


async def submit(request: Request) -> Response:
    """Accept a music job."""
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    emu = common.emulator_of(request)
    key = common.idempotency_key(request)
    body, problem = await common.json_body(request)
    if problem is not None or not isinstance(body, dict):
        emu.ledger.record_submission(PROVIDER, "", "submit", "rejected", 400, None, "", key)
        return provider_error(PROVIDER, 400, problem or "the request body must be a JSON object")
    digest = payload_hash(body)
    fields = dict(body)
    model = fields.pop("model", None)
    if model in (None, "auto/music"):
        model = DEFAULT_MODEL
    ref = f"{PROVIDER}:{model}"
    if not isinstance(model, str) or not emu.catalogue.knows(ref):
        emu.ledger.record_submission(
            PROVIDER, str(model), "submit", "rejected", 404, None, digest, key
        )
        return provider_error(PROVIDER, 404, f"Unknown model {model!r}", param="model")
    checked = emu.catalogue.validate(ref, fields, lambda _name, _value: None)
    if checked.errors:
        emu.ledger.record_submission(PROVIDER, model, "submit", "rejected", 400, None, digest, key)
        return validation_error(PROVIDER, checked.errors)
    if key is not None and emu.honour_idempotency_keys:
        known = emu.idempotency.get((PROVIDER, key))
        job = emu.job(PROVIDER, known) if known else None
        if job is not None:
            emu.ledger.record_submission(
                PROVIDER, model, "submit", "deduplicated", 202, job.job_id, digest, key
            )
            return JSONResponse(_record(request, emu, job), 202)
    fate = common.job_fate(emu, PROVIDER) or SUCCEEDED
    if fate == "fail_422":
        fate = FAILED
    plan = emu.catalogue.plan(PROVIDER, ref, checked.payload, None)
    job_id = emu.new_id("job_", 24)
    job = emu.create_job(PROVIDER, job_id, model, checked.payload, plan, fate, job_id)
    if fate == FAILED:
        job.error = "Upstream provider failed to generate the track"
    if key is not None:
        emu.idempotency[(PROVIDER, key)] = job_id
    emu.charge(job, digest, key)
    emu.ledger.record_submission(
        PROVIDER, model, "submit", "accepted", 202, job_id, digest, key, common.after_fault(request)
    )
    return JSONResponse(_record(request, emu, job), 202)


def _record(request: Request, emu: Emulator, job: EmulatedJob) -> dict[str, Any]:
    now = emu.clock()
    stage = job.stage(now)
    status = _WORDS.get(stage, "running")
    record: dict[str, Any] = {
        "id": job.job_id,
        "object": "job",
        "status": status,
        "model": job.model_id,
        "created": int(job.created_wall),
    }
    if status == "running":
        record["progress"] = job.progress(now)
    if status == "completed":
        output = job.outputs[0]
        record["result"] = generic.bound_result(request, emu, job) or {
            "url": f"{common.origin(request)}/{emu.output_path(PROVIDER, output)}",
            "duration": output.seconds,
            "content_type": output.content_type,
        }
    if status == "failed":
        record["error"] = {"code": "generation_failed", "message": job.error or "failed"}
    return record


async def get_job(request: Request) -> Response:
    """The job's record as it is now."""
    found = common.authorized_job(request, PROVIDER, _unauthorized)
    if isinstance(found, Response):
        return found
    emu, job = found
    return JSONResponse(_record(request, emu, job))


async def cancel_job(request: Request) -> Response:
    """Cancel a queued job; a finished one is answered as it is; a running one is a conflict."""
    found = common.authorized_job(request, PROVIDER, _unauthorized)
    if isinstance(found, Response):
        return found
    emu, job = found
    now = emu.clock()
    if not job.is_terminal(now) and not common.cancel_ignored(emu, PROVIDER):
        if not job.is_queued(now):
            return provider_error(PROVIDER, 409, "Only a queued job can be cancelled")
        emu.cancel(job, 0.0, ignore_when_finalizing=False)
    return JSONResponse(_record(request, emu, job))


ROUTES = [
    Route("/v1/audio/music", submit, methods=["POST"]),
    Route("/v1/jobs/{job_id}", get_job, methods=["GET"]),
    Route("/v1/jobs/{job_id}", cancel_job, methods=["DELETE"]),
    Route("/v1/jobs/{job_id}/cancel", cancel_job, methods=["POST"]),
]
