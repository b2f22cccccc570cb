"""The emulator serves a bindings package's generic (OpenAPI-bound) providers from PROTOCOL alone.

Against a running EmulatorServer with httpx: auth per scheme, located 422s, JSON, binary and
job answers, the job lifecycle, cancel, multipart bodies, faults by provider name, the
environment it exports, the pytest plugin and ``musicbind emulate --package``.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from emugen_package import PACKAGE, write_package

from musicbind.emulator.audio import wav_size
from musicbind.emulator.faults import FaultSpecError, parse_fault_spec
from musicbind.emulator.jobs import Timing
from musicbind.emulator.providers.generic import UNKNOWN_WORD, status_word
from musicbind.emulator.server import EmulatorServer
from musicbind.runtime import Client, JobState, ProviderProtocol

TERMINAL = ("done", "error", "cancelled")
FAST = Timing(queue_s=0.06, run_s=0.12, cancel_s=0.02)


@pytest.fixture(scope="module", autouse=True)
def emugen_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hand-written package, written once and importable for this module's tests."""
    root = tmp_path_factory.mktemp("emugen")
    write_package(root)
    sys.path.insert(0, str(root))
    yield str(root)
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    """An emulator serving the hand-written package, with fast jobs."""
    with EmulatorServer(package=PACKAGE, timing=FAST, seed=5) as server:
        yield server


def _bearer(emu: EmulatorServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.api_key('tunesmith')}"}


def _output_model(ref: str) -> Any:
    return importlib.import_module(PACKAGE).get_binding(ref).output_model


def _poll(emu: EmulatorServer, task_id: str) -> tuple[list[str], dict[str, Any]]:
    """Every status word seen (in order, repeats dropped) and the final status answer."""
    url = f"{emu.base_url('tunesmith')}/v2/tasks/{task_id}"
    seen: list[str] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = httpx.get(url, headers=_bearer(emu)).json()
        if not seen or seen[-1] != body["state"]:
            seen.append(body["state"])
        if body["state"] in TERMINAL:
            return seen, body
        time.sleep(0.015)
    raise AssertionError(f"the job never ended: {seen}")


def test_env_points_clients_at_each_generic_provider(emu: EmulatorServer) -> None:
    env = emu.env()
    for name in ("tunesmith", "hdrtunes", "qtunes", "btunes", "opentunes"):
        assert env[f"MUSICBIND_{name.upper()}_BASE_URL"] == f"{emu.origin}/{name}"
    assert env["TUNESMITH_API_KEY"] == emu.api_key("tunesmith")
    assert env["HDRTUNES_TOKEN"] == emu.api_key("hdrtunes")  # the protocol's key_env
    assert "HDRTUNES_API_KEY" not in env
    assert env["BTUNES_API_SECRET"] == emu.api_secret("btunes") == "emulator-btunes-secret"
    assert not any(key.startswith("OPENTUNES") for key in env)  # auth "none": no key
    assert env["FAL_KEY"]  # the named providers are still served
    health = emu.get("/_emulator/health").json()
    assert health["package"] == PACKAGE
    assert health["generic_providers"] == ["btunes", "hdrtunes", "opentunes", "qtunes", "tunesmith"]


@pytest.mark.parametrize(
    ("provider", "send"),
    [
        ("tunesmith", lambda key: {"headers": {"Authorization": f"Bearer {key}"}}),
        ("hdrtunes", lambda key: {"headers": {"X-Api-Key": key}}),
        ("qtunes", lambda key: {"params": {"api_key": key}}),
        ("btunes", lambda key: {"auth": (key, "emulator-btunes-secret")}),
    ],
)
def test_each_auth_scheme_refuses_a_missing_or_wrong_key(
    emu: EmulatorServer, provider: str, send: Any
) -> None:
    path = "/v1/compose" if provider == "tunesmith" else "/compose"
    url = emu.base_url(provider) + path
    body = {"prompt": "a calm tune"}
    assert httpx.post(url, json=body).status_code == 401
    assert httpx.post(url, json=body, **send("emulator-wrong-key")).status_code == 401
    assert httpx.post(url, json=body, **send(emu.api_key(provider))).status_code == 200
    assert [s.outcome for s in emu.ledger.submissions] == ["accepted"]  # refusals cost nothing


