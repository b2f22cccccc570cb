"""Each provider's runtime unit: what it adds to the generic default (issue 15, item 1).

The gateway's calls come from the registry's operations (its paths are data, so moving them
in the protocol moves every call), a provider's credential variables and its "no price"
hint come from its adapter, and a journalled protocol keeps the operations a resumed job
needs. The wire itself is proved against the emulator in tests/e2e/test_emulator_*.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from runtime_fakes import BINDINGS, PROTOCOLS

from musicbind.runtime.binding import HttpOperation, JobOperations, ProviderProtocol
from musicbind.runtime.cost_check import why_no_estimate
from musicbind.runtime.errors import APIResponseError, ConfigurationError
from musicbind.runtime.http import ApiResponse, HttpCall
from musicbind.runtime.journal import protocol_from_json, protocol_to_json
from musicbind.runtime.providers import ADAPTERS, adapter_for, credential_variables
from musicbind.runtime.providers.base import JobHandle, ProviderAdapter
from musicbind.runtime.providers.generic import GenericAdapter

GATEWAY = PROTOCOLS["aigateway"]
MODEL = BINDINGS["aigateway"].model_id


def _moved_gateway(base_url: str) -> ProviderProtocol:
    """The gateway protocol with every path of its operations somewhere else."""
    job = JobOperations("id", "/v9/tasks/{id}", "status", "error", "POST", "/v9/tasks/{id}/stop")
    operation = HttpOperation("POST", "/v9/songs", answer="job", job=job)
    return replace(GATEWAY, base_url=base_url, operations={MODEL: operation})


def _call(exchange: Any) -> HttpCall:
    call = next(exchange)
    assert isinstance(call, HttpCall)
    return call


def _send(exchange: Any, body: bytes) -> Any:
    with pytest.raises(StopIteration) as stop:
        exchange.send(ApiResponse(200, httpx.Headers(), body, "https://gw.example/x"))
    return stop.value.value


def test_the_gateway_calls_the_paths_its_protocol_states() -> None:
    adapter = adapter_for(_moved_gateway("https://gw.example"), "https://gw.example")
    submit = _call(adapter.submit(MODEL, {"prompt": "rain"}))
    assert (submit.method, submit.url) == ("POST", "https://gw.example/v9/songs")
    assert submit.json == {"model": MODEL, "prompt": "rain"}
    handle = JobHandle(MODEL, "job_1")
    assert _call(adapter.status(handle)).url == "https://gw.example/v9/tasks/job_1"
    cancel = _call(adapter.cancel(handle))
    assert (cancel.method, cancel.url) == ("POST", "https://gw.example/v9/tasks/job_1/stop")


@pytest.mark.parametrize("base", ["https://gw.example", "https://gw.example/v1"])
def test_the_generated_gateway_paths_with_or_without_v1_in_the_base_url(base: str) -> None:
    adapter = adapter_for(GATEWAY, base)
    assert _call(adapter.submit(MODEL, {"prompt": "x"})).url == "https://gw.example/v1/audio/music"
    assert _call(adapter.status(JobHandle(MODEL, "j"))).url == "https://gw.example/v1/jobs/j"


def test_the_gateway_result_is_the_completed_jobs_result_object() -> None:
    adapter = adapter_for(GATEWAY, "https://gw.example")
    done = b'{"id": "j", "status": "completed", "result": {"url": "https://f/x.mp3"}}'
    exchange = adapter.result(JobHandle(MODEL, "j"))
    _call(exchange)
    assert _send(exchange, done) == {"url": "https://f/x.mp3"}
    exchange = adapter.result(JobHandle(MODEL, "j"))
    _call(exchange)
    with pytest.raises(APIResponseError, match="'result'"):
        _send(exchange, b'{"id": "j", "status": "completed"}')


def test_a_journalled_protocol_keeps_the_operations_a_resumed_job_needs() -> None:
    back = protocol_from_json(protocol_to_json(GATEWAY))
    assert back == GATEWAY and all(op.job is not None for op in back.operations.values())
    assert back.operations  # the gateway's endpoints, from its document
    assert protocol_from_json(protocol_to_json(PROTOCOLS["fal"])) == PROTOCOLS["fal"]


def test_credential_variables_come_from_the_adapter_and_the_protocol() -> None:
    assert credential_variables(PROTOCOLS["fal"]) == ("FAL_KEY", None)
    assert credential_variables(PROTOCOLS["scenario"]) == (
        "SCENARIO_API_KEY",
        "SCENARIO_API_SECRET",
    )
    assert credential_variables(GATEWAY) == ("AIGATEWAY_API_KEY", None)
    named = replace(PROTOCOLS["fal"], key_env="MY_FAL_KEY")
    assert credential_variables(named) == ("MY_FAL_KEY", None)
    unknown = ProviderProtocol("tune-smith", "Tunesmith", "https://t.example", "basic")
    assert credential_variables(unknown) == ("TUNE_SMITH_API_KEY", "TUNE_SMITH_API_SECRET")


def test_why_no_estimate_names_the_providers_own_way_to_a_price() -> None:
    scenario = BINDINGS["scenario"]
    model = scenario.input_model.model_validate({"prompt": "x"})
    assert "quote()" in why_no_estimate(scenario, model, None)
    unpriced = replace(BINDINGS["aigateway"], pricing=None)
    model = unpriced.input_model.model_validate({"prompt": "x"})
    assert why_no_estimate(unpriced, model, None) == "the registry has no price for this model"


def test_a_provider_unit_specialises_the_generic_adapter_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class TunesmithAdapter(GenericAdapter):
        default_key_env = "TUNESMITH_TOKEN"

    protocol = ProviderProtocol("tunesmith", "Tunesmith", "https://t.example", "bearer")
    protocol = replace(protocol, adapter="openapi")
    assert type(adapter_for(protocol, protocol.base_url)) is GenericAdapter
    assert credential_variables(protocol) == ("TUNESMITH_API_KEY", None)
    monkeypatch.setitem(ADAPTERS, "tunesmith", TunesmithAdapter)
    assert type(adapter_for(protocol, protocol.base_url)) is TunesmithAdapter
    assert credential_variables(protocol) == ("TUNESMITH_TOKEN", None)
    monkeypatch.setitem(ADAPTERS, "tunesmith", ProviderAdapter)  # not a generic specialisation
    assert type(adapter_for(protocol, protocol.base_url)) is GenericAdapter


def test_a_gateway_model_newer_than_the_bindings_takes_the_shared_endpoint() -> None:
    adapter = adapter_for(GATEWAY, "https://gw.example")
    call = _call(adapter.submit("brand/new-model", {"prompt": "x"}))
    assert (call.url, call.json) == (
        "https://gw.example/v1/audio/music",
        {"model": "brand/new-model", "prompt": "x"},
    )
    bare = adapter_for(replace(GATEWAY, operations={}), "https://gw.example")
    with pytest.raises(ConfigurationError, match="regenerate the bindings"):
        _call(bare.status(JobHandle(MODEL, "j")))
