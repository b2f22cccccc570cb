"""The emulator speaks each provider's protocol: lifecycle, auth, dry run, cancel, files, ledger."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from decimal import Decimal

import httpx
import mutagen
import pytest
from test_emulator_support import (
    DEMO_VIDEO,
    FAST,
    OVERLAY_WORDS,
    PROVIDERS,
    Driver,
    make_client,
)

from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer

pytest_plugins = ["test_emulator_support"]  # the emu, drive and shared_emulator fixtures


def _seconds(content: bytes) -> float:
    found = mutagen.File(io.BytesIO(content))
    assert found is not None
    return float(found.info.length)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_job_runs_queued_then_running_then_done(
    drive: Callable[..., Driver], provider: str
) -> None:
    driver = drive(provider)
    submitted = driver.submit()
    assert submitted.status_code == {"scenario": 200, "fal": 200, "aigateway": 202}[provider]
    job_id = driver.job_id(submitted)
    seen = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        seen.append(driver.word(driver.status(job_id)))
        if seen[-1] in {"success", "COMPLETED", "completed"}:
            break
        time.sleep(0.01)
    assert set(seen) <= OVERLAY_WORDS[provider]
    first, running = seen[0], seen[len(seen) // 2]
    assert first in {"queued", "IN_QUEUE"}
    assert running not in {"success", "COMPLETED", "completed"}
    assert seen[-1] in {"success", "COMPLETED", "completed"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_result_audio_lasts_the_requested_duration(
    drive: Callable[..., Driver], provider: str
) -> None:
    driver = drive(provider)
    payload = driver.payload(seconds=4.5)
    _, urls = driver.run(payload)
    assert len(urls) == 1
    download = httpx.get(urls[0])
    assert download.status_code == 200
    assert download.headers["content-type"] == "audio/wav"
    assert _seconds(download.content) == pytest.approx(4.5, abs=1e-3)


def test_ninety_second_default_track_is_fast(drive: Callable[..., Driver]) -> None:
    driver = drive("scenario")
    _, urls = driver.run({"prompt": "long", "numSamples": 2})
    started = time.perf_counter()
    contents = [httpx.get(url).content for url in urls]
    assert time.perf_counter() - started < 1.5
    assert [_seconds(c) for c in contents] == [90.0, 90.0]
    assert contents[0] != contents[1]  # each sample is its own piece


def test_same_seed_same_audio_other_seed_other_audio() -> None:
    def one_track(seed: int) -> bytes:
        with (
            EmulatorServer(seed=seed, timing=FAST) as server,
            httpx.Client(
                base_url=server.base_url("aigateway"),
                headers={"Authorization": f"Bearer {server.env()['AIGATEWAY_API_KEY']}"},
            ) as client,
        ):
            driver = Driver(server, "aigateway", client)
            _, urls = driver.run(driver.payload(seconds=2.0))
            return httpx.get(urls[0]).content

    assert one_track(5) == one_track(5)
    assert one_track(5) != one_track(6)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_key_is_401_in_the_provider_shape(emu: EmulatorServer, provider: str) -> None:
    base = emu.base_url(provider)
    headers = {
        "scenario": {},
        "fal": {"Authorization": "Key wrong"},
        "aigateway": {"Authorization": "Bearer sk-aig-wrong"},
    }[provider]
    auth = ("emulator-scenario-key", "wrong") if provider == "scenario" else None
    path = {
        "scenario": "/v1/generate/custom/model_sonilo-v1-1-text-to-music",
        "fal": "/sonilo/v1.1/video-to-music",
        "aigateway": "/v1/audio/music",
    }[provider]
    answer = httpx.post(base + path, json={"prompt": "x"}, headers=headers, auth=auth)
    assert answer.status_code == 401
    body = answer.json()
    if provider == "scenario":
        assert "reason" in body
    elif provider == "fal":
        assert "detail" in body
    else:
        assert body["error"]["type"] == "authentication_error"
    assert emu.ledger.submissions == []


@pytest.mark.parametrize(
    ("provider", "model"),
    [("scenario", "model_nope"), ("fal", "nope/v1/thing"), ("aigateway", "nope/model")],
)
def test_unknown_model_is_404(drive: Callable[..., Driver], provider: str, model: str) -> None:
    driver = drive(provider)
    if provider == "aigateway":
        answer = driver.submit({"model": model, "prompt": "x"})
        assert answer.json()["error"]["type"] == "not_found"
    else:
        answer = driver.submit({"prompt": "x"}, model=model)
    assert answer.status_code == 404


def test_scenario_dry_run_prices_and_runs_nothing(
    drive: Callable[..., Driver], emu: EmulatorServer
) -> None:
    driver = drive("scenario")
    model = "/v1/generate/custom/model_sonilo-v1-1-text-to-music"
    quote = driver.client.post(model, params={"dryRun": "true"}, json={"prompt": "x"})
    assert quote.status_code == 269
    assert quote.json() == {"creativeUnitsCost": 9}  # 90 s default, 1 CU per started 10 s
    assert emu.ledger.accepted() == [] and emu.ledger.charges == []
    real = driver.submit({"prompt": "x"})
    assert real.json()["creativeUnitsCost"] == 9
    assert len(emu.ledger.live_charges("scenario")) == 1


def test_scenario_video_to_music_length_comes_from_the_uploaded_asset(
    drive: Callable[..., Driver],
) -> None:
    driver = drive("scenario")
    video = driver.upload_video()
    asset = driver.client.get(f"/v1/assets/{video}").json()["asset"]
    assert asset["metadata"]["duration"] == 12.0
    assert httpx.get(asset["url"]).content[4:8] == b"ftyp"
    _, urls = driver.run(
        {"video": video, "startOffset": 2}, model="model_sonilo-v1-1-video-to-music"
    )
    assert _seconds(httpx.get(urls[0]).content) == pytest.approx(10.0)
    missing = driver.submit({"video": "asset_missing"}, model="model_sonilo-v1-1-video-to-music")
    assert missing.status_code == 400 and "asset_missing" in missing.json()["reason"]


def test_scenario_video_to_music_payload_defaults(drive: Callable[..., Driver]) -> None:
    driver = drive("scenario")
    video = driver.upload_video()
    answer = driver.submit({"video": video}, model="model_sonilo-v1-1-video-to-music")
    assert answer.status_code == 200
    driver.wait(driver.job_id(answer))
    urls = driver.result_urls(driver.job_id(answer))
    assert _seconds(httpx.get(urls[0]).content) == pytest.approx(12.0)


def test_scenario_minimax_sings_four_seconds_a_line(drive: Callable[..., Driver]) -> None:
    driver = drive("scenario")
    lyrics = "## (Verse 1) ##\nline one\nline two\nline three\n## (Chorus) ##\nla\nla"
    answer = driver.submit({"lyrics": lyrics, "sampleRate": 24000}, model="minimax/music-01")
    assert answer.status_code == 200, answer.text
    job_id = driver.job_id(answer)
    driver.wait(job_id)
    content = httpx.get(driver.result_urls(job_id)[0]).content
    found = mutagen.File(io.BytesIO(content))
    assert found.info.length == pytest.approx(20.0) and found.info.sample_rate == 24000


def test_fal_video_to_music_without_duration_scores_the_rest_of_the_video(
    drive: Callable[..., Driver], emu: EmulatorServer
) -> None:
    driver = drive("fal")
    submitted = driver.submit({"video_url": emu.media_url(), "start_offset": 4, "num_samples": 2})
    job_id = driver.job_id(submitted)
    driver.wait(job_id)
    result = driver.client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
    assert result.headers["x-fal-request-id"] == job_id
    assert result.headers["x-fal-billable-units"] == "16"  # 8 s x 2 samples
    audios = result.json()["audios"]
    assert result.json()["audio"] == audios[0] and len(audios) == 2
    for audio in audios:
        content = httpx.get(audio["url"]).content
        assert len(content) == audio["file_size"]
        assert _seconds(content) == pytest.approx(8.0)
    charge = emu.ledger.live_charges("fal")[0]
    assert charge.amount == Decimal("0.144") and charge.currency == "USD"


def test_fal_queue_answers_point_back_here_and_use_202_until_done() -> None:
    with _slow_emulator() as server, make_client(server, "fal") as client:
        driver = Driver(server, "fal", client)
        queued = driver.submit().json()
        assert queued["status"] == "IN_QUEUE" and queued["queue_position"] == 0
        for key in ("response_url", "status_url", "cancel_url"):
            prefix = server.base_url("fal") + "/sonilo/v1.1/video-to-music/requests/"
            assert queued[key].startswith(prefix)
        first = client.get(queued["status_url"])
        assert first.status_code == 202 and first.json()["status"] == "IN_QUEUE"
        assert client.get(queued["response_url"]).status_code == 400  # not done yet
        done = driver.wait(queued["request_id"])
        assert done.status_code == 200 and done.json()["logs"]
        owner_app = client.get(f"/sonilo/v1.1/requests/{queued['request_id']}/status")
        assert owner_app.json()["status"] == "COMPLETED"


def test_fal_unreachable_video_url_fails_like_a_download_error(
    drive: Callable[..., Driver],
) -> None:
    driver = drive("fal")
    submitted = driver.submit({"video_url": "https://example.invalid/v.mp4"})
    assert submitted.status_code == 200  # fal checks the file when the job runs
    job_id = driver.job_id(submitted)
    status = driver.wait(job_id).json()
    assert status["status"] == "COMPLETED" and status["error_type"] == "bad_request"
    result = driver.client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
    assert result.status_code == 422
    assert result.json()["detail"][0]["type"] == "file_download_error"


def test_fal_storage_upload_serves_the_file_as_a_video_url(drive: Callable[..., Driver]) -> None:
    driver = drive("fal")
    started = driver.client.post(
        "/storage/upload/initiate", json={"content_type": "video/mp4", "file_name": "clip.mp4"}
    ).json()
    put = httpx.put(started["upload_url"], content=DEMO_VIDEO.read_bytes())
    assert put.status_code == 200
    assert httpx.get(started["file_url"]).content == DEMO_VIDEO.read_bytes()
    _, urls = driver.run({"video_url": started["file_url"], "start_offset": 10})
    assert _seconds(httpx.get(urls[0]).content) == pytest.approx(2.0)


def test_gateway_routes_auto_music_and_reports_format(drive: Callable[..., Driver]) -> None:
    driver = drive("aigateway")
    answer = driver.submit({"model": "auto/music", "prompt": "x", "duration": 2, "format": "wav"})
    assert answer.status_code == 202
    record = answer.json()
    assert record["model"] == "sonauto/v2/text-to-music" and record["id"].startswith("job_")
    assert isinstance(record["created"], int)
    done = driver.wait(record["id"]).json()
    assert done["result"]["duration"] == 2.0


# --- cancel semantics -------------------------------------------------------------------------


def _slow_emulator() -> EmulatorServer:
    return EmulatorServer(seed=3, timing=Timing(queue_s=0.3, run_s=0.6, cancel_s=0.05))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancel_a_queued_job_refunds_it(provider: str) -> None:
    with _slow_emulator() as server, make_client(server, provider) as client:
        driver = Driver(server, provider, client)
        job_id = driver.job_id(driver.submit())
        ack = driver.cancel(job_id)
        assert ack.status_code == 200
        final = driver.wait(job_id)
        assert driver.word(final) in {"canceled", "COMPLETED", "cancelled"}
        if provider == "scenario":
            assert driver.word(ack) in {"queued", "pending"}  # acknowledged, not terminal
        if provider == "fal":
            assert final.json()["error_type"] == "client_cancelled"
            result = client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
            assert result.status_code == 499
        assert server.ledger.live_charges(provider) == []


def test_scenario_cancel_while_finalizing_still_succeeds() -> None:
    with _slow_emulator() as server, make_client(server, "scenario") as client:
        driver = Driver(server, "scenario", client)
        job_id = driver.job_id(driver.submit())
        deadline = time.monotonic() + 3
        while driver.status(job_id).json()["job"]["progress"] < 0.8:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert driver.cancel(job_id).status_code == 200
        assert driver.word(driver.wait(job_id)) == "success"
        assert driver.cancel(job_id).status_code == 409


def test_gateway_cannot_cancel_a_running_job() -> None:
    with _slow_emulator() as server, make_client(server, "aigateway") as client:
        driver = Driver(server, "aigateway", client)
        job_id = driver.job_id(driver.submit())
        time.sleep(0.4)
        refused = driver.cancel(job_id)
        assert refused.status_code == 409
        assert driver.word(driver.wait(job_id)) == "completed"
        finished = driver.cancel(job_id)
        assert finished.status_code == 200 and finished.json()["status"] == "completed"


def test_fal_cancel_after_completion_is_already_completed(drive: Callable[..., Driver]) -> None:
    driver = drive("fal")
    job_id, _ = driver.run()
    refused = driver.cancel(job_id)
    assert refused.status_code == 400 and refused.json()["status"] == "ALREADY_COMPLETED"


# --- ledger and admin -------------------------------------------------------------------------


def test_ledger_counts_over_http_and_in_python(
    drive: Callable[..., Driver], emu: EmulatorServer
) -> None:
    for provider in PROVIDERS:
        driver = drive(provider)
        driver.run()
        driver.run()
    summary = emu.get("/_emulator/ledger").json()["summary"]
    for provider in PROVIDERS:
        assert summary[provider]["accepted"] == 2
        assert summary[provider]["charges"] == 2
        # the same payload twice: the ledger shows it, which is how tests count double charges
        assert summary[provider]["duplicate_charges"] == 1
    assert emu.ledger.duplicate_charges() == 3
    snapshot = emu.get("/_emulator/ledger").json()
    assert snapshot["job_states"]["succeeded"] >= 6
    assert {"provider", "job_id", "state", "seconds", "cost"} <= set(snapshot["jobs"][0])
    assert snapshot == emu.snapshot()
    assert emu.get("/_emulator/health").json()["ok"] is True
    assert httpx.delete(emu.origin + "/_emulator/ledger").status_code == 204
    assert emu.ledger.submissions == []


def test_idempotency_keys_are_recorded_and_honoured_on_request() -> None:
    with (
        EmulatorServer(timing=FAST, honour_idempotency_keys=True) as server,
        make_client(server, "fal") as client,
    ):
        driver = Driver(server, "fal", client)
        headers = {"Idempotency-Key": "k-1"}
        first = driver.job_id(driver.submit(headers=headers))
        again = driver.job_id(driver.submit(headers=headers))
        assert first == again
        outcomes = [s.outcome for s in server.ledger.submissions]
        assert outcomes == ["accepted", "deduplicated"]
        assert server.ledger.submissions[0].idempotency_key == "k-1"
        assert len(server.ledger.live_charges()) == 1
