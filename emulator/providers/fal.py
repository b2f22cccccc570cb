"""Emulator: fal's queue API (``Authorization: Key ...``) under ``/fal``.

* ``POST /{endpoint_id}`` -> 200 QueueStatus ``IN_QUEUE`` with ``request_id``, ``response_url``,
  ``status_url``, ``cancel_url`` (pointing back here, below the full endpoint id) and
  ``queue_position``. Bad bodies: 422 ``{"detail": [{"loc": ["body", ...], "msg", "type"}]}``.
* ``GET .../requests/{id}/status[?logs=1]`` -> 202 while ``IN_QUEUE``/``IN_PROGRESS``, 200 once
  ``COMPLETED``; a failed or cancelled request is ``COMPLETED`` with ``error``/``error_type``.
* ``GET .../requests/{id}`` -> the output with ``x-fal-request-id`` and ``x-fal-billable-units``
  (output seconds x samples); a failure answers 500 ``{"detail", "error_type"}`` (or 422 with a
  pydantic-style detail), a cancelled request 499 ``client_cancelled``, an unfinished one 400.
* ``PUT .../requests/{id}/cancel`` -> 200 ``{"success": true, "status": "CANCELLATION_REQUESTED"}``
  (queued: cancelled at once; running: ``Timing.cancel_s`` later); finished: 400
  ``ALREADY_COMPLETED``. Queue paths work below the full endpoint id or its owner/app prefix.
* ``POST /storage/upload/initiate`` ``{"content_type", "file_name"}`` -> ``{"upload_url",
  "file_url"}``; ``PUT`` the bytes to ``upload_url`` (on the emulator's other origin, as a
  signed URL on another host; a PUT carrying ``Authorization`` is refused with 400);
  ``file_url`` is then served here.
* ``POST /storage/upload/initiate-multipart`` (same body, with the key) -> ``{"upload_url",
  "file_url"}``, the upload URL on the other origin with a signature in its query; ``PUT
  {upload_url path}/{n}{query}`` stores part ``n`` (1..10000; again replaces it, as a retry
  does) and answers its ``ETag`` (a quoted MD5); ``POST {upload_url path}/complete{query}``
  ``{"parts": [{"partNumber", "etag"}, ...]}`` assembles the file at ``file_url`` (400 for a
  missing, duplicate, unnumbered or out-of-order part or an ETag that does not match; 403 for
  a wrong signature; 400 for any request there carrying ``Authorization``). Until completed,
  ``file_url`` answers 404. :func:`storage_uploads` lists every stored upload (how many parts),
  :func:`multipart_progress` the parts received of uploads not completed yet.

* ``?fal_webhook=URL`` on a submit: a signed delivery to URL when the job ends, and
  ``GET /.well-known/jwks.json`` the key that verifies it (:mod:`emulator.webhooks`).

``video_url`` must be media this emulator serves (``/media/demo.mp4``, an upload): it cannot
fetch the internet, so any other URL is accepted and then fails as fal fails a download
(422 ``file_download_error`` on the result fetch).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import weakref
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from musicbind.emulator.errors import provider_error, validation_error
from musicbind.emulator.jobs import CANCELED, FAILED, QUEUED, QUEUED_LATE, SUCCEEDED, EmulatedJob
from musicbind.emulator.ledger import payload_hash
from musicbind.emulator.providers import common, generic
from musicbind.emulator.state import FAL_KEY, Emulator, safe_name

PROVIDER = "fal"
_QUEUE = re.compile(r"^(?P<prefix>.+)/requests/(?P<rid>[^/]+)(?P<tail>/status|/cancel)?$")
_STATUS = {QUEUED: "IN_QUEUE", QUEUED_LATE: "IN_QUEUE"}
DOWNLOAD_ERROR = "download_error"
MAX_PARTS = 10_000
_PART = re.compile(r"^multipart/(?P<token>[0-9a-f]+)/(?P<tail>[0-9]+|complete)$")


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A file the storage holds: where it is served, its size, its parts (0: one PUT)."""

    path: str
    size: int
    parts: int


