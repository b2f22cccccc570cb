"""Registry stage: the frozen, provider-neutral model of everything the specs say.

Built from loaded documents plus the overlay by :mod:`generator.registry.build`;
read by the emitters and serialised by ``musicbind registry --json``. Every
Python identifier here was assigned by :mod:`generator.registry.naming`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from musicbind.generator.load.records import (
    JsonScalar,
    JsonValue,
    Location,
    Record,
    SpecOperation,
    SpecProblem,
    SpecType,
)
from musicbind.runtime.jobstate import JobState


@dataclass(frozen=True, slots=True)
class Provenance(Record):
    """Which document (and where in it) stated one fact about a field or model."""

    fact: str  # "type", "required", "default", "minimum", "allowed", "description", ...
    location: Location


@dataclass(frozen=True, slots=True)
class Field(Record):
    """One input parameter, output field or shape field, merged across documents."""

    wire_name: str  # the name on the wire (JSON key)
    python_name: str  # the attribute name in generated code
    type: SpecType
    required: bool
    description: str = ""
    has_default: bool = False
    default: JsonValue = None
    allowed: tuple[JsonScalar, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    pattern: str | None = None
    examples: tuple[JsonValue, ...] = ()
    provenance: tuple[Provenance, ...] = ()


@dataclass(frozen=True, slots=True)
class Shape(Record):
    """A named object type (e.g. fal's ``Audio``) with its generated class name."""

    name: str  # the name in the documents
    class_name: str
    fields: tuple[Field, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class CrossFieldRule(Record):
    """A rule stated by a description's sentence (:mod:`generator.registry.prose_rules`) or
    by the overlay, in python names; ``name`` (``<kind>:<wire fields>``) identifies it.

    ``segment_within_media``: with the media's length L (from the validation context
    ``media_duration[media]``), ``start < L`` and ``start + length <= L`` (start
    defaults to 0 when unset; absent fields are skipped).
    ``length`` / ``range`` (``fields[0]`` between ``minimum`` and ``maximum``): enforced as
    the field's own constraints. ``requires``: ``fields[0]`` given needs ``fields[1]`` given.
    ``excludes``: not both given. ``required_when``: ``fields[0]`` must be given when
    ``fields[1]`` (its default counts) equals ``value``.
    """

    kind: str
    media: str  # python name of the media field ("" for kinds without one)
    start: str | None
    length: str | None
    location: Location
    name: str = ""
    fields: tuple[str, ...] = ()  # python names, subject first (kinds other than segment)
    minimum: int | float | None = field(default=None, metadata={"omit_when_none": True})
    maximum: int | float | None = field(default=None, metadata={"omit_when_none": True})
    value: JsonScalar = None
    sentence: str = ""  # the description's sentence that states it; "" from the overlay

    @property
    def checked_by_validator(self) -> bool:
        """Whether the generated model checks it in a validator (else by field constraints)."""
        return self.kind not in {"length", "range"}


@dataclass(frozen=True, slots=True)
class Pricing(Record):
    """How much a call costs: ``amount`` per unit, times the multipliers.

    ``unit == "second"``: seconds are the value of ``seconds_from`` (python name) or,
    when unset, the media length of ``media`` minus ``start`` (if any).
    """

    currency: str
    amount: str  # decimal text
    unit: str
    seconds_from: str | None
    media: str | None
    start: str | None
    multiplied_by: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class Model(Record):
    """One model of one provider: the unit a binding is generated for."""

    ref: str  # "<provider>:<model id>"
    provider: str
    model_id: str
    module_name: str  # generated/<provider>/<module_name>.py
    method_name: str  # the typed client method
    input_class: str
    input_fields_class: str | None  # the generated fields class under input_class when it has rules
    output_class: str | None
    title: str
    description: str
    category: str | None
    capabilities: tuple[str, ...]
    inputs: tuple[Field, ...]
    outputs: tuple[Field, ...] | None
    shapes: tuple[Shape, ...]
    rules: tuple[CrossFieldRule, ...]
    pricing: Pricing | None
    input_examples: tuple[JsonValue, ...]
    sources: tuple[str, ...]  # documents that describe this model, sorted
    # How a generic provider's model is called (None for the protocol-adapter providers).
    operation: SpecOperation | None = field(default=None, metadata={"omit_when_none": True})


@dataclass(frozen=True, slots=True)
class Provider(Record):
    """A provider's job protocol and client facts, from the overlay and OpenAPI documents."""

    name: str  # "scenario", "fal", "aigateway"
    display_name: str
    client_class: str  # e.g. "FalClient"
    base_url: str
    auth: str  # "basic", "key", "bearer", "header", "query", "none"
    statuses: tuple[tuple[str, JobState], ...]  # provider status word -> JobState, sorted
    # A provider bound from its OpenAPI document alone: "openapi" (its calls are the models'
    # operations); None for the providers musicbind has a protocol adapter of its own for.
    adapter: str | None = field(default=None, metadata={"omit_when_none": True})
    auth_name: str | None = field(default=None, metadata={"omit_when_none": True})
    key_env: str | None = field(default=None, metadata={"omit_when_none": True})


@dataclass(frozen=True, slots=True)
class Registry(Record):
    """Everything musicbind knows, with the problems found while building it."""

    providers: tuple[Provider, ...]
    models: tuple[Model, ...]
    problems: tuple[SpecProblem, ...]
