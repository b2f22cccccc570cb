"""Emulator: any provider bound from its OpenAPI document alone, served from its ``PROTOCOL``.

Each provider of the emulator's bindings package whose ``PROTOCOL.adapter`` is ``"openapi"``
is served under ``/<name>``, its routes made from ``PROTOCOL.operations`` (model id ->
``HttpOperation``), with no code of its own:

* the submit (``method`` + ``path``, ``{...}`` placeholders match one path segment) checks
  the key as ``PROTOCOL.auth`` says (``bearer``: ``Authorization: Bearer KEY``; ``key``:
  ``Authorization: Key KEY``; ``header``: the header ``auth_name``; ``query``: the query
  parameter ``auth_name``; ``basic``: the key as user, the secret as password; ``none``),
  else 401. Path and query parameters the input model has fields for are validated with the
  body; a multipart file part is stored and given to the model as its URL (its bytes for a
  ``bytes`` field).
  The body (JSON, or multipart form fields and files) is validated with the binding's input
  model: 422 ``{"detail": [{"loc": ["body", ...], "msg", "type"}]}`` names each refused field.
  An accepted call is a ledger submission and charge (the binding's price estimate).
* ``answer: json`` -> 200 with a result the binding's output model accepts
  (``emulator.outputs``), its URL fields pointing at audio files served here;
  ``answer: binary`` -> 200 with the audio bytes (a WAV; ``Content-Type`` is the
  operation's ``media_type``), ``Content-Length`` set; ``answer: job`` -> 200
  ``{id_field: id, status_field: word}``, then ``GET status_path`` answers
  ``{id_field, status_field}`` while the job waits and runs (``Timing``), and once it
  succeeded also the result synthesized from the output model; ``error_field`` carries the
  message of a failed job. ``cancel_method cancel_path`` cancels it and answers its status.
* Status words come from ``PROTOCOL.statuses``: for each JobState the word spelled like the
  state if there is one, else the first in sorted order (a protocol without a QUEUED word
  says its RUNNING word, without a CANCELED word its FAILED word).
* Faults name the provider: ``<name>.submit``, ``.status``, ``.cancel``, ``.download``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from musicbind.emulator.catalogue import BUILTIN_MODELS, FieldError
from musicbind.emulator.errors import provider_error
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
    Timing,
)
from musicbind.emulator.outputs import ResultFile, synthesize_output
from musicbind.emulator.providers import common
from musicbind.emulator.providers.generic_bodies import input_properties, read_body, typed_value
from musicbind.emulator.state import Emulator, generic_key, generic_secret
from musicbind.runtime.binding import HttpOperation, ProviderProtocol
from musicbind.runtime.jobstate import JobState

UNKNOWN_WORD = "emulator-undocumented-status"  # the ``unknown_status`` fault's word
_STATES = {
    QUEUED: JobState.QUEUED,
    QUEUED_LATE: JobState.QUEUED,
    WARMING: JobState.RUNNING,
    RUNNING: JobState.RUNNING,
    FINALIZING: JobState.RUNNING,
    SUCCEEDED: JobState.SUCCEEDED,
    FAILED: JobState.FAILED,
    CANCELED: JobState.CANCELED,
}
_STAND_INS = {
    JobState.QUEUED: JobState.RUNNING,
    JobState.RUNNING: JobState.QUEUED,
    JobState.CANCELED: JobState.FAILED,
    JobState.FAILED: JobState.CANCELED,
}
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


def status_word(protocol: ProviderProtocol, state: JobState) -> str:
    """The protocol's word for ``state`` (deterministic; see the module docstring)."""
    for wanted in (state, _STAND_INS.get(state)):
        words = sorted(w for w, s in protocol.statuses.items() if s == wanted)
        if words:
            exact = [w for w in words if w.lower() == str(wanted).lower()]
            return (exact or words)[0]
    return str(state).lower()


@dataclass(frozen=True, slots=True)
class OperationRoute:
    """One request a generic provider answers: its kind, method and path pattern."""

    kind: str  # "submit", "status" or "cancel" (the fault operations)
    method: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # the placeholders, in order
    query: tuple[tuple[str, str], ...]  # (query parameter, placeholder) of a templated query
    model_id: str
    operation: HttpOperation

    def match(
        self, method: str, path: str, query: Mapping[str, list[str]]
    ) -> dict[str, str] | None:
        """The placeholder values when the request is this route's, else None."""
        if method != self.method:
            return None
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        values = {k: unquote(v) for k, v in zip(self.names, found.groups(), strict=True)}
        for parameter, name in self.query:
            given = query.get(parameter)
            if not given:
                return None
            values[name] = given[-1]
        return values