def test_a_provider_without_auth_answers_anyone(emu: EmulatorServer) -> None:
    answer = httpx.post(emu.base_url("opentunes") + "/compose", json={"prompt": "hum"})
    assert answer.status_code == 200


def test_a_bad_payload_is_a_422_naming_each_field(emu: EmulatorServer) -> None:
    url = emu.base_url("tunesmith") + "/v1/compose"
    answer = httpx.post(url, json={"prompt": "", "duration": 3, "tempo": 1}, headers=_bearer(emu))
    assert answer.status_code == 422
    located = {tuple(e["loc"]): e["type"] for e in answer.json()["detail"]}
    assert located == {
        ("body", "prompt"): "string_too_short",
        ("body", "duration"): "greater_than_equal",
        ("body", "tempo"): "extra_forbidden",
    }
    not_json = httpx.post(url, content=b"{", headers=_bearer(emu))
    assert not_json.status_code == 422
    assert not_json.json()["detail"][0]["loc"] == ["body"]
    assert [s.outcome for s in emu.ledger.submissions] == ["rejected", "rejected"]
    assert emu.ledger.live_charges() == []


def test_a_json_answer_fits_the_output_model_and_its_urls_download(emu: EmulatorServer) -> None:
    url = emu.base_url("tunesmith") + "/v1/compose"
    answer = httpx.post(url, json={"prompt": "waltz", "duration": 30}, headers=_bearer(emu))
    assert answer.status_code == 200
    result = _output_model("tunesmith:compose").model_validate(answer.json())
    track = result.tracks[0]
    assert track.duration == 30.0
    audio = httpx.get(track.url)
    assert audio.status_code == 200
    assert audio.content[:4] == b"RIFF"
    assert len(audio.content) == wav_size(30.0)
    assert emu.ledger.total_charged("tunesmith") == Decimal("0.30")  # the binding's price


def test_a_binary_answer_is_the_audio_with_the_documented_type(emu: EmulatorServer) -> None:
    url = emu.base_url("tunesmith") + "/v1/render"
    answer = httpx.post(url, json={"text": "la la", "voice": "alto"}, headers=_bearer(emu))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/mpeg"
    assert int(answer.headers["content-length"]) == len(answer.content) == wav_size(10.0)
    assert answer.content[:4] == b"RIFF"
    refused = httpx.post(url, json={"text": "la", "voice": "bass"}, headers=_bearer(emu))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "voice"]


def test_a_job_runs_to_completion_and_its_result_fits_the_output_model(
    emu: EmulatorServer,
) -> None:
    url = emu.base_url("tunesmith") + "/v2/songs"
    submitted = httpx.post(url, json={"prompt": "sea shanty"}, headers=_bearer(emu))
    assert submitted.status_code == 200
    task_id = submitted.json()["task_id"]
    assert submitted.json()["state"] == "pending"
    seen, final = _poll(emu, task_id)
    assert seen[-1] == "done"
    assert [w for w in ("pending", "processing", "done") if w in seen] == seen
    status = _output_model("tunesmith:song").model_validate(final)
    assert status.task_id == task_id
    assert status.error is None
    assert httpx.get(status.audio[0].url).content[:4] == b"RIFF"
    assert emu.ledger.downloads[0].authorization_sent is False