@dataclass
class _Multipart:
    name: str
    content_type: str
    signature: str
    parts: dict[int, tuple[bytes, str]] = field(default_factory=dict)  # n -> (bytes, ETag)


@dataclass
class _Storage:
    lock: threading.Lock = field(default_factory=threading.Lock)
    multipart: dict[str, _Multipart] = field(default_factory=dict)
    stored: list[StoredUpload] = field(default_factory=list)


_STORAGE: weakref.WeakKeyDictionary[Emulator, _Storage] = weakref.WeakKeyDictionary()
_STORAGE_LOCK = threading.Lock()


def _storage_of(emu: Emulator) -> _Storage:
    with _STORAGE_LOCK:
        return _STORAGE.setdefault(emu, _Storage())


def storage_uploads(emu: Emulator) -> list[StoredUpload]:
    """Every file fal's storage received, in order (a test's "uploaded once")."""
    state = _storage_of(emu)
    with state.lock:
        return list(state.stored)


def multipart_progress(emu: Emulator) -> dict[str, int]:
    """Upload token -> parts received, for multipart uploads not completed."""
    state = _storage_of(emu)
    with state.lock:
        return {token: len(upload.parts) for token, upload in state.multipart.items()}


def _unauthorized(request: Request) -> Response | None:
    key = common.token(request, "Key")
    if key is not None and common.same_secret(key, FAL_KEY):
        return None
    return provider_error(PROVIDER, 401, "Invalid or missing fal key", error_type="unauthorized")


async def dispatch(request: Request) -> Response:
    """Route a fal path: storage, queue operations, or a submission to an endpoint."""
    path = request.path_params["path"]
    method = request.method
    if path.startswith("storage/upload/"):
        return await _storage(request, path[len("storage/upload/") :])
    if path == ".well-known/jwks.json" and method == "GET":
        from musicbind.emulator.webhooks import jwks  # PyNaCl: only when webhooks are used

        return JSONResponse(jwks(common.emulator_of(request)))
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    match = _QUEUE.match(path)
    if match is None:
        if method == "POST":
            return await submit(request, path)
        return provider_error(PROVIDER, 405, "Method not allowed")
    emu = common.emulator_of(request)
    job = emu.job(PROVIDER, match["rid"])
    if job is None or not (job.model_id + "/").startswith(match["prefix"] + "/"):
        return JSONResponse({"detail": "Request not found"}, 404)
    tail = match["tail"]
    if tail == "/status" and method == "GET":
        return _status(request, emu, job)
    if tail == "/cancel" and method == "PUT":
        return _cancel(emu, job)
    if tail is None and method == "GET":
        return _result(request, emu, job)
    return provider_error(PROVIDER, 405, "Method not allowed")


async def submit(request: Request, endpoint_id: str) -> Response:
    """Queue a request for ``endpoint_id``."""
    emu = common.emulator_of(request)
    ref = f"{PROVIDER}:{endpoint_id}"
    if not emu.catalogue.knows(ref):
        return JSONResponse({"detail": f"Application '{endpoint_id}' not found"}, 404)
    key = common.idempotency_key(request)
    body, problem = await common.json_body(request)
    if problem is not None or not isinstance(body, dict):
        emu.ledger.record_submission(
            PROVIDER, endpoint_id, "submit", "rejected", 422, None, "", key
        )
        msg = problem or "Input should be a valid dictionary"
        return JSONResponse(
            {"detail": [{"loc": ["body"], "msg": msg, "type": "json_invalid"}]}, 422
        )
    digest = payload_hash(body)
    checked = emu.catalogue.validate(ref, body, lambda _name, value: _url_seconds(emu, value))
    if checked.errors:
        emu.ledger.record_submission(
            PROVIDER, endpoint_id, "submit", "rejected", 422, None, digest, key
        )
        return validation_error(PROVIDER, checked.errors)
    media, _ = emu.catalogue.media_field(ref)
    if key is not None and emu.honour_idempotency_keys:
        known = emu.idempotency.get((PROVIDER, key))
        job = emu.job(PROVIDER, known) if known else None
        if job is not None:
            emu.ledger.record_submission(
                PROVIDER, endpoint_id, "submit", "deduplicated", 200, job.job_id, digest, key
            )
            return _queued(request, emu, job)
    unreadable = media is not None and checked.media_seconds is None
    fate = common.job_fate(emu, PROVIDER) or (DOWNLOAD_ERROR if unreadable else SUCCEEDED)
    plan = emu.catalogue.plan(PROVIDER, ref, checked.payload, checked.media_seconds)
    request_id = emu.new_uuid()
    job = emu.create_job(PROVIDER, request_id, endpoint_id, checked.payload, plan, fate, "music")
    job.extra["media_field"] = media
    if fate in (FAILED, "fail_422"):
        job.error = "The model runner crashed while generating"
    if key is not None:
        emu.idempotency[(PROVIDER, key)] = request_id
    emu.charge(job, digest, key)
    callback = request.query_params.get("fal_webhook")
    if callback:
        _call_back_when_done(request, emu, job, callback)
    emu.ledger.record_submission(
        PROVIDER,
        endpoint_id,
        "submit",
        "accepted",
        200,
        request_id,
        digest,
        key,
        common.after_fault(request),
    )
    return _queued(request, emu, job)


