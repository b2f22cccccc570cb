"""Emulator: the providers' documents, served where they publish them, changeable on demand.

``GET /docs/<provider>/<path>?<query>`` answers the document a provider publishes at
``https://<its host>/<path>?<query>`` (``musicbind sync`` and ``add`` reach it through
``MUSICBIND_<PROVIDER>_DOCS_URL=http://127.0.0.1:PORT/docs/<provider>``), with an
``ETag`` and a ``Last-Modified`` and 304 for a matching ``If-None-Match`` (or, without
one, an ``If-Modified-Since`` not older than the document). Which documents: a specs
folder's (:meth:`DocumentStore.serve_specs`: each manifest entry at its origin's path)
and any put through the control API.

Control API, ``POST /_emulator/documents`` with a JSON body (``GET`` lists what is
served, with how often each answered 200 and 304):

* ``{"action": "put", "provider": "fal", "url": URL, "content": TEXT}``: serve TEXT at
  URL (an origin such as ``https://fal.ai/models/x/llms.txt``, or its path and query);
* ``{"action": "edit", ..., "edits": [EDIT, ...]}``: change the served document; an EDIT
  is a JSON Patch operation on a JSON document (``{"op": "add" | "replace" | "remove",
  "path": "/json/pointer", "value": ...}``: add a parameter, narrow a range) or, on any
  document, ``{"op": "substitute", "old": TEXT, "new": TEXT}`` (a markdown table cell);
* ``{"action": "remove", ...}``: answer 404 from now on (the model is gone);
* ``{"action": "fault", ..., "kind": "500" | "truncate" | "oversize", "count": N}``: the
  next N requests (default 1) answer 500, a body cut half way (its ``Content-Length``
  promises the whole), or a body padded past musicbind's 16 MiB document cap.

Every change gives the document a new ETag and a later Last-Modified.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from musicbind.emulator.providers.common import emulator_of
from musicbind.emulator.state import Emulator

FAULT_KINDS = ("500", "truncate", "oversize")
OVERSIZE_BYTES = 17 * 1024 * 1024  # past the generator's 16 MiB document cap
_PAD_CHUNK = b" " * (64 * 1024)  # whitespace: a padded JSON document is still JSON


class DocumentEditError(ValueError):
    """A control request that cannot be applied; the message says why."""


@dataclass(frozen=True, slots=True)
class ServedDocument:
    """One document as served: its bytes and validators."""

    content: bytes
    content_type: str
    etag: str
    modified: float  # Unix seconds, whole

    @property
    def last_modified(self) -> str:
        """The ``Last-Modified`` value (an IMF-fixdate)."""
        return email.utils.formatdate(self.modified, usegmt=True)


@dataclass(slots=True)
class _Entry:
    document: ServedDocument | None
    faults: list[str] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)


def target_of(url: str) -> str:
    """The key a document is served under: its URL's path and query (``/a/b?x=1``),
    percent-escapes decoded (``endpoint_id=a%2Fb`` is ``endpoint_id=a/b``, as upstream)."""
    parts = urlsplit(url)
    path = unquote(parts.path or "/")
    return path + (f"?{unquote(parts.query)}" if parts.query else "")


def _content_type(content: bytes) -> str:
    stripped = content.lstrip()
    if stripped[:1] in (b"{", b"["):
        return "application/json"
    return "text/markdown; charset=utf-8"


class DocumentStore:
    """The documents one emulator serves, by (provider, path and query)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def put(self, provider: str, url: str, content: bytes, content_type: str | None = None) -> str:
        """Serve ``content`` at ``url`` for ``provider``; returns its new ETag."""
        key = (provider, target_of(url))
        with self._lock:
            entry = self._entries.setdefault(key, _Entry(None))
            previous = entry.document.modified if entry.document is not None else 0.0
            modified = float(max(int(self._clock()), int(previous) + 1))
            tag = hashlib.sha256(content + str(modified).encode()).hexdigest()[:16]
            entry.document = ServedDocument(
                content, content_type or _content_type(content), f'"{tag}"', modified
            )
            return entry.document.etag

    def get(self, provider: str, url: str) -> ServedDocument | None:
        """The document served at ``url``, or None."""
        with self._lock:
            entry = self._entries.get((provider, target_of(url)))
            return entry.document if entry is not None else None

    def remove(self, provider: str, url: str) -> None:
        """Stop serving ``url`` (it answers 404)."""
        with self._lock:
            entry = self._entries.get((provider, target_of(url)))
            if entry is None or entry.document is None:
                raise DocumentEditError(f"no document is served at {provider} {target_of(url)}")
            entry.document = None

    def edit(self, provider: str, url: str, edits: list[Any]) -> str:
        """Apply ``edits`` (see the module docstring) to the document; returns its new ETag."""
        current = self.get(provider, url)
        if current is None:
            raise DocumentEditError(f"no document is served at {provider} {target_of(url)}")
        content = current.content
        for number, edit in enumerate(edits, start=1):
            try:
                content = _apply(content, edit)
            except DocumentEditError as exc:
                raise DocumentEditError(f"edit {number}: {exc}") from None
        return self.put(provider, url, content, current.content_type)

    def add_fault(self, provider: str, url: str, kind: str, count: int = 1) -> None:
        """The next ``count`` requests for ``url`` answer with fault ``kind``."""
        if kind not in FAULT_KINDS:
            raise DocumentEditError(f"unknown fault {kind!r} (expected one of {FAULT_KINDS})")
        with self._lock:
            entry = self._entries.setdefault((provider, target_of(url)), _Entry(None))
            entry.faults += [kind] * count

    def serve_specs(self, specs: Path) -> int:
        """Serve every document a specs folder's manifest lists at its origin's path."""
        manifest = yaml.safe_load((specs / "manifest.yaml").read_text(encoding="utf-8")) or {}
        served = 0
        for item in manifest.get("documents") or []:
            origin = str(item.get("origin") or "")
            if urlsplit(origin).scheme in ("http", "https"):
                self.put(str(item["provider"]), origin, (specs / str(item["path"])).read_bytes())
                served += 1
        return served

    def take(self, provider: str, target: str) -> tuple[ServedDocument | None, str | None]:
        """(the document, the fault to answer with) for one request."""
        with self._lock:
            entry = self._entries.get((provider, target))
            if entry is None:
                return None, None
            fault = entry.faults.pop(0) if entry.faults else None
            return entry.document, fault

    def count(self, provider: str, target: str, answer: str) -> None:
        """Count one answer (``200``, ``304``, ``404`` or a fault) for the listing."""
        with self._lock:
            entry = self._entries.setdefault((provider, target), _Entry(None))
            entry.answers[answer] = entry.answers.get(answer, 0) + 1

    def listing(self) -> list[dict[str, Any]]:
        """What is served, for ``GET /_emulator/documents``."""
        with self._lock:
            return [
                {
                    "provider": provider,
                    "target": target,
                    "served": entry.document is not None,
                    "etag": entry.document.etag if entry.document else None,
                    "last_modified": entry.document.last_modified if entry.document else None,
                    "bytes": len(entry.document.content) if entry.document else 0,
                    "answers": dict(entry.answers),
                    "faults": list(entry.faults),
                }
                for (provider, target), entry in sorted(self._entries.items())
            ]


