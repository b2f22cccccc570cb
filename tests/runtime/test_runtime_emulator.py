"""The runtime against the emulator on 127.0.0.1: real sockets, real resets, real ledger."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from musicbind import generated
from musicbind.emulator import server as emulator_server
from musicbind.runtime.client import Client
from musicbind.runtime.errors import AuthenticationError, SubmissionUncertainError
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal import Journal
from musicbind.runtime.retry import RetryPolicy

QUICK = RetryPolicy(initial_delay=0.01, max_delay=0.05)
CASES: dict[str, tuple[str, Any]] = {
    "fal": ("fal:sonilo/v1.1/video-to-music", lambda e: {"video_url": e.media_url()}),
    "scenario": ("scenario:model_sonilo-v1-1-text-to-music", lambda e: {"prompt": "calm"}),
    "aigateway": ("aigateway:sonauto/v2/text-to-music", lambda e: {"prompt": "x", "duration": 5.0}),
}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with emulator_server.EmulatorServer(seed=11) as running:
        yield running


def client_for(
    build: Callable[..., Client], server: Any, provider: str, journal: Path, **options: Any
) -> Client:
    """A client of ``build``'s flavour (see ``flavoured_client``) on the emulator."""
    protocol = __import__(f"musicbind.generated.{provider}", fromlist=["PROTOCOL"]).PROTOCOL
    env = server.env()
    keys = {"fal": ("FAL_KEY",), "aigateway": ("AIGATEWAY_API_KEY",)}.get(
        provider, ("SCENARIO_API_KEY", "SCENARIO_API_SECRET")
    )
    credentials = dict(zip(("api_key", "api_secret"), (env[k] for k in keys), strict=False))
    return build(
        protocol=protocol,
        base_url=server.base_url(provider),
        journal=journal,
        retry=QUICK,
        timeout=2.0,
        **credentials,
        **options,
    )


@pytest.mark.parametrize("provider", sorted(CASES))
@pytest.mark.parametrize("fault", ["reset_after_accept", "malformed", "500", "reset"])
def test_ambiguous_submit_on_real_sockets_never_pays_twice(
    server: Any,
    provider: str,
    fault: str,
    tmp_path: Path,
    flavoured_client: Callable[..., Client],
) -> None:
    server.ledger.clear()
    server.set_faults(f"{provider}.submit={fault}")
    ref, payload = CASES[provider]
    with client_for(flavoured_client, server, provider, tmp_path / "j.sqlite3") as client:
        with pytest.raises(SubmissionUncertainError):
            client.submit(generated.get_binding(ref), payload(server))
        (entry,) = client.journal.entries()
    assert entry.submission == "uncertain" and entry.reconcile
    assert len(server.ledger.accepted()) <= 1
    assert server.ledger.duplicate_charges() == 0


@pytest.mark.parametrize("provider", sorted(CASES))
def test_idempotency_key_makes_an_ambiguous_submit_retryable(
    provider: str, tmp_path: Path, flavoured_client: Callable[..., Client]
) -> None:
    ref, payload = CASES[provider]
    with emulator_server.EmulatorServer(
        seed=2, faults=f"{provider}.submit=reset_after_accept", honour_idempotency_keys=True
    ) as server:
        journal = tmp_path / "j.sqlite3"
        with client_for(
            flavoured_client, server, provider, journal, idempotency_header="Idempotency-Key"
        ) as client:
            job = client.submit(generated.get_binding(ref), payload(server))
            assert job.wait(timeout=30).state is JobState.SUCCEEDED
        outcomes = [s.outcome for s in server.ledger.submissions]
        keys = {s.idempotency_key for s in server.ledger.submissions}
        assert server.ledger.duplicate_charges() == 0
    assert outcomes == ["accepted", "deduplicated"]
    with Journal(journal) as book:
        assert keys == {book.get(job.job_id).intent_id}


