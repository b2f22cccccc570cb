"""Emulator: which models each provider serves, how inputs are validated, what outputs cost.

Inputs are validated with the generated bindings (``<package>.get_binding(ref).input_model``;
the package is ``musicbind.generated`` unless the emulator is given a user's own), so the
emulator rejects exactly what the generated models reject. Until the package holds
bindings, the built-in model list below is served without validation. Each provider of the
package whose ``PROTOCOL.adapter`` is ``"openapi"`` is a generic provider the emulator serves
from its protocol (``emulator.providers.generic``).

What a job produces and costs is the emulator's own price sheet (from PROVIDERS.md), kept
apart from the bindings' estimates so that the emulator can check them:

* per sample, a track of ``duration`` seconds; without ``duration``, the media length minus
  the start offset (video-to-music), else the model's default (Scenario Sonilo text-to-music
  90 s, gateway sonauto 30 s, 10 s for others); Scenario's minimax music-01 sings 4 s per
  lyric line, between 10 and 60 s.
* fal: USD 0.009 per output second per sample (billable units = seconds x samples); the
  gateway: USD 0.0013 per second; Scenario: creative units, 1 per started 10 s of output per
  sample (minimax music-01: 15 per request); a generic provider: the binding's own price
  estimate (0 without one), in its currency.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from musicbind.emulator.audio import DEFAULT_SAMPLE_RATE
from musicbind.runtime.binding import ProviderProtocol

DEFAULT_PACKAGE = "musicbind.generated"
BUILTIN_PROVIDERS = ("scenario", "fal", "aigateway")
GENERIC_ADAPTER = "openapi"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the emulator knows of a model without the bindings."""

    default_seconds: float = 10.0
    media: str | None = None  # wire name of the media input whose length sets the output's
    start: str | None = None  # wire name of the start offset into that media
    lyric_seconds: bool = False


BUILTIN_MODELS: dict[str, ModelInfo] = {
    "scenario:model_sonilo-v1-1-text-to-music": ModelInfo(default_seconds=90.0),
    "scenario:model_sonilo-v1-1-video-to-music": ModelInfo(media="video", start="startOffset"),
    "scenario:minimax/music-01": ModelInfo(lyric_seconds=True),
    "fal:sonilo/v1.1/video-to-music": ModelInfo(media="video_url", start="start_offset"),
    "aigateway:sonauto/v2/text-to-music": ModelInfo(default_seconds=30.0),
}
SAMPLE_RATES = (16_000, 24_000, 32_000, 44_100, 48_000)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One rejected input: ``loc`` in wire names (as pydantic reports it), message, type."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


@dataclass(slots=True)
class Validated:
    """The outcome of validating a body: the payload with defaults, or the errors."""

    payload: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    media_seconds: float | None = None  # length of the model's media input, when it has one
    instance: BaseModel | None = None  # the validated input model, when there is a binding


@dataclass(frozen=True, slots=True)
class Plan:
    """What an accepted job will produce and cost."""

    samples: int
    seconds: float
    sample_rate: int
    cost: Decimal
    currency: str
    units: Decimal


MediaResolver = Callable[[str, Any], float | None]  # (wire name, value) -> seconds or None


def _generated(package: str) -> Any | None:
    try:
        module = importlib.import_module(package)
    except ImportError:
        return None
    return module if hasattr(module, "get_binding") else None


