"""Emulator: the one ASGI app serving every provider, their files and the admin endpoints.

Paths: ``/scenario/...``, ``/fal/...``, ``/aigateway/...`` and ``/<name>/...`` for each generic
provider of the bindings package (each provider's real paths below its prefix, so a client's
base URL is ``http://127.0.0.1:PORT/<provider>``); result files at
``/files/<provider>/<id>/<name>`` and the demo video at ``/media/demo.mp4`` (no credentials,
like the providers' CDNs); admin under ``/_emulator``:

* ``GET /_emulator/ledger`` the ledger (see ``emulator.ledger``); ``DELETE`` clears it;
* ``GET /_emulator/faults`` the rules and how often each fired; ``POST`` a new spec, as the
  body ``{"faults": "fal.submit=reset"}`` or plain text (400 with the parse error);
* ``GET /_emulator/health`` origins, seed, timing and job counts.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from musicbind.emulator.documents import ROUTES as DOCUMENT_ROUTES
from musicbind.emulator.faults import FaultSpecError
from musicbind.emulator.ledger import Download
from musicbind.emulator.providers import aigateway, fal, generic, scenario
from musicbind.emulator.providers.common import emulator_of
from musicbind.emulator.state import Emulator
from musicbind.emulator.wire import SCOPE_AFTER_FAULT, FaultLayer


async def serve_file(request: Request) -> Response:
    """A result file or upload, without credentials; records who asked and whether with a key."""
    emu = emulator_of(request)
    path = request.url.path.lstrip("/")
    found = emu.file(path)
    provider = path.split("/")[1] if path.startswith("files/") else "media"
    fault = request.scope.get(SCOPE_AFTER_FAULT)
    emu.ledger.record_download(
        Download(
            provider,
            "/" + path,
            request.headers.get("host", ""),
            "authorization" in request.headers,
            fault if isinstance(fault, str) else None,
        )
    )
    if found is None:
        return JSONResponse({"detail": "Not found"}, 404)
    content, content_type = found
    return Response(content, media_type=content_type)


async def ledger(request: Request) -> Response:
    """The ledger as JSON; DELETE clears it."""
    emu = emulator_of(request)
    if request.method == "DELETE":
        emu.ledger.clear()
        return Response(status_code=204)
    return JSONResponse(emu.snapshot())


async def faults(request: Request) -> Response:
    """The fault rules (GET) or new ones (POST)."""
    emu = emulator_of(request)
    if request.method == "POST":
        raw = (await request.body()).decode("utf-8", "replace")
        spec: Any = raw
        if raw.lstrip().startswith("{"):
            try:
                spec = json.loads(raw).get("faults", "")
            except (ValueError, AttributeError):
                return JSONResponse({"error": 'expected {"faults": SPEC} or a plain spec'}, 400)
        if not isinstance(spec, str):
            return JSONResponse({"error": "faults must be a string"}, 400)
        try:
            emu.set_faults(spec)
        except FaultSpecError as exc:
            return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse({"rules": emu.faults.remaining()})


async def health(request: Request) -> Response:
    """Origins, seed, timing and job counts."""
    emu = emulator_of(request)
    timing = emu.timing
    return JSONResponse(
        {
            "ok": True,
            "origins": [emu.primary_origin, emu.alternate_origin],
            "seed": emu.seed,
            "timing": {
                "queue_s": timing.queue_s,
                "run_s": timing.run_s,
                "cancel_s": timing.cancel_s,
            },
            "models": emu.catalogue.refs(),
            "package": emu.catalogue.package,
            "generic_providers": sorted(emu.generic),
            "jobs": emu.job_state_counts(),
        }
    )


def build_app(emulator: Emulator) -> FaultLayer:
    """The emulator's ASGI app: the providers' routes inside the fault layer."""
    sites = {name: generic.GenericSite(protocol) for name, protocol in emulator.generic.items()}
    inner = Starlette(
        routes=[
            Mount("/scenario", routes=scenario.ROUTES),
            Mount("/fal", routes=fal.ROUTES),
            Mount("/aigateway", routes=aigateway.ROUTES),
            *(Mount(f"/{name}", routes=generic.routes_for(site)) for name, site in sites.items()),
            Route("/files/{rest:path}", serve_file, methods=["GET"]),
            Route("/media/{rest:path}", serve_file, methods=["GET"]),
            Route("/_emulator/ledger", ledger, methods=["GET", "DELETE"]),
            Route("/_emulator/faults", faults, methods=["GET", "POST"]),
            Route("/_emulator/health", health, methods=["GET"]),
            *DOCUMENT_ROUTES,  # /docs/<provider>/... and /_emulator/documents
        ]
    )
    inner.state.emulator = emulator
    return FaultLayer(inner, emulator, generic.classifier(sites))
