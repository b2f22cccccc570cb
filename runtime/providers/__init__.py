"""Runtime: one protocol adapter per provider, looked up by the protocol's name."""

from __future__ import annotations

from musicbind.runtime.binding import ProviderProtocol
from musicbind.runtime.errors import ConfigurationError
from musicbind.runtime.providers.aigateway import GatewayAdapter
from musicbind.runtime.providers.base import (
    Exchange,
    FileRef,
    JobHandle,
    JobSnapshot,
    ProviderAdapter,
    Quote,
    SubmitAnswer,
)
from musicbind.runtime.providers.fal import FalAdapter
from musicbind.runtime.providers.generic import GenericAdapter
from musicbind.runtime.providers.scenario import ScenarioAdapter

ADAPTERS: dict[str, type[ProviderAdapter]] = {
    "scenario": ScenarioAdapter,
    "fal": FalAdapter,
    "aigateway": GatewayAdapter,
}

__all__ = [
    "ADAPTERS",
    "Exchange",
    "FileRef",
    "JobHandle",
    "JobSnapshot",
    "ProviderAdapter",
    "Quote",
    "SubmitAnswer",
    "adapter_for",
]


def adapter_for(protocol: ProviderProtocol, base_url: str) -> ProviderAdapter:
    """The adapter that speaks ``protocol``'s job protocol at ``base_url``: the generic one
    for a provider bound from its OpenAPI document alone, else the provider's own."""
    if protocol.adapter == GenericAdapter.name:
        return GenericAdapter(protocol, base_url)
    if protocol.adapter:
        raise ConfigurationError(
            f"provider {protocol.name!r} asks for adapter {protocol.adapter!r}, which this "
            f"version of musicbind does not have (known: {GenericAdapter.name!r}); upgrade "
            "musicbind or regenerate the bindings"
        )
    try:
        cls = ADAPTERS[protocol.name]
    except KeyError:
        raise ConfigurationError(
            f"no job protocol adapter for provider {protocol.name!r} "
            f"(known: {', '.join(sorted(ADAPTERS))})"
        ) from None
    return cls(protocol, base_url)
