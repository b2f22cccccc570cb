"""Runtime: one protocol adapter per provider, looked up by the protocol's name.

The adapters load on first use (:func:`adapters`), not with the package: importing a
generated client imports this package for its records (:mod:`.base`) and builds no
adapter until a client is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from musicbind.runtime.binding import ProviderProtocol
from musicbind.runtime.errors import ConfigurationError
from musicbind.runtime.providers.base import (
    Exchange,
    FileRef,
    JobHandle,
    JobSnapshot,
    ProviderAdapter,
    Quote,
    SubmitAnswer,
)

if TYPE_CHECKING:
    ADAPTERS: dict[str, type[ProviderAdapter]]
    """The providers with a runtime unit of their own, by name (see :func:`adapters`)."""

_adapters: dict[str, type[ProviderAdapter]] = {}


def adapters() -> dict[str, type[ProviderAdapter]]:
    """The providers with a runtime unit of their own, by name; every other provider is
    served by the generic adapter from its registry data. Also ``ADAPTERS``."""
    if not _adapters:
        from musicbind.runtime.providers.aigateway import GatewayAdapter
        from musicbind.runtime.providers.fal import FalAdapter
        from musicbind.runtime.providers.scenario import ScenarioAdapter

        _adapters.update(scenario=ScenarioAdapter, fal=FalAdapter, aigateway=GatewayAdapter)
    return _adapters


def __getattr__(name: str) -> Any:
    if name == "ADAPTERS":
        return adapters()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "adapters",
    "credential_variables",
    "unpriced_hint",
]


def adapter_class(protocol: ProviderProtocol) -> type[ProviderAdapter]:
    """The adapter class that speaks ``protocol``'s job protocol: for a provider bound from
    its OpenAPI document alone the generic one, or the provider's own unit when it
    specialises the generic one (a :class:`GenericAdapter` subclass in :data:`ADAPTERS`);
    else the provider's own."""
    from musicbind.runtime.providers.generic import GenericAdapter

    if protocol.adapter == GenericAdapter.name:
        own = adapters().get(protocol.name)
        return own if own is not None and issubclass(own, GenericAdapter) else GenericAdapter
    if protocol.adapter:
        raise ConfigurationError(
            f"provider {protocol.name!r} asks for adapter {protocol.adapter!r}, which this "
            f"version of musicbind does not have (known: {GenericAdapter.name!r}); upgrade "
            "musicbind or regenerate the bindings"
        )
    try:
        return adapters()[protocol.name]
    except KeyError:
        raise ConfigurationError(
            f"no job protocol adapter for provider {protocol.name!r} "
            f"(known: {', '.join(sorted(adapters()))})"
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
    return adapters().get(provider, ProviderAdapter).unpriced_hint
