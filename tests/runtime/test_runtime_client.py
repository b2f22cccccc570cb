"""The client: validation before any request, max_cost, file inputs, quote, configuration."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from conftest import MakeClient
from flavour_driver import unwrap
from pydantic import ValidationError
from runtime_fakes import (
    BINDINGS,
    PAYLOADS,
    PLANTED,
    PROTOCOLS,
    PROVIDERS,
    FakeProvider,
)

from musicbind.runtime.client import AsyncClient, Client
from musicbind.runtime.errors import (
    ConfigurationError,
    CostLimitError,
    FileInputError,
    InputError,
    MissingCredentialsError,
    QuoteNotSupportedError,
)
from musicbind.runtime.journal import Journal


@pytest.mark.parametrize("provider", PROVIDERS)
def test_invalid_payload_sends_nothing(
    provider: str, make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider(provider)
    client = make_client(fake)
    with pytest.raises(ValidationError):
        client.submit(BINDINGS[provider], {**PAYLOADS[provider], "unknown_field": 1})
    with pytest.raises(ValidationError):
        client.submit(BINDINGS[provider], {"prompt": 5, "video_url": 5})
    assert fake.requests == []
    assert Journal(journal_path).entries() == []


def test_model_instance_payload_is_accepted(make_client: MakeClient) -> None:
    fake = FakeProvider("aigateway")
    client = make_client(fake)
    model = BINDINGS["aigateway"].input_model.model_validate(PAYLOADS["aigateway"])
    client.submit(BINDINGS["aigateway"], model)
    sent = json.loads(fake.calls("submit")[0].content)
    assert sent == {"model": "acme/text-to-music", "prompt": "lo-fi beat", "duration": 12.0}


def test_estimate_cost(make_client: MakeClient) -> None:
    client = make_client(FakeProvider("fal"))
    assert client.estimate_cost(BINDINGS["fal"], PAYLOADS["fal"]) == Decimal("0.180")
    no_duration = {"video_url": "https://media.example/v.mp4", "num_samples": 1}
    assert client.estimate_cost(BINDINGS["fal"], no_duration) is None
    assert client.estimate_cost(BINDINGS["fal"], no_duration, {"video_url": 20}) == Decimal("0.180")


@pytest.mark.parametrize("limit", [Decimal("0.1"), 0.17, "0.05"])
def test_max_cost_refuses_above_the_estimate(
    limit: object, make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider("fal")
    with pytest.raises(CostLimitError) as caught:
        make_client(fake).submit(BINDINGS["fal"], PAYLOADS["fal"], max_cost=limit)  # type: ignore[arg-type]
    assert caught.value.estimate == Decimal("0.180")
    assert "nothing was sent" in str(caught.value)
    assert fake.requests == [] and Journal(journal_path).entries() == []


def test_max_cost_allows_within_the_estimate(make_client: MakeClient, journal_path: Path) -> None:
    fake = FakeProvider("fal")
    job = make_client(fake).submit(BINDINGS["fal"], PAYLOADS["fal"], max_cost="0.18")
    entry = Journal(journal_path).get(job.job_id)
    assert (Decimal(entry.estimate or "nan"), entry.estimate_currency) == (Decimal("0.18"), "USD")


def test_max_cost_refuses_when_the_cost_is_unknown(make_client: MakeClient) -> None:
    fake = FakeProvider("fal")
    payload = {"video_url": "https://media.example/v.mp4"}
    with pytest.raises(CostLimitError, match="media_duration"):
        make_client(fake).submit(BINDINGS["fal"], payload, max_cost=1)
    scenario = FakeProvider("scenario")
    with pytest.raises(CostLimitError, match="quote"):
        make_client(scenario).submit(BINDINGS["scenario"], PAYLOADS["scenario"], max_cost=1)
    assert fake.requests == [] and scenario.requests == []


def test_media_duration_reaches_the_estimate(make_client: MakeClient) -> None:
    fake = FakeProvider("fal")
    payload = {"video_url": "https://media.example/v.mp4", "num_samples": 3}
    job = make_client(fake).submit(
        BINDINGS["fal"], payload, max_cost=1, media_duration={"video_url": 30}
    )
    assert job.job_id


def test_fal_refuses_file_values_it_cannot_send(
    make_client: MakeClient, tmp_path: Path, journal_path: Path
) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0\0\0 ftypisom")
    fake = FakeProvider("fal")
    client = make_client(fake)
    refused = {
        tmp_path / "missing.mp4": "no such local file",
        str(tmp_path / "missing.mp4"): "no such local file",
        video.as_uri(): "file:// URLs are not sent",
        "ftp://media.example/clip.mp4": "ftp:// URLs are not fetched",
    }
    for given, reason in refused.items():
        with pytest.raises(FileInputError, match=reason):
            client.submit(BINDINGS["fal"], {"video_url": given})
    assert fake.requests == [] and Journal(journal_path).entries() == []
    client.submit(BINDINGS["fal"], {"video_url": "https://media.example/clip.mp4"})


def test_scenario_uploads_a_local_file_as_an_asset(make_client: MakeClient, tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0\0\0 ftypisom-video")
    fake = FakeProvider("scenario")
    client = make_client(fake)
    client.submit(BINDINGS["scenario"], {"prompt": "x", "video": video})
    client.submit(BINDINGS["scenario"], {"prompt": "x", "video": str(video)})  # uploaded once
    uploads = fake.calls("upload")
    assert len(uploads) == 1
    body = json.loads(uploads[0].content)
    assert body["name"] == "clip.mp4"
    assert body["file"] == "data:video/mp4;base64," + base64.b64encode(video.read_bytes()).decode()
    sent = [json.loads(r.content) for r in fake.calls("submit")]
    assert all(s["video"] == "asset_up_clip.mp4" for s in sent)


def test_scenario_uploads_images_as_image(make_client: MakeClient, tmp_path: Path) -> None:
    picture = tmp_path / "cover.png"
    picture.write_bytes(b"\x89PNG....")
    fake = FakeProvider("scenario")
    make_client(fake).submit(BINDINGS["scenario"], {"prompt": "x", "video": picture})
    assert "image" in json.loads(fake.calls("upload")[0].content)


def test_scenario_passes_an_asset_id_through(make_client: MakeClient) -> None:
    fake = FakeProvider("scenario")
    make_client(fake).submit(BINDINGS["scenario"], {"prompt": "x", "video": "asset_abc"})
    assert fake.calls("upload") == []
    assert json.loads(fake.calls("submit")[0].content)["video"] == "asset_abc"


def test_quote_is_scenario_dry_run(make_client: MakeClient) -> None:
    fake = FakeProvider("scenario")
    quote = make_client(fake).quote(BINDINGS["scenario"], PAYLOADS["scenario"])
    assert (quote.amount, quote.unit) == (Decimal(7), "creative units")
    assert fake.calls("quote")[0].url.params["dryRun"] == "true"
    assert fake.jobs == {}


@pytest.mark.parametrize("provider", ["fal", "aigateway"])
def test_quote_elsewhere_is_not_implemented(provider: str, make_client: MakeClient) -> None:
    fake = FakeProvider(provider)
    with pytest.raises(NotImplementedError, match="estimate_cost"):
        make_client(fake).quote(BINDINGS[provider], PAYLOADS[provider])
    with pytest.raises(QuoteNotSupportedError):
        make_client(fake).quote(BINDINGS[provider], PAYLOADS[provider])
    assert fake.requests == []


def test_a_dry_run_that_starts_a_job_is_journalled(
    make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider("scenario")

    def ignore_dry_run(request: httpx.Request) -> httpx.Response:
        if "dryRun" in request.url.params:  # a provider ignoring dryRun runs the job
            job = fake.create("model_acme-video", {})
            return httpx.Response(200, json={"job": {"jobId": job.job_id, "status": "queued"}})
        return fake(request)

    client = make_client(
        fake, http_client=httpx.Client(transport=httpx.MockTransport(ignore_dry_run))
    )
    with pytest.raises(Exception, match="may have started a paid job"):
        client.quote(BINDINGS["scenario"], PAYLOADS["scenario"])
    (entry,) = Journal(journal_path).entries()
    assert (entry.submission, entry.job_id) == ("accepted", "job_0001")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_missing_credentials_send_nothing(
    provider: str, make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider(provider)
    client = make_client(fake, api_key=None, api_secret=None)
    with pytest.raises(MissingCredentialsError) as caught:
        client.submit(BINDINGS[provider], PAYLOADS[provider])
    wanted = {"fal": "FAL_KEY", "aigateway": "AIGATEWAY_API_KEY", "scenario": "SCENARIO_API_SECRET"}
    assert wanted[provider] in str(caught.value)
    assert fake.requests == []
    # refused before the journal: no `not_sent` row for `musicbind jobs` to show
    assert Journal(journal_path).entries() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_credentials_and_base_url_from_the_environment(
    provider: str, monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    variables = {
        "fal": {"FAL_KEY": PLANTED["fal"]},
        "aigateway": {"AIGATEWAY_API_KEY": PLANTED["aigateway"]},
        "scenario": {
            "SCENARIO_API_KEY": PLANTED["scenario_key"],
            "SCENARIO_API_SECRET": PLANTED["scenario_secret"],
        },
    }[provider]
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    base = f"http://127.0.0.1:9/{provider}"
    monkeypatch.setenv(f"MUSICBIND_{provider.upper()}_BASE_URL", base + "/")
    fake = FakeProvider(provider, base_url=base)
    client = make_client(fake, api_key=None, api_secret=None)
    assert client.base_url == base
    job = client.submit(BINDINGS[provider], PAYLOADS[provider])
    job.wait()
    submit = fake.calls("submit")[0]
    assert str(submit.url).startswith(base + "/")
    expected = {
        "fal": f"Key {PLANTED['fal']}",
        "aigateway": f"Bearer {PLANTED['aigateway']}",
        "scenario": "Basic "
        + base64.b64encode(
            f"{PLANTED['scenario_key']}:{PLANTED['scenario_secret']}".encode()
        ).decode(),
    }[provider]
    assert all(r.headers["authorization"] == expected for _, r in fake.requests)


def test_argument_base_url_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    monkeypatch.setenv("MUSICBIND_FAL_BASE_URL", "http://127.0.0.1:9/elsewhere")
    fake = FakeProvider("fal", base_url="http://127.0.0.1:9/fal")
    client = make_client(fake, base_url="http://127.0.0.1:9/fal")
    client.submit(BINDINGS["fal"], PAYLOADS["fal"])
    assert fake.calls("submit")[0].url.path == "/fal/acme/video-to-music"


def test_binding_of_another_provider_is_refused(make_client: MakeClient) -> None:
    client = make_client(FakeProvider("fal"))
    with pytest.raises(ConfigurationError, match="aigateway model"):
        client.submit(BINDINGS["aigateway"], PAYLOADS["aigateway"])


def test_refs_need_a_generated_client(make_client: MakeClient) -> None:
    client = make_client(FakeProvider("fal"))
    with pytest.raises(LookupError, match="generated clients"):
        client.submit("fal:acme/video-to-music", PAYLOADS["fal"])


def test_a_subclass_resolves_refs_and_carries_its_protocol(
    make_client: MakeClient, flavour: str
) -> None:
    base = AsyncClient if flavour == "async" else Client

    class AcmeFalClient(base):  # type: ignore[valid-type,misc]
        protocol = PROTOCOLS["fal"]

        def resolve_binding(self, ref: str):  # type: ignore[no-untyped-def]
            return BINDINGS["fal"]

    client = make_client(FakeProvider("fal"), client_type=AcmeFalClient)
    job = client.submit("fal:acme/video-to-music", PAYLOADS["fal"])
    assert job.ref == "fal:acme/video-to-music"
    assert type(unwrap(client)) is AcmeFalClient


@pytest.mark.parametrize("client_type", [Client, AsyncClient], ids=["sync", "async"])
def test_client_without_protocol_is_a_configuration_error(client_type: type[Client]) -> None:
    with pytest.raises(ConfigurationError, match="ProviderProtocol"):
        client_type()


@pytest.mark.parametrize("client_type", [Client, AsyncClient], ids=["sync", "async"])
def test_non_http_base_url_is_refused(client_type: type[Client]) -> None:
    with pytest.raises(ConfigurationError):
        client_type(protocol=PROTOCOLS["fal"], base_url="file:///etc")


def test_input_errors_are_value_errors() -> None:
    assert issubclass(FileInputError, ValueError) and issubclass(CostLimitError, InputError)
