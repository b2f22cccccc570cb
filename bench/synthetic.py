"""Bench: synthetic fal-style endpoints (one queue OpenAPI each) and their one-document twin."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

PROVIDERS_OVERLAY = """\
providers:
  fal:
    display_name: fal
    base_url: https://queue.fal.run
    auth: key
    statuses: {IN_QUEUE: QUEUED, IN_PROGRESS: RUNNING, COMPLETED: SUCCEEDED}
"""


def _input_schema(index: int, rng: random.Random) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "prompt": {
            "type": "string",
            "title": "Prompt",
            "description": f"What model {index} should make.",
            "maxLength": 2000,
        },
        "duration": {
            "anyOf": [
                {"type": "number", "minimum": 1, "maximum": rng.choice([30, 60, 190, 600])},
                {"type": "null"},
            ],
            "title": "Duration",
        },
        "num_samples": {
            "type": "integer",
            "minimum": 1,
            "maximum": rng.randint(2, 8),
            "default": 1,
            "title": "Num Samples",
        },
        "format": {"type": "string", "enum": ["mp3", "wav", "flac"], "default": "mp3"},
        "seed": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
        "guidance": {"type": "number", "exclusiveMinimum": 0, "maximum": 20, "default": 7.5},
    }
    if index % 3 == 0:
        properties["video_url"] = {
            "type": "string",
            "description": "Public URL of the source video.",
        }
    order = list(properties)
    return {
        "type": "object",
        "title": "Input",
        "properties": properties,
        "required": ["prompt"],
        "x-fal-order-properties": order,
    }


def fal_document(index: int, seed: int = 0) -> dict[str, Any]:
    """One fal queue OpenAPI document for endpoint ``bench/model-<index>``."""
    rng = random.Random(seed * 100_003 + index)
    endpoint = f"bench/model-{index:04d}"
    name = f"BenchModel{index:04d}"
    audio = {
        "type": "object",
        "title": "Audio",
        "properties": {
            "url": {"type": "string"},
            "content_type": {"type": "string"},
            "file_name": {"type": "string"},
            "file_size": {"type": "integer"},
        },
        "required": ["url"],
    }
    return {
        "openapi": "3.0.4",
        "info": {
            "title": f"Queue OpenAPI for {endpoint}",
            "version": "1.0.0",
            "x-fal-metadata": {"endpointId": endpoint, "category": "text-to-audio"},
        },
        "servers": [{"url": "https://queue.fal.run"}],
        "components": {
            "schemas": {
                f"{name}Input": _input_schema(index, rng),
                f"{name}Output": {
                    "type": "object",
                    "properties": {
                        "audio": {"allOf": [{"$ref": "#/components/schemas/Audio"}]},
                        "audios": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Audio"},
                        },
                    },
                    "required": ["audio"],
                },
                "Audio": audio,
            }
        },
        "paths": {
            f"/{endpoint}": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{name}Input"}
                            }
                        },
                    },
                    "responses": {"200": {"description": "queued"}},
                }
            },
            f"/{endpoint}/requests/{{request_id}}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "result",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": f"#/components/schemas/{name}Output"}
                                }
                            },
                        }
                    }
                }
            },
        },
    }


def write_specs(folder: Path, count: int) -> Path:
    """A specs folder (manifest, overlay, ``count`` fal documents); returns it."""
    specs = folder / "specs"
    (specs / "fal").mkdir(parents=True, exist_ok=True)
    lines = ["documents:"]
    for index in range(count):
        path = f"fal/model-{index:04d}.json"
        (specs / path).write_text(json.dumps(fal_document(index)), encoding="utf-8")
        lines.append(
            f"  - {{path: {path}, provider: fal, kind: openapi, "
            "origin: bench, retrieved: 2026-11-22}"
        )
    (specs / "manifest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (specs / "overlay.yaml").write_text(PROVIDERS_OVERLAY, encoding="utf-8")
    return specs


# The queue's result path names its request; a single-document generator wants it declared.
_REQUEST_ID = {"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}


def combined_openapi(count: int) -> dict[str, Any]:
    """The same endpoints as ONE OpenAPI document (what a single-document generator is given).

    Made so that every tool generates every endpoint: each schema's title is its (unique)
    name, as names must be unique in one document (fal's documents all title their input
    "Input"; openapi-python-client names classes by title and refused the duplicates), and
    the result path's ``request_id`` parameter is declared.
    """
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for index in range(count):
        document = fal_document(index)
        for key, schema in document["components"]["schemas"].items():
            schemas[key] = {**schema, "title": key}
        for path, operations in document["paths"].items():
            if "{request_id}" in path:
                operations = {
                    verb: {**operation, "parameters": [_REQUEST_ID]}
                    for verb, operation in operations.items()
                }
            paths[path] = operations
    return {
        "openapi": "3.0.4",
        "info": {"title": "bench", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def touch_one(specs: Path, index: int = 0) -> None:
    """Change one document the way a provider update would (a description and a bound)."""
    path = specs / "fal" / f"model-{index:04d}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    schema = next(s for k, s in document["components"]["schemas"].items() if k.endswith("Input"))
    schema["properties"]["prompt"]["description"] += " (updated)"
    schema["properties"]["num_samples"]["maximum"] += 1
    path.write_text(json.dumps(document), encoding="utf-8")
