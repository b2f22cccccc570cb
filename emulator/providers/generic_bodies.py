"""Emulator: a generic provider's submit body (JSON or multipart) as fields to validate.

A multipart form's fields are typed as the binding's input model says (numbers, booleans,
JSON for arrays and objects: a form sends text); its files are stored by the emulator and
given to the model as the URL it serves them at (their bytes for a ``bytes`` field).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from musicbind.emulator.ledger import payload_hash
from musicbind.emulator.providers import common
from musicbind.emulator.state import Emulator
from musicbind.runtime.binding import HttpOperation

FORM = "application/x-www-form-urlencoded"


def read_body(
    request: Request, emu: Emulator, ref: str, operation: HttpOperation, raw: bytes
) -> tuple[dict[str, Any] | None, str, str | None]:
    """(body fields, payload hash, problem) of a JSON, multipart or url-encoded submit."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM):  # a form without files; frameworks take it as multipart
        return _urlencoded(emu, ref, raw)
    if operation.body == "multipart" or content_type.startswith("multipart/"):
        return _multipart(emu, ref, raw, content_type, common.origin(request))
    if not raw.strip():
        return {}, payload_hash({}), None
    try:
        body = json.loads(raw)
    except ValueError as exc:
        return None, "", f"the request body is not valid JSON: {exc}"
    if not isinstance(body, dict):
        return None, payload_hash(body), "the request body must be a JSON object"
    return body, payload_hash(body), None


def _multipart(
    emu: Emulator, ref: str, raw: bytes, content_type: str, origin: str
) -> tuple[dict[str, Any] | None, str, str | None]:
    """Form fields (typed as the input model's schema says) and files (stored, by URL)."""
    if "boundary=" not in content_type:
        return None, "", "expected a multipart/form-data body with a boundary"
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return None, "", "the multipart body cannot be read"
    binding = emu.catalogue.binding(ref)
    provider = ref.split(":", 1)[0]
    properties = input_properties(binding)
    fields: dict[str, list[Any]] = {}
    digests: dict[str, list[str]] = {}
    for part in message.iter_parts():
        field = part.get_param("name", header="content-disposition")
        if not isinstance(field, str):
            continue
        content = part.get_payload(decode=True)
        content = content if isinstance(content, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            kind = part.get_content_type() or "application/octet-stream"
            path = emu.add_upload(provider, filename, content, kind)
            wants_bytes = _wants_bytes(binding, field)
            fields.setdefault(field, []).append(content if wants_bytes else f"{origin}/{path}")
            digests.setdefault(field, []).append(hashlib.sha256(content).hexdigest())
            continue
        text = content.decode(part.get_content_charset() or "utf-8", "replace")
        fields.setdefault(field, []).append(typed_value(text, properties.get(field, {})))
        digests.setdefault(field, []).append(text)
    return _form_body(fields, properties), payload_hash(digests), None


def _urlencoded(
    emu: Emulator, ref: str, raw: bytes
) -> tuple[dict[str, Any] | None, str, str | None]:
    """An ``application/x-www-form-urlencoded`` form's fields, typed as for multipart."""
    try:
        pairs = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return None, "", "the form is not UTF-8 text"
    properties = input_properties(emu.catalogue.binding(ref))
    fields = {
        name: [typed_value(text, properties.get(name, {})) for text in texts]
        for name, texts in pairs.items()
    }
    return _form_body(fields, properties), payload_hash(pairs), None


def _form_body(
    fields: Mapping[str, list[Any]], properties: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """One value per field; a list for an array field (repeated, or one JSON array)."""
    body: dict[str, Any] = {}
    for field, items in fields.items():
        if "array" not in _schema_types(properties.get(field, {})):
            body[field] = items[-1]
        elif len(items) == 1 and isinstance(items[0], list):  # one part holding a JSON array
            body[field] = items[0]
        else:
            body[field] = items
    return body


def input_properties(binding: Any) -> dict[str, dict[str, Any]]:
    if binding is None:
        return {}
    try:
        schema = binding.input_model.model_json_schema(mode="validation")
    except Exception:  # no schema: the form fields stay text
        return {}
    properties = schema.get("properties")
    return dict(properties) if isinstance(properties, dict) else {}


def _schema_types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    found = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()
    for key in ("anyOf", "oneOf"):
        for alternative in schema.get(key) or ():
            if isinstance(alternative, Mapping):
                found |= _schema_types(alternative)
    if isinstance(schema.get("enum"), list):
        found |= {type(v).__name__ for v in schema["enum"]}
    return found


def _wants_bytes(binding: Any, wire_name: str) -> bool:
    """Whether the input field takes the file's bytes (``bytes``), not where it is stored."""
    if binding is None:
        return False
    for name, info in binding.input_model.model_fields.items():
        if wire_name in (name, info.alias):
            return "bytes" in str(info.annotation)
    return False


def typed_value(text: str, schema: Mapping[str, Any]) -> Any:
    """A form field's text as the JSON value its schema expects (numbers, booleans, JSON)."""
    kinds = _schema_types(schema)
    if "string" in kinds or "str" in kinds:
        return text
    if kinds & {"integer", "int"}:
        try:
            return int(text)
        except ValueError:
            pass
    if kinds & {"number", "float"}:
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in kinds and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kinds & {"object", "array"}:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text
