"""Load stage: the typed records every loader produces from one provider document.

Loaders turn a file into a :class:`SpecDocument`: the models it describes, as
:class:`SpecModel` records, plus every problem found, as :class:`SpecProblem`
values carrying the file and the line or JSON pointer. Loaders never raise for
bad input; they report and go on with what they could read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

from musicbind.generator.load.dialects import Dialect

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]


class Record:
    """Base of the load and registry records: pickled as their constructor's arguments.

    The caches (:mod:`generator.load.cache`, :mod:`generator.registry.build_cache`) read
    every unchanged document and model of a catalogue back; the state a slotted dataclass
    pickles by default calls ``dataclasses.fields()`` for every object it restores, which
    costs as much again.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        names: tuple[str, ...] = type(self).__slots__  # a dataclass's: its fields, in order
        return type(self), tuple([getattr(self, name) for name in names])


class DocumentKind(StrEnum):
    """Every kind of document the loaders read; detected from content."""

    OPENAPI = "openapi"
    SCENARIO_TABLE = "scenario-table"
    FAL_PAGE = "fal-page"
    GATEWAY_PAGE = "gateway-page"
    FAL_MODELS_API = "fal-models-api"  # fal's models API answer: OpenAPI documents in an envelope
    UNKNOWN = "unknown"  # unreadable, or of no kind musicbind reads


class Level(StrEnum):
    """How bad a problem is: errors fail the run, warnings are only shown."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location(Record):
    """Where a fact or a problem is: a file plus a 1-based line or a JSON pointer.

    ``column`` (1-based) is set where the reader knows it (problems in JSON and YAML
    text); such a location reads ``file:line:column``, the most exact form.
    """

    path: str
    line: int | None = None
    pointer: str | None = None
    column: int | None = field(default=None, metadata={"omit_when_none": True})

    def __str__(self) -> str:
        if self.line is not None and self.column is not None:
            return f"{self.path}:{self.line}:{self.column}"
        if self.pointer is not None:
            return f"{self.path}#{self.pointer}"
        if self.line is not None:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True, slots=True)
class SpecProblem(Record):
    """One problem found while reading or combining documents."""

    level: Level
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.level.value}: {self.message}"


class TypeKind(StrEnum):
    """Provider-neutral value types."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    FILE = "file"  # a file input: an asset id (Scenario) or a URL (fal)
    ARRAY = "array"
    OBJECT = "object"  # a named shape (see SpecShape) or, with ref None, a free-form mapping
    UNION = "union"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class SpecType(Record):
    """The type of a parameter or of an array's items."""

    kind: TypeKind
    items: SpecType | None = None  # ARRAY only
    ref: str | None = None  # OBJECT only: the name of a SpecShape of the same model
    variants: tuple[SpecType, ...] = ()  # UNION only
    media: str | None = None  # FILE only: "video", "audio", "image", ... when known
    nullable: bool = False  # the value may be JSON null


@dataclass(frozen=True, slots=True)
class SpecParam(Record):
    """One parameter (input) or field (output / shape) as a document states it."""

    wire_name: str
    type: SpecType
    required: bool
    location: Location
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
    title: str | None = None  # a human label (Scenario's older "Label" column, OpenAPI title)


@dataclass(frozen=True, slots=True)
class SpecShape(Record):
    """A named object type used by a model's parameters (fal's ``Audio``, ``File``...)."""

    name: str
    fields: tuple[SpecParam, ...]
    location: Location
    description: str = ""


@dataclass(frozen=True, slots=True)
class SpecPrice(Record):
    """A price as a document states it, e.g. "$0.009 per second of output and per sample"."""

    amount: str  # decimal text, e.g. "0.009"
    currency: str  # "USD"
    unit: str  # "second", "output_second", "request", "creative_unit"
    per_sample: bool
    location: Location


@dataclass(frozen=True, slots=True)
class SpecJob(Record):
    """How a generic provider's job is read after its submit, as its document states it."""

    id_field: str  # the submit answer's property naming the job
    status_path: str  # the GET path with one ``{...}`` placeholder for the id
    status_field: str  # the status answer's property holding the status word
    error_field: str | None = None
    cancel_method: str | None = None
    cancel_path: str | None = None


@dataclass(frozen=True, slots=True)
class SpecOperation(Record):
    """How one model of a generic OpenAPI provider is called (see ``runtime.HttpOperation``)."""

    method: str  # "POST"
    path: str  # under the provider's base URL
    body: str = "json"  # "json" or "multipart"
    answer: str = "json"  # "json", "binary" or "job"
    media_type: str | None = None  # binary answers: the documented media type
    job: SpecJob | None = None
    path_params: tuple[str, ...] = ()  # wire names of inputs that go into the path
    query_params: tuple[str, ...] = ()  # wire names of inputs that go into the query
    files: tuple[str, ...] = ()  # multipart: wire names of inputs sent as file parts


@dataclass(frozen=True, slots=True)
class SpecProvider(Record):
    """Who a generic OpenAPI provider is, from its document: name, base URL, auth, statuses."""

    name: str
    display_name: str
    base_url: str
    auth: str  # "bearer", "basic", "header", "query" or "none"
    location: Location
    auth_name: str | None = None  # header / query parameter name
    statuses: tuple[tuple[str, str], ...] = ()  # status word -> JobState value


@dataclass(frozen=True, slots=True)
class SpecModel(Record):
    """Everything one document says about one model."""

    provider: str
    model_id: str
    location: Location
    title: str = ""
    description: str = ""
    category: str | None = None
    capabilities: tuple[str, ...] = ()
    inputs: tuple[SpecParam, ...] | None = None  # None: the document says nothing about inputs
    outputs: tuple[SpecParam, ...] | None = None  # None: the document says nothing about outputs
    shapes: tuple[SpecShape, ...] = ()
    price: SpecPrice | None = None
    input_examples: tuple[JsonValue, ...] = ()  # whole example payloads from the document
    output_examples: tuple[JsonValue, ...] = ()
    endpoint: str | None = None  # submit path or endpoint id, when the document names one
    # A gateway-wide request schema (e.g. /v1/audio/music) that applies to every model served
    # by that endpoint; model pages then narrow or extend it.
    endpoint_template: bool = False
    operation: SpecOperation | None = None  # a generic provider's call


@dataclass(frozen=True, slots=True)
class SpecDocument(Record):
    """One loaded document: its kind, the models it describes and the problems found."""

    path: str
    kind: DocumentKind
    sha256: str
    provider: str | None = None
    models: tuple[SpecModel, ...] = ()
    problems: tuple[SpecProblem, ...] = field(default=())
    provider_facts: SpecProvider | None = None  # a generic OpenAPI provider's identity
    # The provider's ways of writing this kind that the document shows (generator/load/dialects.py)
    dialects: tuple[Dialect, ...] = ()
