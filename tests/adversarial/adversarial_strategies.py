"""Adversarial suite: hypothesis strategies for whole spec documents of every kind.

Documents are made up, not mutated copies. Three in four are *tame*: a sound structure
(types a loader knows, bounds in order, allowed values of the right type) carrying hostile
text wherever text goes (descriptions, titles, categories, enum values, defaults, names:
keywords, digits, look-alikes, path separators, the known vectors), so that most of them
reach generated code. One in four is *wild*: any type word, inverted bounds, enums of mixed
types, defaults of any JSON value, patterns of any text, raw control characters, dangling
references. Each strategy draws one document (file name suffix, bytes, kind); ``UID`` in
the bytes is replaced by a number unique in the run.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from adversarial_documents import VECTORS, gateway_page
from hypothesis import strategies as st

# Text: the known vectors, arbitrary unicode (lone surrogates included), identifiers.
hostile_text = st.one_of(
    st.sampled_from([v.text for v in VECTORS]),
    st.text(max_size=30),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=12),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-./]{0,20}", fullmatch=True),
    st.sampled_from(["class", "self", "model_config", "json", "1st", "a-b", "__init__", ""]),
)
# Text that keeps a markdown line a line (a tame page stays a page).
_BREAKERS = set("\x00\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029|`*_[]<>#\\")
line_text = hostile_text.filter(lambda t: not _BREAKERS & set(t) and t.strip() == t)
# One-word names: keywords, digits, hyphens, dots, look-alikes, dunders.
WORDS = (
    *("class", "match", "self", "model_config", "json", "1st-take", "a-b.c", "ｄｕｒａｔｉｏｎ"),
    *("ﬁle_url", "__class__", "l", "O", "input", "open", "property", "cast", "🎵"),
)
word_names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), st.sampled_from(WORDS)
)
any_names = st.one_of(word_names, hostile_text.filter(lambda t: len(t) < 200))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_names, inner, max_size=3),
    max_leaves=6,
)
numbers = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
wild = st.integers(0, 3).map(lambda n: n == 0)
TYPES = ("string", "integer", "number", "boolean", "array", "object")
VALUES = {
    "string": hostile_text,
    "integer": st.integers(-(10**6), 10**6),
    "number": numbers,
    "boolean": st.booleans(),
}


@st.composite
def tame_schema(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """A sound schema with hostile text: consistent bounds, values of the right type."""
    kind = draw(st.sampled_from(TYPES if depth < 2 else TYPES[:4]))
    schema: dict[str, Any] = {"type": kind, "description": draw(hostile_text)}
    if kind in ("integer", "number") and draw(st.booleans()):
        low, high = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2)))
        schema.update(minimum=low, maximum=high)
    if kind == "string" and draw(st.booleans()):
        low, high = sorted(draw(st.lists(st.integers(0, 50), min_size=2, max_size=2)))
        schema.update(minLength=low, maxLength=high)
    if kind in VALUES and draw(st.integers(0, 2)) == 0:
        schema["enum"] = draw(st.lists(VALUES[kind], min_size=1, max_size=4, unique_by=repr))
        if draw(st.booleans()):
            schema["default"] = schema["enum"][0]
    elif (
        kind in VALUES
        and draw(st.integers(0, 2)) == 0
        and not {"minimum", "minLength"} & set(schema)
    ):
        schema["default"] = draw(VALUES[kind])
    if kind == "array":
        schema["items"] = draw(tame_schema(depth + 1))
    if kind == "object":
        schema["properties"] = draw(st.dictionaries(any_names, tame_schema(depth + 1), max_size=2))
    if draw(st.integers(0, 4)) == 0:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


@st.composite
def wild_schema(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    """Any schema: unknown types, inverted bounds, mixed enums, dangling references."""
    kind = draw(st.sampled_from((*TYPES, "null", "file", "weird")))
    schema: dict[str, Any] = {"type": kind}
    if kind == "weird":
        keys = st.sampled_from(["type", "enum", "anyOf", "$ref"])
        schema = draw(st.dictionaries(keys, json_values, max_size=2))
    if kind == "array":
        schema["items"] = draw(wild_schema(depth + 1)) if depth < 2 else {"type": "string"}
    if kind == "object" and depth < 2:
        schema["properties"] = draw(st.dictionaries(any_names, wild_schema(depth + 1), max_size=2))
    if draw(st.booleans()):
        schema["minimum"], schema["maximum"] = draw(numbers), draw(numbers)
    if draw(st.booleans()):
        schema["minLength"], schema["maxLength"] = (
            draw(st.integers(-2, 20)),
            draw(st.integers(-2, 20)),
        )
    if draw(st.integers(0, 3)) == 0:
        schema["enum"] = draw(st.lists(json_scalars, min_size=1, max_size=4))
    if draw(st.integers(0, 3)) == 0:
        schema["default"] = draw(json_values)
    if draw(st.integers(0, 4)) == 0:
        patterns = st.sampled_from(["^a+$", "(?=x)", "[[:alpha:]]", "a{1000}{1000}", "\\"])
        schema["pattern"] = draw(st.one_of(hostile_text, patterns))
    if draw(st.integers(0, 4)) == 0:
        schema["examples"] = draw(st.lists(json_values, max_size=2))
    if draw(st.integers(0, 5)) == 0:
        schema = {"anyOf": [schema, {"type": "null"}]}
    if draw(st.integers(0, 8)) == 0:
        targets = ["#/components/schemas/Shape", "#/components/schemas/Missing", "#/x/y"]
        schema = {"$ref": draw(st.sampled_from(targets))}
    return schema


@st.composite
def fal_openapi(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A fal queue OpenAPI document, as JSON or YAML."""
    schemas = wild_schema if draw(wild) else tame_schema
    endpoint = f"acme/{draw(any_names)}-UID"
    properties = draw(st.dictionaries(any_names, schemas(), min_size=1, max_size=4))
    required = draw(st.lists(st.sampled_from([*properties, "ghost"]), max_size=3, unique=True))
    outputs = draw(st.dictionaries(any_names, schemas(), min_size=1, max_size=2))
    document = {
        "openapi": draw(st.sampled_from(["3.0.4", "3.1.0"])),
        "info": {
            "title": draw(hostile_text),
            "description": draw(hostile_text),
            "version": "1",
            "x-fal-metadata": {"endpointId": endpoint, "category": draw(hostile_text)},
        },
        "components": {
            "schemas": {
                "GenInput": {"type": "object", "properties": properties, "required": required},
                "GenOutput": {"type": "object", "properties": outputs},
                "Shape": {"type": "object", "properties": {draw(any_names): draw(schemas(1))}},
            }
        },
        "paths": {
            f"/{endpoint}": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/GenInput"}
                            }
                        }
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    if draw(st.booleans()):
        text = json.dumps(document, ensure_ascii=draw(st.booleans()))
        return ".json", text.encode("utf-8", "surrogatepass"), "openapi-json"
    text = yaml.safe_dump(document, allow_unicode=False, sort_keys=False)
    return ".yaml", text.encode("ascii"), "openapi-yaml"


