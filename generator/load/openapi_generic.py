"""Load stage: any provider's OpenAPI 3.0/3.1 or Swagger 2.0 document -> one model per operation.

For providers musicbind has no protocol of its own for. Every operation with a request body
(JSON or multipart; Swagger's ``in: body`` or ``formData`` parameters) becomes a model:

* **id**: the ``operationId``, else the path without its leading ``/`` (plus the method when
  it is not POST). Path and query parameters become inputs too (the runtime puts them back).
* **answer**: ``binary`` when the first success answer is ``audio/*`` or
  ``application/octet-stream`` (its output is the file musicbind saved); ``job`` when the
  answer names an id (``id``, ``job_id``, ``task_id``, ...) and a GET ``.../{id}`` operation
  answers an object with a ``status`` (or ``state``) property: that object is the output, and a
  DELETE on it (or a POST ``.../cancel``) cancels; else ``json``: the answer is the output.
* **provider**: the name from the first server's host (``api.tunesmith.example`` ->
  ``tunesmith``), else from ``info.title``; the base URL from ``servers`` (Swagger: ``schemes``,
  ``host``, ``basePath``); auth from the security scheme the document requires (bearer, basic,
  an API key in a header or in the query); job status words from the status property's enum,
  each mapped onto a JobState by its meaning (a word with no clear meaning is reported, and
  the overlay's ``statuses`` can map it).

Nothing here raises on bad input; every problem is located by pointer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, as_text, show
from musicbind.generator.load.openapi_schema import SchemaReader
from musicbind.generator.load.openapi_structure import camel, object_parts
from musicbind.generator.load.records import (
    JsonValue,
    SpecJob,
    SpecModel,
    SpecOperation,
    SpecParam,
    SpecProvider,
    SpecShape,
    SpecType,
    TypeKind,
)

_BODY_METHODS = ("post", "put", "patch")
_SUCCESS = ("200", "201", "202")
_ID_NAMES = (
    "id",
    "job_id",
    "jobId",
    "task_id",
    "taskId",
    "request_id",
    "requestId",
    "generation_id",
    "generationId",
    "uuid",
)
_STATUS_NAMES = ("status", "state")
_ENVELOPES = ("data", "result", "job", "task", "response")  # objects an id may sit in
_ERROR_NAMES = ("error", "error_message", "errorMessage", "failure_reason", "message", "detail")
_BINARY_TYPES = ("application/octet-stream",)
_MULTIPART = "multipart/form-data"
_FORM = "application/x-www-form-urlencoded"

# Status words by meaning; compared after lower-casing and dropping "-", "_" and spaces.
_STATE_WORDS = {
    "QUEUED": {
        "queued",
        "pending",
        "waiting",
        "submitted",
        "created",
        "accepted",
        "new",
        "scheduled",
        "inqueue",
        "starting",
    },
    "RUNNING": {
        "running",
        "processing",
        "inprogress",
        "generating",
        "started",
        "working",
        "active",
        "rendering",
        "streaming",
        "finalizing",
    },
    "SUCCEEDED": {
        "succeeded",
        "success",
        "successful",
        "completed",
        "complete",
        "done",
        "finished",
        "ready",
        "ok",
    },
    "FAILED": {"failed", "failure", "error", "errored", "rejected", "timeout", "timedout"},
    "CANCELED": {"canceled", "cancelled", "aborted", "stopped"},
}
_HOST_NOISE = frozenset({"api", "www", "app", "apis", "rest", "gateway", "public", "v1", "v2"})


@dataclass(frozen=True, slots=True)
class _Answer:
    kind: str  # "json", "binary", "none"
    schema: JsonValue = None
    pointer: str = ""
    media_type: str | None = None


def state_of_word(word: str) -> str | None:
    """The JobState value a status word means (``"in_progress"`` -> ``"RUNNING"``), or None."""
    folded = re.sub(r"[\s_\-]+", "", word.lower())
    for state, words in _STATE_WORDS.items():
        if folded in words:
            return state
    return None


def provider_name_from(root: dict[str, JsonValue], base_url: str) -> str | None:
    """A provider name from the base URL's host, else from ``info.title``; None when neither."""
    host = _hostname(base_url)
    labels = [label for label in host.split(".") if label and not label.isdigit()]
    if len(labels) >= 2 and host not in ("localhost",):
        candidates = [label for label in labels[:-1] if label not in _HOST_NOISE]
        if candidates:
            return _slug(candidates[-1])
    title = as_text((as_mapping(root.get("info")) or {}).get("title")) or ""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", title) if w]
    words = [w for w in words if w.lower() not in {"api", "openapi", "swagger", "rest", "the"}]
    return _slug(words[0]) if words else None


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # not a valid URL (an unclosed IPv6 bracket)
        return ""


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def _slug(text: str) -> str | None:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug:
        return None
    return slug if slug[0].isalpha() else f"p_{slug}"


