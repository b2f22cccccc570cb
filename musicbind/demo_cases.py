"""Demo: what ``musicbind demo`` runs: the five seeded systems, or one case per binding.

The seeded cases are written out, with payloads that exercise their ranges and rules.
With ``--all`` there is no hand table: each model's payload is built from its input
model's JSON Schema. Only the required fields are filled (the provider's defaults do
the rest): a documented example first, else the first allowed value, else a value
inside the documented bounds. A file input gets the demo's media: a local path where
the provider uploads files (Scenario's asset ids), else the emulator's URL for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROVIDERS = ("scenario", "fal", "aigateway")
# Long enough for a prompt with a documented minimum length (MiniMax: 10 characters).
DEMO_TEXT = "calm piano melody with soft strings and light rain"
MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class DemoCase:
    """One system to run: which client method, with what, and how long each file must be."""

    title: str
    provider: str
    method: str
    arguments: dict[str, Any]
    expected_seconds: float | None
    media_duration: dict[str, float] | None = None


def demo_cases(video: Path, video_url: str, video_seconds: float) -> list[DemoCase]:
    """The five seeded systems with payloads that exercise their ranges and rules."""
    media = {"video": video_seconds}
    return [
        DemoCase(
            "Scenario Sonilo text-to-music",
            "scenario",
            "sonilo_v1_1_text_to_music",
            {"prompt": "warm lo-fi piano with soft vinyl crackle", "duration": 8, "num_samples": 2},
            8.0,
        ),
        DemoCase(
            "Scenario Sonilo video-to-music",
            "scenario",
            "sonilo_v1_1_video_to_music",
            {"video": video, "prompt": "playful strings", "start_offset": 2, "duration": 6},
            6.0,
            media,
        ),
        DemoCase(
            "Scenario MiniMax music-01",
            "scenario",
            "minimax_music_01",
            {
                "lyrics": "## (Verse 1) ##\nHello, world\nThis is my first song",
                "sample_rate": 44100,
            },
            None,
        ),
        DemoCase(
            "fal Sonilo video-to-music",
            "fal",
            "sonilo_v1_1_video_to_music",
            {"video_url": video_url, "num_samples": 2, "start_offset": 1, "duration": 5},
            5.0,
            {"video_url": video_seconds},
        ),
        DemoCase(
            "AIgateway Sonauto text-to-music",
            "aigateway",
            "sonauto_v2_text_to_music",
            {"prompt": "upbeat chiptune for a game menu", "duration": 10, "format": "wav"},
            10.0,
        ),
    ]


def catalogue_refs(providers: Sequence[str] = PROVIDERS) -> list[str]:
    """Every generated binding's ref, provider by provider, in the bindings' own order."""
    refs: list[str] = []
    for provider in providers:
        module = importlib.import_module(f"musicbind.generated.{provider}")
        refs.extend(str(ref) for ref in module.MODELS)
    return refs


def catalogue_cases(
    clients: Mapping[str, Any], media_path: Path, media_url: str, media_seconds: float
) -> list[DemoCase]:
    """One case per catalogue model, with a payload derived from its binding."""
    cases: list[DemoCase] = []
    for ref in catalogue_refs(tuple(clients)):
        client = clients[ref.split(":", 1)[0]]
        binding = client.resolve_binding(ref)
        uploads = getattr(client.adapter, "file_inputs", "url") != "url"
        media: Path | str = media_path if uploads else media_url
        arguments = demo_payload(binding, media)
        lengths = {name: media_seconds for name in binding.file_fields if name in arguments}
        cases.append(
            DemoCase(ref, binding.provider, binding.method_name, arguments, None, lengths or None)
        )
    return cases


def demo_payload(binding: Any, media: Path | str) -> dict[str, Any]:
    """The required fields of ``binding``'s input, by python name, each with a valid value."""
    schema: dict[str, Any] = binding.input_model.model_json_schema(by_alias=False)
    definitions: dict[str, Any] = schema.get("$defs", {})
    properties: dict[str, Any] = schema.get("properties", {})
    payload: dict[str, Any] = {}
    for name in schema.get("required", []):
        if name in binding.file_fields:
            is_list = _resolved(properties.get(name, {}), definitions).get("type") == "array"
            value: Any = str(media) if isinstance(media, Path) else media
            payload[name] = [value] if is_list else value
        else:
            payload[name] = sample_value(properties.get(name, {}), definitions)
    return payload


def sample_value(schema: Mapping[str, Any], definitions: Mapping[str, Any], depth: int = 0) -> Any:
    """A value ``schema`` accepts: an example, the default, an allowed value or a bounded one."""
    schema = _resolved(schema, definitions)
    for key in ("examples", "enum"):
        values = schema.get(key)
        if isinstance(values, list) and values:
            return values[0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    branches = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(branches, list) and branches:
        usable = [b for b in branches if _resolved(b, definitions).get("type") != "null"]
        return sample_value((usable or branches)[0], definitions, depth + 1)
    kind = schema.get("type")
    if kind == "string":
        return _text(schema)
    if kind in ("integer", "number"):
        return _number(schema, whole=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [sample_value(schema.get("items", {}), definitions, depth + 1)] * count
    if kind == "object" and depth < MAX_DEPTH:
        inner = schema.get("properties", {})
        return {
            name: sample_value(inner.get(name, {}), definitions, depth + 1)
            for name in schema.get("required", [])
        }
    return DEMO_TEXT if kind is None else None


def _resolved(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolved(definitions.get(ref.removeprefix("#/$defs/"), {}), definitions)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and set(schema) <= {"allOf", "description"}:
        return _resolved(all_of[0], definitions)
    return schema


def _text(schema: Mapping[str, Any]) -> str:
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    text = DEMO_TEXT
    while len(text) < low:
        text = f"{text} {DEMO_TEXT}"
    return text[: int(high)] if isinstance(high, int) else text


def _number(schema: Mapping[str, Any], *, whole: bool) -> int | float:
    low = schema.get("minimum")
    if low is None and "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if whole else 0.5)
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value = low if low is not None else (min(1, high) if high is not None else 1)
    return int(value) if whole else value


__all__ = ["catalogue_cases", "catalogue_refs", "demo_payload", "sample_value"]
