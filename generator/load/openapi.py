"""Load stage: OpenAPI 3.0/3.1 documents (JSON or YAML) -> SpecDocument.

Which models a document yields:

* a fal queue document (``info.x-fal-metadata.endpointId``): one model, its inputs from the
  JSON body of ``POST /{endpointId}`` (else the one schema named ``*Input``), its outputs from
  the 200 answer of ``GET /{endpointId}/requests/{request_id}`` (else ``*Output``);
* Scenario's platform document (servers on scenario.com): no models; its generate body is
  free-form and per-model parameters come from Scenario's parameter pages;
* any other document (the gateway's): one endpoint template per POST operation whose JSON body
  is an object with a ``model`` property; the model id and endpoint are the path.

``SpecModel.provider`` is a string, so a model from a document whose provider cannot be told
from its servers or security schemes gets ``""``; the manifest names the provider then.
Schemas are read by :mod:`generator.load.openapi_schema`; nothing here raises on bad input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

from musicbind.generator.load.dialects import Dialect
from musicbind.generator.load.document_text import read_document
from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, as_text, show
from musicbind.generator.load.openapi_generic import GenericReader
from musicbind.generator.load.openapi_schema import SchemaReader
from musicbind.generator.load.openapi_structure import camel, object_parts
from musicbind.generator.load.records import (
    DocumentKind,
    JsonValue,
    SpecDocument,
    SpecModel,
    SpecParam,
)
from musicbind.generator.providers import endpoint_operation

_SUCCESS_CODES = ("200", "201", "202")
_FAL_METADATA = "/info/x-fal-metadata"


# An OpenAPI 3 (or Swagger 2.0) document whose text does not parse is still recognisably one
# (and its syntax error is reported as such): JSON that opens with ``{`` and says
# ``"openapi": "3.`` (``"swagger": "2.0``), or YAML whose first statement says so.
_BROKEN_JSON = re.compile(
    r'\A\s*\{.{0,4000}?"(?:openapi"\s*:\s*"?3\.|swagger"\s*:\s*"?2\.0)', re.DOTALL
)
_BROKEN_YAML = re.compile(
    r"\A(?:\s*(?:#[^\n]*|---|%[^\n]*)?\n)*(?:openapi\s*:\s*['\"]?3\.|swagger\s*:\s*['\"]?2\.0)"
)


def looks_like(text: str) -> bool:
    """Whether ``text`` is a JSON or YAML mapping whose ``openapi`` key says version 3.x
    (or text that says so but is not valid JSON or YAML)."""
    parsed = read_document(text, "")
    if not parsed.readable:
        bare = text.removeprefix("\ufeff")
        return bool(_BROKEN_JSON.match(bare) or _BROKEN_YAML.match(bare))
    root = as_mapping(parsed.value)
    return root is not None and (
        is_version_3(root.get("openapi")) or is_swagger_2(root.get("swagger"))
    )


def load(text: str, path: str) -> SpecDocument:
    """Read one OpenAPI document; every problem found is in the result, located by pointer
    (invalid JSON or YAML, and the text's other flaws, by line and column)."""
    sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    parsed = read_document(text, path)
    doc = OpenApiDocument(parsed, path)
    if not parsed.readable:
        return SpecDocument(path, DocumentKind.OPENAPI, sha256, problems=doc.problems())
    root = as_mapping(parsed.value)
    if root is None:
        doc.error(
            "", f"an OpenAPI document must be a mapping at the top level, got {show(parsed.value)}"
        )
        return SpecDocument(path, DocumentKind.OPENAPI, sha256, problems=doc.problems())
    if is_swagger_2(root.get("swagger")) and "openapi" not in root:
        return _generic_document(doc, root, path, sha256, swagger=True)
    if not is_version_3(root.get("openapi")):
        doc.error(
            "/openapi" if "openapi" in root else "",
            f"openapi version {show(root.get('openapi'))} is not supported; musicbind reads "
            "OpenAPI 3.0 and 3.1 documents (openapi: 3.0.x or 3.1.x)",
        )
        return SpecDocument(path, DocumentKind.OPENAPI, sha256, problems=doc.problems())
    provider = detect_provider(root)
    if provider is None:
        return _generic_document(doc, root, path, sha256, swagger=False)
    models = _read_models(doc, root, provider)
    dialects = (
        fal_queue_dialects(doc) if "x-fal-metadata" in (as_mapping(root.get("info")) or {}) else ()
    )
    return SpecDocument(
        path, DocumentKind.OPENAPI, sha256, provider, models, doc.problems(), dialects=dialects
    )


def _generic_document(
    doc: OpenApiDocument, root: dict[str, JsonValue], path: str, sha256: str, *, swagger: bool
) -> SpecDocument:
    """A provider musicbind has no protocol for: one model per operation with a body."""
    reader = GenericReader(doc, root, swagger)
    models = reader.models()
    facts = reader.provider()
    name = facts.name if facts is not None and facts.name and models else None
    if name is not None:
        models = tuple(replace(m, provider=name) for m in models)
    return SpecDocument(
        path,
        DocumentKind.OPENAPI,
        sha256,
        name,
        models,
        doc.problems(),
        provider_facts=facts if models else None,
    )


def detect_provider(root: dict[str, JsonValue]) -> str | None:
    """``fal``, ``aigateway`` or ``scenario`` from the metadata, servers and security schemes."""
    info = as_mapping(root.get("info")) or {}
    if "x-fal-metadata" in info:
        return "fal"
    hosts = _server_hosts(root)
    if any("aigateway" in host for host in hosts) or _has_aigateway_bearer(root):
        return "aigateway"
    if any(host == "scenario.com" or host.endswith(".scenario.com") for host in hosts):
        return "scenario"
    if any(host.endswith(("fal.run", "fal.ai")) for host in hosts):
        return "fal"
    return None


def is_swagger_2(value: JsonValue) -> bool:
    """Whether ``swagger`` says 2.0 (a Swagger 2.0 document)."""
    return value in ("2.0", 2.0, 2)


def is_version_3(value: JsonValue) -> bool:
    if isinstance(value, str):
        return value.startswith("3.")
    return isinstance(value, int | float) and not isinstance(value, bool) and 3 <= value < 4


def _server_hosts(root: dict[str, JsonValue]) -> list[str]:
    servers = root.get("servers")
    hosts = []
    for server in servers if isinstance(servers, list) else []:
        url = as_text((as_mapping(server) or {}).get("url"))
        if url:
            hosts.append(_host(url))
    return hosts


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return (host or url).lower()


def _has_aigateway_bearer(root: dict[str, JsonValue]) -> bool:
    components = as_mapping(root.get("components")) or {}
    schemes = as_mapping(components.get("securitySchemes")) or {}
    for scheme in schemes.values():
        bearer_format = as_text((as_mapping(scheme) or {}).get("bearerFormat")) or ""
        if bearer_format.startswith("sk-aig"):
            return True
    return False


def _read_models(
    doc: OpenApiDocument, root: dict[str, JsonValue], provider: str | None
) -> tuple[SpecModel, ...]:
    info = as_mapping(root.get("info")) or {}
    if "x-fal-metadata" in info:
        model = _read_fal_model(doc, root, info)
        return () if model is None else (model,)
    if provider == "scenario":
        return ()
    return _read_endpoint_templates(doc, root, provider or "")


# fal queue documents -------------------------------------------------------------------------


def _read_fal_model(
    doc: OpenApiDocument, root: dict[str, JsonValue], info: dict[str, JsonValue]
) -> SpecModel | None:
    metadata = as_mapping(info.get("x-fal-metadata"))
    if metadata is None:
        doc.error(_FAL_METADATA, "x-fal-metadata must be a mapping with endpointId and category")
        return None
    endpoint_id = as_text(metadata.get("endpointId"))
    if not endpoint_id or not endpoint_id.strip("/"):
        doc.error(
            pointer_child(_FAL_METADATA, "endpointId")
            if "endpointId" in metadata
            else _FAL_METADATA,
            f"x-fal-metadata.endpointId must name the endpoint, e.g. 'fal-ai/playai/tts/v3'; got "
            f"{show(metadata.get('endpointId'))}",
        )
        return None
    category = metadata.get("category")
    if category is not None and not isinstance(category, str):
        doc.warning(
            pointer_child(_FAL_METADATA, "category"),
            f"category should be text, got {show(category)}",
        )
    model = read_fal_endpoint(doc, root, endpoint_id, pointer_child(_FAL_METADATA, "endpointId"))
    return replace(
        model,
        title=as_text(info.get("title")) or "",
        description=as_text(info.get("description")) or "",
        category=category if isinstance(category, str) else None,
    )


def read_fal_endpoint(
    doc: OpenApiDocument, root: dict[str, JsonValue], endpoint_id: str, where: str
) -> SpecModel:
    """The model of a fal queue document for ``endpoint_id`` (named at pointer ``where``)."""
    paths = as_mapping(root.get("paths")) or {}
    submit_path = "/" + endpoint_id.strip("/")
    body = _fal_body(doc, paths, submit_path, "post", "Input", _request_schema)
    result = _fal_body(
        doc, paths, _result_path(paths, submit_path), "get", "Output", _response_schema
    )
    reader = SchemaReader(doc)
    hint = camel(endpoint_id)
    inputs = _read_params(
        doc, reader, body, hint + "Input", f"the request body of POST {submit_path}"
    )
    outputs = _read_params(
        doc,
        reader,
        result,
        hint + "Output",
        f"the result of GET {submit_path}/requests/{{request_id}}",
    )
    return SpecModel(
        provider="fal",
        model_id=endpoint_id,
        location=doc.locate(where),
        inputs=inputs,
        outputs=outputs,
        shapes=reader.shapes(),
        input_examples=_examples(doc, body),
        output_examples=_examples(doc, result),
        endpoint=endpoint_id,
    )


def fal_queue_dialects(doc: OpenApiDocument) -> tuple[Dialect, ...]:
    """The fal queue dialects whose marks the component schemas' properties show (both, one
    or none): ``allOf: [{$ref}]`` wrappers (older) and ``anyOf: [..., {type: null}]``
    optionals (newer); see :class:`generator.load.dialects.Dialect`."""
    found: set[Dialect] = set()
    for schema in doc.component_schemas().values():
        properties = as_mapping((as_mapping(schema) or {}).get("properties")) or {}
        for prop in properties.values():
            mapping = as_mapping(prop) or {}
            all_of = mapping.get("allOf")
            if (
                isinstance(all_of, list)
                and len(all_of) == 1
                and "$ref" in (as_mapping(all_of[0]) or {})
            ):
                found.add(Dialect.FAL_QUEUE_ALLOF_REFS)
            any_of = mapping.get("anyOf")
            if isinstance(any_of, list) and {"type": "null"} in any_of:
                found.add(Dialect.FAL_QUEUE_ANYOF_NULL)
    return tuple(dialect for dialect in Dialect if dialect in found)


_Body = tuple[JsonValue, str, dict[str, JsonValue] | None]  # schema, its pointer, the media object


_REQUEST_ID = re.compile(r"\{[^/{}]+\}")


def _result_path(paths: dict[str, JsonValue], submit_path: str) -> str | None:
    """``<submit path>/requests/{request_id}`` (any one placeholder name), when it is there."""
    prefix = submit_path + "/requests/"
    return next(
        (p for p in paths if p.startswith(prefix) and _REQUEST_ID.fullmatch(p[len(prefix) :])),
        None,
    )


def _fal_body(
    doc: OpenApiDocument,
    paths: dict[str, JsonValue],
    path: str | None,
    method: str,
    suffix: str,
    find: Callable[[OpenApiDocument, dict[str, JsonValue], str], _Body | None],
) -> _Body | None:
    """The schema of one fal operation, else the one component schema named ``*<suffix>``."""
    operation = as_mapping((as_mapping(paths.get(path)) or {}).get(method)) if path else None
    if operation is not None:
        operation_pointer = pointer_child(pointer_child("/paths", path or ""), method)
        found = find(doc, operation, operation_pointer)
        if found is not None:
            return found
    names = [name for name in doc.component_schemas() if name.endswith(suffix)]
    if len(names) == 1:
        pointer = pointer_child("/components/schemas", names[0])
        return doc.component_schemas()[names[0]], pointer, None
    return None


def _read_params(
    doc: OpenApiDocument, reader: SchemaReader, body: _Body | None, hint: str, what: str
) -> tuple[SpecParam, ...] | None:
    if body is None:
        where = "/paths" if "paths" in (as_mapping(doc.root) or {}) else ""
        doc.warning(
            where,
            f"found no schema for {what}, nor one component schema to fall back on; "
            "it is left unknown",
        )
        return None
    schema, pointer, _ = body
    params = reader.read_object(schema, pointer, hint)
    if params is None:
        doc.warning(
            pointer, f"the schema of {what} is not an object with properties; it is left unknown"
        )
    return params


def _examples(doc: OpenApiDocument, body: _Body | None) -> tuple[JsonValue, ...]:
    return () if body is None else doc.payload_examples(*body)


# operations ----------------------------------------------------------------------------------


def _json_media(doc: OpenApiDocument, holder: JsonValue, pointer: str) -> _Body | None:
    """The JSON schema of a request body or response (after following ``$ref``)."""
    target = doc.follow(holder, pointer)
    content = as_mapping((as_mapping(target.value) or {}).get("content")) if target else None
    if target is None or content is None:
        return None
    for media_type, media in content.items():
        base = media_type.split(";", 1)[0].strip().lower()
        media_object = as_mapping(media)
        if (
            (base == "application/json" or base.endswith("+json"))
            and media_object
            and "schema" in media_object
        ):
            content_pointer = pointer_child(pointer_child(target.pointer, "content"), media_type)
            return media_object["schema"], pointer_child(content_pointer, "schema"), media_object
    return None


def _request_schema(
    doc: OpenApiDocument, operation: dict[str, JsonValue], pointer: str
) -> _Body | None:
    if "requestBody" not in operation:
        return None
    return _json_media(doc, operation["requestBody"], pointer_child(pointer, "requestBody"))


def _response_schema(
    doc: OpenApiDocument, operation: dict[str, JsonValue], pointer: str
) -> _Body | None:
    responses = as_mapping(operation.get("responses")) or {}
    for code in _SUCCESS_CODES:
        if code in responses:
            found = _json_media(
                doc, responses[code], pointer_child(pointer_child(pointer, "responses"), code)
            )
            if found is not None:
                return found
    return None


# gateway and other documents ------------------------------------------------------------------


def _read_endpoint_templates(
    doc: OpenApiDocument, root: dict[str, JsonValue], provider: str
) -> tuple[SpecModel, ...]:
    paths = root.get("paths")
    if paths is not None and not isinstance(paths, dict):
        doc.error("/paths", f"paths must map paths to operations, got {show(paths)}")
        return ()
    models = []
    for path, item in (paths or {}).items():
        operation = as_mapping((as_mapping(item) or {}).get("post"))
        if operation is None:
            continue
        model = _read_endpoint_template(doc, path, operation, provider)
        if model is not None:
            models.append(replace(model, operation=endpoint_operation(provider, paths or {}, path)))
    return tuple(models)


def _read_endpoint_template(
    doc: OpenApiDocument, path: str, operation: dict[str, JsonValue], provider: str
) -> SpecModel | None:
    pointer = pointer_child(pointer_child("/paths", path), "post")
    body = _request_schema(doc, operation, pointer)
    if body is None:
        return None
    parts = object_parts(doc, body[0], body[1])
    if parts is None or not any(
        "model" in (as_mapping(p.schema.get("properties")) or {}) for p in parts
    ):
        return None
    reader = SchemaReader(doc)
    inputs = reader.read_object(body[0], body[1], camel(path) + "Request")
    result = _response_schema(doc, operation, pointer)
    outputs = reader.read_object(result[0], result[1], camel(path) + "Response") if result else None
    return SpecModel(
        provider=provider,
        model_id=path,
        location=doc.locate(pointer),
        title=as_text(operation.get("summary")) or "",
        description=as_text(operation.get("description")) or "",
        inputs=inputs,
        outputs=outputs,
        shapes=reader.shapes(),
        input_examples=_examples(doc, body),
        output_examples=_examples(doc, result),
        endpoint=path,
        endpoint_template=True,
    )
