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

The provider facts are read by :mod:`openapi_generic_provider`, answers and jobs by
:mod:`openapi_generic_jobs`. Nothing here raises on bad input; every problem is located by
pointer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, as_text, show
from musicbind.generator.load.openapi_generic_jobs import AnswerReader
from musicbind.generator.load.openapi_generic_provider import provider_facts
from musicbind.generator.load.openapi_schema import SchemaReader
from musicbind.generator.load.openapi_structure import camel, object_parts
from musicbind.generator.load.records import (
    JsonValue,
    Location,
    SpecModel,
    SpecOperation,
    SpecParam,
    SpecProvider,
    SpecShape,
    SpecType,
    TypeKind,
)
from musicbind.generator.providers import GENERIC, is_file_input

_BODY_METHODS = ("post", "put", "patch")
_MULTIPART = "multipart/form-data"
_FORM = "application/x-www-form-urlencoded"
# A request body: its schema, the schema's pointer, "json" | "multipart" | "form", the media object
_RequestBody = tuple[JsonValue, str, str, dict[str, JsonValue] | None]


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
        self.answers = AnswerReader(doc, root, self.swagger, self.paths)

    def provider(self) -> SpecProvider | None:
        """The provider facts (after :meth:`models`, which reads the job status words)."""
        return provider_facts(self.doc, self.root, self.swagger, self.answers.statuses)

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
        schema, body_pointer, body_kind, media = body
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
        answer = self.answers.answer(operation, pointer)
        job = self.answers.job(path, answer) if answer.kind == "json" else None
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
        files = (
            tuple(p.wire_name for p in inputs if is_file_input(GENERIC, p.wire_name, p.type))
            if body_kind
            else ()
        )
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
            input_examples=() if params else self.doc.payload_examples(schema, body_pointer, media),
            endpoint=path,
            operation=spec_operation,
        )

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
    ) -> _RequestBody | None:
        """(schema, its pointer, "json", "multipart" or "form", the media object) of the
        operation's body (Swagger 2.0 has no media object)."""
        if self.swagger:
            return self._swagger_body(item, operation, pointer)
        if "requestBody" not in operation:
            return None
        target = self.doc.follow(operation["requestBody"], pointer_child(pointer, "requestBody"))
        content = as_mapping((as_mapping(target.value) or {}).get("content")) if target else None
        if target is None or not content:
            return None
        found: dict[str, _RequestBody] = {}
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
                schema_pointer = pointer_child(holder, "schema")
                found[kind] = (media_object["schema"], schema_pointer, kind, media_object)
        for kind in ("json", "multipart", "form"):
            if kind in found:
                return found[kind]
        self.doc.warning(
            pointer_child(target.pointer, "content"),
            f"{path}: the request body is neither JSON nor a form (multipart or urlencoded) "
            f"({', '.join(content)}); the operation is not bound",
        )
        return None

    def _swagger_body(
        self, item: dict[str, JsonValue], operation: dict[str, JsonValue], pointer: str
    ) -> _RequestBody | None:
        form: dict[str, JsonValue] = {}
        required: list[JsonValue] = []
        for param, where in self._swagger_parameters(item, operation, pointer):
            place = param.get("in")
            if place == "body" and "schema" in param:
                return param["schema"], pointer_child(where, "schema"), "json", None
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
        return schema, pointer_child(pointer, "parameters"), "multipart", None

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


def _binary_output(location: Location) -> tuple[tuple[SpecParam, ...], SpecShape]:
    """The output of a binary answer: the saved file (``spool:`` URL, type and size)."""
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


def _media_word(name: str) -> str | None:
    lowered = name.lower()
    for word in ("video", "audio", "image"):
        if word in lowered:
            return word
    return None
