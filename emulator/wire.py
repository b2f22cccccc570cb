"""Emulator: the fault layer, the outermost ASGI layer that breaks requests on demand.

It sorts each request into (provider, operation), asks the run's FaultPlan whether a rule
fires, and then answers with an error, resets the connection, redirects to the second
origin, or lets the request through and spoils the answer afterwards (lost, late, cut,
lying about its length, malformed, an unknown status word). Connection-level faults write
to (or abort) the server's transport directly, which uvicorn's ASGI ``send`` exposes as
``send.__self__.transport``; the server helper runs uvicorn with its h11 protocol.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from musicbind.emulator.errors import provider_error
from musicbind.emulator.faults import FaultRule
from musicbind.emulator.ledger import FiredFault
from musicbind.emulator.state import Emulator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCOPE_AFTER_FAULT = "musicbind.emulator.after_fault"
UNKNOWN_STATUS_WORDS = {"scenario": "on-hold", "fal": "IN_REVIEW", "aigateway": "throttled"}
_FAL_QUEUE = re.compile(r"^/fal/.+/requests/[^/]+(?P<tail>/status|/cancel)?$")


def classify(method: str, path: str, query: str) -> tuple[str, str] | None:
    """(provider, operation) of a request, or None for paths no fault applies to."""
    if path.startswith("/files/"):
        provider = path.split("/")[2]
        return (provider, "download") if method in ("GET", "HEAD") else None
    if path.startswith("/scenario/v1/"):
        rest = path[len("/scenario/v1/") :]
        if rest.startswith("generate/custom/") and method == "POST":
            dry = parse_qs(query).get("dryRun", [""])[-1].lower() in ("true", "1", "api")
            return ("scenario", "quote" if dry else "submit")
        if rest.startswith("jobs/"):
            return ("scenario", "cancel" if rest.endswith("/action") else "status")
        if rest == "assets":
            return ("scenario", "upload")
        if rest.startswith("assets/"):
            return ("scenario", "result")
        return None
    if path.startswith("/fal/"):
        if path.startswith("/fal/storage/"):
            return ("fal", "upload")
        match = _FAL_QUEUE.match(path)
        if match is None:
            return ("fal", "submit") if method == "POST" else None
        tail = match["tail"]
        return ("fal", {"/status": "status", "/cancel": "cancel"}.get(tail or "", "result"))
    if path.startswith("/aigateway/v1/"):
        rest = path[len("/aigateway/v1/") :]
        if rest == "audio/music":
            return ("aigateway", "submit")
        if rest.startswith("jobs/"):
            cancel = method == "DELETE" or rest.endswith("/cancel")
            return ("aigateway", "cancel" if cancel else "status")
    return None


Classifier = Callable[[str, str], tuple[str, str] | None]  # (method, path) -> target


class FaultLayer:
    """ASGI wrapper applying the emulator's fault plan around the provider app.

    ``classify_more`` sorts the requests ``classify`` does not know (the generic providers').
    """

    def __init__(
        self, app: ASGIApp, emulator: Emulator, classify_more: Classifier | None = None
    ) -> None:
        self.app = app
        self.emulator = emulator
        self.classify_more = classify_more

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = classify(scope["method"], scope["path"], scope["query_string"].decode("latin-1"))
        if target is None and self.classify_more is not None:
            raw = scope.get("raw_path")  # still escaped: a %2F stays inside its segment
            path = raw.decode("latin-1") if isinstance(raw, bytes) else scope["path"]
            target = self.classify_more(scope["method"], path.split("?", 1)[0])
        if target is None:
            await self.app(scope, receive, send)
            return
        provider, op = target
        plan = self.emulator.faults
        before = plan.take(provider, op, frozenset({"before"}))
        if before is not None:
            self._note(before, provider, op, scope)
            await self._before(before, provider, scope, receive, send)
            return
        after = plan.take(provider, op, frozenset({"after"}))
        if after is None:
            await self.app(scope, receive, send)
            return
        self._note(after, provider, op, scope)
        scope[SCOPE_AFTER_FAULT] = after.describe()
        status, headers, body = await _capture(self.app, scope, receive)
        await self._after(after, provider, status, headers, body, send)

    def _note(self, rule: FaultRule, provider: str, op: str, scope: Scope) -> None:
        self.emulator.ledger.record_fault(FiredFault(provider, op, rule.describe(), scope["path"]))

    async def _before(
        self, rule: FaultRule, provider: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if rule.kind == "reset":
            await _reset(send)
            return
        if rule.kind == "redirect":
            location = self._other_origin(scope) + scope["path"]
            if scope["query_string"]:
                location += "?" + scope["query_string"].decode("latin-1")
            headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 307, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        status = rule.status_code or 500
        retry = rule.retry_after if rule.retry_after is not None else None
        if retry is None and status == 429:
            retry = rule.argument
        response = provider_error(provider, status, retry_after=retry)
        await response(scope, receive, send)

    async def _after(
        self,
        rule: FaultRule,
        provider: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        send: Send,
    ) -> None:
        kind = rule.kind
        if kind == "reset_after_accept":
            await _reset(send)
            return
        if kind == "slow":
            await asyncio.sleep(rule.argument or 0.0)
        elif kind == "malformed":
            body = body[: max(1, len(body) // 2)]
        elif kind == "unknown_status":
            body = _replace_status(provider, body)
        elif kind in ("truncate", "bad_length"):
            declared = len(body) if kind == "truncate" else len(body) + 1024
            sent = body[: len(body) // 2] if kind == "truncate" else body
            await _raw(send, status, headers, declared, sent)
            return
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _other_origin(self, scope: Scope) -> str:
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        primary, alternate = self.emulator.primary_origin, self.emulator.alternate_origin
        return primary if alternate.endswith("//" + host) else alternate


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Any], bytes]:
    """Run the app and keep its answer instead of sending it."""
    state: dict[str, Any] = {"status": 500, "headers": []}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            state["headers"] = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return state["status"], state["headers"], b"".join(chunks)


def _replace_status(provider: str, body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    word = UNKNOWN_STATUS_WORDS.get(provider)
    if word is None:  # a generic provider writes its unknown word itself (its own field)
        return body
    if provider == "scenario" and isinstance(data.get("job"), dict):
        data["job"]["status"] = word
    elif isinstance(data, dict) and "status" in data:
        data["status"] = word
    return json.dumps(data).encode()


def _transport(send: Send) -> asyncio.Transport:
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise RuntimeError("connection faults need uvicorn's h11 or httptools protocol")
    if cycle is not None and hasattr(cycle, "disconnected"):
        cycle.disconnected = True  # tell uvicorn not to answer on this connection any more
    return transport


async def _reset(send: Send) -> None:
    """Abort the connection with a TCP reset (SO_LINGER 0): no answer at all."""
    transport = _transport(send)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await asyncio.sleep(0)


async def _raw(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], declared: int, body: bytes
) -> None:
    """Write an answer declaring ``declared`` bytes but carrying ``body``, then close."""
    transport = _transport(send)
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}".encode("latin-1")]
    for key, value in headers:
        if key.lower() not in (b"content-length", b"connection"):
            lines.append(key + b": " + value)
    lines += [b"content-length: " + str(declared).encode(), b"connection: close"]
    transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    transport.close()
    await asyncio.sleep(0)
