"""A user's mypy catches mistakes on typed outputs: Scenario results and run(ref) results.

The script below is checked the way a user's project is: ``mypy --strict`` (the dev
venv's) in a folder outside the repository, with ``musicbind`` found as an installed
package would be (errors inside it silenced). The editable install is an import hook
mypy cannot follow, so ``MYPYPATH`` points at a folder holding only a ``musicbind`` link.
Every deliberate mistake must be reported, on its line, and nothing else.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The comment on each wrong line is the error mypy must report there (the start of its
# message); other lines are right. ``None`` is a value: only nullable fields take it.
USER_SCRIPT = """\
from musicbind.generated.aigateway.client import AIgatewayClient, AsyncAIgatewayClient
from musicbind.generated.fal.client import FalClient
from musicbind.generated.scenario.client import AsyncScenarioClient, ScenarioClient


def scenario_mistakes() -> None:
    with ScenarioClient() as scenario:
        out = scenario.minimax_music_01(lyrics="la")
        print(out.job_id, out.asset_ids, out.urls, out.assets[0].url)
        print(out.audio_url)  # "ScenarioJobOutput" has no attribute "audio_url"
        print(out.assets[0].duration)  # "ScenarioAsset" has no attribute "duration"
        print(out.assets[0].metadata.duration)
        job = scenario.submit_sonilo_v1_1_text_to_music(prompt="calm")
        print(job.result().url)  # "ScenarioJobOutput" has no attribute "url"
        ran = scenario.run("scenario:minimax/music-01", {"lyrics": "la"})
        print(ran.audios)  # "ScenarioJobOutput" has no attribute "audios"


def run_by_ref_mistakes(url: str) -> None:
    with FalClient() as fal:
        scored = fal.run("fal:sonilo/v1.1/video-to-music", {"video_url": url})
        print([audio.url for audio in scored.audios])
        print(scored.url)  # "SoniloV11VideoToMusicOutput" has no attribute "url"
        job = fal.submit("fal:sonilo/v1.1/video-to-music", {"video_url": url})
        result = job.result()
        print(result.audio.url, result.audios[0].url)
        print(result.tracks)  # "SoniloV11VideoToMusicOutput" has no attribute "tracks"
        fal.sonilo_v1_1_video_to_music(video_url=url, prompt=None)
        fal.sonilo_v1_1_video_to_music(video_url=url, num_samples=None)  # Argument "num_samples"
    with AIgatewayClient() as gateway:
        payload = {"prompt": "lo-fi", "duration": 30.0}
        out = gateway.run("aigateway:sonauto/v2/text-to-music", payload)
        print(out.url, out.duration)
        print(out.urls)  # "SonautoV2TextToMusicOutput" has no attribute "urls"


async def async_mistakes() -> None:
    async with AsyncScenarioClient() as scenario, AsyncAIgatewayClient() as gateway:
        song = await scenario.run("scenario:minimax/music-01", {"lyrics": "la"})
        print(song.assets[0].mime_type)
        print(song.assets[0].mimeType)  # "ScenarioAsset" has no attribute "mimeType"
        job = await gateway.submit("aigateway:sonauto/v2/text-to-music", {"prompt": "x"})
        print((await job.result()).length)  # "SonautoV2TextToMusicOutput" has no attribute "length"
"""

_ERROR = re.compile(r"^user_script\.py:(\d+): error: (.*?)  \[(?P<code>[\w-]+)\]$")


def _expected() -> list[tuple[int, str]]:
    expected = []
    for number, line in enumerate(USER_SCRIPT.splitlines(), start=1):
        if "  # " in line:
            expected.append((number, line.split("  # ", 1)[1]))
    return expected


def test_users_mypy_reports_exactly_the_mistakes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "musicbind").symlink_to(ROOT / "musicbind", target_is_directory=True)
    project = tmp_path / "project"
    project.mkdir()
    (project / "user_script.py").write_text(USER_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MYPY"))}
    env["MYPYPATH"] = str(site)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",  # as for an installed package: its own errors are not ours
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            "user_script.py",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    errors = [line for line in lines if ": error:" in line]
    reported = []
    for line in errors:
        match = _ERROR.match(line)
        assert match, f"not an error of the user's script: {line}\n{done.stdout}{done.stderr}"
        assert match["code"] in ("attr-defined", "arg-type"), line
        reported.append((int(match[1]), match[2].split(";")[0]))  # without "maybe ...?"
    expected = _expected()
    assert [n for n, _ in reported] == [n for n, _ in expected], done.stdout + done.stderr
    for (_, message), (_, start) in zip(reported, expected, strict=True):
        assert message.startswith(start), done.stdout + done.stderr
    assert done.returncode == 1, done.stdout + done.stderr