def test_a_queued_job_cancels_and_is_refunded() -> None:
    with EmulatorServer(package=PACKAGE, timing=Timing(queue_s=5.0, run_s=0.1)) as emu:
        base = emu.base_url("tunesmith")
        submitted = httpx.post(base + "/v2/songs", json={"prompt": "x"}, headers=_bearer(emu))
        task_id = submitted.json()["task_id"]
        answer = httpx.post(f"{base}/v2/tasks/{task_id}/cancel", headers=_bearer(emu))
        assert answer.status_code == 200
        assert answer.json()["state"] == "cancelled"
        seen, final = _poll(emu, task_id)
        assert seen == ["cancelled"]
        assert final["error"]
        assert emu.ledger.live_charges("tunesmith") == []
        missing = httpx.get(f"{base}/v2/tasks/job_nothing", headers=_bearer(emu))
        assert missing.status_code == 404


def test_a_failing_job_says_why_in_the_error_field(emu: EmulatorServer) -> None:
    emu.set_faults("tunesmith.submit=fail")
    base = emu.base_url("tunesmith")
    task_id = httpx.post(base + "/v2/songs", json={"prompt": "x"}, headers=_bearer(emu)).json()[
        "task_id"
    ]
    seen, final = _poll(emu, task_id)
    assert seen[-1] == "error"
    assert final["error"] == "Generation failed"
    assert emu.ledger.live_charges("tunesmith") == []


def test_multipart_bodies_validate_form_fields_and_files(emu: EmulatorServer) -> None:
    url = emu.base_url("tunesmith") + "/v1/remix"
    files = [
        ("source", ("take.wav", b"RIFF-take", "audio/wav")),
        ("mask", ("mask.bin", b"\x00\x01", "application/octet-stream")),
    ]
    data = {"strength": "0.5", "tags": '["lofi", "dub"]'}  # a list goes as one JSON field
    answer = httpx.post(url, files=files, data=data, headers=_bearer(emu))
    assert answer.status_code == 200, answer.text
    _output_model("tunesmith:remix").model_validate(answer.json())
    payload = emu.emulator.jobs_of("tunesmith")[0].payload
    assert payload["strength"] == 0.5
    assert payload["tags"] == ["lofi", "dub"]
    assert httpx.get(payload["source"]).content == b"RIFF-take"  # stored, given by its URL
    refused = httpx.post(url, files=files[:1], data={"strength": "2"}, headers=_bearer(emu))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "strength"]
    # a form without files may come url-encoded (what httpx sends then): the same fields
    form = {"source": emu.media_url(), "strength": "0.25", "tags": '["x"]'}
    assert httpx.post(url, data=form, headers=_bearer(emu)).status_code == 200
    assert emu.emulator.jobs_of("tunesmith")[-1].payload["strength"] == 0.25


def test_path_and_query_parameters_are_validated_as_inputs(emu: EmulatorServer) -> None:
    base = emu.base_url("tunesmith")
    sung = httpx.post(
        base + "/v1/voices/alto/sing?take=2", json={"text": "o"}, headers=_bearer(emu)
    )
    assert sung.status_code == 200, sung.text
    assert emu.emulator.jobs_of("tunesmith")[0].payload == {"text": "o", "voice": "alto", "take": 2}
    bad = httpx.post(base + "/v1/voices/bass/sing?take=0", json={"text": "o"}, headers=_bearer(emu))
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("path", "voice"), ("query", "take")}
    escaped = httpx.post(base + "/v1/voices/al%2Fto/sing", json={"text": "o"}, headers=_bearer(emu))
    assert escaped.status_code == 422  # "al/to" filled the one segment (else: 404)
    assert escaped.json()["detail"][0]["loc"] == ["path", "voice"]


def test_unknown_paths_and_methods(emu: EmulatorServer) -> None:
    base = emu.base_url("tunesmith")
    assert httpx.get(base + "/v1/compose", headers=_bearer(emu)).status_code == 405
    assert httpx.post(base + "/v1/nothing", headers=_bearer(emu)).status_code == 404