def _route(
    kind: str, method: str, template: str, model_id: str, op: HttpOperation
) -> OperationRoute:
    path, _, query_text = template.partition("?")
    path = "/" + path.lstrip("/")
    pattern, names, last = "", [], 0
    for found in _PLACEHOLDER.finditer(path):
        pattern += re.escape(path[last : found.start()]) + "([^/]+)"
        names.append(found.group(1))
        last = found.end()
    pattern += re.escape(path[last:])
    query = []
    for parameter, values in parse_qs(query_text).items():
        placeholder = _PLACEHOLDER.fullmatch(values[-1])
        if placeholder is not None:
            query.append((parameter, placeholder.group(1)))
    return OperationRoute(
        kind,
        method.upper(),
        re.compile(pattern.rstrip("/") or "/"),
        tuple(names),
        tuple(query),
        model_id,
        op,
    )


class GenericSite:
    """The routes of one generic provider, made from its protocol's operations."""

    def __init__(self, protocol: ProviderProtocol) -> None:
        self.protocol = protocol
        routes: list[OperationRoute] = []
        for model_id, op in sorted(protocol.operations.items()):
            routes.append(_route("submit", op.method, op.path, model_id, op))
            if op.answer == "job" and op.job is not None:
                routes.append(_route("status", "GET", op.job.status_path, model_id, op))
                if op.job.cancel_method and op.job.cancel_path:
                    cancel = _route(
                        "cancel", op.job.cancel_method, op.job.cancel_path, model_id, op
                    )
                    routes.append(cancel)
        # literal paths before templated ones, so /jobs/search is not read as /jobs/{id}
        self.routes = sorted(routes, key=lambda r: len(r.names))

    def matches(
        self, method: str, path: str, query: Mapping[str, list[str]]
    ) -> list[tuple[OperationRoute, dict[str, str]]]:
        """Every route the request fits, with its placeholder values."""
        path = path.rstrip("/") or "/"
        found = []
        for route in self.routes:
            values = route.match(method, path, query)
            if values is not None:
                found.append((route, values))
        return found

    def knows_path(self, path: str) -> bool:
        """True when some route has this path (with another method: 405, not 404)."""
        path = path.rstrip("/") or "/"
        return any(route.pattern.fullmatch(path) for route in self.routes)


def classifier(sites: Mapping[str, GenericSite]) -> Callable[[str, str], tuple[str, str] | None]:
    """(method, path) -> (provider, fault operation) for the generic providers' requests."""

    def classify(method: str, path: str) -> tuple[str, str] | None:
        name, _, rest = path.lstrip("/").partition("/")
        site = sites.get(name)
        if site is None:
            return None
        found = site.matches(method, "/" + rest, {})
        kinds = {route.kind for route, _ in found}
        if not found:  # a status path with a templated query still counts as a status
            kinds = {r.kind for r in site.routes if r.query and r.pattern.fullmatch("/" + rest)}
        return (name, sorted(kinds)[0]) if len(kinds) == 1 else None

    return classify


def routes_for(site: GenericSite) -> list[Route]:
    """The Starlette routes to mount under ``/<name>``."""

    async def endpoint(request: Request) -> Response:
        return await dispatch(request, site)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return [Route("/{path:path}", endpoint, methods=methods)]


async def dispatch(request: Request, site: GenericSite) -> Response:
    """Answer one request to a generic provider."""
    name = site.protocol.name
    path = _raw_path(request, name)
    query = parse_qs(request.url.query, keep_blank_values=True)
    found = site.matches(request.method, path, query)
    if not found:
        if site.knows_path(path):
            return provider_error(name, 405, "Method not allowed")
        return provider_error(name, 404, "Not found")
    if not _authorized(request, site.protocol):
        return provider_error(name, 401, "Invalid or missing API key")
    emu = common.emulator_of(request)
    route, values = found[0]
    if route.kind == "submit":
        return await _submit(request, emu, site.protocol, found)
    job = _job_of(emu, name, values)
    if job is None:
        return provider_error(name, 404, "Job not found")
    if route.kind == "cancel":
        _cancel(emu, job)
    return JSONResponse(status_json(request, emu, site.protocol, job))


