"""The direct schema -> pydantic writer says exactly what datamodel-code-generator says.

``generator.emit.pydantic_direct`` skips the parser run for plain schemas; the bindings
must not change because of it. Each case renders the same component schemas both ways
and compares the text; a schema the direct writer does not take (None) is left to the
tool, which is always correct.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicbind.generator.emit import pydantic_models
from musicbind.generator.emit.pydantic_direct import direct_classes
from musicbind.generator.ingest import build_from_paths, build_from_specs, default_overlay_path
from musicbind.generator.registry.model import Model

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "cases"
PROVIDERS = {"fal_openapi": "fal", "scenario_table": "scenario", "fal_page": "fal"}
OUTPUT = pydantic_models.OUTPUT_BASE
INPUT = pydantic_models.INPUT_BASE


def _both(
    schemas: dict[str, Any], aliases: dict[str, str], bases: dict[str, str]
) -> tuple[str | None, str]:
    direct = direct_classes(schemas, aliases, bases, OUTPUT)
    generated = pydantic_models._generate("case", schemas, aliases, bases)
    return (None if direct is None else _imports_sorted(direct)), _imports_sorted(generated)


def _imports_sorted(text: str) -> str:
    """The text with its import lines in order: ruff sorts them in every module anyway."""
    lines = text.split("\n")
    imports = [i for i, line in enumerate(lines) if line.startswith(("from ", "import "))]
    for index, line in zip(imports, sorted(lines[i] for i in imports), strict=True):
        lines[index] = line
    return "\n".join(lines)


def _model_inputs(model: Model) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    return pydantic_models.class_inputs(model)


def _golden_models() -> list[Model]:
    models: list[Model] = []
    for case, provider in PROVIDERS.items():
        inputs = sorted((GOLDEN / case).iterdir())
        built = build_from_paths(inputs, default_overlay_path(), GOLDEN / case, provider)
        models += built.registry.models
    return models


def _spec_models() -> list[Model]:
    return list(build_from_specs(ROOT / "specs", cache=False).registry.models)


@pytest.mark.parametrize("source", ["golden cases", "specs"])
def test_real_models_render_the_same_both_ways(source: str) -> None:
    models = _golden_models() if source == "golden cases" else _spec_models()
    direct_count = 0
    for model in models:
        direct, generated = _both(*_model_inputs(model))
        if direct is not None:
            direct_count += 1
            assert direct == generated, model.ref
    # The point of the writer: most real models need no parser run.
    assert direct_count * 2 > len(models), (direct_count, len(models))


def test_a_plain_fal_model_is_written_directly() -> None:
    inputs = sorted((GOLDEN / "scenario_table").iterdir())
    built = build_from_paths(inputs, default_overlay_path(), GOLDEN / "scenario_table", "scenario")
    model = built.registry.models[0]
    direct = pydantic_models.direct_model_classes(model)
    assert direct is not None
    assert direct == pydantic_models.render_classes(model)


# Generated schemas in the vocabulary generator.emit.schema writes (and a little beyond).
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_WORDS = st.sampled_from(["", "Plain words.", 'Say "hi".', "two\nlines", " padded ", "a\\b"])
_SCALARS = st.sampled_from(["string", "integer", "number", "boolean"])
_NUMBERS = st.one_of(st.integers(-5, 5), st.floats(-3, 3, allow_nan=False).map(lambda v: v / 7))


@st.composite
def _property(draw: st.DrawFn, earlier: list[str]) -> dict[str, Any]:
    choice = draw(st.integers(0, 6))
    schema: dict[str, Any]
    if choice == 0 and earlier:
        schema = {"$ref": "#/components/schemas/" + draw(st.sampled_from(earlier))}
        if draw(st.booleans()):
            schema = {"allOf": [schema]}
    elif choice == 1:
        schema = {"type": "array", "items": {"type": draw(_SCALARS)}}
        if draw(st.booleans()):
            schema["minItems"] = draw(st.integers(0, 3))
    elif choice == 2:
        schema = {"anyOf": [{"type": draw(_SCALARS)}, {"type": draw(_SCALARS)}]}
    elif choice == 3:
        schema = draw(st.sampled_from([{}, {"type": "object", "additionalProperties": True}]))
    else:
        kind = draw(_SCALARS)
        schema = {"type": kind}
        if kind in ("integer", "number"):
            for keyword in draw(st.sets(st.sampled_from(["minimum", "exclusiveMaximum"]))):
                schema[keyword] = draw(st.integers(-9, 9) if kind == "integer" else _NUMBERS)
        if kind == "string" and draw(st.booleans()):
            schema["maxLength"] = draw(st.integers(1, 50))
        if kind in ("string", "integer") and draw(st.booleans()):
            values = draw(
                st.lists(_TEXT, min_size=1, max_size=3, unique=True)
                if kind == "string"
                else st.lists(st.integers(-3, 9), min_size=1, max_size=3, unique=True)
            )
            schema["enum"] = values
        if draw(st.booleans()):
            schema["default"] = draw(
                st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXT)
                if kind != "boolean"
                else st.booleans()
            )
    description = draw(_WORDS)
    if description:
        schema["description"] = description
    return schema


@st.composite
def _schemas(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    schemas: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    bases: dict[str, str] = {}
    for index in range(draw(st.integers(1, 3))):
        name = f"Shape{index}"
        wires = draw(st.lists(st.sampled_from(["a", "b", "c_d", "eF", "g"]), unique=True))
        properties = {wire: draw(_property(list(schemas))) for wire in wires}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = [w for w in wires if draw(st.booleans())]
        if required:
            schema["required"] = required
        description = draw(_WORDS)
        if description:
            schema["description"] = description
        schemas[name] = schema
        for wire in wires:
            if wire == "eF":
                aliases[f"{name}.{wire}"] = "e_f"
        if draw(st.booleans()):
            bases[name] = INPUT
    return schemas, aliases, bases


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_schemas())
def test_generated_schemas_render_the_same_both_ways(
    case: tuple[dict[str, Any], dict[str, str], dict[str, str]],
) -> None:
    direct, generated = _both(*case)
    if direct is not None:
        assert direct == generated