def test_fault_rules_apply_to_generic_providers_by_name(emu: EmulatorServer) -> None:
    base = emu.base_url("tunesmith")
    body = {"prompt": "x"}
    emu.set_faults("tunesmith.submit=503:1")
    assert httpx.post(base + "/v1/compose", json=body, headers=_bearer(emu)).status_code == 503
    assert httpx.post(base + "/v1/compose", json=body, headers=_bearer(emu)).status_code == 200
    assert len(emu.ledger.faults_fired("tunesmith", "submit")) == 1
    assert len(emu.ledger.accepted("tunesmith")) == 1

    emu.set_faults("tunesmith.status=unknown_status")
    task_id = httpx.post(base + "/v2/songs", json=body, headers=_bearer(emu)).json()["task_id"]
    status = httpx.get(f"{base}/v2/tasks/{task_id}", headers=_bearer(emu)).json()
    assert status["state"] == UNKNOWN_WORD

    emu.set_faults("tunesmith.submit=reset_after_accept")
    with pytest.raises(httpx.TransportError):
        httpx.post(base + "/v1/compose", json={"prompt": "lost"}, headers=_bearer(emu))
    assert emu.ledger.submissions[-1].fault == "tunesmith.submit=reset_after_accept:1"
    assert len(emu.ledger.live_charges("tunesmith")) == 3  # the lost answer was charged

    emu.set_faults("tunesmith.submit=truncate")
    with pytest.raises(httpx.TransportError):
        httpx.post(base + "/v1/render", json={"text": "cut"}, headers=_bearer(emu))


def test_fault_specs_know_generic_providers_and_their_operations() -> None:
    rules = parse_fault_spec("tunesmith.status=429(2):3,my_api2.*=reset", ["tunesmith", "my_api2"])
    assert [r.describe() for r in rules] == ["tunesmith.status=429(2):3", "my_api2.*=reset:1"]
    with pytest.raises(FaultSpecError, match="tunesmith has no 'quote' operation"):
        parse_fault_spec("tunesmith.quote=503", ["tunesmith"])
    with pytest.raises(FaultSpecError, match="unknown provider 'tunesmith'"):
        parse_fault_spec("tunesmith.submit=503")
    with pytest.raises(FaultSpecError, match="unknown provider 'nosuch'"):
        EmulatorServer(package=PACKAGE, faults="nosuch.submit=503")


def test_status_words_are_chosen_from_the_protocol_deterministically() -> None:
    protocol = ProviderProtocol(
        name="p",
        display_name="P",
        base_url="https://p.example",
        auth="none",
        statuses={
            "working": JobState.RUNNING,
            "in_progress": JobState.RUNNING,
            "succeeded": JobState.SUCCEEDED,
            "completed": JobState.SUCCEEDED,
            "failure": JobState.FAILED,
        },
    )
    assert status_word(protocol, JobState.RUNNING) == "in_progress"  # first in sorted order
    assert status_word(protocol, JobState.SUCCEEDED) == "succeeded"  # spelled like the state
    assert status_word(protocol, JobState.QUEUED) == "in_progress"  # no QUEUED word: RUNNING's
    assert status_word(protocol, JobState.CANCELED) == "failure"  # no CANCELED word: FAILED's


def test_named_providers_answer_catalogue_models_from_their_output_model(
    emu: EmulatorServer,
) -> None:
    deadline = time.monotonic() + 10
    fal_key = {"Authorization": "Key " + emu.env()["FAL_KEY"]}
    with httpx.Client(base_url=emu.base_url("fal"), headers=fal_key) as fal:
        queued = fal.post("/acme/tune", json={"prompt": "x", "duration": 12}).json()
        while fal.get(queued["status_url"]).json()["status"] != "COMPLETED":
            assert time.monotonic() < deadline
            time.sleep(0.015)
        answer = fal.get(queued["response_url"]).json()
    result = _output_model("fal:acme/tune").model_validate(answer)
    assert result.tracks[0].duration == 12.0
    assert httpx.get(result.tracks[0].url).status_code == 200

    gateway_key = {"Authorization": "Bearer " + emu.env()["AIGATEWAY_API_KEY"]}
    with httpx.Client(base_url=emu.base_url("aigateway"), headers=gateway_key) as gateway:
        job = gateway.post("/v1/audio/music", json={"model": "acme/tune", "prompt": "x"}).json()
        while (record := gateway.get(f"/v1/jobs/{job['id']}").json())["status"] != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.015)
    _output_model("aigateway:acme/tune").model_validate(record["result"])