def _apply(content: bytes, edit: Any) -> bytes:
    if not isinstance(edit, dict) or "op" not in edit:
        raise DocumentEditError('expected {"op": ..., ...}')
    op = edit["op"]
    if op == "substitute":
        old, new = edit.get("old"), edit.get("new")
        if not isinstance(old, str) or not isinstance(new, str):
            raise DocumentEditError("substitute needs the strings old and new")
        text = content.decode("utf-8")
        if old not in text:
            raise DocumentEditError(f"{old!r} is not in the document")
        return text.replace(old, new, 1).encode("utf-8")
    if op not in ("add", "replace", "remove"):
        raise DocumentEditError(f"unknown op {op!r} (add, replace, remove, substitute)")
    try:
        document = json.loads(content)
    except ValueError:
        raise DocumentEditError(f"{op} needs a JSON document") from None
    pointer = edit.get("path")
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise DocumentEditError('path must be a JSON pointer such as "/a/b"')
    steps = [s.replace("~1", "/").replace("~0", "~") for s in pointer[1:].split("/")]
    parent: Any = document
    for step in steps[:-1]:
        try:
            parent = parent[int(step) if isinstance(parent, list) else step]
        except (KeyError, IndexError, ValueError, TypeError):
            raise DocumentEditError(f"{pointer}: no such place in the document") from None
    last = steps[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, edit.get("value"))
        elif op == "replace":
            parent[index] = edit.get("value")
        else:
            del parent[index]
    elif isinstance(parent, dict):
        if op != "add" and last not in parent:
            raise DocumentEditError(f"{pointer}: no such member")
        if op == "remove":
            del parent[last]
        else:
            parent[last] = edit.get("value")
    else:
        raise DocumentEditError(f"{pointer}: the parent is not an object or array")
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


