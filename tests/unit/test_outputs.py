"""Output types: the generator's names for protocol results are the runtime's, and group refs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import musicbind.runtime
from musicbind.generator.emit.outputs import (
    PROTOCOL_OUTPUTS,
    RefOverload,
    output_annotation,
    output_model,
    ref_overloads,
)
from musicbind.generator.ingest import build_from_specs
from musicbind.generator.registry.model import Model
from musicbind.runtime import OutputModel, ScenarioJobOutput
from musicbind.runtime.providers import ADAPTERS

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(scope="module")
def models() -> tuple[Model, ...]:
    return build_from_specs(SPECS).registry.models


@pytest.mark.parametrize(("provider", "name"), sorted(PROTOCOL_OUTPUTS.items()))
def test_protocol_outputs_are_the_runtime_adapters(provider: str, name: str) -> None:
    # The generator names it; the runtime's adapter parses into it: one and the same class.
    model = getattr(musicbind.runtime, name)
    assert name in musicbind.runtime.__all__
    assert issubclass(model, OutputModel)
    assert ADAPTERS[provider].result_model is model


def test_providers_without_a_protocol_output_leave_it_to_the_documents() -> None:
    assert {p for p, a in ADAPTERS.items() if a.result_model is not None} == set(PROTOCOL_OUTPUTS)


def test_scenario_models_get_the_protocol_output(models: tuple[Model, ...]) -> None:
    scenario = [m for m in models if m.provider == "scenario"]
    assert scenario and all(m.output_class is None for m in scenario)
    assert {output_model(m) for m in scenario} == {"ScenarioJobOutput"}
    assert {output_annotation(m) for m in scenario} == {"ScenarioJobOutput"}
    (overload,) = ref_overloads(scenario)
    assert overload == RefOverload(tuple(sorted(m.ref for m in scenario)), "ScenarioJobOutput")


def test_documented_outputs_come_first_and_untyped_ones_get_no_overload(
    models: tuple[Model, ...],
) -> None:
    fal = next(m for m in models if m.ref == "fal:sonilo/v1.1/video-to-music")
    assert output_model(fal) == fal.output_class
    assert output_annotation(fal) == f"_{fal.module_name}.{fal.output_class}"
    untyped = dataclasses.replace(fal, ref="fal:x/untyped", output_class=None, outputs=None)
    assert output_model(untyped) is None and output_annotation(untyped) == "BaseModel"
    assert ref_overloads([untyped, fal]) == [RefOverload((fal.ref,), output_annotation(fal))]


def test_the_adapters_result_parses_into_scenario_job_output() -> None:
    data = {
        "jobId": "job_1",
        "assetIds": ["asset_1"],
        "assets": [
            {
                "id": "asset_1",
                "url": "https://cdn.example/a.wav",
                "mimeType": "audio/wav",
                "metadata": {"size": 10, "duration": 4.5, "kind": "audio"},
                "status": "success",
            }
        ],
    }
    out = ScenarioJobOutput.model_validate(data)
    assert out.urls == ["https://cdn.example/a.wav"]
    assert out.assets[0].metadata.duration == 4.5 and out.assets[0].mime_type == "audio/wav"
    # What the provider adds is kept, and the wire names come back out.
    assert out.model_dump(exclude_none=True) == data
    bare = ScenarioJobOutput.model_validate(
        {"jobId": "j", "assetIds": ["a"], "assets": [{"id": "a"}]}
    )
    assert bare.urls == [] and bare.assets[0].metadata.size is None
