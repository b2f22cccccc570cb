"""Bench: valid payloads for the five seed models, and hand-written pydantic twins of their inputs.

The hand-written models are what a careful person would write for the same fields (strict
types, the same bounds and defaults, unknown fields refused): the practical speed limit
for a pydantic model of those fields.
"""

from __future__ import annotations

import random
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

FAL_VIDEO_TO_MUSIC = "fal:sonilo/v1.1/video-to-music"
SCENARIO_TEXT_TO_MUSIC = "scenario:model_sonilo-v1-1-text-to-music"
SCENARIO_VIDEO_TO_MUSIC = "scenario:model_sonilo-v1-1-video-to-music"
SCENARIO_MINIMAX = "scenario:minimax/music-01"
GATEWAY_SONAUTO = "aigateway:sonauto/v2/text-to-music"
MEDIA_SECONDS = 600.0  # the video length given to the cross-field rule (every payload fits)
_WORDS = ("warm", "strings", "lo-fi", "piano", "drums", "cinematic", "slow", "bright", "synth")


def _prompt(rng: random.Random) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 12)))


def fal_payload(rng: random.Random, index: int) -> dict[str, Any]:
    """A valid fal video-to-music input (wire names); start + duration stays under 500 s."""
    payload: dict[str, Any] = {"video_url": f"https://cdn.example.com/clips/{index}.mp4"}
    if rng.random() < 0.7:
        payload["num_samples"] = rng.randint(1, 3)
    if rng.random() < 0.7:
        payload["prompt"] = _prompt(rng)
    if rng.random() < 0.7:
        payload["start_offset"] = round(rng.uniform(0, 200), 2)
    if rng.random() < 0.7:
        payload["duration"] = round(rng.uniform(1, 300), 2)
    return payload


def scenario_payload(rng: random.Random, index: int) -> dict[str, Any]:
    """A valid Scenario Sonilo text-to-music input (wire names: ``numSamples``)."""
    payload: dict[str, Any] = {"prompt": f"{_prompt(rng)} #{index}"}
    if rng.random() < 0.7:
        payload["duration"] = round(rng.uniform(1, 600), 2)
    if rng.random() < 0.7:
        payload["numSamples"] = rng.randint(1, 3)
    return payload


def scenario_video_payload(rng: random.Random, index: int) -> dict[str, Any]:
    """A valid Scenario Sonilo video-to-music input (camelCase wire names)."""
    payload: dict[str, Any] = {"video": f"https://cdn.example.com/clips/{index}.mp4"}
    if rng.random() < 0.7:
        payload["prompt"] = _prompt(rng)
    if rng.random() < 0.7:
        payload["numSamples"] = rng.randint(1, 3)
    if rng.random() < 0.7:
        payload["startOffset"] = round(rng.uniform(0, 200), 2)
    if rng.random() < 0.7:
        payload["duration"] = round(rng.uniform(1, 300), 2)
    return payload


def minimax_payload(rng: random.Random, index: int) -> dict[str, Any]:
    """A valid Scenario MiniMax Music-01 input (lyrics, optional reference files, choices)."""
    payload: dict[str, Any] = {"lyrics": f"{_prompt(rng)}\n{_prompt(rng)} #{index}"}
    for field in ("songFile", "voiceFile", "instrumentalFile"):
        if rng.random() < 0.3:
            payload[field] = f"https://cdn.example.com/{field}/{index}.mp3"
    if rng.random() < 0.7:
        payload["sampleRate"] = rng.choice((16000, 24000, 32000, 44100))
    if rng.random() < 0.7:
        payload["bitrate"] = rng.choice((32000, 64000, 128000, 256000))
    return payload


def sonauto_payload(rng: random.Random, index: int) -> dict[str, Any]:
    """A valid AI Gateway Sonauto v2 text-to-music input (lyrics may be null)."""
    payload: dict[str, Any] = {"prompt": f"{_prompt(rng)} #{index}"}
    if rng.random() < 0.7:
        payload["duration"] = round(rng.uniform(10, 240), 2)
    if rng.random() < 0.5:
        payload["lyrics"] = _prompt(rng) if rng.random() < 0.7 else None
    if rng.random() < 0.5:
        payload["is_instrumental"] = rng.random() < 0.5
    if rng.random() < 0.3:
        payload["lyrics_optimizer"] = rng.random() < 0.5
    if rng.random() < 0.7:
        payload["format"] = rng.choice(("mp3", "wav"))
    return payload