_STORES: weakref.WeakKeyDictionary[Emulator, DocumentStore] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def store_of(emulator: Emulator) -> DocumentStore:
    """The document store of one emulator run (created empty on first use)."""
    with _STORES_LOCK:
        store = _STORES.get(emulator)
        if store is None:
            store = _STORES[emulator] = DocumentStore()
        return store


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 section 13.1.2): ``W/"x"`` matches ``"x"``."""
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def _not_modified(request: Request, document: ServedDocument) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return _matches(if_none_match, document.etag)
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, IndexError):
        return False
    return document.modified <= when


class _CutResponse(Response):
    """An answer whose ``Content-Length`` promises the whole body but half of it is sent;
    the app then returns, and the server closes the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [*self.raw_headers]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})


async def _oversized(content: bytes) -> AsyncIterator[bytes]:
    yield content
    sent = len(content)
    while sent < OVERSIZE_BYTES:
        yield _PAD_CHUNK
        sent += len(_PAD_CHUNK)
        await asyncio.sleep(0)  # lets a reader's hang-up end the stream before more writes


async def serve_document(request: Request) -> Response:
    """``GET /docs/<provider>/<path>``: the document, a 304, a 404 or a requested fault."""
    store = store_of(emulator_of(request))
    provider = request.path_params["provider"]
    target = target_of("/" + request.path_params["rest"] + "?" + request.url.query)
    document, fault = store.take(provider, target)
    answer = fault or ("404" if document is None else "200")
    if fault == "500" or (fault is not None and document is None):
        store.count(provider, target, answer)
        return JSONResponse({"detail": "Internal Server Error"}, 500)
    if document is None:
        store.count(provider, target, "404")
        return JSONResponse({"detail": "Not found"}, 404)
    validators = {"ETag": document.etag, "Last-Modified": document.last_modified}
    if fault is None and _not_modified(request, document):
        store.count(provider, target, "304")
        return Response(status_code=304, headers=validators)
    store.count(provider, target, answer)
    if fault == "truncate":
        return _CutResponse(document.content, 200, validators, document.content_type)
    if fault == "oversize":
        return StreamingResponse(_oversized(document.content), 200, validators)
    return Response(document.content, 200, validators, document.content_type)


async def control(request: Request) -> Response:
    """``GET`` lists the served documents; ``POST`` changes one (see the module docstring)."""
    store = store_of(emulator_of(request))
    if request.method == "GET":
        return JSONResponse({"documents": store.listing()})
    try:
        body = json.loads(await request.body())
        if not isinstance(body, dict):
            raise DocumentEditError("expected a JSON object")
        etag = _control(store, body)
    except (ValueError, DocumentEditError) as exc:
        return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse({"ok": True, "etag": etag})


def _control(store: DocumentStore, body: dict[str, Any]) -> str | None:
    action, provider, url = body.get("action"), body.get("provider"), body.get("url")
    if not isinstance(provider, str) or not isinstance(url, str):
        raise DocumentEditError("provider and url (strings) are required")
    if action == "put":
        content = body.get("content")
        if not isinstance(content, str):
            raise DocumentEditError("put needs content (a string)")
        return store.put(provider, url, content.encode("utf-8"), body.get("content_type"))
    if action == "edit":
        edits = body.get("edits")
        if not isinstance(edits, list):
            raise DocumentEditError("edit needs edits (a list)")
        return store.edit(provider, url, edits)
    if action == "remove":
        store.remove(provider, url)
        return None
    if action == "fault":
        count = body.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise DocumentEditError("count must be a whole number >= 1")
        store.add_fault(provider, url, str(body.get("kind")), count)
        return None
    raise DocumentEditError(f"unknown action {action!r} (put, edit, remove, fault)")


ROUTES: list[BaseRoute] = [
    Route("/docs/{provider}/{rest:path}", serve_document, methods=["GET"]),
    Route("/_emulator/documents", control, methods=["GET", "POST"]),
]
