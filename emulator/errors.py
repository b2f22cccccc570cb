"""Emulator: error answers in each provider's own shape.

* Scenario: ``{"reason": "..."}`` (its Error schema), validation errors add ``errors``.
* fal: request errors ``{"detail": "...", "error_type": "..."}`` plus ``X-Fal-Error-Type``;
  validation errors ``422 {"detail": [{"loc": ["body", field], "msg", "type"}]}``.
* AIgateway: ``{"error": {"type", "message", "code", "param"}}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from starlette.responses import JSONResponse

from musicbind.emulator.catalogue import FieldError

_PHRASES = {
    400: "Bad request",
    401: "Unauthorized",
    402: "Insufficient credits",
    403: "Forbidden",
    404: "Not found",
    408: "Request timeout",
    409: "Conflict",
    422: "Unprocessable entity",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}
_GATEWAY_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_credits",
    403: "permission_error",
    404: "not_found",
    409: "conflict",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable",
}
_FAL_TYPES = {
    400: "bad_request",
    499: "client_cancelled",
    500: "internal_error",
    502: "runner_incomplete_response",
    503: "runner_scheduling_failure",
    504: "request_timeout",
}


def phrase(status: int) -> str:
    """A short message for an HTTP status."""
    return _PHRASES.get(status, "Server error" if status >= 500 else "Client error")


def provider_error(
    provider: str,
    status: int,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    param: str | None = None,
    error_type: str | None = None,
) -> JSONResponse:
    """An error answer of ``provider``'s shape; 429 carries Retry-After (and retry-after-ms)."""
    text = message or phrase(status)
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
        if retry_after != int(retry_after):
            headers["retry-after-ms"] = str(round(retry_after * 1000))
    body: dict[str, object]
    if provider == "scenario":
        body = {"reason": text}
    elif provider == "aigateway":
        kind = error_type or _GATEWAY_TYPES.get(status, "server_error")
        body = {"error": {"type": kind, "message": text, "code": status, "param": param}}
    elif provider == "fal" and (status >= 500 or status in (400, 499) or error_type):
        kind = error_type or _FAL_TYPES.get(status, "internal_error")
        headers["X-Fal-Error-Type"] = kind
        body = {"detail": text, "error_type": kind}
    else:
        body = {"detail": text}
    return JSONResponse(body, status_code=status, headers=headers)


def validation_error(provider: str, errors: Sequence[FieldError]) -> JSONResponse:
    """The provider's answer to a body its model rejects (fal 422; Scenario and gateway 400)."""
    if provider == "fal":
        detail = [{"loc": ["body", *e.loc], "msg": e.msg, "type": e.type} for e in errors]
        return JSONResponse({"detail": detail}, status_code=422)
    parts = [f"{'.'.join(str(p) for p in e.loc) or 'body'}: {e.msg}" for e in errors]
    message = "Invalid parameters: " + "; ".join(parts)
    if provider == "scenario":
        fields = [
            {"field": ".".join(str(p) for p in e.loc), "message": e.msg, "type": e.type}
            for e in errors
        ]
        return JSONResponse({"reason": message, "errors": fields}, status_code=400)
    first = ".".join(str(p) for p in errors[0].loc) if errors else None
    return provider_error("aigateway", 400, message, param=first or None)
