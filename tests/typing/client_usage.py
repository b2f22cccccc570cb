"""Typing: how users call the generated clients must pass ``mypy --strict`` (nox -s typecheck).

Never run; only type-checked. A regression in the clients' annotations fails here.
"""

from __future__ import annotations

from pathlib import Path

from musicbind.generated.aigateway.client import AsyncAIgatewayClient
from musicbind.generated.fal.client import FalClient
from musicbind.generated.scenario.client import ScenarioClient


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