class GenericReader:
    """Reads one generic document: its provider facts and one model per operation with a body."""

    def __init__(self, doc: OpenApiDocument, root: dict[str, JsonValue], swagger: bool) -> None:
        self.doc = doc
        self.root = root
        self.swagger = swagger
        paths = root.get("paths")
        if paths is not None and not isinstance(paths, dict):
            doc.error("/paths", f"paths must map paths to operations, got {show(paths)}")
        self.paths = {k: v for k, v in (as_mapping(paths) or {}).items() if isinstance(k, str)}
        self.statuses: dict[str, str] = {}

    # the provider ---------------------------------------------------------------------------

    def provider(self) -> SpecProvider | None:
        """The provider facts, or None when the document names no provider to bind to."""
        base_url = self._base_url()
        name = provider_name_from(self.root, base_url)
        info = as_mapping(self.root.get("info")) or {}
        title = (as_text(info.get("title")) or "").strip()
        auth, auth_name = self._auth()
        display = re.sub(r"\s+(?:API|Api|api)\s*$", "", title).strip() or (name or "")
        return SpecProvider(
            name=name or "",
            display_name=display[:60] or (name or ""),
            base_url=base_url,
            auth=auth,
            auth_name=auth_name,
            location=self.doc.locate("/info" if "info" in self.root else ""),
            statuses=tuple(sorted(self.statuses.items())),
        )

    def _base_url(self) -> str:
        if self.swagger:
            host = as_text(self.root.get("host"))
            if not host:
                return ""
            schemes = [s for s in self.root.get("schemes") or [] if isinstance(s, str)]  # type: ignore[union-attr]
            scheme = "https" if "https" in schemes or not schemes else schemes[0]
            base_path = as_text(self.root.get("basePath")) or ""
            return f"{scheme}://{host}{base_path}".rstrip("/")
        servers = self.root.get("servers")
        for index, server in enumerate(servers if isinstance(servers, list) else []):
            mapping = as_mapping(server) or {}
            url = as_text(mapping.get("url"))
            if not url:
                continue
            variables = as_mapping(mapping.get("variables")) or {}
            for key, variable in variables.items():
                default = (as_mapping(variable) or {}).get("default")
                url = url.replace("{" + key + "}", str(default) if default is not None else "")
            if _scheme(url) in ("http", "https") and _hostname(url):
                return url.rstrip("/")
            self.doc.warning(
                pointer_child(pointer_child("/servers", index), "url"),
                f"server URL {show(url)} is not an absolute http(s) URL; not used as the base URL",
            )
        return ""

    def _auth(self) -> tuple[str, str | None]:
        if self.swagger:
            schemes = as_mapping(self.root.get("securityDefinitions")) or {}
            where = "/securityDefinitions"
        else:
            components = as_mapping(self.root.get("components")) or {}
            schemes = as_mapping(components.get("securitySchemes")) or {}
            where = "/components/securitySchemes"
        if not schemes:
            return "none", None
        wanted = [
            name
            for requirement in (self.root.get("security") or [])  # type: ignore[union-attr]
            if isinstance(requirement, dict)
            for name in requirement
        ]
        name = next((n for n in wanted if n in schemes), next(iter(schemes)))
        scheme = as_mapping(schemes[name]) or {}
        kind = (as_text(scheme.get("type")) or "").lower()
        if kind == "http":
            http = (as_text(scheme.get("scheme")) or "").lower()
            if http in ("bearer", "basic"):
                return http, None
        elif kind == "basic":
            return "basic", None
        elif kind == "apikey":
            place = (as_text(scheme.get("in")) or "").lower()
            key_name = as_text(scheme.get("name"))
            if place in ("header", "query") and key_name:
                return place, key_name
        elif kind in ("oauth2", "openidconnect"):
            return "bearer", None
        self.doc.warning(
            pointer_child(where, name),
            f"security scheme {show(name)} ({show(scheme.get('type'))}) is not one musicbind "
            "sends (bearer, basic, an API key in a header or the query); calls go without "
            "credentials unless the overlay names the provider's auth",
        )
        return "none", None

    # the models -----------------------------------------------------------------------------

    def models(self) -> tuple[SpecModel, ...]:
        """One model per operation with a request body, in document order."""
        models = []
        for path, item in self.paths.items():
            item_map = as_mapping(item)
            if item_map is None:
                continue
            for method in _BODY_METHODS:
                operation = as_mapping(item_map.get(method))
                if operation is None:
                    continue
                model = self._model(path, method, item_map, operation)
                if model is not None:
                    models.append(model)
        return tuple(models)

    def _model(
        self,
        path: str,
        method: str,
        item: dict[str, JsonValue],
        operation: dict[str, JsonValue],
    ) -> SpecModel | None:
        pointer = pointer_child(pointer_child("/paths", path), method)
        body = self._request_body(path, item, operation, pointer)
        if body is None:
            return None
        schema, body_pointer, body_kind = body
        model_id = self._model_id(path, method, operation)
        hint = camel(model_id)
        reader = SchemaReader(self.doc)
        inputs = reader.read_object(schema, body_pointer, hint + "Input")
        if inputs is None:
            self.doc.warning(
                body_pointer,
                f"the request body of {method.upper()} {path} is not an object with properties; "
                "the operation is not bound",
            )
            return None
        if body_kind == "multipart":
            inputs = self._with_files(schema, body_pointer, inputs)
        params, path_names, query_names = self._parameters(path, item, operation, pointer, hint)
        clash = {p.wire_name for p in params} & {p.wire_name for p in inputs}
        if clash:
            self.doc.error(
                pointer,
                f"{method.upper()} {path}: parameter and body property share the name "
                f"{show(sorted(clash)[0])}; the operation is not bound",
            )
            return None
        answer = self._answer(operation, pointer)
        job = self._job(path, answer) if answer.kind == "json" else None
        outputs: tuple[SpecParam, ...] | None
        shapes: tuple[SpecShape, ...]
        if answer.kind == "binary":
            outputs, file_shape = _binary_output(self.doc.locate(answer.pointer))
            shapes = (*reader.shapes(), file_shape)
        elif job is not None:
            status_schema, status_pointer = job[1]
            outputs = reader.read_object(status_schema, status_pointer, hint + "Job")
            shapes = reader.shapes()
        elif answer.kind == "json":
            outputs = reader.read_object(answer.schema, answer.pointer, hint + "Output")
            shapes = reader.shapes()
        else:
            outputs, shapes = None, reader.shapes()
        files = tuple(p.wire_name for p in inputs if _is_file(p.type)) if body_kind else ()
        spec_operation = SpecOperation(
            method=method.upper(),
            path=path,
            body=body_kind,
            answer="binary" if answer.kind == "binary" else ("job" if job else "json"),
            media_type=answer.media_type if answer.kind == "binary" else None,
            job=job[0] if job else None,
            path_params=path_names,
            query_params=query_names,
            files=files if body_kind == "multipart" else (),
        )
        return SpecModel(
            provider="",
            model_id=model_id,
            location=self.doc.locate(pointer),
            title=(as_text(operation.get("summary")) or "").strip().rstrip("."),
            description=as_text(operation.get("description")) or "",
            inputs=(*params, *inputs),
            outputs=outputs,
            shapes=shapes,
            # A body example leaves out path and query inputs: only whole payloads are kept.
            input_examples=()
            if params
            else (*_examples(self.doc, schema, body_pointer), *self._media_examples(body_pointer)),
            endpoint=path,
            operation=spec_operation,
        )

    def _media_examples(self, schema_pointer: str) -> tuple[JsonValue, ...]:
        """The request body's media object examples (``example``, ``examples.*.value``)."""
        if not schema_pointer.endswith("/schema"):
            return ()
        holder = self.doc.follow({"$ref": "#" + schema_pointer[: -len("/schema")]}, "")
        media = as_mapping(holder.value) if holder else None
        if media is None:
            return ()
        found: list[JsonValue] = []
        if isinstance(media.get("example"), dict):
            found.append(media["example"])
        named = as_mapping(media.get("examples")) or {}
        for example in named.values():
            value = (as_mapping(example) or {}).get("value")
            if isinstance(value, dict):
                found.append(value)
        return tuple(found)

    def _model_id(self, path: str, method: str, operation: dict[str, JsonValue]) -> str:
        operation_id = as_text(operation.get("operationId"))
        if operation_id and operation_id.strip():
            return operation_id.strip()
        base = path.strip("/") or "root"
        return base if method == "post" else f"{base}:{method}"

    def _request_body(
        self,
        path: str,
        item: dict[str, JsonValue],
        operation: dict[str, JsonValue],
        pointer: str,
    ) -> tuple[JsonValue, str, str] | None:
        """(schema, its pointer, "json", "multipart" or "form") of the operation's body."""
        if self.swagger:
            return self._swagger_body(item, operation, pointer)
        if "requestBody" not in operation:
            return None
        target = self.doc.follow(operation["requestBody"], pointer_child(pointer, "requestBody"))
        content = as_mapping((as_mapping(target.value) or {}).get("content")) if target else None
        if target is None or not content:
            return None
        found: dict[str, tuple[JsonValue, str]] = {}
        for media_type, media in content.items():
            media_object = as_mapping(media) or {}
            if "schema" not in media_object:
                continue
            base = media_type.split(";", 1)[0].strip().lower()
            kind = (
                "json"
                if base == "application/json" or base.endswith("+json")
                else {_MULTIPART: "multipart", _FORM: "form"}.get(base)
            )
            if kind is not None and kind not in found:
                holder = pointer_child(pointer_child(target.pointer, "content"), media_type)
                found[kind] = (media_object["schema"], pointer_child(holder, "schema"))
        for kind in ("json", "multipart", "form"):
            if kind in found:
                return found[kind][0], found[kind][1], kind
        self.doc.warning(
            pointer_child(target.pointer, "content"),
            f"{path}: the request body is neither JSON nor a form (multipart or urlencoded) "
            f"({', '.join(content)}); the operation is not bound",
        )
        return None

    def _swagger_body(
        self, item: dict[str, JsonValue], operation: dict[str, JsonValue], pointer: str
    ) -> tuple[JsonValue, str, str] | None:
        form: dict[str, JsonValue] = {}
        required: list[JsonValue] = []
        for param, where in self._swagger_parameters(item, operation, pointer):
            place = param.get("in")
            if place == "body" and "schema" in param:
                return param["schema"], pointer_child(where, "schema"), "json"
            if place == "formData" and isinstance(param.get("name"), str):
                name = str(param["name"])
                field = {k: v for k, v in param.items() if k not in ("in", "name", "required")}
                if field.get("type") == "file":  # Swagger's file part: bytes in the form
                    field = {**field, "type": "string", "format": "binary"}
                form[name] = field
                if param.get("required") is True:
                    required.append(name)
        if not form:
            return None
        schema: dict[str, JsonValue] = {"type": "object", "properties": form}
        if required:
            schema["required"] = required
        return schema, pointer_child(pointer, "parameters"), "multipart"

    def _swagger_parameters(
        self, item: dict[str, JsonValue], operation: dict[str, JsonValue], pointer: str
    ) -> list[tuple[dict[str, JsonValue], str]]:
        """The operation's parameters after the path item's (references followed)."""
        found: list[tuple[dict[str, JsonValue], str]] = []
        item_pointer = pointer.rsplit("/", 1)[0]
        for holder, where in ((item, item_pointer), (operation, pointer)):
            raw = holder.get("parameters")
            for index, param in enumerate(raw if isinstance(raw, list) else []):
                param_pointer = pointer_child(pointer_child(where, "parameters"), index)
                target = self.doc.follow(param, param_pointer)
                mapping = as_mapping(target.value) if target else None
                if mapping is not None and target is not None:
                    found.append((mapping, target.pointer))
        return found

    def _parameters(
        self,
        path: str,
        item: dict[str, JsonValue],
        operation: dict[str, JsonValue],
        pointer: str,
        hint: str,
    ) -> tuple[tuple[SpecParam, ...], tuple[str, ...], tuple[str, ...]]:
        """Path and query parameters as inputs, with the names of each."""
        properties: dict[str, JsonValue] = {}
        required: list[JsonValue] = []
        path_names: list[str] = []
        query_names: list[str] = []
        for param, _ in self._swagger_parameters(item, operation, pointer):
            place, name = param.get("in"), param.get("name")
            if place not in ("path", "query") or not isinstance(name, str):
                continue
            if "schema" in param:
                schema = param["schema"]
            else:
                schema = {k: v for k, v in param.items() if k not in ("in", "name", "required")}
            if "description" in param and isinstance(schema, dict) and "description" not in schema:
                schema = {**schema, "description": param["description"]}
            properties[name] = schema
            if place == "path" or param.get("required") is True:
                required.append(name)
            (path_names if place == "path" else query_names).append(name)
        for name in re.findall(r"\{([^{}/]+)\}", path):
            if name not in properties:
                properties[name] = {"type": "string"}
                required.append(name)
                path_names.append(name)
        if not properties:
            return (), (), ()
        synthetic: dict[str, JsonValue] = {
            "type": "object",
            "properties": properties,
            "required": required,
        }
        reader = SchemaReader(self.doc)
        params = reader.read_object(synthetic, pointer_child(pointer, "parameters"), hint)
        return params or (), tuple(path_names), tuple(query_names)

    def _with_files(
        self, schema: JsonValue, pointer: str, inputs: tuple[SpecParam, ...]
    ) -> tuple[SpecParam, ...]:
        """Multipart fields of ``format: binary`` (Swagger: ``type: file``) become file inputs."""
        parts = object_parts(self.doc, schema, pointer) or []
        binary: set[str] = set()
        for part in parts:
            for name, raw in (as_mapping(part.schema.get("properties")) or {}).items():
                target = self.doc.follow(raw, pointer_child(part.pointer, name))
                mapping = as_mapping(target.value) if target else None
                items = as_mapping((mapping or {}).get("items"))
                for candidate in (mapping, items):
                    if candidate is not None and (
                        candidate.get("format") in ("binary", "base64")
                        or candidate.get("type") == "file"
                    ):
                        binary.add(name)
        result = []
        for param in inputs:
            if param.wire_name not in binary:
                result.append(param)
                continue
            media = _media_word(param.wire_name)
            file_type = SpecType(TypeKind.FILE, media=media, nullable=param.type.nullable)
            if param.type.kind is TypeKind.ARRAY:
                file_type = SpecType(TypeKind.ARRAY, items=file_type, nullable=param.type.nullable)
            result.append(replace(param, type=file_type, allowed=None, pattern=None))
        return tuple(result)

    # answers and jobs -----------------------------------------------------------------------

    def _answer(self, operation: dict[str, JsonValue], pointer: str) -> _Answer:
        responses = as_mapping(operation.get("responses")) or {}
        responses_pointer = pointer_child(pointer, "responses")
        for code in _SUCCESS:
            if code not in responses:
                continue
            target = self.doc.follow(responses[code], pointer_child(responses_pointer, code))
            response = as_mapping(target.value) if target else None
            if response is None or target is None:
                continue
            if self.swagger:
                return self._swagger_answer(operation, response, target.pointer)
            content = as_mapping(response.get("content")) or {}
            for media_type, media in content.items():
                base = media_type.split(";", 1)[0].strip().lower()
                media_object = as_mapping(media) or {}
                where = pointer_child(pointer_child(target.pointer, "content"), media_type)
                if base.startswith("audio/") or base in _BINARY_TYPES:
                    return _Answer("binary", None, where, base)
                if (base == "application/json" or base.endswith("+json")) and (
                    "schema" in media_object
                ):
                    return _Answer("json", media_object["schema"], pointer_child(where, "schema"))
            return _Answer("none", None, target.pointer)
        return _Answer("none", None, responses_pointer)

    def _swagger_answer(
        self, operation: dict[str, JsonValue], response: dict[str, JsonValue], pointer: str
    ) -> _Answer:
        produces = operation.get("produces", self.root.get("produces"))
        listed = produces if isinstance(produces, list) else []
        kinds = [p.lower() for p in listed if isinstance(p, str)]
        schema = as_mapping(response.get("schema"))
        audio = next((k for k in kinds if k.startswith("audio/") or k in _BINARY_TYPES), None)
        if audio is not None and (
            schema is None or schema.get("type") == "file" or schema.get("format") == "binary"
        ):
            return _Answer("binary", None, pointer, audio)
        if schema is not None:
            return _Answer("json", schema, pointer_child(pointer, "schema"))
        return _Answer("none", None, pointer)

    def _job(
        self, submit_path: str, answer: _Answer
    ) -> tuple[SpecJob, tuple[JsonValue, str]] | None:
        """The job read after this submit, when the answer names one and a status GET exists."""
        id_field = self._id_field(answer.schema, answer.pointer)
        if id_field is None:
            return None
        best: tuple[int, str, dict[str, JsonValue], str, _Answer] | None = None
        for path, item in self.paths.items():
            placeholders = re.findall(r"\{[^{}/]+\}", path)
            if len(placeholders) != 1 or not path.endswith(placeholders[0]):
                continue
            item_map = as_mapping(item) or {}
            getter = as_mapping(item_map.get("get"))
            if getter is None:
                continue
            status = self._answer(getter, pointer_child(pointer_child("/paths", path), "get"))
            if status.kind != "json":
                continue
            status_field = self._status_field(status)
            if status_field is None:
                continue
            shared = len(_common_prefix(submit_path, path))
            if best is None or shared > best[0]:
                best = (shared, path, item_map, status_field, status)
        if best is None:
            return None
        _, path, item_map, status_field, status = best
        self._read_statuses(status, status_field)
        error_field = self._first_property(status, _ERROR_NAMES)
        cancel_method, cancel_path = self._cancel(path, item_map)
        job = SpecJob(
            id_field=id_field,
            status_path=path,
            status_field=status_field,
            error_field=error_field,
            cancel_method=cancel_method,
            cancel_path=cancel_path,
        )
        return job, (status.schema, status.pointer)

    def _id_field(self, schema: JsonValue, pointer: str, depth: int = 0) -> str | None:
        """The answer's id property, at its top or (``data.task_id``) in an envelope object."""
        properties: dict[str, tuple[JsonValue, str]] = {}
        for part in object_parts(self.doc, schema, pointer) or []:
            for name, value in (as_mapping(part.schema.get("properties")) or {}).items():
                properties.setdefault(
                    name, (value, pointer_child(pointer_child(part.pointer, "properties"), name))
                )
        found = next((n for n in _ID_NAMES if n in properties), None)
        if found is not None or depth:
            return found
        for envelope in _ENVELOPES:
            if envelope in properties:
                inner = self._id_field(*properties[envelope], depth=1)
                if inner is not None:
                    return f"{envelope}.{inner}"
        return None

    def _status_field(self, status: _Answer) -> str | None:
        return self._first_property(status, _STATUS_NAMES)

    def _first_property(self, answer: _Answer, names: tuple[str, ...]) -> str | None:
        parts = object_parts(self.doc, answer.schema, answer.pointer) or []
        present = {
            name for part in parts for name in (as_mapping(part.schema.get("properties")) or {})
        }
        return next((n for n in names if n in present), None)

    def _read_statuses(self, status: _Answer, field: str) -> None:
        """The status property's enum words, each mapped by meaning (reported when it has none)."""
        for part in object_parts(self.doc, status.schema, status.pointer) or []:
            properties = as_mapping(part.schema.get("properties")) or {}
            if field not in properties:
                continue
            where = pointer_child(pointer_child(part.pointer, "properties"), field)
            target = self.doc.follow(properties[field], where)
            mapping = as_mapping(target.value) if target else None
            words = (mapping or {}).get("enum")
            if not isinstance(words, list):
                # No enum: the words most providers use, each by its meaning.
                words = [w for state in _STATE_WORDS.values() for w in sorted(state)]
                words += ["in_progress", "in-progress", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
            for word in words:
                if not isinstance(word, str):
                    continue
                state = state_of_word(word)
                if state is None:
                    self.doc.warning(
                        where,
                        f"job status {show(word)} has no meaning musicbind knows (queued, "
                        "running, succeeded, failed, canceled); a job reporting it stops with "
                        "an unknown-status error unless the overlay maps it under "
                        "providers.<name>.statuses",
                    )
                    continue
                self.statuses[word] = state

    def _cancel(self, path: str, item: dict[str, JsonValue]) -> tuple[str | None, str | None]:
        if "delete" in item:
            return "DELETE", path
        for suffix in ("/cancel", ":cancel"):
            other = as_mapping(self.paths.get(path + suffix))
            if other is not None and "post" in other:
                return "POST", path + suffix
        return None, None


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        size += 1
    return a[:size]


def _binary_output(where: object) -> tuple[tuple[SpecParam, ...], SpecShape]:
    """The output of a binary answer: the saved file (``spool:`` URL, type and size)."""
    from musicbind.generator.load.records import Location

    location = where if isinstance(where, Location) else Location("")
    fields = (
        SpecParam("url", SpecType(TypeKind.STRING), True, location, "Where the file was saved."),
        SpecParam("content_type", SpecType(TypeKind.STRING), False, location, "Its media type."),
        SpecParam("file_size", SpecType(TypeKind.INTEGER), False, location, "Its size in bytes."),
    )
    shape = SpecShape("AudioFile", fields, location, "The audio file the answer carried.")
    audio = SpecParam(
        "audio",
        SpecType(TypeKind.OBJECT, ref="AudioFile"),
        True,
        location,
        "The audio the provider answered with, saved to disk.",
    )
    return (audio,), shape


def _is_file(spec_type: SpecType) -> bool:
    if spec_type.kind is TypeKind.ARRAY and spec_type.items is not None:
        return spec_type.items.kind is TypeKind.FILE
    return spec_type.kind is TypeKind.FILE


def _media_word(name: str) -> str | None:
    lowered = name.lower()
    for word in ("video", "audio", "image"):
        if word in lowered:
            return word
    return None


def _examples(doc: OpenApiDocument, schema: JsonValue, pointer: str) -> tuple[JsonValue, ...]:
    target = doc.follow(schema, pointer)
    mapping = as_mapping(target.value) if target else None
    if mapping is None:
        return ()
    examples: list[JsonValue] = []
    raw = mapping.get("examples")
    if isinstance(raw, list):
        examples.extend(e for e in raw if isinstance(e, dict))
    if isinstance(mapping.get("example"), dict):
        examples.append(mapping["example"])
    return tuple(examples)
