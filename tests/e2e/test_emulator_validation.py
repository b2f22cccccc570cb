"""The emulator rejects exactly what the generated models reject, in each provider's error shape."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from test_emulator_support import Driver, make_client

from musicbind import generated
from musicbind.emulator.server import EmulatorServer

GATEWAY = "sonauto/v2/text-to-music"
T2M = "model_sonilo-v1-1-text-to-music"
V2M = "model_sonilo-v1-1-video-to-music"
MINIMAX = "minimax/music-01"
FAL = "sonilo/v1.1/video-to-music"
VIDEO = "$video"  # replaced by the uploaded asset id or the served video URL

BAD: list[tuple[str, str, dict[str, Any]]] = [
    ("scenario", T2M, {}),
    ("scenario", T2M, {"prompt": 3}),
    ("scenario", T2M, {"prompt": "x", "duration": 0}),
    ("scenario", T2M, {"prompt": "x", "duration": 601}),
    ("scenario", T2M, {"prompt": "x", "numSamples": 4}),
    ("scenario", T2M, {"prompt": "x", "numSamples": "2"}),
    ("scenario", T2M, {"prompt": "x", "duration": True}),
    ("scenario", T2M, {"prompt": "x", "num_samples": 2}),
    ("scenario", V2M, {}),
    ("scenario", V2M, {"video": VIDEO, "startOffset": -1}),
    ("scenario", V2M, {"video": VIDEO, "startOffset": 11, "duration": 5}),
    ("scenario", V2M, {"video": VIDEO, "duration": 13}),
    ("scenario", V2M, {"video": VIDEO, "startOffset": 12}),
    ("scenario", MINIMAX, {}),
    ("scenario", MINIMAX, {"lyrics": "la", "sampleRate": 22050}),
    ("scenario", MINIMAX, {"lyrics": "la", "bitrate": 1}),
    ("scenario", MINIMAX, {"lyrics": "la", "sampleRate": "44100"}),
    ("fal", FAL, {}),
    ("fal", FAL, {"video_url": 1}),
    ("fal", FAL, {"video_url": VIDEO, "num_samples": 0}),
    ("fal", FAL, {"video_url": VIDEO, "num_samples": 1.5}),
    ("fal", FAL, {"video_url": VIDEO, "duration": 0.5}),
    ("fal", FAL, {"video_url": VIDEO, "start_offset": 11, "duration": 5}),
    ("fal", FAL, {"video_url": VIDEO, "numSamples": 2}),
    ("aigateway", GATEWAY, {}),
    ("aigateway", GATEWAY, {"prompt": 1}),
    ("aigateway", GATEWAY, {"prompt": "x", "format": "ogg"}),
    ("aigateway", GATEWAY, {"prompt": "x", "duration": "30"}),
    ("aigateway", GATEWAY, {"prompt": "x", "is_instrumental": "yes"}),
    ("aigateway", GATEWAY, {"prompt": "x", "seed": 7}),
]
GOOD: dict[str, dict[str, Any]] = {
    T2M: {"prompt": "x", "duration": 2, "numSamples": 1},
    V2M: {"video": VIDEO, "startOffset": 10, "duration": 2},
    MINIMAX: {"lyrics": "la\nla", "sampleRate": 16000},
    FAL: {"video_url": VIDEO, "start_offset": 9, "duration": 3, "num_samples": 1},
    GATEWAY: {"prompt": "x", "duration": 2, "format": "wav", "is_instrumental": True},
}
PROVIDER_OF = {
    T2M: "scenario",
    V2M: "scenario",
    MINIMAX: "scenario",
    FAL: "fal",
    GATEWAY: "aigateway",
}
WEIRD_VALUES: list[Any] = [None, -1, 0, 0.5, 1, 2.5, 3, 4, 601, "x", "", True, [], {}]


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=2) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def video(server: EmulatorServer) -> dict[str, str]:
    with make_client(server, "scenario") as client:
        asset = Driver(server, "scenario", client).upload_video()
    return {"scenario": asset, "fal": server.media_url(), "aigateway": ""}


def _resolve(payload: dict[str, Any], provider: str, video: dict[str, str]) -> dict[str, Any]:
    return {k: (video[provider] if v == VIDEO else v) for k, v in payload.items()}


def _model_accepts(provider: str, model: str, payload: dict[str, Any], known: bool) -> bool:
    binding = generated.get_binding(f"{provider}:{model}")
    context = {"media_duration": {binding.media_fields[0]: 12.0}} if known else {}
    try:
        binding.input_model.model_validate(payload, context=context, by_alias=True, by_name=False)
    except ValidationError:
        return False
    return True


def _send(
    server: EmulatorServer, provider: str, model: str, body: dict[str, Any]
) -> httpx.Response:
    with make_client(server, provider) as client:
        driver = Driver(server, provider, client)
        if provider == "aigateway":
            return driver.submit({"model": model, **body})
        return driver.submit(body, model=model)


@pytest.mark.parametrize(("provider", "model", "payload"), BAD)
def test_bad_payload_is_rejected_by_model_and_emulator_alike(
    server: EmulatorServer,
    video: dict[str, str],
    provider: str,
    model: str,
    payload: dict[str, Any],
) -> None:
    body = _resolve(payload, provider, video)
    assert not _model_accepts(provider, model, body, known=VIDEO in payload.values())
    charged = len(server.ledger.charges)
    answer = _send(server, provider, model, body)
    assert len(server.ledger.charges) == charged
    data = answer.json()
    if provider == "fal":
        assert answer.status_code == 422
        binding = generated.get_binding(f"fal:{model}")
        context = {"media_duration": {"video_url": 12.0}} if VIDEO in payload.values() else {}
        with pytest.raises(ValidationError) as caught:
            binding.input_model.model_validate(body, context=context, by_name=False)
        expected = [["body", *e["loc"]] for e in caught.value.errors()]
        assert [d["loc"] for d in data["detail"]] == expected
        assert all(d["msg"] and d["type"] for d in data["detail"])
    elif provider == "scenario":
        assert answer.status_code == 400
        assert data["reason"].startswith("Invalid parameters") and data["errors"]
    else:
        assert answer.status_code == 400
        assert data["error"]["type"] == "invalid_request_error" and data["error"]["code"] == 400


@pytest.mark.parametrize("model", list(GOOD))
def test_good_payload_is_accepted(
    server: EmulatorServer, video: dict[str, str], model: str
) -> None:
    provider = PROVIDER_OF[model]
    body = _resolve(GOOD[model], provider, video)
    assert _model_accepts(provider, model, body, known=VIDEO in GOOD[model].values())
    assert _send(server, provider, model, body).status_code in (200, 202)


def _mutations() -> Iterator[tuple[str, str, Any]]:
    for model, payload in GOOD.items():
        binding = generated.get_binding(f"{PROVIDER_OF[model]}:{model}")
        wire = [f.alias or name for name, f in binding.input_model.model_fields.items()]
        for field_name, value in itertools.product(wire, WEIRD_VALUES):
            if payload.get(field_name) == VIDEO and isinstance(value, str):
                continue  # a string naming no asset: the emulator's to refuse, not the model's
            yield model, field_name, value


def test_emulator_agrees_with_the_models_on_every_mutation(
    server: EmulatorServer, video: dict[str, str]
) -> None:
    disagreements: list[str] = []
    clients: dict[str, httpx.Client] = {p: make_client(server, p) for p in PROVIDER_OF.values()}
    try:
        for model, field_name, value in _mutations():
            provider = PROVIDER_OF[model]
            body = _resolve(GOOD[model], provider, video)
            body[field_name] = value
            known = GOOD[model].get(_media_key(model)) == VIDEO and body.get(_media_key(model)) in (
                video["scenario"],
                video["fal"],
            )
            expected = _model_accepts(provider, model, body, known=known)
            driver = Driver(server, provider, clients[provider])
            answer = (
                driver.submit({"model": model, **body})
                if provider == "aigateway"
                else driver.submit(body, model=model)
            )
            if (answer.status_code < 300) != expected:
                disagreements.append(f"{model} {field_name}={value!r}: {answer.status_code}")
    finally:
        for client in clients.values():
            client.close()
    assert disagreements == []


def _media_key(model: str) -> str:
    return {V2M: "video", FAL: "video_url"}.get(model, "")


def test_gateway_model_key_is_not_validated_as_a_field(server: EmulatorServer) -> None:
    answer = _send(server, "aigateway", GATEWAY, {"prompt": "x", "duration": 2})
    assert answer.status_code == 202


def test_every_generated_model_is_served(server: EmulatorServer) -> None:
    served: Callable[[str], bool] = server.emulator.catalogue.knows
    assert all(served(ref) for ref in generated.list_bindings())
