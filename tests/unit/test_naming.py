"""The naming authority: every spec name becomes a valid, stable, collision-free identifier."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.registry import naming


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("numSamples", "num_samples"),
        ("startOffset", "start_offset"),
        ("video_url", "video_url"),
        ("file\\_array", "file_array"),
        ("class", "class_"),
        ("match", "match_"),
        ("1st", "n_1st"),
        ("my-field.name", "my_field_name"),
        ("ｄuration", "duration"),  # fullwidth look-alike normalises like Python does
        ("café", "cafe"),
        ("HTTPStatus", "http_status"),
        ("model_config", "model_config_"),
        ("model_dump", "model_dump_"),
        ("../../etc/passwd", "etc_passwd"),
        ("🎵", "field"),
        ("", "field"),
    ],
)
def test_attribute_name(wire: str, expected: str) -> None:
    assert naming.attribute_name(wire) == expected


def test_collisions_resolved_in_order() -> None:
    assert naming.attribute_names(["my-x", "my_x", "myX", "ｍｙ_x"]) == [
        "my_x",
        "my_x_2",
        "my_x_3",
        "my_x_4",
    ]


@pytest.mark.parametrize(
    ("model_id", "module", "stem"),
    [
        ("sonilo/v1.1/video-to-music", "sonilo_v1_1_video_to_music", "SoniloV11VideoToMusic"),
        ("model_sonilo-v1-1-text-to-music", "sonilo_v1_1_text_to_music", "SoniloV11TextToMusic"),
        ("minimax/music-01", "minimax_music_01", "MinimaxMusic01"),
        ("3d/thing", "m_3d_thing", "N3dThing"),
        ("import", "import_", "Import"),
        ("client", "client_", "Client"),
    ],
)
def test_model_names(model_id: str, module: str, stem: str) -> None:
    assert naming.module_name(model_id) == module
    assert naming.class_stem(model_id) == stem


def test_provider_names_are_plain() -> None:
    assert naming.provider_package("fal") == "fal"
    for bad in ("Fal", "../x", "a-b", "class", ""):
        with pytest.raises(ValueError, match="provider name"):
            naming.provider_package(bad)


def test_client_class() -> None:
    assert naming.client_class("fal", "fal") == "FalClient"
    assert naming.client_class("aigateway", "AIgateway") == "AIgatewayClient"
    assert naming.client_class("scenario", "Scenario") == "ScenarioClient"


@given(st.lists(st.text(max_size=30), max_size=25))
def test_any_names_become_unique_identifiers(wires: list[str]) -> None:
    names = naming.attribute_names(wires)
    assert len(set(names)) == len(names)
    for name in names:
        assert name.isidentifier() and name.isascii()
        assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
        assert not name.startswith("_")


@given(st.text(max_size=40))
def test_module_and_class_names_are_identifiers(model_id: str) -> None:
    module = naming.module_name(model_id)
    stem = naming.class_stem(model_id)
    assert module.isidentifier() and module.isascii() and not keyword.iskeyword(module)
    assert stem.isidentifier() and stem.isascii() and stem[0].isupper()
    assert "/" not in module and "." not in module


@given(st.lists(st.text(max_size=20), max_size=10))
def test_naming_is_deterministic(wires: list[str]) -> None:
    assert naming.attribute_names(wires) == naming.attribute_names(list(wires))