def _raw_path(request: Request, name: str) -> str:
    """The path below ``/<name>`` as sent (still percent-encoded: an escaped ``/`` inside a
    path parameter stays inside its segment)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        text = raw.decode("latin-1").split("?", 1)[0]
        prefix = f"/{name}"
        if text.startswith(prefix + "/") or text == prefix:
            return text[len(prefix) :] or "/"
    return "/" + quote(request.path_params["path"], safe="/:@-._~!$&'()*+,;=")


def _job_of(emu: Emulator, name: str, values: Mapping[str, str]) -> EmulatedJob | None:
    for value in values.values():
        job = emu.job(name, value)
        if job is not None:
            return job
    return None


def _authorized(request: Request, protocol: ProviderProtocol) -> bool:
    key = generic_key(protocol.name)
    auth = protocol.auth
    if auth == "none":
        return True
    given: str | None
    if auth == "header":
        given = request.headers.get(protocol.auth_name or "x-api-key")
    elif auth == "query":
        given = request.query_params.get(protocol.auth_name or "api_key")
    elif auth == "basic":
        pair = common.basic_credentials(request)
        secret = generic_secret(protocol.name)
        given = pair[0] if pair is not None and common.same_secret(pair[1], secret) else None
    else:
        given = common.token(request, "Key" if auth == "key" else "Bearer")
    return given is not None and common.same_secret(given.strip(), key)


async def _submit(
    request: Request,
    emu: Emulator,
    protocol: ProviderProtocol,
    found: list[tuple[OperationRoute, dict[str, str]]],
) -> Response:
    name = protocol.name
    route = found[0][0]
    key = common.idempotency_key(request)
    raw = await request.body()
    body, digest, problem = read_body(
        request, emu, f"{name}:{route.model_id}", route.operation, raw
    )
    if problem is not None or body is None:
        emu.ledger.record_submission(name, route.model_id, "submit", "rejected", 422, None, "", key)
        detail = [{"loc": ["body"], "msg": problem or "expected an object", "type": "json_invalid"}]
        return JSONResponse({"detail": detail}, 422)
    checked, origins = None, dict[str, str]()
    for candidate, candidate_values in found:
        ref = f"{name}:{candidate.model_id}"
        fields, sources = _with_parameters(emu, ref, body, candidate_values, request)
        attempt = emu.catalogue.validate(ref, fields, lambda _n, v: _url_seconds(emu, v))
        if checked is None or not attempt.errors:
            route, checked, origins = candidate, attempt, sources
        if not attempt.errors:
            break
    assert checked is not None
    if checked.errors:
        emu.ledger.record_submission(
            name, route.model_id, "submit", "rejected", 422, None, digest, key
        )
        return JSONResponse({"detail": _located(checked.errors, origins)}, 422)
    if key is not None and emu.honour_idempotency_keys:
        known = emu.idempotency.get((name, key))
        earlier = emu.job(name, known) if known else None
        if earlier is not None:
            emu.ledger.record_submission(
                name, route.model_id, "submit", "deduplicated", 200, earlier.job_id, digest, key
            )
            return _answer(request, emu, protocol, route.operation, earlier)
    return _accept(request, emu, protocol, route, checked.payload, checked.media_seconds, digest)


def _accept(
    request: Request,
    emu: Emulator,
    protocol: ProviderProtocol,
    route: OperationRoute,
    payload: dict[str, Any],
    media_seconds: float | None,
    digest: str,
) -> Response:
    name, op = protocol.name, route.operation
    key = common.idempotency_key(request)
    fate = common.job_fate(emu, name) or SUCCEEDED
    plan = emu.catalogue.plan(name, f"{name}:{route.model_id}", payload, media_seconds)
    plan = replace(plan, samples=max(plan.samples, 1))
    job_id = emu.new_id("job_", 24)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", route.model_id).strip("-.") or "music"
    job = emu.create_job(name, job_id, route.model_id, payload, plan, fate, stem)
    if op.answer != "job":  # answered at once: the job is over before the answer leaves
        job.timing = Timing(0.0, 0.0, 0.0)
        if fate != SUCCEEDED:
            job.fate = fate if fate == "fail_422" else FAILED
    if job.fate not in (SUCCEEDED, "stall"):
        job.error = "The job was cancelled" if fate == CANCELED else "Generation failed"
    if key is not None:
        emu.idempotency[(name, key)] = job_id
    emu.charge(job, digest, key)
    emu.ledger.record_submission(
        name,
        route.model_id,
        "submit",
        "accepted",
        200,
        job_id,
        digest,
        key,
        common.after_fault(request),
    )
    return _answer(request, emu, protocol, op, job)


def _answer(
    request: Request, emu: Emulator, protocol: ProviderProtocol, op: HttpOperation, job: EmulatedJob
) -> Response:
    headers = {"x-request-id": job.job_id}
    if op.answer == "job" and op.job is not None:
        now = emu.clock()
        body: dict[str, Any] = {}
        _put(body, op.job.id_field, job.job_id)
        _put(body, op.job.status_field, status_word(protocol, _STATES[job.stage(now)]))
        return JSONResponse(body, headers=headers)
    if job.fate == "fail_422":
        detail = [
            {"loc": ["body"], "msg": "The input could not be processed", "type": "value_error"}
        ]
        return JSONResponse({"detail": detail}, 422, headers=headers)
    if job.fate != SUCCEEDED:
        return provider_error(protocol.name, 500, job.error)
    if op.answer == "binary":
        output = job.outputs[0]
        found = emu.file(emu.output_path(protocol.name, output))
        content = found[0] if found is not None else b""
        media_type = op.media_type if op.media_type and "*" not in op.media_type else None
        headers["content-disposition"] = f'attachment; filename="{output.name}"'
        return Response(content, media_type=media_type or output.content_type, headers=headers)
    binding = emu.catalogue.binding(f"{protocol.name}:{job.model_id}")
    output_model = getattr(binding, "output_model", None)
    return JSONResponse(
        synthesize_output(output_model, result_files(request, emu, job)), headers=headers
    )


def status_json(
    request: Request, emu: Emulator, protocol: ProviderProtocol, job: EmulatedJob
) -> dict[str, Any]:
    """A job's status answer now: id and status word; the result once it succeeded."""
    op = protocol.operations.get(job.model_id)
    spec = op.job if op is not None else None
    id_field = spec.id_field if spec is not None else "id"
    status_field = spec.status_field if spec is not None else "status"
    state = _STATES[job.stage(emu.clock())]
    body: dict[str, Any] = {}
    if state == JobState.SUCCEEDED:
        binding = emu.catalogue.binding(f"{protocol.name}:{job.model_id}")
        files = result_files(request, emu, job)
        body = synthesize_output(getattr(binding, "output_model", None), files)
    fault = common.after_fault(request) or ""
    word = UNKNOWN_WORD if "=unknown_status" in fault else status_word(protocol, state)
    _put(body, id_field, job.job_id)
    _put(body, status_field, word)
    if state == JobState.RUNNING and "progress" not in body:
        body["progress"] = job.progress(emu.clock())
    if spec is not None and spec.error_field:
        if state in (JobState.FAILED, JobState.CANCELED):
            _put(body, spec.error_field, job.error or "The job did not finish")
        elif "." not in spec.error_field:  # a job that did not fail carries no error
            body.pop(spec.error_field, None)
    return body


