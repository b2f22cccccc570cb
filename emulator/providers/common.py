"""Emulator: helpers the three providers' handlers share (origin, body, auth, submissions)."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from musicbind.emulator.errors import provider_error
from musicbind.emulator.faults import JOB_KINDS
from musicbind.emulator.jobs import CANCELED, FAILED, EmulatedJob
from musicbind.emulator.state import Emulator
from musicbind.emulator.wire import SCOPE_AFTER_FAULT

_FATES = {"fail": FAILED, "fail_422": "fail_422", "cancel": CANCELED, "stall": "stall"}


def emulator_of(request: Request) -> Emulator:
    """The Emulator behind the app serving ``request``."""
    emulator = request.app.state.emulator
    assert isinstance(emulator, Emulator)
    return emulator


def authorized_job(
    request: Request, provider: str, unauthorized: Callable[[Request], Response | None]
) -> tuple[Emulator, EmulatedJob] | Response:
    """The job ``{job_id}`` names, for a caller ``unauthorized`` lets in; else the answer
    the provider gives (its own 401, or a 404 for a job it does not have)."""
    denied = unauthorized(request)
    if denied is not None:
        return denied
    emu = emulator_of(request)
    job = emu.job(provider, request.path_params["job_id"])
    if job is None:
        return provider_error(provider, 404, "Job not found")
    return emu, job


def origin(request: Request) -> str:
    """``http://host:port`` the client reached us at (URLs we hand out point back there)."""
    host = request.headers.get("host") or f"127.0.0.1:{request.url.port}"
    return f"http://{host}"


async def json_body(request: Request) -> tuple[Any, str | None]:
    """(parsed JSON body, None) or (None, why it could not be read)."""
    raw = await request.body()
    if not raw:
        return None, "the request body is empty"
    try:
        return json.loads(raw), None
    except ValueError as exc:
        return None, f"the request body is not valid JSON: {exc}"


def idempotency_key(request: Request) -> str | None:
    """The idempotency key the client sent, if any (recorded; honoured only when enabled)."""
    return request.headers.get("idempotency-key") or request.headers.get("x-idempotency-key")


def after_fault(request: Request) -> str | None:
    """The after-phase fault rule acting on this request (noted on its ledger record)."""
    value = request.scope.get(SCOPE_AFTER_FAULT)
    return value if isinstance(value, str) else None


def job_fate(emulator: Emulator, provider: str) -> str | None:
    """The fate a job-kind fault rule assigns to the job being submitted, if one fires."""
    rule = emulator.faults.take(provider, "submit", frozenset({"job"}))
    return _FATES[rule.kind] if rule is not None and rule.kind in JOB_KINDS else None


def cancel_ignored(emulator: Emulator, provider: str) -> bool:
    """True when a ``cancel_ignored`` rule fires for this cancel."""
    return emulator.faults.take(provider, "cancel", frozenset({"cancel"})) is not None


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of credentials."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) of an HTTP Basic Authorization header, or None."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, password) if sep else None


def token(request: Request, scheme: str) -> str | None:
    """The credential after ``scheme`` (e.g. "Key", "Bearer") in the Authorization header."""
    given, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if given.lower() == scheme.lower() and value.strip() else None


def iso(timestamp: float) -> str:
    """An ISO 8601 UTC time with milliseconds, as Scenario and fal write them."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
