"""Adversarial suite: the known vectors and documents of every kind with a vector in one field.

Each document kind has a builder: ``build(field, value, uid)`` returns the documents that put
``value`` in ``field`` of an otherwise ordinary document of that kind (plus any companion a
field needs to reach generated code: a gateway page for a gateway OpenAPI document). The
vectors are the known injection history of code generators (see docs/security.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from adversarial_support import PAYLOAD, Document

# The file a local ``$ref`` names and the text it holds: the text must never reach the output.
REF_FILE = "mb_ref_target.json"
REF_MARKER = "MBREF-FILE-MARKER-5d1c0e"
REF_URL_PLACEHOLDER = "{LOOPBACK}"  # replaced by the recording server's origin


@dataclass(frozen=True)
class Vector:
    """One known attack: a name and the text placed in a spec field."""

    name: str
    text: str


VECTORS: tuple[Vector, ...] = (
    Vector("double_quote", f'say "hi" {PAYLOAD}'),
    Vector("triple_double_quote", f'"""; {PAYLOAD}; """'),
    Vector("triple_single_quote", f"'''; {PAYLOAD}; '''"),
    Vector("trailing_backslash", "ends in a backslash \\"),
    Vector("backslash_quote", f'\\"; {PAYLOAD} #'),
    Vector("bare_cr", f"line\r{PAYLOAD}"),
    Vector("crlf", f"line\r\n{PAYLOAD}\r\n"),
    Vector("newline", f"line\n{PAYLOAD}\n"),
    Vector("nul", f"nul\x00{PAYLOAD}"),
    Vector("u2028", f"line\u2028{PAYLOAD}"),
    Vector("u2029", f"para\u2029{PAYLOAD}"),
    Vector("nel_vt_ff", f"nel\x85vt\x0bff\x0c{PAYLOAD}"),
    Vector("hash_newline", "# comment\nimport mbcanary"),
    Vector("default_as_code", PAYLOAD),
    Vector("format_braces", "{" + PAYLOAD + "} %(x)s {0!r:>{1}}"),
    Vector("jinja", "{{ " + PAYLOAD + " }}{% raw %}{#"),
    Vector("keyword", "class"),
    Vector("soft_keyword", "match"),
    Vector("pydantic_attribute", "model_config"),
    Vector("dunder", "__class__"),
    Vector("leading_digits", "1st-take"),
    Vector("hyphens_dots", "a-b.c"),
    Vector("lookalike_fullwidth", "ｄｕｒａｔｉｏｎ"),  # NFKC: "duration", a field beside it
    Vector("lookalike_ligature", "ﬁle_url"),  # NFKC: "file_url"
    Vector("path_traversal", "../../mb_escape"),
    Vector("absolute_path", "/tmp/mb_escape"),
    Vector("windows_path", "..\\..\\mb_escape"),
    Vector("dot_dot", ".."),
    Vector("ref_local_file", f"./{REF_FILE}#/Marker"),
    Vector("ref_url", f"{REF_URL_PLACEHOLDER}/schema.json#/X"),
    Vector("bidi_override", f"admin\u202e{PAYLOAD}"),
    Vector("lone_surrogate", "lone\ud800surrogate"),
    Vector("emoji", "🎵 music"),
    Vector("empty", ""),
    Vector("very_long", "A" * 5000),
    Vector("html_comment", f"<script>{PAYLOAD}</script> --> <!--"),
    Vector("markdown", "| pipe | `tick` **bold** [x](javascript:alert(1))"),
    Vector("yaml_tag", '!!python/object/apply:os.system ["echo mbcanary"]'),
    Vector("shell", "'; rm -rf / #"),
)


def vector_text(vector: Vector, loopback: str) -> str:
    """The vector's text with the recording server's origin filled in."""
    return vector.text.replace(REF_URL_PLACEHOLDER, loopback)


Builder = Callable[[str, str, str], list[Document]]


@dataclass(frozen=True)
class Kind:
    """A document kind: its fields and the builder that puts a value in one of them."""

    name: str
    fields: tuple[str, ...]
    build: Builder


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=True, indent=1).encode("ascii")


def _yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=10_000).encode("ascii")


def _markdown(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _component_ref(name: str) -> str:
    token = name.replace("~", "~0").replace("/", "~1").replace("%", "%25")
    return "#/components/schemas/" + token


# --- fal queue OpenAPI (JSON: anyOf-null dialect; YAML: allOf-wrapper dialect) -------------

FAL_FIELDS = (
    "info.title",
    "info.description",
    "x-fal-metadata.endpointId",
    "x-fal-metadata.category",
    "servers.url",
    "paths.key",
    "property.name",
    "property.description",
    "property.title",
    "property.enum",
    "property.default",
    "property.examples",
    "property.pattern",
    "property.format",
    "component.name",
    "shape.property.name",
    "shape.description",
    "output.property.name",
    "output.property.description",
    "request.example",
    "$ref",
)


def fal_openapi(field: str, value: str, uid: str, *, old_dialect: bool) -> dict[str, Any]:
    """A fal queue document with ``value`` in ``field``."""
    endpoint = value if field == "x-fal-metadata.endpointId" else f"acme/vec-{uid}"
    voice = value if field == "component.name" else "Voice"
    voice_ref: dict[str, Any] = {"$ref": _component_ref(voice)}
    properties: dict[str, Any] = {
        "prompt": {"type": "string", "description": "What to play.", "title": "Prompt"},
        "duration": {"type": "number", "minimum": 1, "maximum": 60},
        "style": {"type": "string", "enum": ["calm", "busy"], "default": "calm"},
        "voice": {"allOf": [voice_ref]} if old_dialect else voice_ref,
    }
    prompt = properties["prompt"]
    simple = {
        "property.description": "description",
        "property.title": "title",
        "property.format": "format",
        "property.pattern": "pattern",
    }
    if field in simple:
        prompt[simple[field]] = value
    elif field == "property.default":
        properties["mood"] = {"type": "string", "default": value}
    elif field == "property.enum":
        properties["style"]["enum"] = ["calm", value]
    elif field == "property.examples":
        prompt["examples"] = [value]
    elif field == "property.name":
        properties[value] = {"type": "string", "description": "A field with a hostile name."}
    elif field == "$ref":
        properties["voice"] = {"$ref": value}
    if not old_dialect:
        properties["duration"] = {"anyOf": [properties["duration"], {"type": "null"}]}
    shape: dict[str, Any] = {
        "type": "object",
        "description": value if field == "shape.description" else "A voice.",
        "properties": {"name": {"type": "string"}},
    }
    if field == "shape.property.name":
        shape["properties"][value] = {"type": "string"}
    outputs: dict[str, Any] = {
        "audio": {"type": "string"},
        "seed": {
            "type": "integer",
            "description": value if field == "output.property.description" else "Seed used.",
        },
    }
    if field == "output.property.name":
        outputs[value] = {"type": "string"}
    media: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/GenInput"}}
    if field == "request.example":
        media["example"] = {"prompt": value}
    path = value if field == "paths.key" else "/" + endpoint.strip("/")
    return {
        "openapi": "3.0.4",
        "info": {
            "title": value if field == "info.title" else f"Vector {uid}",
            "description": value if field == "info.description" else "Made for the suite.",
            "version": "1",
            "x-fal-metadata": {
                "endpointId": endpoint,
                "category": value if field == "x-fal-metadata.category" else "text-to-audio",
            },
        },
        "servers": [{"url": value if field == "servers.url" else "https://queue.fal.run"}],
        "components": {
            "schemas": {
                "GenInput": {
                    "type": "object",
                    "properties": properties,
                    "required": ["prompt", *([value] if field == "property.name" else [])],
                },
                "GenOutput": {"type": "object", "properties": outputs, "required": ["audio"]},
                voice: shape,
            }
        },
        "paths": {
            path: {
                "post": {
                    "requestBody": {"content": {"application/json": media}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }


def build_fal_json(field: str, value: str, uid: str) -> list[Document]:
    """A fal OpenAPI JSON document (new dialect)."""
    data = _json(fal_openapi(field, value, uid, old_dialect=False))
    return [Document(f"fal-{uid}.json", data, "openapi-json (fal)")]


def build_fal_yaml(field: str, value: str, uid: str) -> list[Document]:
    """A fal OpenAPI YAML document (old dialect)."""
    data = _yaml(fal_openapi(field, value, uid, old_dialect=True))
    return [Document(f"fal-{uid}.yaml", data, "openapi-yaml (fal)")]


# --- the gateway's OpenAPI document (YAML), with a model page it applies to ----------------

GATEWAY_OPENAPI_FIELDS = (
    "info.title",
    "servers.url",
    "paths.key",
    "summary",
    "description",
    "property.name",
    "property.description",
    "property.enum",
    "property.default",
    "bearerFormat",
    "$ref",
)


def build_gateway_openapi(field: str, value: str, uid: str) -> list[Document]:
    """The gateway's OpenAPI document with ``value`` in ``field``, and a page it serves."""
    endpoint = f"/v1/audio/music-{uid}"
    properties: dict[str, Any] = {
        "model": {"type": "string", "description": "The model slug."},
        "prompt": {"type": "string", "description": "What to play."},
        "format": {"type": "string", "enum": ["mp3", "wav"], "default": "wav"},
    }
    if field == "property.name":
        properties[value] = {"type": "string"}
    elif field == "property.description":
        properties["prompt"]["description"] = value
    elif field == "property.enum":
        properties["format"]["enum"] = ["mp3", value]
    elif field == "property.default":
        properties["mood"] = {"type": "string", "default": value}
    body: dict[str, Any] = {
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": ["prompt"], "properties": properties}
            }
        }
    }
    operation: dict[str, Any] = {
        "summary": value if field == "summary" else "Make music.",
        "description": value if field == "description" else "Starts a music job.",
        "requestBody": {"$ref": value} if field == "$ref" else body,
        "responses": {"202": {"description": "Accepted."}},
    }
    bearer = value if field == "bearerFormat" else "sk-aig-..."
    document = {
        "openapi": "3.1.0",
        "info": {"title": value if field == "info.title" else "A gateway", "version": "1"},
        "servers": [{"url": value if field == "servers.url" else "https://api.aigateway.sh"}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": bearer}
            }
        },
        "paths": {value if field == "paths.key" else endpoint: {"post": operation}},
    }
    page = gateway_page("", "", uid, post_path=endpoint)
    return [
        Document(f"gwapi-{uid}.yaml", _yaml(document), "openapi-yaml (gateway)"),
        Document(f"gwpage-{uid}.md", _markdown(page), "gateway-page (companion)"),
    ]


