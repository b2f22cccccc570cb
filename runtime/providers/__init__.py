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

# The providers with a runtime unit of their own, by name; every other provider is served
# by the generic adapter from its registry data.
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
    "adapter_class",
    "adapter_for",
    "credential_variables",
    "unpriced_hint",
]


def adapter_class(protocol: ProviderProtocol) -> type[ProviderAdapter]:
    """The adapter class that speaks ``protocol``'s job protocol: for a provider bound from
    its OpenAPI document alone the generic one, or the provider's own unit when it
    specialises the generic one (a :class:`GenericAdapter` subclass in :data:`ADAPTERS`);
    else the provider's own."""
    if protocol.adapter == GenericAdapter.name:
        own = ADAPTERS.get(protocol.name)
        return own if own is not None and issubclass(own, GenericAdapter) else GenericAdapter
    if protocol.adapter:
        raise ConfigurationError(
            f"provider {protocol.name!r} asks for adapter {protocol.adapter!r}, which this "
            f"version of musicbind does not have (known: {GenericAdapter.name!r}); upgrade "
            "musicbind or regenerate the bindings"
        )
    try:
        return ADAPTERS[protocol.name]
    except KeyError:
        raise ConfigurationError(
            f"no job protocol adapter for provider {protocol.name!r} "
            f"(known: {', '.join(sorted(ADAPTERS))})"
        ) from None


def adapter_for(protocol: ProviderProtocol, base_url: str) -> ProviderAdapter:
    """The adapter that speaks ``protocol``'s job protocol at ``base_url``."""
    return adapter_class(protocol)(protocol, base_url)


def credential_variables(protocol: ProviderProtocol) -> tuple[str, str | None]:
    """The environment variables of ``protocol``'s key (and secret, for basic auth)."""
    try:
        cls = adapter_class(protocol)
    except ConfigurationError:  # no adapter: the generic names still tell where a key goes
        cls = ProviderAdapter
    return cls.credential_variables(protocol)


def unpriced_hint(provider: str) -> str:
    """Why the registry states no price for a model of ``provider`` (see the adapters)."""
    return ADAPTERS.get(provider, ProviderAdapter).unpriced_hint