def result_files(request: Request, emu: Emulator, job: EmulatedJob) -> Callable[[], ResultFile]:
    """The job's output files, in turn (round again when a result names more URLs)."""
    origin = common.origin(request)
    files = [
        ResultFile(
            f"{origin}/{emu.output_path(job.provider, output)}",
            output.content_type,
            output.name,
            output.size,
            output.seconds,
        )
        for output in job.outputs
    ]
    cycle: Iterator[ResultFile] = itertools.cycle(files)
    return lambda: next(cycle)


def _cancel(emu: Emulator, job: EmulatedJob) -> None:
    now = emu.clock()
    if job.is_terminal(now) or common.cancel_ignored(emu, job.provider):
        return
    delay = 0.0 if job.is_queued(now) else emu.timing.cancel_s
    emu.cancel(job, delay, ignore_when_finalizing=False)


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``body[a][b]`` for ``"a.b"`` (objects made on the way)."""
    *parents, last = dotted.split(".")
    target = body
    for part in parents:
        inner = target.get(part)
        if not isinstance(inner, dict):
            inner = target[part] = {}
        target = inner
    target[last] = value


def _url_seconds(emu: Emulator, value: Any) -> float | None:
    return emu.media_seconds(value) if isinstance(value, str) else None


def _with_parameters(
    emu: Emulator, ref: str, body: dict[str, Any], values: Mapping[str, str], request: Request
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body plus the path and query parameters the input model has fields for, and
    where each parameter came from (``path`` or ``query``, for error locations)."""
    binding = emu.catalogue.binding(ref)
    if binding is None:
        return body, {}
    properties = input_properties(binding)
    merged, origins = dict(body), dict[str, str]()
    query = [(k, v, "query") for k, v in request.query_params.items()]
    for name, value, origin in [*query, *((k, v, "path") for k, v in values.items())]:
        if name in properties and (name not in merged or origins.get(name) == "query"):
            merged[name] = typed_value(value, properties[name])
            origins[name] = origin
    return merged, origins


def _located(errors: list[FieldError], origins: Mapping[str, str]) -> list[dict[str, Any]]:
    """Errors as FastAPI writes them: ``loc`` starts with where the field was sent."""
    return [
        {
            "loc": [origins.get(str(e.loc[0]), "body") if e.loc else "body", *e.loc],
            "msg": e.msg,
            "type": e.type,
        }
        for e in errors
    ]


def bound_result(request: Request, emu: Emulator, job: EmulatedJob) -> dict[str, Any] | None:
    """A finished job's result built from its binding's output model, for a model of a named
    provider (fal, the gateway) that the emulator has no hand-written answer for; None for
    the built-in models and models without an output model."""
    ref = f"{job.provider}:{job.model_id}"
    if ref in BUILTIN_MODELS:
        return None
    output_model = getattr(emu.catalogue.binding(ref), "output_model", None)
    if output_model is None:
        return None
    return synthesize_output(output_model, result_files(request, emu, job))
