"""Runtime: a small ASGI app that receives fal's webhooks and records them in the journal.

Mount it in any ASGI server (uvicorn, hypercorn) or framework that mounts ASGI apps::

    from musicbind.runtime.webhooks_asgi import WebhookReceiver
    app = WebhookReceiver("jobs.sqlite3")            # uvicorn module:app --port 8000

Each ``POST`` is checked by :func:`runtime.webhooks.verify_fal_webhook` against fal's
public keys (fetched from the JWKS URL, kept for a day, fetched again once when no key
verifies a delivery: keys rotate) and recorded by :class:`runtime.webhooks.WebhookInbox`.
Answers: 200 recorded; 400 malformed; 401 bad signature or stale timestamp; 404 a job the
journal does not hold; 409 a replay; 413 a body over :data:`~runtime.webhooks.MAX_BODY_BYTES`;
503 the keys could not be fetched (fal delivers again later). Refusals are logged on the
``musicbind.webhooks`` logger and change nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import httpx

from musicbind.runtime.http import display_url
from musicbind.runtime.journal import Journal
from musicbind.runtime.webhooks import (
    FAL_JWKS_URL,
    MAX_BODY_BYTES,
    TIMESTAMP_TOLERANCE_S,
    WebhookInbox,
    WebhookRejected,
    public_keys,
    verify_fal_webhook,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

KEYS_MAX_AGE_S = 24 * 3600.0
REFETCH_AFTER_S = 60.0  # a delivery no key verifies fetches the keys again, at most this often
MAX_JWKS_BYTES = 64 * 1024
log = logging.getLogger("musicbind.webhooks")


class KeysUnavailable(Exception):
    """fal's public keys could not be fetched."""


class WebhookReceiver:
    """ASGI app: verify fal webhook deliveries and record their outcome in the journal."""

    def __init__(
        self,
        journal: Journal | str | os.PathLike[str],
        *,
        jwks_url: str = FAL_JWKS_URL,
        keys: Sequence[bytes] | None = None,
        tolerance_s: float = TIMESTAMP_TOLERANCE_S,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._owns_journal = not isinstance(journal, Journal)
        self.journal = journal if isinstance(journal, Journal) else Journal(journal)
        self.inbox = WebhookInbox(self.journal)
        self.jwks_url = jwks_url
        self.tolerance_s = tolerance_s
        self._fixed_keys = list(keys) if keys is not None else None
        self._keys: list[bytes] = []
        self._fetched_at = -float("inf")
        self._http = http_client
        self._lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            self.close()
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _answer(send, 405, {"error": "POST only"})
            return
        body = await _body(receive)
        if body is None:
            await _answer(send, 413, {"error": f"body over {MAX_BODY_BYTES} bytes"})
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            intent_id = await self.receive(headers, body)
        except WebhookRejected as error:
            log.warning("%s", error.message)
            await _answer(send, error.status_code, {"error": error.reason})
            return
        except KeysUnavailable as error:
            log.warning("webhook not checked: %s", error)
            await _answer(send, 503, {"error": "the signing keys could not be fetched"})
            return
        await _answer(send, 200, {"ok": True, "intent_id": intent_id})

    def close(self) -> None:
        """Close the journal if this receiver opened it (at the server's shutdown)."""
        if self._owns_journal:
            self.journal.close()

    async def receive(self, headers: dict[str, str], body: bytes) -> str:
        """Verify and record one delivery; the journal entry's intent id."""
        keys = await self._current_keys(refresh=False)
        try:
            delivery = verify_fal_webhook(headers, body, keys, tolerance_s=self.tolerance_s)
        except WebhookRejected as error:
            if "does not verify" not in error.reason or self._fixed_keys is not None:
                raise
            if time.monotonic() - self._fetched_at < REFETCH_AFTER_S:
                raise
            keys = await self._current_keys(refresh=True)
            delivery = verify_fal_webhook(headers, body, keys, tolerance_s=self.tolerance_s)
        return await asyncio.to_thread(self.inbox.accept, delivery)

    async def _current_keys(self, *, refresh: bool) -> list[bytes]:
        if self._fixed_keys is not None:
            return self._fixed_keys
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if refresh or age > KEYS_MAX_AGE_S or not self._keys:
                self._keys = await self._fetch()
                self._fetched_at = time.monotonic()
            return self._keys

    async def _fetch(self) -> list[bytes]:
        client = self._http or httpx.AsyncClient(timeout=10.0)
        try:
            response = await client.get(self.jwks_url, headers={"Accept": "application/json"})
            if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
                raise KeysUnavailable(
                    f"{display_url(self.jwks_url)} answered HTTP {response.status_code}"
                )
            keys = public_keys(response.json())
        except (httpx.HTTPError, ValueError) as error:
            raise KeysUnavailable(f"{display_url(self.jwks_url)}: {error}") from None
        finally:
            if self._http is None:
                await client.aclose()
        if not keys:
            raise KeysUnavailable(f"{display_url(self.jwks_url)} lists no Ed25519 key")
        return keys


async def _body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, data: dict[str, Any]) -> None:
    body = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