def _call_back_when_done(request: Request, emu: Emulator, job: EmulatedJob, url: str) -> None:
    """Deliver the job's outcome to ``url`` when it ends (see :mod:`emulator.webhooks`)."""
    from musicbind.emulator.webhooks import outcome_body, schedule

    def outcome() -> dict[str, Any]:
        stage = job.stage(emu.clock())
        failure = _failure(job, stage)
        if failure is not None:
            return outcome_body(job.job_id, None, failure[0])
        answer = _result(request, emu, job)
        return outcome_body(job.job_id, json.loads(bytes(answer.body)), None)

    schedule(emu, job, url, outcome)


def _urls(request: Request, job: EmulatedJob) -> dict[str, str]:
    base = f"{common.origin(request)}/fal/{job.model_id}/requests/{job.job_id}"
    return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}


def _queued(request: Request, emu: Emulator, job: EmulatedJob) -> Response:
    body = {
        "status": "IN_QUEUE",
        "request_id": job.job_id,
        **_urls(request, job),
        "queue_position": _queue_position(emu, job),
    }
    return JSONResponse(body, headers={"x-fal-request-id": job.job_id})


def _queue_position(emu: Emulator, job: EmulatedJob) -> int:
    now = emu.clock()
    return sum(1 for j in emu.jobs_of(PROVIDER) if j.created < job.created and j.is_queued(now))


def _status(request: Request, emu: Emulator, job: EmulatedJob) -> Response:
    now = emu.clock()
    stage = job.stage(now)
    word = _STATUS.get(stage, "COMPLETED" if job.is_terminal(now) else "IN_PROGRESS")
    body: dict[str, Any] = {"status": word, "request_id": job.job_id, **_urls(request, job)}
    if word == "IN_QUEUE":
        body["queue_position"] = _queue_position(emu, job)
    if request.query_params.get("logs") in ("1", "true"):
        body["logs"] = [
            {
                "message": f"stage: {entry}",
                "level": "INFO",
                "source": "user",
                "timestamp": common.iso(job.wall(at)),
            }
            for at, entry in job.history(now)
        ]
    else:
        body["logs"] = None
    if word == "COMPLETED":
        body["metrics"] = {"inference_time": job.timing.run_s}
        error = _failure(job, stage)
        if error is not None:
            body["error"], body["error_type"] = error
    code = 200 if word == "COMPLETED" else 202
    return JSONResponse(body, code, headers={"x-fal-request-id": job.job_id})


def _failure(job: EmulatedJob, stage: str) -> tuple[str, str] | None:
    if stage == CANCELED:
        return "Request was cancelled", "client_cancelled"
    if stage != FAILED:
        return None
    if job.fate == DOWNLOAD_ERROR:
        return "Failed to download the file. Please check if the URL is accessible.", "bad_request"
    return job.error or "Generation failed", "runner_server_error"


