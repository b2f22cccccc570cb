"""Runtime: the records generated modules hand to the runtime (model bindings, protocols).

Generated code builds these from literal data; the runtime reads them. Nothing
here knows about any particular provider or model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from musicbind.runtime.jobstate import JobState

if TYPE_CHECKING:  # generated packages build these records before any model class exists
    from pydantic import BaseModel

    from musicbind.runtime.bases import InputModel


class UnknownStatusError(ValueError):
    """A provider answered with a status word its protocol does not list."""

    def __init__(self, provider: str, word: str) -> None:
        super().__init__(f"{provider} answered with unknown job status {word!r}")
        self.provider = provider
        self.word = word


@dataclass(frozen=True, slots=True)
class PriceRule:
    """Price of one call: ``amount`` per unit, times the multiplier fields.

    For ``unit == "second"`` the seconds are the value of ``seconds_from`` when set in
    the payload; otherwise the media length of ``media`` (from ``media_duration``)
    minus the value of ``start`` (0 when unset). Names are python field names.
    """

    currency: str
    amount: Decimal
    unit: str
    seconds_from: str | None = None
    media: str | None = None
    start: str | None = None
    multiplied_by: tuple[str, ...] = ()

    def estimate(
        self, payload: BaseModel, media_duration: Mapping[str, float] | None = None
    ) -> Decimal | None:
        """The estimated cost of ``payload``, or None when it cannot be known beforehand."""
        quantity = Decimal(1)
        if self.unit == "second":
            seconds = self._seconds(payload, media_duration or {})
            if seconds is None:
                return None
            quantity = seconds
        for name in self.multiplied_by:
            value = getattr(payload, name, None)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            quantity *= Decimal(str(value))
        return self.amount * quantity

    def _seconds(self, payload: BaseModel, media_duration: Mapping[str, float]) -> Decimal | None:
        if self.seconds_from is not None:
            value = getattr(payload, self.seconds_from, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return Decimal(str(value))
        if self.media is not None and self.media in media_duration:
            start = getattr(payload, self.start, None) if self.start else None
            offset = Decimal(str(start)) if isinstance(start, int | float) else Decimal(0)
            return max(Decimal(str(media_duration[self.media])) - offset, Decimal(0))
        return None


@dataclass(frozen=True, slots=True)
class Binding:
    """One generated model binding: what ``generated.get_binding(ref)`` returns."""

    ref: str  # "<provider>:<model id>"
    provider: str
    model_id: str
    method_name: str
    input_model: type[InputModel]
    output_model: type[BaseModel] | None
    file_fields: tuple[str, ...] = ()  # python names of file inputs (upload or URL)
    pricing: PriceRule | None = None
    media_fields: tuple[str, ...] = ()  # python names whose media length cross-field rules read

    def estimate_cost(
        self, payload: BaseModel, media_duration: Mapping[str, float] | None = None
    ) -> Decimal | None:
        """Estimated cost in the pricing's currency, or None without a price or enough data."""
        if self.pricing is None:
            return None
        return self.pricing.estimate(payload, media_duration)


@dataclass(frozen=True, slots=True)
class JobOperations:
    """How a generic provider's asynchronous job is read after its submit (registry data).

    ``status_path`` holds one ``{...}`` placeholder, filled with the submit answer's
    ``id_field``; the status answer's ``status_field`` is the status word, and the whole
    status answer is the job's result. ``cancel_method``/``cancel_path``: None when the
    document states no way to cancel.
    """

    id_field: str
    status_path: str
    status_field: str = "status"
    error_field: str | None = None
    cancel_method: str | None = None
    cancel_path: str | None = None


@dataclass(frozen=True, slots=True)
class HttpOperation:
    """How one model of a generic (OpenAPI-described) provider is called (registry data).

    ``body``: ``json`` or ``multipart``. ``answer``: ``json`` (the answer is the result),
    ``binary`` (the answer's bytes are the result: an audio file, streamed to disk) or
    ``job`` (the answer names a job, read through ``job``).
    """

    method: str
    path: str  # under the provider's base URL
    body: str = "json"
    answer: str = "json"
    media_type: str | None = None  # binary answers: the documented type, e.g. "audio/mpeg"
    job: JobOperations | None = None
    path_params: tuple[str, ...] = ()  # wire names of inputs that fill ``{...}`` in ``path``
    query_params: tuple[str, ...] = ()  # wire names of inputs sent in the query
    files: tuple[str, ...] = ()  # multipart: wire names of inputs sent as file parts


@dataclass(frozen=True, slots=True)
class ProviderProtocol:
    """A provider's job protocol facts, as the registry states them.

    ``adapter``: ``""`` for the providers musicbind knows by name (their adapter is chosen
    by ``name``), ``"openapi"`` for a provider bound from its OpenAPI document alone, whose
    calls the generic adapter makes from ``operations`` (model id -> operation).
    ``auth``: ``basic``, ``key`` (``Authorization: Key ...``), ``bearer``, ``header`` (the
    key in the header ``auth_name``), ``query`` (the key in the query parameter
    ``auth_name``) or ``none``. ``key_env``: the environment variable holding the key when
    it is not ``<NAME>_API_KEY``.
    """

    name: str  # "scenario", "fal", "aigateway", or a generic provider's name
    display_name: str
    base_url: str
    auth: str
    statuses: Mapping[str, JobState] = field(default_factory=dict)
    adapter: str = ""
    auth_name: str | None = None
    key_env: str | None = None
    operations: Mapping[str, HttpOperation] = field(default_factory=dict)

    def state_of(self, word: str) -> JobState:
        """Map a provider status word onto JobState; an unknown word raises, never succeeds."""
        try:
            return self.statuses[word]
        except KeyError:
            raise UnknownStatusError(self.name, word) from None


def operations_to_json(operations: Mapping[str, HttpOperation]) -> dict[str, Any]:
    """``ProviderProtocol.operations`` as JSON-ready data (see :func:`operations_from_json`)."""
    return {model_id: asdict(operation) for model_id, operation in operations.items()}


def operations_from_json(data: Mapping[str, Any]) -> dict[str, HttpOperation]:
    """The operations :func:`operations_to_json` wrote."""
    operations: dict[str, HttpOperation] = {}
    for model_id, item in data.items():
        fields = dict(item)
        job = fields.pop("job", None)
        for name in ("path_params", "query_params", "files"):
            fields[name] = tuple(fields.get(name) or ())
        operations[model_id] = HttpOperation(
            **fields, job=JobOperations(**job) if job is not None else None
        )
    return operations