SCENARIO_TYPES = (
    "string",
    "number",
    "integer",
    "boolean",
    "file",
    "file (audio)",
    "file_array",
    "string_array",
    "number_array",
    "inputs_array",
)


@st.composite
def scenario_row(draw: st.DrawFn, old: bool, is_wild: bool) -> str:
    """One parameter row: sound cells for its type, or anything."""
    name = draw(any_names if is_wild else word_names)
    if is_wild:
        cells = [draw(hostile_text) for _ in range(6)]
        kind = draw(st.one_of(st.sampled_from(SCENARIO_TYPES), hostile_text))
    else:
        kind = draw(st.sampled_from(SCENARIO_TYPES))
        low, high = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
        bounded = kind in ("number", "integer") and draw(st.booleans())
        bounds = [str(low), str(high)] if bounded else ["-", "-"]
        words = draw(st.lists(word_names, min_size=2, max_size=3, unique=True))
        allowed = ", ".join(words) if kind == "string" and draw(st.booleans()) else "-"
        default = words[0] if allowed != "-" else "-"
        required = draw(st.sampled_from(["Yes", "No"]))
        cells = [required, default, *bounds, allowed, draw(line_text)]
    if old:  # Input | Label | Type | Default | Min | Max | Allowed Values | Notes
        return f"| {name} | {draw(line_text)} | {kind} | {' | '.join(cells[1:])} |"
    return f"| `{name}` | {kind} | {' | '.join(cells)} |"