def _result(request: Request, emu: Emulator, job: EmulatedJob) -> Response:
    now = emu.clock()
    stage = job.stage(now)
    headers = {"x-fal-request-id": job.job_id}
    if not job.is_terminal(now):
        return JSONResponse({"detail": "Request is still in progress"}, 400, headers=headers)
    if stage == CANCELED:
        return provider_error(PROVIDER, 499, "Request was cancelled", error_type="client_cancelled")
    if stage == FAILED:
        field = job.extra.get("media_field") or "input"
        if job.fate == DOWNLOAD_ERROR:
            url = job.payload.get(field)
            msg = "Failed to download the file. Please check if the URL is accessible."
            detail = [
                {"loc": ["body", field], "msg": msg, "type": "file_download_error", "input": url}
            ]
            return JSONResponse({"detail": detail}, 422, headers=headers)
        if job.fate == "fail_422":
            msg = "The video could not be decoded"
            detail = [{"loc": ["body", field], "msg": msg, "type": "value_error"}]
            return JSONResponse({"detail": detail}, 422, headers=headers)
        return provider_error(PROVIDER, 500, job.error, error_type="runner_server_error")
    synthesized = generic.bound_result(request, emu, job)  # a catalogue model: its own shape
    if synthesized is not None:
        headers["x-fal-billable-units"] = _units(job.units)
        return JSONResponse(synthesized, headers=headers)
    audios = [
        {
            "url": f"{common.origin(request)}/{emu.output_path(PROVIDER, out)}",
            "content_type": out.content_type,
            "file_name": out.name,
            "file_size": out.size,
        }
        for out in job.outputs
    ]
    headers["x-fal-billable-units"] = _units(job.units)
    return JSONResponse({"audio": audios[0], "audios": audios}, headers=headers)


def _cancel(emu: Emulator, job: EmulatedJob) -> Response:
    now = emu.clock()
    if job.is_terminal(now):
        return JSONResponse({"success": False, "status": "ALREADY_COMPLETED"}, 400)
    if not common.cancel_ignored(emu, PROVIDER):
        delay = 0.0 if job.is_queued(now) else emu.timing.cancel_s
        emu.cancel(job, delay, ignore_when_finalizing=False)
    return JSONResponse({"success": True, "status": "CANCELLATION_REQUESTED"})


async def _storage(request: Request, rest: str) -> Response:
    emu = common.emulator_of(request)
    if rest in ("initiate", "initiate-multipart") and request.method == "POST":
        return await _initiate(request, emu, multipart=rest == "initiate-multipart")
    if "authorization" in request.headers:
        # A signed URL carries its own authority; a client that sends its key here
        # leaks it to the storage host.
        return JSONResponse({"detail": "Credentials are not accepted on upload URLs"}, 400)
    if rest.startswith("put/") and request.method == "PUT":
        token = rest[len("put/") :]
        pending = emu.pending_uploads.pop(token, None)
        if pending is None:
            return JSONResponse({"detail": "Unknown upload"}, 404)
        content = await request.body()
        path = f"files/fal/{token}/{_name(emu, token, pending[0])}"
        emu.store_upload(path, pending, content)
        _stored(emu, StoredUpload(path, len(content), 0))
        return Response(status_code=200)
    match = _PART.match(rest)
    if match is not None:
        return await _multipart(request, emu, match["token"], match["tail"])
    return JSONResponse({"detail": "Not found"}, 404)