class Catalogue:
    """The models the emulator serves, backed by a generated package's bindings when present."""

    def __init__(self, package: str = DEFAULT_PACKAGE) -> None:
        self.package = package
        self._bindings: dict[str, Any] = {}

    def binding(self, ref: str) -> Any | None:
        """The generated binding of ``ref``, or None when there is none."""
        if ref in self._bindings:
            return self._bindings[ref]
        generated = _generated(self.package)
        found: Any | None = None
        if generated is not None:
            try:
                found = generated.get_binding(ref)
            except (KeyError, LookupError, ValueError, ImportError, AttributeError):
                found = None
        self._bindings[ref] = found
        return found

    def package_refs(self) -> list[str]:
        """The refs the package binds (none when it cannot be imported)."""
        generated = _generated(self.package)
        if generated is None or not hasattr(generated, "list_bindings"):
            return []
        return sorted(str(ref) for ref in generated.list_bindings())

    def refs(self) -> list[str]:
        """Every model ref served: the built-in ones and all generated bindings."""
        return sorted(set(BUILTIN_MODELS) | set(self.package_refs()))

    def generic_protocols(self) -> dict[str, ProviderProtocol]:
        """Name -> protocol of each provider of the package bound from OpenAPI alone."""
        found: dict[str, ProviderProtocol] = {}
        for name in sorted({ref.split(":", 1)[0] for ref in self.package_refs()}):
            if name in BUILTIN_PROVIDERS:
                continue
            module = f"{self.package}.{name}"
            try:
                protocol = importlib.import_module(module).PROTOCOL
            except (ModuleNotFoundError, AttributeError):
                continue  # no provider subpackage (or no PROTOCOL): not a provider to serve
            except Exception as exc:  # a broken package: said plainly, not as a traceback
                raise ValueError(f"cannot import {module}: {exc}") from None
            if isinstance(protocol, ProviderProtocol) and protocol.adapter == GENERIC_ADAPTER:
                found[protocol.name] = protocol
        return found

    def knows(self, ref: str) -> bool:
        """True when the emulator serves ``ref``."""
        return ref in BUILTIN_MODELS or self.binding(ref) is not None

    def media_field(self, ref: str) -> tuple[str | None, str | None]:
        """(media wire name, start wire name) of the model, when it scores a medium."""
        info = BUILTIN_MODELS.get(ref)
        if info is not None and info.media is not None:
            return info.media, info.start
        binding = self.binding(ref)
        if binding is not None and binding.media_fields:
            fields = binding.input_model.model_fields
            name = binding.media_fields[0]
            start = next((n for n in ("start_offset", "startOffset") if n in fields), None)
            return _wire(fields, name), _wire(fields, start) if start else None
        return None, None

    def validate(self, ref: str, body: Mapping[str, Any], resolve: MediaResolver) -> Validated:
        """Validate ``body`` with the generated input model, giving it the media length."""
        media, _ = self.media_field(ref)
        seconds: float | None = None
        if media is not None and body.get(media) is not None:
            seconds = resolve(media, body[media])
        binding = self.binding(ref)
        if binding is None:
            return Validated(dict(body), [], seconds)
        model: type[BaseModel] = binding.input_model
        context: dict[str, Any] = {}
        if seconds is not None and binding.media_fields:
            context = {"media_duration": {binding.media_fields[0]: seconds}}
        try:
            # Wire names only (by_name=False): the provider does not know the python names.
            instance = model.model_validate(
                dict(body), context=context, by_alias=True, by_name=False
            )
        except ValidationError as exc:
            errors = [
                FieldError(tuple(e["loc"]), str(e["msg"]), str(e["type"]))
                for e in exc.errors(include_url=False)
            ]
            return Validated({}, errors, seconds)
        payload = instance.model_dump(mode="json", by_alias=True, exclude_none=True)
        return Validated(payload, [], seconds, instance)

    def plan(
        self, provider: str, ref: str, payload: Mapping[str, Any], media_s: float | None
    ) -> Plan:
        """Samples, length, sample rate and price of a job for a validated payload."""
        info = BUILTIN_MODELS.get(ref, ModelInfo())
        samples = _int(payload.get("numSamples", payload.get("num_samples")), 1)
        duration = _float(payload.get("duration"))
        _, start_name = self.media_field(ref)
        if duration is None and media_s is not None:
            start = _float(payload.get(start_name)) if start_name else None
            duration = max(media_s - (start or 0.0), 0.0)
        if duration is None and info.lyric_seconds:
            duration = lyric_seconds(str(payload.get("lyrics", "")))
        seconds = round(duration if duration is not None else info.default_seconds, 3)
        rate = _int(payload.get("sampleRate"), DEFAULT_SAMPLE_RATE)
        sample_rate = rate if rate in SAMPLE_RATES else DEFAULT_SAMPLE_RATE
        total = Decimal(str(seconds)) * samples
        if provider == "fal":
            return Plan(samples, seconds, sample_rate, Decimal("0.009") * total, "USD", total)
        if provider == "aigateway":
            return Plan(samples, seconds, sample_rate, Decimal("0.0013") * total, "USD", total)
        if provider not in BUILTIN_PROVIDERS:
            cost, currency = self._binding_price(ref, payload, media_s)
            return Plan(samples, seconds, sample_rate, cost, currency, total)
        units = Decimal(15) if info.lyric_seconds else Decimal(math.ceil(seconds / 10) * samples)
        return Plan(samples, seconds, sample_rate, max(units, Decimal(1)), "CU", units)

    def _binding_price(
        self, ref: str, payload: Mapping[str, Any], media_s: float | None
    ) -> tuple[Decimal, str]:
        """A generic provider's price: the binding's own estimate, else nothing."""
        binding = self.binding(ref)
        pricing = getattr(binding, "pricing", None)
        if binding is None or pricing is None:
            return Decimal(0), "USD"
        try:
            instance = binding.input_model.model_validate(
                dict(payload), by_alias=True, by_name=False
            )
        except ValidationError:
            return Decimal(0), str(pricing.currency)
        media = {binding.media_fields[0]: media_s} if binding.media_fields and media_s else {}
        estimate = binding.estimate_cost(instance, media)
        return (estimate if estimate is not None else Decimal(0)), str(pricing.currency)


def lyric_seconds(lyrics: str) -> float:
    """Minimax music-01's song length in the emulator: 4 s per sung line, 10 to 60 s."""
    lines = [ln for ln in lyrics.splitlines() if ln.strip() and not ln.strip().startswith("##")]
    return float(min(60, max(10, 4 * len(lines))))


def _wire(fields: Mapping[str, Any], name: str) -> str:
    info = fields.get(name)
    alias = getattr(info, "alias", None)
    return alias if isinstance(alias, str) else name


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