@st.composite
def scenario_table(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A Scenario parameter page in either column layout."""
    is_wild, old = draw(wild), draw(st.booleans())
    header = (
        "| Input | Label | Type | Default | Min | Max | Allowed Values | Notes |"
        if old
        else "| Parameter | Type | Required | Default | Min | Max | Allowed Values | Description |"
    )
    rows = [draw(scenario_row(old, is_wild)) for _ in range(draw(st.integers(1, 4)))]
    text_of = hostile_text if is_wild else line_text
    text = (
        f"## {draw(text_of)}\n\n{draw(text_of)}\n\n"
        f"**Model ID:** `model_{draw(word_names)}-UID`\n\n"
        f"**Capabilities:** `{draw(word_names)}`\n\n"
        f"{header}\n| --- | --- | --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"
    )
    return ".md", text.encode("utf-8", "surrogatepass"), "scenario-table"


FAL_TYPES = (
    "string",
    "integer",
    "float",
    "boolean",
    "list<string>",
    "list<float>",
    "dict<str, any>",
    "Audio",
    "File",
    "float | null",
)


@st.composite
def fal_bullet(draw: st.DrawFn, is_wild: bool) -> str:
    """One ``Input Schema`` bullet with sub-bullets."""
    kind = draw(
        st.one_of(st.sampled_from(FAL_TYPES), hostile_text)
        if is_wild
        else st.sampled_from(FAL_TYPES)
    )
    need = draw(st.sampled_from(["required", "optional"]))
    lines = [
        f"- **`{draw(any_names if is_wild else word_names)}`** (`{kind}`, _{need}_):",
        f"  {draw(hostile_text if is_wild else line_text)}",
    ]
    if is_wild:
        for label in draw(st.lists(st.sampled_from(["Default", "Range", "Options"]), max_size=3)):
            lines.append(f"  - {label}: `{json.dumps(draw(json_values))}`")
    elif kind in ("integer", "float") and draw(st.booleans()):
        low, high = sorted(draw(st.lists(st.integers(0, 100), min_size=2, max_size=2)))
        lines.append(f"  - Range: `{low}` to `{high}`")
    elif kind == "string" and draw(st.booleans()):
        words = draw(st.lists(word_names, min_size=2, max_size=3, unique=True))
        lines.append(f"  - Default: `{json.dumps(words[0])}`")
        lines.append("  - Options: " + ", ".join(f"`{json.dumps(w)}`" for w in words))
    return "\n".join(lines)


@st.composite
def fal_page(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A fal model page with input bullets and sub-bullets."""
    is_wild = draw(wild)
    text_of = hostile_text if is_wild else line_text
    model_id = f"acme/{draw(word_names)}-UID"
    bullets = [draw(fal_bullet(is_wild)) for _ in range(draw(st.integers(1, 4)))]
    text = (
        f"# {draw(text_of)}\n\n> {draw(text_of)}\n\n## Overview\n\n"
        f"- **Endpoint**: `https://fal.run/{model_id}`\n- **Model ID**: `{model_id}`\n"
        f"- **Category**: {draw(text_of)}\n\n## Pricing\n\n"
        f"Your request will cost **{draw(st.sampled_from(['$0.02', '$1', draw(text_of)]))}**"
        " per second.\n\n### Input Schema\n\n"
        + "\n\n".join(bullets)
        + "\n\n### Output Schema\n\n- **`audio`** (`File`, _required_):\n  The piece.\n"
    )
    return ".md", text.encode("utf-8", "surrogatepass"), "fal-page"


GATEWAY_FIELDS = ("slug", "body.key", "body.value", "body.hint", "result.key", "title", "summary")


@st.composite
def gateway(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """An AIgateway model page with hostile text in one field."""
    field = draw(st.sampled_from(GATEWAY_FIELDS))
    value = draw(hostile_text) + ("UID" if field == "slug" else "")
    text = gateway_page(field, value, "UID")
    return ".md", text.encode("utf-8", "surrogatepass"), "gateway-page"


def documents() -> st.SearchStrategy[tuple[str, bytes, str]]:
    """One document of any kind."""
    return st.one_of(fal_openapi(), scenario_table(), fal_page(), gateway())