async def _initiate(request: Request, emu: Emulator, *, multipart: bool) -> Response:
    denied = _unauthorized(request)
    if denied is not None:
        return denied
    body, problem = await common.json_body(request)
    if problem is not None or not isinstance(body, dict):
        return JSONResponse({"detail": problem or "expected a JSON object"}, 400)
    name = str(body.get("file_name") or "upload.bin")
    content_type = str(body.get("content_type") or "application/octet-stream")
    token = emu.new_id("", 24)
    origin = common.origin(request)
    # Signed upload URLs live on another host, as fal's do: no key may go there.
    other = emu.primary_origin if emu.alternate_origin == origin else emu.alternate_origin
    if multipart:
        signature = emu.new_id("", 32)
        state = _storage_of(emu)
        with state.lock:
            state.multipart[token] = _Multipart(name, content_type, signature)
        upload_url = f"{other}/fal/storage/upload/multipart/{token}?signature={signature}"
    else:
        emu.pending_uploads[token] = (name, content_type)
        upload_url = f"{other}/fal/storage/upload/put/{token}"
    file_url = f"{origin}/files/fal/{token}/{_name(emu, token, name)}"
    return JSONResponse({"upload_url": upload_url, "file_url": file_url})


async def _multipart(request: Request, emu: Emulator, token: str, tail: str) -> Response:
    state = _storage_of(emu)
    with state.lock:
        upload = state.multipart.get(token)
    if upload is None:
        return JSONResponse({"detail": "Unknown upload"}, 404)
    if not common.same_secret(request.query_params.get("signature", ""), upload.signature):
        return JSONResponse({"detail": "The signature does not match"}, 403)
    if tail != "complete":
        number = int(tail)
        if request.method != "PUT" or not 1 <= number <= MAX_PARTS:
            return JSONResponse({"detail": f"Part numbers run from 1 to {MAX_PARTS}"}, 400)
        content = await request.body()
        etag = f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'
        with state.lock:
            upload.parts[number] = (content, etag)
        return Response(status_code=200, headers={"ETag": etag})
    if request.method != "POST":
        return provider_error(PROVIDER, 405, "Method not allowed")
    body, problem = await common.json_body(request)
    listed = body.get("parts") if isinstance(body, dict) else None
    if problem is not None or not isinstance(listed, list) or not listed:
        return JSONResponse({"detail": problem or 'expected {"parts": [...]}, not empty'}, 400)
    with state.lock:
        error = _unassembled(upload, listed)
        if error is not None:
            return JSONResponse({"detail": error}, 400)
        content = b"".join(upload.parts[number][0] for number in range(1, len(listed) + 1))
        del state.multipart[token]
    path = f"files/fal/{token}/{_name(emu, token, upload.name)}"
    emu.store_upload(path, (upload.name, upload.content_type), content)
    _stored(emu, StoredUpload(path, len(content), len(listed)))
    return JSONResponse({"status": "completed"})


def _unassembled(upload: _Multipart, listed: list[Any]) -> str | None:
    """Why the listed parts cannot make the file (None: they can)."""
    seen: set[int] = set()
    for index, entry in enumerate(listed, start=1):
        number = entry.get("partNumber") if isinstance(entry, dict) else None
        etag = entry.get("etag") if isinstance(entry, dict) else None
        if not isinstance(number, int) or not isinstance(etag, str):
            return f"parts[{index - 1}] needs an integer partNumber and a string etag"
        if number in seen:
            return f"part {number} is listed twice"
        seen.add(number)
        if number != index:
            return f"parts must be listed 1..N in order; found {number} at position {index}"
        stored = upload.parts.get(number)
        if stored is None:
            return f"part {number} was not uploaded"
        if etag != stored[1]:
            return f"the ETag of part {number} does not match the part stored"
    if len(upload.parts) != len(listed):
        return f"{len(upload.parts)} parts were uploaded but {len(listed)} listed"
    return None


def _stored(emu: Emulator, upload: StoredUpload) -> None:
    state = _storage_of(emu)
    with state.lock:
        state.stored.append(upload)


def _name(emu: Emulator, token: str, name: str | None = None) -> str:
    if name is None:
        name = emu.pending_uploads.get(token, ("upload.bin", ""))[0]
    return safe_name(name)


def _url_seconds(emu: Emulator, value: Any) -> float | None:
    return emu.media_seconds(value) if isinstance(value, str) else None


def _units(units: Decimal) -> str:
    text = format(units.normalize(), "f")
    return text


ROUTES = [Route("/{path:path}", dispatch, methods=["GET", "POST", "PUT"])]