# --- Scenario parameter tables ------------------------------------------------------------

SCENARIO_FIELDS = (
    "heading",
    "description",
    "model_id",
    "capabilities",
    "param.name",
    "param.type",
    "param.required",
    "param.default",
    "param.min",
    "param.max",
    "param.allowed",
    "param.description",
)


def build_scenario_table(field: str, value: str, uid: str) -> list[Document]:
    """A Scenario parameter page (current column layout) with ``value`` in ``field``."""

    def cell(name: str, ordinary: str) -> str:
        return value if field == name else ordinary

    text = (
        f"## {cell('heading', 'Vector Model')}\n\n"
        f"{cell('description', 'Makes music from words.')}\n\n"
        f"**Model ID:** `{cell('model_id', f'model_vec-{uid}')}`\n\n"
        f"**Capabilities:** `{cell('capabilities', 'txt2audio')}`\n\n"
        "| Parameter | Type | Required | Default | Min | Max | Allowed Values | Description |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| `prompt` | string | Yes | - | - | - | - | What to play. |\n"
        f"| `{cell('param.name', 'style')}` | {cell('param.type', 'string')} "
        f"| {cell('param.required', 'No')} | {cell('param.default', 'calm')} | - | - "
        f"| {cell('param.allowed', 'calm, busy')} "
        f"| {cell('param.description', 'Flavour of the piece.')} |\n"
        f"| `duration` | number | No | 10 | {cell('param.min', '1')} "
        f"| {cell('param.max', '60')} | - | Length in seconds. |\n"
    )
    return [Document(f"scn-{uid}.md", _markdown(text), "scenario-table")]


