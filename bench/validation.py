"""Bench: payload validation throughput, generated models against the alternatives.

In-process, for each of the five seed models, on the same valid payloads: the generated
Input model (and, for a model with a media-length rule, with the media length that turns
the rule on), a what-if copy of its fields and config on a plain ``BaseModel`` (what
pydantic alone costs), a hand-written pydantic model of the same fields (the practical limit),
jsonschema's Draft202012Validator and fastjsonschema on the model's JSON Schema
(``musicbind schema REF``). Validators take turns within a round; each gets its own copy
of the payloads (fastjsonschema writes defaults into them). Then the command line:
``musicbind validate`` on a JSON Lines file against a jsonschema script doing the same.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from pydantic import BaseModel, create_model

from bench.measure import run_process, summary, tool, tool_env
from bench.payloads import (
    FAL_VIDEO_TO_MUSIC,
    HAND_WRITTEN,
    MEDIA_SECONDS,
    PAYLOAD_MAKERS,
    HandFalVideoToMusicWithRule,
    payloads,
)

MODELS = tuple(PAYLOAD_MAKERS)  # the five seed models
LABELS = {
    "generated": "generated Input model",
    "generated_with_rule": "generated Input model, media length given (cross-field rule on)",
    "generated_unguarded": (
        "what-if: the generated fields and config on a plain BaseModel "
        "(no input base class, no cross-field rules)"
    ),
    "hand_written": "hand-written pydantic model",
    "hand_written_with_rule": "hand-written pydantic model with the rule, media length given",
    "jsonschema": "jsonschema Draft202012Validator.is_valid",
    "fastjsonschema": "fastjsonschema (compiled)",
}
SHORT_LABELS = {
    "generated": "generated Input",
    "generated_with_rule": "generated Input, rule on",
    "generated_unguarded": "what-if: plain BaseModel",
    "hand_written": "hand-written",
    "hand_written_with_rule": "hand-written, rule on",
    "jsonschema": "jsonschema",
    "fastjsonschema": "fastjsonschema",
}
Validate = Callable[[dict[str, Any]], object]
CHUNK = 250  # payloads per timed sample


def json_schema(ref: str, root: Path) -> tuple[dict[str, Any], str]:
    """The JSON Schema of ``ref``'s input, and where it came from."""
    run = run_process([tool("musicbind"), "schema", ref], cwd=root)
    if run.returncode == 0:
        try:
            schema: dict[str, Any] = json.loads(run.stdout)
            return schema, f"musicbind schema {ref}"
        except json.JSONDecodeError:
            pass
    from musicbind import generated

    model = generated.get_binding(ref).input_model
    return model.model_json_schema(by_alias=True), "pydantic model_json_schema(by_alias=True)"


def unguarded(model: type[BaseModel]) -> type[BaseModel]:
    """The model's fields, constraints and config on a plain base: what a fix would reach."""
    base = type("UnguardedBase", (BaseModel,), {"model_config": dict(model.model_config)})
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in model.model_fields.items()
    }
    return create_model(f"{model.__name__}Unguarded", __base__=base, **fields)


def validators(ref: str, schema: dict[str, Any]) -> dict[str, Validate]:
    """Every validator measured for ``ref``, by key of :data:`LABELS`."""
    from musicbind import generated

    binding = generated.get_binding(ref)
    model = binding.input_model
    context = {"media_duration": dict.fromkeys(binding.media_fields, MEDIA_SECONDS)}
    found: dict[str, Validate] = {"generated": model.model_validate}
    if binding.media_fields:
        found["generated_with_rule"] = lambda p: model.model_validate(p, context=context)
    found["generated_unguarded"] = unguarded(model).model_validate
    found["hand_written"] = HAND_WRITTEN[ref].model_validate
    if ref == FAL_VIDEO_TO_MUSIC:
        found["hand_written_with_rule"] = lambda p: HandFalVideoToMusicWithRule.model_validate(
            p, context=context
        )
    checker = Draft202012Validator(schema)
    found["jsonschema"] = checker.is_valid
    found["fastjsonschema"] = fastjsonschema.compile(schema)
    return found