@pytest.mark.parametrize("provider", sorted(CASES))
@pytest.mark.parametrize(
    "faults",
    ["{p}.status=reset:2", "{p}.status=503:2", "{p}.download=truncate", "{p}.download=bad_length"],
)
def test_reads_recover_on_real_sockets(
    server: Any,
    provider: str,
    faults: str,
    tmp_path: Path,
    flavoured_client: Callable[..., Client],
) -> None:
    server.ledger.clear()
    server.set_faults(faults.format(p=provider))
    ref, payload = CASES[provider]
    with client_for(flavoured_client, server, provider, tmp_path / "j.sqlite3") as client:
        job = client.submit(generated.get_binding(ref), payload(server))
        job.wait(timeout=30)
        paths = job.download(tmp_path / "out")
    assert paths and all(p.stat().st_size > 0 for p in paths)
    assert list((tmp_path / "out").glob(".*")) == []
    assert server.ledger.duplicate_charges() == 0


@pytest.mark.parametrize("provider", sorted(CASES))
def test_planted_key_stays_out_of_httpcore_logs(
    server: Any,
    provider: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    flavoured_client: Callable[..., Client],
) -> None:
    caplog.set_level(logging.DEBUG)
    server.set_faults("")
    planted = {"api_key": f"PLANTED-{provider}-c0ffee", "api_secret": "PLANTED-secret-c0ffee"}
    forms = [*planted.values(), base64.b64encode(":".join(planted.values()).encode()).decode()]
    protocol = __import__(f"musicbind.generated.{provider}", fromlist=["PROTOCOL"]).PROTOCOL
    ref, payload = CASES[provider]
    journal = tmp_path / "j.sqlite3"
    client = flavoured_client(
        protocol=protocol, base_url=server.base_url(provider), journal=journal, **planted
    )
    with client, pytest.raises(AuthenticationError) as caught:  # the emulator knows other keys
        client.submit(generated.get_binding(ref), payload(server))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for form in forms:
        assert form not in logged
        assert form not in str(caught.value) and form not in repr(caught.value)
        assert form.encode() not in stored


def _scenario_credentials(server: Any) -> dict[str, str]:
    env = server.env()
    return {"api_key": env["SCENARIO_API_KEY"], "api_secret": env["SCENARIO_API_SECRET"]}


def test_scenario_results_are_typed_outputs(server: Any, tmp_path: Path) -> None:
    from musicbind.generated.scenario.client import ScenarioClient
    from musicbind.runtime import ScenarioJobOutput

    server.set_faults("")
    video = Path(emulator_server.__file__).parent / "media" / "demo.mp4"
    with ScenarioClient(
        base_url=server.base_url("scenario"),
        journal=tmp_path / "j.sqlite3",
        retry=QUICK,
        timeout=5.0,
        **_scenario_credentials(server),
    ) as scenario:
        two = scenario.sonilo_v1_1_text_to_music(prompt="calm", duration=5, num_samples=2)
        song = scenario.run("scenario:minimax/music-01", {"lyrics": "la la"}, timeout=60)
        job = scenario.submit_sonilo_v1_1_video_to_music(video=video, duration=4)
        scored = job.result(timeout=60)
        files = job.download(tmp_path / "out")
    for out in (two, song, scored):
        assert type(out) is ScenarioJobOutput
        assert out.job_id and [a.id for a in out.assets] == out.asset_ids
        for asset in out.assets:
            assert asset.url and asset.url.startswith(server.origin)
            assert asset.mime_type and asset.mime_type.startswith("audio/")
            assert asset.metadata.size and asset.metadata.size > 0
    assert len(two.assets) == 2 and len(two.urls) == 2
    assert scored.job_id == job.job_id
    assert scored.assets[0].metadata.duration == pytest.approx(4, abs=0.5)
    assert [p.stat().st_size for p in files] == [a.metadata.size for a in scored.assets]


def test_scenario_results_are_typed_outputs_async(server: Any, tmp_path: Path) -> None:
    import asyncio

    from musicbind.generated.scenario.client import AsyncScenarioClient
    from musicbind.runtime import ScenarioJobOutput

    server.set_faults("")

    async def main() -> ScenarioJobOutput:
        async with AsyncScenarioClient(
            base_url=server.base_url("scenario"),
            journal=tmp_path / "j.sqlite3",
            retry=QUICK,
            timeout=5.0,
            **_scenario_credentials(server),
        ) as scenario:
            job = await scenario.submit("scenario:model_sonilo-v1-1-text-to-music", {"prompt": "x"})
            return await job.result(timeout=60)

    out = asyncio.run(main())
    assert type(out) is ScenarioJobOutput and out.assets and out.urls
