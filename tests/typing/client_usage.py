"""Typing: how users call the generated clients must pass ``mypy --strict`` (nox -s typecheck).

Never run; only type-checked. A regression in the clients' annotations fails here:
``assert_type`` pins each result to the exact type a user's checker must see.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

from pydantic import BaseModel

from musicbind.generated.aigateway.client import AIgatewayClient, AsyncAIgatewayClient
from musicbind.generated.aigateway.sonauto_v2_text_to_music import SonautoV2TextToMusicOutput
from musicbind.generated.fal.client import AsyncFalClient, FalClient
from musicbind.generated.fal.sonilo_v1_1_video_to_music import (
    SoniloV11VideoToMusicInput,
    SoniloV11VideoToMusicOutput,
)
from musicbind.generated.scenario.client import AsyncScenarioClient, ScenarioClient
from musicbind.runtime import NOT_GIVEN, AsyncJob, Job, NotGiven, ScenarioAsset, ScenarioJobOutput


def score_video(url: str) -> list[str]:
    with FalClient() as fal:
        out = fal.sonilo_v1_1_video_to_music(video_url=url, num_samples=2, duration=5.0)
        return [audio.url for audio in out.audios]


def soundtrack(video: Path, out: Path) -> list[Path]:
    with ScenarioClient() as scenario:
        job = scenario.submit_sonilo_v1_1_video_to_music(video=video, start_offset=2, duration=6)
        job.wait(timeout=600)
        return job.download(out)


async def jingle() -> str | None:
    async with AsyncAIgatewayClient() as gateway:
        out = await gateway.sonauto_v2_text_to_music(prompt="lo-fi", duration=30, format="wav")
        return out.url


# Scenario: every method returns the protocol's typed result (job id, asset ids, assets).


def scenario_song(lyrics: str) -> list[str]:
    with ScenarioClient() as scenario:
        out = scenario.minimax_music_01(lyrics=lyrics, sample_rate=44100)
        assert_type(out, ScenarioJobOutput)
        first: ScenarioAsset = out.assets[0]
        kinds = [asset.mime_type or "" for asset in out.assets]
        seconds = [asset.metadata.duration or 0.0 for asset in out.assets]
        sizes = [asset.metadata.size or 0 for asset in out.assets]
        print(out.job_id, out.asset_ids, first.id, kinds, seconds, sizes)
        return [asset.url for asset in out.assets if asset.url] + out.urls


def scenario_submitted(prompt: str) -> list[str]:
    with ScenarioClient() as scenario:
        job = scenario.submit_sonilo_v1_1_text_to_music(prompt=prompt, num_samples=2)
        assert_type(job, Job[ScenarioJobOutput])
        return job.result(timeout=600).asset_ids


async def scenario_async(video: Path) -> str:
    async with AsyncScenarioClient() as scenario:
        out = await scenario.sonilo_v1_1_video_to_music(video=video, duration=6)
        assert_type(out, ScenarioJobOutput)
        job = await scenario.submit_minimax_music_01(lyrics="la")
        assert_type(job, AsyncJob[ScenarioJobOutput])
        done = await job.result()
        return out.job_id + done.assets[0].id


# run(ref, payload) / submit(ref, payload) with a literal ref: that model's output.


def gateway_by_ref() -> float | None:
    with AIgatewayClient() as gateway:
        out = gateway.run(
            "aigateway:sonauto/v2/text-to-music", {"prompt": "lo-fi", "duration": 30.0}
        )
        assert_type(out, SonautoV2TextToMusicOutput)
        print(out.url, out.duration)
        job = gateway.submit("aigateway:sonauto/v2/text-to-music", {"prompt": "lo-fi"})
        assert_type(job, Job[SonautoV2TextToMusicOutput])
        return job.result().duration


def fal_by_ref(url: str) -> list[str]:
    with FalClient() as fal:
        out = fal.run("fal:sonilo/v1.1/video-to-music", {"video_url": url})
        assert_type(out, SoniloV11VideoToMusicOutput)
        job = fal.submit("fal:sonilo/v1.1/video-to-music", {"video_url": url}, max_cost=1)
        assert_type(job, Job[SoniloV11VideoToMusicOutput])
        return [a.url for a in out.audios] + [a.url for a in job.result(timeout=60).audios]


def scenario_by_ref() -> list[str]:
    with ScenarioClient() as scenario:
        out = scenario.run("scenario:model_sonilo-v1-1-text-to-music", {"prompt": "calm"})
        assert_type(out, ScenarioJobOutput)
        job = scenario.submit("scenario:minimax/music-01", {"lyrics": "la"})
        assert_type(job, Job[ScenarioJobOutput])
        return out.urls + job.result().asset_ids


async def async_by_ref(url: str) -> list[str]:
    async with AsyncFalClient() as fal, AsyncScenarioClient() as scenario:
        scored = await fal.run("fal:sonilo/v1.1/video-to-music", {"video_url": url})
        assert_type(scored, SoniloV11VideoToMusicOutput)
        fal_job = await fal.submit("fal:sonilo/v1.1/video-to-music", {"video_url": url})
        assert_type(fal_job, AsyncJob[SoniloV11VideoToMusicOutput])
        song = await scenario.run("scenario:minimax/music-01", {"lyrics": "la"})
        assert_type(song, ScenarioJobOutput)
        job = await scenario.submit("scenario:model_sonilo-v1-1-text-to-music", {"prompt": "x"})
        assert_type(job, AsyncJob[ScenarioJobOutput])
        async with AsyncAIgatewayClient() as gateway:
            track = await gateway.run("aigateway:sonauto/v2/text-to-music", {"prompt": "x"})
            assert_type(track, SonautoV2TextToMusicOutput)
            gateway_job = await gateway.submit("aigateway:sonauto/v2/text-to-music", {})
            assert_type(gateway_job, AsyncJob[SonautoV2TextToMusicOutput])
            print(track.url, (await gateway_job.result()).duration)
        return (
            [a.url for a in scored.audios]
            + [a.url for a in (await fal_job.result()).audios]
            + song.urls
            + (await job.result()).asset_ids
        )


# The general forms keep working: any ref string, a Binding, or an explicit output model.


class MyOutput(BaseModel):
    url: str


def general_forms(ref: str) -> str:
    with AIgatewayClient() as gateway:
        assert_type(gateway.run(ref, {"prompt": "x"}), BaseModel)
        assert_type(gateway.submit(ref, {"prompt": "x"}), Job[BaseModel])
        mine = gateway.run("aigateway:sonauto/v2/text-to-music", {}, output_type=MyOutput)
        assert_type(mine, MyOutput)
        binding = gateway.resolve_binding(ref)
        assert_type(gateway.run(binding, {"prompt": "x"}), BaseModel)
        return mine.url


# Null and "not given": optional keywords default to NOT_GIVEN (never sent); None is null and
# type-checks only where the documents allow null.


def null_and_not_given(url: str) -> None:
    assert_type(NOT_GIVEN, NotGiven)
    with FalClient() as fal:
        fal.sonilo_v1_1_video_to_music(video_url=url, prompt=None)  # nullable: sent as null
        fal.sonilo_v1_1_video_to_music(video_url=url, num_samples=NOT_GIVEN)
        fal.sonilo_v1_1_video_to_music(video_url=url, num_samples=None)  # type: ignore[arg-type]
    given = SoniloV11VideoToMusicInput(video_url=url, num_samples=2)
    assert_type(given.num_samples, int)
    assert_type(given.prompt, str | None)