SCENARIO_OLD_FIELDS = (
    "heading",
    "model_id",
    "param.name",
    "param.label",
    "param.type",
    "param.default",
    "param.min",
    "param.allowed",
    "param.notes",
)


def build_scenario_old_table(field: str, value: str, uid: str) -> list[Document]:
    """A Scenario parameter page in the older layout (Input / Label / ... / Notes)."""

    def cell(name: str, ordinary: str) -> str:
        return value if field == name else ordinary

    text = (
        "# Audio Models - Parameters Reference\n\n"
        f"## {cell('heading', 'Old Vector Model')}\n\n"
        "Writes a short tune.\n\n"
        f"**Model ID:** `{cell('model_id', f'old/vec-{uid}')}`\n\n"
        "**Capabilities:** `txt2audio`\n\n"
        "| Input | Label | Type | Default | Min | Max | Allowed Values | Notes |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| lyrics | Lyrics | string | – | – | – | – | Required. The words to sing. |\n"
        f"| {cell('param.name', 'preset')} | {cell('param.label', 'Preset Voice')} "
        f"| {cell('param.type', 'string')} | {cell('param.default', 'soft')} "
        f"| {cell('param.min', '–')} | – | {cell('param.allowed', 'soft, bright')} "
        f"| {cell('param.notes', 'Optional voice preset.')} |\n"
    )
    return [Document(f"scnold-{uid}.md", _markdown(text), "scenario-table (old layout)")]


# --- fal model pages ----------------------------------------------------------------------

FAL_PAGE_FIELDS = (
    "title",
    "summary",
    "endpoint",
    "model_id",
    "category",
    "pricing",
    "input.name",
    "input.type",
    "input.description",
    "input.default",
    "input.options",
    "input.range",
    "input.examples",
    "output.name",
    "output.description",
    "full_example",
)


