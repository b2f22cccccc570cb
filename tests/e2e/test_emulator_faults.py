"""Every fault kind against every provider, over real sockets, with the ledger as witness."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from test_emulator_support import FAST, OVERLAY_WORDS, PROVIDERS, Driver, make_client

from musicbind.emulator.faults import FaultSpecError, parse_fault_spec
from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer

pytest_plugins = ["test_emulator_support"]  # the emu, drive and shared_emulator fixtures

ERROR_SHAPE: dict[str, Callable[[dict[str, object]], bool]] = {
    "scenario": lambda body: isinstance(body.get("reason"), str),
    "fal": lambda body: "detail" in body,
    "aigateway": lambda body: isinstance(body.get("error"), dict) and "type" in body["error"],
}


def _first_job_id(emu: EmulatorServer, provider: str) -> str:
    accepted = emu.ledger.accepted(provider)
    assert len(accepted) == 1
    assert accepted[0].job_id is not None
    return accepted[0].job_id


# --- answered errors: 429 and 5xx -----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limit_on_submit_says_when_to_retry(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    driver = drive(provider)
    emu.set_faults(f"{provider}.submit=429(2)")
    limited = driver.submit()
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert ERROR_SHAPE[provider](limited.json())
    if provider == "aigateway":
        assert limited.json()["error"]["type"] == "rate_limit_error"
    assert emu.ledger.accepted() == []
    assert driver.submit().status_code in (200, 202)
    assert len(emu.ledger.accepted(provider)) == 1


def test_fractional_retry_after_adds_milliseconds(
    drive: Callable[..., Driver], emu: EmulatorServer
) -> None:
    emu.set_faults("fal.status=429(0.25)")
    driver = drive("fal")
    limited = driver.status(driver.job_id(driver.submit()))
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["retry-after-ms"] == "250"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_error_burst_on_status_then_recovery(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    driver = drive(provider)
    job_id = driver.job_id(driver.submit())
    emu.set_faults(f"{provider}.status=503:3")
    codes = [driver.status(job_id).status_code for _ in range(4)]
    assert codes[:3] == [503, 503, 503] and codes[3] in (200, 202)
    burst = emu.ledger.faults_fired(provider, "status")
    assert len(burst) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_on_submit_accept_nothing(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str, status: int
) -> None:
    emu.set_faults(f"{provider}.submit={status}")
    answer = drive(provider).submit()
    assert answer.status_code == status
    assert ERROR_SHAPE[provider](answer.json())
    if provider == "fal":
        assert answer.headers["X-Fal-Error-Type"] == answer.json()["error_type"]
    assert emu.ledger.charges == []


def test_skip_lets_requests_through_first(
    drive: Callable[..., Driver], emu: EmulatorServer
) -> None:
    driver = drive("aigateway")
    job_id = driver.job_id(driver.submit())
    emu.set_faults("aigateway.status=500:2@1")
    codes = [driver.status(job_id).status_code for _ in range(4)]
    assert codes == [200, 500, 500, 200]


# --- connection resets: before and after acceptance ---------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reset_before_submit_accepts_and_charges_nothing(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=reset")
    with pytest.raises(httpx.TransportError):
        drive(provider).submit()
    assert emu.ledger.submissions == [] and emu.ledger.charges == []
    assert [f.rule for f in emu.ledger.faults] == [f"{provider}.submit=reset:1"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reset_after_accept_is_the_double_charge_trap(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=reset_after_accept")
    driver = drive(provider)
    with pytest.raises(httpx.TransportError):
        driver.submit()
    job_id = _first_job_id(emu, provider)  # created and charged although the client saw nothing
    assert emu.ledger.submissions[0].fault == f"{provider}.submit=reset_after_accept:1"
    assert len(emu.ledger.live_charges(provider)) == 1
    assert emu.ledger.duplicate_charges() == 0
    assert driver.word(driver.wait(job_id)) in {"success", "COMPLETED", "completed"}
    driver.submit()  # what a blind retry does
    assert emu.ledger.duplicate_charges(provider) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_reset_on_status_loses_only_that_answer(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    driver = drive(provider)
    job_id = driver.job_id(driver.submit())
    emu.set_faults(f"{provider}.status=reset")
    with pytest.raises(httpx.TransportError):
        driver.status(job_id)
    assert driver.status(job_id).status_code in (200, 202)


# --- slow answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_slow_submit_times_the_client_out_but_is_accepted(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=slow(0.6)")
    driver = drive(provider, timeout=0.2)
    with pytest.raises(httpx.ReadTimeout):
        driver.submit()
    assert len(emu.ledger.accepted(provider)) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_slow_status_answer_arrives_late(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    driver = drive(provider)
    job_id = driver.job_id(driver.submit())
    emu.set_faults(f"{provider}.status=slow(0.3)")
    started = time.monotonic()
    assert driver.status(job_id).status_code in (200, 202)
    assert time.monotonic() - started >= 0.3


# --- jobs that fail, are cancelled, or never end ------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_job_failure_in_the_provider_shape(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=fail")
    driver = drive(provider)
    job_id = driver.job_id(driver.submit())
    final = driver.wait(job_id).json()
    if provider == "scenario":
        assert final["job"]["status"] in {"failed", "failure"}
        assert final["job"]["metadata"]["error"] and final["job"]["metadata"]["assetIds"] == []
        assert len(emu.ledger.live_charges("scenario")) == 1  # a failed job may not be refunded
    elif provider == "fal":
        assert final["status"] == "COMPLETED" and final["error_type"] == "runner_server_error"
        result = driver.client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
        assert result.status_code == 500
        assert result.headers["X-Fal-Error-Type"] == "runner_server_error"
        assert emu.ledger.live_charges("fal") == []
    else:
        assert final["status"] == "failed" and final["error"]["message"]
        assert emu.ledger.live_charges("aigateway") == []


def test_fal_failure_as_422_on_the_result_fetch(
    drive: Callable[..., Driver], emu: EmulatorServer
) -> None:
    emu.set_faults("fal.submit=fail_422")
    driver = drive("fal")
    job_id = driver.job_id(driver.submit())
    driver.wait(job_id)
    result = driver.client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
    assert result.status_code == 422
    detail = result.json()["detail"]
    assert detail[0]["loc"] == ["body", "video_url"] and detail[0]["msg"] and detail[0]["type"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_cancels_the_job(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=cancel")
    driver = drive(provider)
    final = driver.wait(driver.job_id(driver.submit())).json()
    if provider == "scenario":
        assert final["job"]["status"] == "canceled"
    elif provider == "fal":
        assert final["status"] == "COMPLETED" and final["error_type"] == "client_cancelled"
    else:
        assert final["status"] == "cancelled"
    assert emu.ledger.live_charges(provider) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stalled_job_never_finishes(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=stall")
    driver = drive(provider)
    job_id = driver.job_id(driver.submit())
    time.sleep(FAST.queue_s + FAST.run_s + 0.1)
    word = driver.word(driver.status(job_id))
    assert word in {"finalizing", "processing", "IN_PROGRESS", "running"}
    with pytest.raises(AssertionError, match="still"):
        driver.wait(job_id, timeout=0.1)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancel_acknowledged_but_ignored(provider: str) -> None:
    pace = Timing(queue_s=0.3, run_s=0.3, cancel_s=0.02)
    faults = f"{provider}.cancel=cancel_ignored"
    with (
        EmulatorServer(timing=pace, faults=faults) as server,
        make_client(server, provider) as client,
    ):
        driver = Driver(server, provider, client)
        job_id = driver.job_id(driver.submit())
        assert driver.cancel(job_id).status_code == 200
        assert driver.word(driver.wait(job_id)) in {"success", "COMPLETED", "completed"}
        assert len(server.ledger.live_charges(provider)) == 1
        if provider == "fal":
            result = client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
            assert result.status_code == 200


# --- broken answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_truncated_download(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    _, urls = drive(provider).run()
    emu.set_faults(f"{provider}.download=truncate")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(urls[0])
    assert httpx.get(urls[0]).status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_content_length(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    _, urls = drive(provider).run()
    full = httpx.get(urls[0]).content
    emu.set_faults(f"{provider}.download=bad_length")
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", urls[0]) as response:
        assert int(response.headers["content-length"]) == len(full) + 1024
        for chunk in response.iter_bytes():
            received += chunk
    assert bytes(received) == full  # every byte came, the promised rest never did


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("op", ["submit", "status"])
def test_malformed_json(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str, op: str
) -> None:
    driver = drive(provider)
    job_id = None if op == "submit" else driver.job_id(driver.submit())
    emu.set_faults(f"{provider}.{op}=malformed")
    answer = driver.submit() if job_id is None else driver.status(job_id)
    assert answer.status_code in (200, 202)
    with pytest.raises(ValueError):
        answer.json()
    if op == "submit":
        assert len(emu.ledger.accepted(provider)) == 1  # broken answer, real job


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_status_word(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    driver = drive(provider)
    job_id = driver.job_id(driver.submit())
    emu.set_faults(f"{provider}.status=unknown_status")
    word = driver.word(driver.status(job_id))
    assert word not in OVERLAY_WORDS[provider]
    assert driver.word(driver.status(job_id)) in OVERLAY_WORDS[provider]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_result_url_redirects_to_another_origin(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str
) -> None:
    _, urls = drive(provider).run()
    emu.set_faults(f"{provider}.download=redirect")
    moved = httpx.get(urls[0])
    assert moved.status_code == 307
    location = moved.headers["location"]
    here, there = urlsplit(urls[0]), urlsplit(location)
    assert (there.hostname, there.port) != (here.hostname, here.port)
    assert there.hostname == "localhost" and there.path == here.path
    assert httpx.get(location).content[:4] == b"RIFF"
    httpx.get(location, headers={"Authorization": "Bearer leaked"})
    arrivals = [d for d in emu.ledger.downloads if d.origin.startswith("localhost")]
    assert [d.authorization_sent for d in arrivals] == [False, True]


@pytest.mark.parametrize(
    ("provider", "op"),
    [
        ("scenario", "result"),
        ("fal", "result"),
        ("scenario", "upload"),
        ("fal", "cancel"),
        ("aigateway", "cancel"),
        ("scenario", "quote"),
    ],
)
def test_faults_reach_every_operation(
    drive: Callable[..., Driver], emu: EmulatorServer, provider: str, op: str
) -> None:
    driver = drive(provider)
    job_id, _ = driver.run()
    emu.set_faults(f"{provider}.{op}=502")
    if op == "result" and provider == "fal":
        answer = driver.client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
    elif op == "result":
        asset = driver.status(job_id).json()["job"]["metadata"]["assetIds"][0]
        answer = driver.client.get(f"/v1/assets/{asset}")
    elif op == "upload":
        answer = driver.client.post("/v1/assets", json={"name": "a.wav", "file": "UklGRg=="})
    elif op == "quote":
        answer = driver.client.post(
            "/v1/generate/custom/model_sonilo-v1-1-text-to-music",
            params={"dryRun": "true"},
            json={"prompt": "x"},
        )
    else:
        answer = driver.cancel(job_id)
    assert answer.status_code == 502
    assert ERROR_SHAPE[provider](answer.json())


# --- determinism, the spec language and the admin endpoint ----------------------------------------


def _codes(seed: int) -> list[int]:
    with (
        EmulatorServer(seed=seed, timing=FAST, faults="*.status=503:*~0.5") as server,
        make_client(server, "aigateway") as client,
    ):
        driver = Driver(server, "aigateway", client)
        job_id = driver.job_id(driver.submit())
        return [driver.status(job_id).status_code for _ in range(24)]


def test_chance_faults_are_deterministic_by_seed() -> None:
    first = _codes(42)
    assert first == _codes(42)
    assert {200, 503} == set(first)
    assert first != _codes(43)


@pytest.mark.parametrize(
    ("spec", "described"),
    [
        ("fal.submit=reset_after_accept", ["fal.submit=reset_after_accept:1"]),
        (
            "scenario.status=429:2, aigateway.download=truncate",
            ["scenario.status=429(1):2", "aigateway.download=truncate:1"],
        ),
        ("*.status=503:*~0.25", ["*.status=503:*~0.25"]),
        ("fal.submit=reset_after", ["fal.submit=reset_after_accept:1"]),
        ("aigateway.status=500:3@2", ["aigateway.status=500:3@2"]),
        ("fal.status=slow(1.5)", ["fal.status=slow(1.5):1"]),
        ("", []),
    ],
)
def test_fault_spec_round_trips(spec: str, described: list[str]) -> None:
    assert [rule.describe() for rule in parse_fault_spec(spec)] == described


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("fal.submit", "expected PROVIDER.OP=KIND"),
        ("stripe.submit=429", "unknown provider 'stripe'"),
        ("fal.poll=429", "unknown operation 'poll'"),
        ("aigateway.result=500", "aigateway has no 'result' operation"),
        ("fal.submit=explode", "unknown fault kind 'explode'"),
        ("fal.submit=302", "HTTP status 302 is not an error"),
        ("fal.status=fail", "'fail' acts on the job a submit creates"),
        ("fal.submit=cancel_ignored", "'cancel_ignored' acts on a cancel"),
        ("fal.download=unknown_status", "'unknown_status' acts on status answers"),
        ("fal.status=503:0", "COUNT must be at least 1"),
        ("fal.status=503~1.5", "CHANCE must be in (0, 1]"),
        ("fal.status=503,scenario.oops=1", "fault rule 2"),
    ],
)
def test_fault_spec_errors_say_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(
        FaultSpecError, match=complaint.replace("(", r"\(").replace(")", r"\)").replace("]", r"\]")
    ):
        parse_fault_spec(spec)


def test_admin_endpoint_sets_and_reports_faults(emu: EmulatorServer) -> None:
    bad = httpx.post(emu.origin + "/_emulator/faults", json={"faults": "fal.submit=nope"})
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    good = httpx.post(emu.origin + "/_emulator/faults", content="aigateway.submit=503:2")
    assert good.json() == {"rules": [{"rule": "aigateway.submit=503:2", "fired": 0, "seen": 0}]}
    with make_client(emu, "aigateway") as client:
        Driver(emu, "aigateway", client).submit()
    assert emu.get("/_emulator/faults").json()["rules"][0]["fired"] == 1
