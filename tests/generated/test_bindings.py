"""The committed bindings enforce what the specs say (issue acceptance 3) and load lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel, ValidationError

from musicbind import generated
from musicbind.runtime import ScenarioJobOutput

SONILO_T2M = "scenario:model_sonilo-v1-1-text-to-music"
SONILO_V2M = "scenario:model_sonilo-v1-1-video-to-music"
FAL_V2M = "fal:sonilo/v1.1/video-to-music"
MINIMAX = "scenario:minimax/music-01"
SONAUTO = "aigateway:sonauto/v2/text-to-music"


def _input(ref: str) -> type[BaseModel]:
    return generated.get_binding(ref).input_model


def _rejects(model: type[BaseModel], data: dict[str, object], field: str, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data, **kwargs)  # type: ignore[arg-type]
    locations = [".".join(map(str, e["loc"])) for e in caught.value.errors()]
    assert any(field in loc for loc in locations) or field in str(caught.value), locations
    return str(caught.value)


def test_every_seeded_system_is_bound() -> None:
    assert set(generated.list_bindings()) >= {SONILO_T2M, SONILO_V2M, FAL_V2M, MINIMAX, SONAUTO}


def test_binding_record() -> None:
    binding = generated.get_binding(FAL_V2M)
    assert (binding.ref, binding.provider, binding.model_id) == (
        FAL_V2M,
        "fal",
        "sonilo/v1.1/video-to-music",
    )
    assert binding.output_model is not None
    # Scenario's documents state no output: its results are the protocol's, for every model.
    assert generated.get_binding(SONILO_T2M).output_model is ScenarioJobOutput


def test_unknown_ref_names_closest() -> None:
    with pytest.raises(LookupError, match=r"fal:sonilo/v1\.1/video-to-music"):
        generated.get_binding("fal:sonilo/v1.1/video-to-musik")
    with pytest.raises(LookupError, match="did you mean"):
        generated.get_binding("sonilo/v1.1/video-to-music")


@pytest.mark.parametrize(
    ("field", "value"), [("duration", 601), ("numSamples", 4), ("duration", 0), ("numSamples", 0)]
)
def test_sonilo_text_to_music_ranges(field: str, value: int) -> None:
    _rejects(_input(SONILO_T2M), {"prompt": "lo-fi", field: value}, field)


def test_sonilo_text_to_music_accepts_and_serialises_wire_names() -> None:
    model = _input(SONILO_T2M)
    by_wire = model.model_validate({"prompt": "lo-fi", "numSamples": 2, "duration": 30})
    by_name = model.model_validate({"prompt": "lo-fi", "num_samples": 2, "duration": 30.5})
    assert by_wire.num_samples == 2  # type: ignore[attr-defined]
    assert by_name.model_dump(by_alias=True, exclude_none=True)["numSamples"] == 2
    assert "num_samples" not in by_name.model_dump(by_alias=True)


@pytest.mark.parametrize(
    ("ref", "data", "field"),
    [
        (SONILO_T2M, {"prompt": "x", "duration": "5"}, "duration"),
        (SONILO_T2M, {"prompt": "x", "duration": True}, "duration"),
        (SONILO_T2M, {"prompt": 5}, "prompt"),
        (SONILO_T2M, {}, "prompt"),
        (SONILO_T2M, {"prompt": "x", "durration": 5}, "durration"),
        (FAL_V2M, {"video_url": "https://x/v.mp4", "num_samples": True}, "num_samples"),
        (FAL_V2M, {"video_url": "https://x/v.mp4", "num_samples": 1.5}, "num_samples"),
        (FAL_V2M, {"video_url": "https://x/v.mp4", "num_samples": "2"}, "num_samples"),
        (MINIMAX, {"lyrics": "la", "sampleRate": 22050}, "sampleRate"),
        (MINIMAX, {"lyrics": "la", "sampleRate": True}, "sampleRate"),
        (SONAUTO, {"prompt": "x", "format": "flac"}, "format"),
    ],
)
def test_strict_types_and_allowed_values(ref: str, data: dict[str, object], field: str) -> None:
    _rejects(_input(ref), data, field)


def test_fal_video_to_music_cross_field_rule() -> None:
    model = _input(FAL_V2M)
    context = {"media_duration": {"video_url": 60.0}}
    base = {"video_url": "https://example.com/v.mp4", "start_offset": 30}
    message = _rejects(model, {**base, "duration": 40}, "duration", context=context)
    assert "60" in message
    model.model_validate({**base, "duration": 20}, context=context)
    _rejects(
        model,
        {"video_url": "https://example.com/v.mp4", "start_offset": 60},
        "start_offset",
        context=context,
    )
    # Without the media length only the static bounds apply.
    model.model_validate({**base, "duration": 40})


def test_scenario_video_to_music_cross_field_rule() -> None:
    model = _input(SONILO_V2M)
    context = {"media_duration": {"video": 10}}
    _rejects(
        model, {"video": "asset_1", "startOffset": 5, "duration": 6}, "duration", context=context
    )
    model.model_validate({"video": "asset_1", "startOffset": 5, "duration": 5}, context=context)


def test_every_example_in_the_specs_validates() -> None:
    from pathlib import Path

    from musicbind.generator.ingest import build_from_specs

    registry = build_from_specs(Path(__file__).resolve().parents[2] / "specs").registry
    checked = 0
    for model in registry.models:
        for example in model.input_examples:
            assert isinstance(example, dict)
            data = {k: v for k, v in example.items() if k != "model"}
            _input(model.ref).model_validate(data)
            checked += 1
    assert checked >= 3


def test_import_is_lazy() -> None:
    code = (
        "import sys, musicbind.generated; "
        "assert not any(m.startswith('musicbind.generated.') for m in sys.modules), "
        "sorted(sys.modules); "
        "assert 'pydantic' not in sys.modules; "
        "musicbind.generated.get_binding('fal:sonilo/v1.1/video-to-music'); "
        "assert 'musicbind.generated.fal.sonilo_v1_1_video_to_music' in sys.modules; "
        "assert 'musicbind.generated.scenario.minimax_music_01' not in sys.modules"
    )
    subprocess.run([sys.executable, "-P", "-c", code], check=True)


def test_importing_a_client_defers_models_transport_journal_and_adapters() -> None:
    """A client's import loads none of what only a call needs; the first call loads it."""
    deferred = (
        "pydantic",
        "httpx",
        "sqlite3",
        "musicbind.runtime.bases",
        "musicbind.runtime.journal",
        "musicbind.runtime.media",
        "musicbind.runtime.media_uploads",
        "musicbind.runtime.providers.fal",
        "musicbind.generated.fal.sonilo_v1_1_video_to_music",
    )
    code = (
        "import sys, tempfile\n"
        "from musicbind.generated.fal.client import FalClient\n"
        f"deferred = {deferred!r}\n"
        "loaded = [name for name in deferred if name in sys.modules]\n"
        "assert not loaded, loaded\n"
        "with tempfile.TemporaryDirectory() as folder:\n"
        "    with FalClient(api_key='k', journal=folder + '/j.sqlite3') as client:\n"
        f"        model = client.validate({FAL_V2M!r}, {{'video_url': 'https://a.example/v.mp4'}})\n"
        "        assert type(model).__name__ == 'SoniloV11VideoToMusicInput', model\n"
        "        assert client.journal.path.name == 'j.sqlite3'\n"
        "missing = [name for name in deferred if name not in sys.modules]\n"
        "assert missing == ['musicbind.runtime.media_uploads'], missing\n"
    )
    subprocess.run([sys.executable, "-P", "-c", code], check=True)