@pytest.mark.musicbind_emulator(package=PACKAGE)
def test_the_pytest_plugin_serves_a_users_package(musicbind_emulator: Any) -> None:
    assert os.environ["TUNESMITH_API_KEY"] == musicbind_emulator.api_key("tunesmith")
    url = os.environ["MUSICBIND_TUNESMITH_BASE_URL"] + "/v1/compose"
    headers = {"Authorization": f"Bearer {os.environ['TUNESMITH_API_KEY']}"}
    assert httpx.post(url, json={"prompt": "x"}, headers=headers).status_code == 200


def test_musicbind_emulate_serves_a_package_given_by_name(emugen_root: str) -> None:
    command = [sys.executable, "-P", "-m", "musicbind", "emulate", "--port", "0"]
    command += ["--package", PACKAGE, "--faults", "tunesmith.submit=503"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": emugen_root}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        assert process.stdout is not None
        exports: dict[str, str] = {}
        lines: list[str] = []
        deadline = time.monotonic() + 20
        while "TUNESMITH_API_KEY" not in exports and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("export "):
                key, _, value = line[len("export ") :].strip().partition("=")
                exports[key] = value
        assert any(line.split()[:1] == ["tunesmith"] for line in lines), lines
        url = exports["MUSICBIND_TUNESMITH_BASE_URL"] + "/v1/compose"
        headers = {"Authorization": f"Bearer {exports['TUNESMITH_API_KEY']}"}
        assert httpx.post(url, json={"prompt": "x"}, headers=headers).status_code == 503
        assert httpx.post(url, json={"prompt": "x"}, headers=headers).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_musicbind_emulate_refuses_a_fault_for_a_provider_it_does_not_serve() -> None:
    command = [sys.executable, "-P", "-m", "musicbind", "emulate", "--port", "0"]
    result = subprocess.run(
        [*command, "--faults", "nosuch.submit=503"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "unknown provider 'nosuch'" in result.stderr


def test_the_runtime_client_calls_each_generic_provider_through_the_emulator(
    emu: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    package = importlib.import_module(PACKAGE)
    for provider in ("hdrtunes", "qtunes", "btunes", "opentunes"):
        with Client(protocol=_protocol(provider), journal=tmp_path / "journal.db") as client:
            result = client.run(package.get_binding(f"{provider}:compose"), {"prompt": "x"})
            assert isinstance(result, _output_model(f"{provider}:compose"))
    with Client(protocol=_protocol("tunesmith"), journal=tmp_path / "journal.db") as client:
        rendered = client.submit(package.get_binding("tunesmith:render"), {"text": "x"})
        assert rendered.result(10).audio["content_type"] == "audio/mpeg"
        song = client.submit(package.get_binding("tunesmith:song"), {"prompt": "x"})
        assert song.result(10).state == "done"
        (saved,) = song.download(tmp_path / "song")
        assert saved.read_bytes()[:4] == b"RIFF"
        source = tmp_path / "take.wav"
        source.write_bytes(b"RIFF-take")
        remix = {"source": str(source), "strength": 0.3, "tags": ["lofi"]}
        client.run(package.get_binding("tunesmith:remix"), remix)
    assert [s.outcome for s in emu.ledger.submissions] == ["accepted"] * 7
    assert emu.ledger.duplicate_charges() == 0


def _protocol(provider: str) -> ProviderProtocol:
    protocol = importlib.import_module(f"{PACKAGE}.{provider}").PROTOCOL
    assert isinstance(protocol, ProviderProtocol)
    return protocol