PAYLOAD_MAKERS = {
    FAL_VIDEO_TO_MUSIC: fal_payload,
    SCENARIO_TEXT_TO_MUSIC: scenario_payload,
    SCENARIO_VIDEO_TO_MUSIC: scenario_video_payload,
    SCENARIO_MINIMAX: minimax_payload,
    GATEWAY_SONAUTO: sonauto_payload,
}
"""The five seed models (the ones the project started with), by ref."""


def payloads(ref: str, count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` valid payloads for model ``ref``, the same for the same seed."""
    rng = random.Random(seed)
    make = PAYLOAD_MAKERS[ref]
    return [make(rng, index) for index in range(count)]


class HandFalVideoToMusic(BaseModel):
    """Hand-written twin of the fal video-to-music input."""

    model_config = ConfigDict(extra="forbid", strict=True)

    video_url: str
    num_samples: int | None = Field(1, ge=1, le=3)
    prompt: str | None = None
    start_offset: float | None = Field(None, ge=0, le=600)
    duration: float | None = Field(None, ge=1, le=600)


class HandFalVideoToMusicWithRule(HandFalVideoToMusic):
    """The same, with the start + duration <= video length rule written by hand."""

    @model_validator(mode="after")
    def _segment_fits(self, info: ValidationInfo) -> Self:
        context = info.context or {}
        total = context.get("media_duration", {}).get("video_url")
        if total is None:
            return self
        start = self.start_offset or 0.0
        if self.start_offset is not None and start >= total:
            raise ValueError("start_offset must be less than the video length")
        if self.duration is not None and start + self.duration > total:
            raise ValueError("start_offset + duration must not exceed the video length")
        return self


class HandScenarioTextToMusic(BaseModel):
    """Hand-written twin of the Scenario Sonilo text-to-music input (camelCase wire name)."""

    model_config = ConfigDict(
        extra="forbid", strict=True, validate_by_name=True, validate_by_alias=True
    )

    prompt: str
    duration: float | None = Field(90, ge=1, le=600)
    num_samples: int | None = Field(1, alias="numSamples", ge=1, le=3)


class HandScenarioVideoToMusic(BaseModel):
    """Hand-written twin of the Scenario Sonilo video-to-music input."""

    model_config = ConfigDict(
        extra="forbid", strict=True, validate_by_name=True, validate_by_alias=True
    )

    video: str
    prompt: str | None = None
    num_samples: int | None = Field(1, alias="numSamples", ge=1, le=3)
    start_offset: float | None = Field(None, alias="startOffset", ge=0, le=600)
    duration: float | None = Field(None, ge=1, le=600)


class HandMinimaxMusic01(BaseModel):
    """Hand-written twin of the Scenario MiniMax Music-01 input."""

    model_config = ConfigDict(
        extra="forbid", strict=True, validate_by_name=True, validate_by_alias=True
    )

    lyrics: str
    song_file: str | None = Field(None, alias="songFile")
    voice_file: str | None = Field(None, alias="voiceFile")
    instrumental_file: str | None = Field(None, alias="instrumentalFile")
    sample_rate: Literal[16000, 24000, 32000, 44100] = Field(44100, alias="sampleRate")
    bitrate: Literal[32000, 64000, 128000, 256000] = 256000


class HandSonautoV2(BaseModel):
    """Hand-written twin of the AI Gateway Sonauto v2 text-to-music input."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str
    duration: float | None = None
    lyrics: str | None = None
    is_instrumental: bool | None = None
    lyrics_optimizer: bool | None = None
    webhook_url: str | None = None
    format: Literal["mp3", "wav"] | None = None


HAND_WRITTEN: dict[str, type[BaseModel]] = {
    FAL_VIDEO_TO_MUSIC: HandFalVideoToMusic,
    SCENARIO_TEXT_TO_MUSIC: HandScenarioTextToMusic,
    SCENARIO_VIDEO_TO_MUSIC: HandScenarioVideoToMusic,
    SCENARIO_MINIMAX: HandMinimaxMusic01,
    GATEWAY_SONAUTO: HandSonautoV2,
}
