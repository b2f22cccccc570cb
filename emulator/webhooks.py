"""Emulator: fal's webhooks: signed deliveries when a job ends, the JWKS, and bad deliveries.

A submit with ``?fal_webhook=URL`` gets a POST to URL once its job has ended, as fal
sends it: ``{"request_id", "gateway_request_id", "status": "OK" | "ERROR", "payload",
"error"}`` with the ``X-Fal-Webhook-Request-Id``, ``-User-Id``, ``-Timestamp`` and
``-Signature`` headers, signed with the emulator's Ed25519 key (derived from its seed);
the public key is served as a JWKS at ``GET /fal/.well-known/jwks.json``. A delivery that
is not answered 2xx is tried again a few times, as fal retries.

Tests ask for the bad deliveries a receiver must refuse with :func:`send_bad`: signed by
another key, a replay of the last good one, a stale timestamp, a body that is not JSON,
a missing header, a body changed after signing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from nacl.signing import SigningKey

from musicbind.emulator.jobs import EmulatedJob
from musicbind.emulator.state import Emulator

USER_ID = "emulator-user"
ATTEMPTS = 5
RETRY_DELAY_S = 0.2
BAD_KINDS = ("wrong_key", "replay", "late", "malformed", "missing_header", "tampered")


@dataclass
class _Webhooks:
    """One emulator's webhook state: its key, deliveries sent, tasks under way."""

    key: SigningKey
    sent: dict[str, tuple[str, dict[str, str], bytes]] = field(default_factory=dict)
    answers: list[tuple[str, int]] = field(default_factory=list)  # (job id, status) per try
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


_STATE: weakref.WeakKeyDictionary[Emulator, _Webhooks] = weakref.WeakKeyDictionary()


def _of(emu: Emulator) -> _Webhooks:
    state = _STATE.get(emu)
    if state is None:
        seed = hashlib.sha256(f"musicbind-emulator-webhooks-{emu.seed}".encode()).digest()
        state = _STATE[emu] = _Webhooks(SigningKey(seed))
    return state


def jwks(emu: Emulator) -> dict[str, Any]:
    """The emulator's public webhook key as a JWKS document."""
    raw = bytes(_of(emu).key.verify_key)
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig"}]}


def sign(
    key: SigningKey, request_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The four webhook headers for ``body`` about ``request_id``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hashlib.sha256(body).hexdigest()
    message = f"{request_id}\n{USER_ID}\n{stamp}\n{digest}".encode()
    return {
        "content-type": "application/json",
        "x-fal-webhook-request-id": request_id,
        "x-fal-webhook-user-id": USER_ID,
        "x-fal-webhook-timestamp": stamp,
        "x-fal-webhook-signature": key.sign(message).signature.hex(),
    }


def schedule(
    emu: Emulator, job: EmulatedJob, url: str, outcome: Callable[[], dict[str, Any]]
) -> None:
    """Deliver ``outcome()`` (the webhook body) to ``url`` once ``job`` has ended."""
    state = _of(emu)
    task = asyncio.get_running_loop().create_task(_deliver_when_done(emu, job, url, outcome))
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)


async def _deliver_when_done(
    emu: Emulator, job: EmulatedJob, url: str, outcome: Callable[[], dict[str, Any]]
) -> None:
    while not job.is_terminal(emu.clock()):
        await asyncio.sleep(0.02)
    state = _of(emu)
    body = json.dumps(outcome()).encode()
    headers = sign(state.key, job.job_id, body)
    state.sent[job.job_id] = (url, headers, body)
    async with httpx.AsyncClient(timeout=5.0) as client:
        for _ in range(ATTEMPTS):
            try:
                answer = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                status = 0
            else:
                status = answer.status_code
            state.answers.append((job.job_id, status))
            if 200 <= status < 300:
                return
            await asyncio.sleep(RETRY_DELAY_S)


def outcome_body(job_id: str, result: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
    """fal's webhook body: OK with the result as payload, or ERROR with the error."""
    if error is None:
        return {
            "request_id": job_id,
            "gateway_request_id": job_id,
            "status": "OK",
            "payload": result,
        }
    return {
        "request_id": job_id,
        "gateway_request_id": job_id,
        "status": "ERROR",
        "error": error,
        "payload": {"detail": [{"msg": error, "type": "runner_error"}]},
    }


def sent(emu: Emulator, job_id: str) -> tuple[str, dict[str, str], bytes] | None:
    """The good delivery sent for ``job_id`` (URL, headers, body), once sent."""
    return _of(emu).sent.get(job_id)


def answers(emu: Emulator, job_id: str) -> list[int]:
    """The receiver's HTTP status for each try of ``job_id``'s good delivery."""
    return [status for job, status in _of(emu).answers if job == job_id]


def send_bad(emu: Emulator, job_id: str, kind: str, url: str | None = None) -> int:
    """Send one bad delivery about ``job_id`` (see :data:`BAD_KINDS`); the receiver's status.

    ``url``: where to send it (default: where the job's good delivery went).
    """
    good = _of(emu).sent.get(job_id)
    target = url or (good[0] if good else None)
    if target is None:
        raise ValueError(f"no webhook URL known for {job_id}")
    body = good[2] if good else json.dumps(outcome_body(job_id, {}, None)).encode()
    key = _of(emu).key
    if kind == "replay":
        if good is None:
            raise ValueError(f"no delivery of {job_id} to replay")
        headers = dict(good[1])
    elif kind == "wrong_key":
        headers = sign(SigningKey.generate(), job_id, body)
    elif kind == "late":
        headers = sign(key, job_id, body, int(time.time()) - 600)
    elif kind == "malformed":
        body = b"{not json"
        headers = sign(key, job_id, body)
    elif kind == "missing_header":
        headers = sign(key, job_id, body)
        del headers["x-fal-webhook-user-id"]
    elif kind == "tampered":
        headers = sign(key, job_id, body)
        body = body.replace(b'"OK"', b'"ERROR"') if b'"OK"' in body else body + b" "
    else:
        raise ValueError(f"unknown bad delivery {kind!r} (one of {', '.join(BAD_KINDS)})")
    return httpx.post(target, content=body, headers=headers, timeout=5.0).status_code