def _accepts_all(name: str, validate: Validate, items: list[dict[str, Any]]) -> None:
    for item in items:
        if validate(item) is False:
            raise RuntimeError(f"{name} refused a valid bench payload: {item}")


def throughput(
    found: dict[str, Validate], items: list[dict[str, Any]], rounds: int
) -> dict[str, Any]:
    """Payloads per second of each validator, ``rounds`` passes over ``items``.

    Each pass is cut into chunks of :data:`CHUNK` payloads and the validators take turns
    chunk by chunk, so a burst of load from elsewhere on the machine hits all of them
    alike and lands in few samples; the median over the chunks shrugs it off.
    """
    copies = {name: copy.deepcopy(items) for name in found}
    for name, validate in found.items():
        _accepts_all(name, validate, copies[name])
    samples: dict[str, list[float]] = {name: [] for name in found}
    names = tuple(found)
    turn = 0
    for _ in range(rounds):
        for start in range(0, len(items), CHUNK):
            shift = turn % len(names)
            turn += 1
            for name in names[shift:] + names[:shift]:
                validate, batch = found[name], copies[name][start : start + CHUNK]
                began = time.perf_counter()
                for item in batch:
                    validate(item)
                samples[name].append(len(batch) / (time.perf_counter() - began))
    return {name: {"per_second": summary(values)} for name, values in samples.items()}


def _cli(root: Path, work: Path, runs: int, count: int) -> dict[str, Any]:
    """``musicbind validate`` against a jsonschema script, on ``count`` payloads and on one."""
    work.mkdir(parents=True, exist_ok=True)
    items = payloads(FAL_VIDEO_TO_MUSIC, count, seed=11)
    many, one = work / "payloads.jsonl", work / "one.jsonl"
    many.write_text("".join(json.dumps(p) + "\n" for p in items), encoding="utf-8")
    one.write_text(json.dumps(items[0]) + "\n", encoding="utf-8")
    schema, _ = json_schema(FAL_VIDEO_TO_MUSIC, root)
    schema_file = work / "schema.json"
    schema_file.write_text(json.dumps(schema), encoding="utf-8")
    media = f"video_url={MEDIA_SECONDS:g}"
    commands: dict[str, Callable[[Path], list[str]]] = {
        "musicbind": lambda f: [
            tool("musicbind"),
            "validate",
            str(f),
            "--model",
            FAL_VIDEO_TO_MUSIC,
            "--media-duration",
            media,
        ],
        "jsonschema_script": lambda f: [
            sys.executable,
            "-m",
            "bench.jsonschema_script",
            str(schema_file),
            str(f),
        ],
    }
    env = tool_env({"PYTHONPATH": str(root)})
    result: dict[str, Any] = {"payloads": count}
    for name, command in commands.items():
        record: dict[str, Any] = {}
        for label, target in (("many", many), ("one", one)):
            seconds: list[float] = []
            for _ in range(runs):
                run = run_process(command(target), cwd=root, env=env, sample_memory=False)
                if run.returncode != 0:
                    record["error"] = f"exit {run.returncode}: {(run.stderr or run.stdout)[-600:]}"
                    break
                seconds.append(run.seconds)
            if seconds:
                record[label] = summary(seconds)
        if "many" in record and "one" in record:
            record["beyond_startup_seconds"] = max(
                record["many"]["median"] - record["one"]["median"], 0.0
            )
        result[name] = record
    return result


def run(
    root: Path, work: Path, payload_count: int, rounds: int, cli: tuple[int, int]
) -> dict[str, Any]:
    """The validation section of the results (``cli`` = (runs, payloads) for the command)."""
    models: dict[str, Any] = {}
    for ref in MODELS:
        schema, source = json_schema(ref, root)
        found = validators(ref, schema)
        models[ref] = {
            "payloads": payload_count,
            "schema_source": source,
            "validators": throughput(found, payloads(ref, payload_count), rounds),
        }
    cli_runs, cli_payloads = cli
    return {
        "labels": LABELS,
        "short_labels": SHORT_LABELS,
        "models": models,
        "cli": _cli(root, work, cli_runs, cli_payloads),
    }