def build_fal_page(field: str, value: str, uid: str) -> list[Document]:
    """A fal model page (LLM markdown) with ``value`` in ``field``."""

    def cell(name: str, ordinary: str) -> str:
        return value if field == name else ordinary

    example = json.dumps({"prompt": value if field == "full_example" else "harp"})
    text = (
        f"# {cell('title', 'Vector Composer')}\n\n"
        f"> {cell('summary', 'Writes short pieces of music.')}\n\n"
        "## Overview\n\n"
        f"- **Endpoint**: `https://fal.run/{cell('endpoint', f'acme/page-{uid}')}`\n"
        f"- **Model ID**: `{cell('model_id', f'acme/page-{uid}')}`\n"
        f"- **Category**: {cell('category', 'text-to-audio')}\n\n"
        "## Pricing\n\n"
        f"Your request will cost **{cell('pricing', '$0.02')}** per second of audio.\n\n"
        "### Input Schema\n\n"
        "- **`prompt`** (`string`, _required_):\n"
        f"  {cell('input.description', 'What the music should sound like.')}\n"
        f'  - Examples: "{cell("input.examples", "a slow harp melody")}"\n\n'
        f"- **`{cell('input.name', 'mode')}`** (`{cell('input.type', 'string')}`, _optional_):\n"
        "  How the model plans the structure.\n"
        f"  - Default: `{cell('input.default', 'calm')}`\n"
        f'  - Options: `"calm"`, `"{cell("input.options", "busy")}"`\n\n'
        "- **`steps`** (`integer`, _optional_):\n"
        "  Refinement passes.\n"
        f"  - Range: `1` to `{cell('input.range', '50')}`\n\n"
        "**Full Example**:\n\n"
        f"```json\n{example}\n```\n\n"
        "### Output Schema\n\n"
        f"- **`{cell('output.name', 'audio')}`** (`File`, _required_):\n"
        f"  {cell('output.description', 'The generated piece.')}\n"
    )
    return [Document(f"falpage-{uid}.md", _markdown(text), "fal-page")]


# --- AIgateway model pages ----------------------------------------------------------------

GATEWAY_PAGE_FIELDS = (
    "title",
    "slug",
    "provider",
    "category",
    "summary",
    "pricing",
    "post_url",
    "body.key",
    "body.value",
    "body.hint",
    "result.key",
)


def gateway_page(field: str, value: str, uid: str, *, post_path: str = "/v1/audio/music") -> str:
    """An AIgateway model page with ``value`` in ``field``."""

    def cell(name: str, ordinary: str) -> str:
        return value if field == name else ordinary

    slug = cell("slug", f"acme/gw-{uid}")
    key = json.dumps(cell("body.key", "format"))
    result_key = json.dumps(cell("result.key", "url"))
    return (
        f"# {cell('title', 'Vector Groove')}\n\n"
        f"slug · {slug} · provider · {cell('provider', 'Acme')} · "
        f"category · {cell('category', 'music')}\n\n"
        f"{cell('summary', 'An invented music model.')}\n\n"
        "## Pricing\n\n"
        f"Billed at {cell('pricing', '$0.0021')} per second of generated audio.\n\n"
        "## API schema\n\n"
        f"POST {cell('post_url', 'https://api.aigateway.sh' + post_path)}\n\n"
        "### Request body\n\n"
        "```json\n"
        "{\n"
        f'  "model": {json.dumps(slug)},\n'
        f'  "prompt": {json.dumps(cell("body.value", "funky bass"))},\n'
        f'  {key}: "wav",   // {cell("body.hint", "mp3 | wav")}\n'
        '  "duration": 12.5\n'
        "}\n"
        "```\n\n"
        "### Response\n\n"
        "```json\n"
        '{"id": "job_1", "status": "queued"}\n\n'
        "// Finished:\n"
        f'{{"id": "job_1", "status": "completed", "result": {{{result_key}: '
        '"https://example.invalid/a.wav", "duration": 12.5}}\n'
        "```\n"
    )


def build_gateway_page(field: str, value: str, uid: str) -> list[Document]:
    """An AIgateway model page document."""
    return [Document(f"gw-{uid}.md", _markdown(gateway_page(field, value, uid)), "gateway-page")]


KINDS: tuple[Kind, ...] = (
    Kind("openapi-json (fal dialect)", FAL_FIELDS, build_fal_json),
    Kind("openapi-yaml (fal old dialect)", FAL_FIELDS, build_fal_yaml),
    Kind("openapi-yaml (gateway)", GATEWAY_OPENAPI_FIELDS, build_gateway_openapi),
    Kind("scenario-table", SCENARIO_FIELDS, build_scenario_table),
    Kind("scenario-table (old layout)", SCENARIO_OLD_FIELDS, build_scenario_old_table),
    Kind("fal-page", FAL_PAGE_FIELDS, build_fal_page),
    Kind("gateway-page", GATEWAY_PAGE_FIELDS, build_gateway_page),
)
