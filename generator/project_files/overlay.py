"""Project files: read specs/manifest.yaml and specs/overlay.yaml into typed records.

The manifest names each document (provider, kind, origin, retrieved date, and the
ETag / Last-Modified validators ``musicbind sync`` keeps for conditional requests); the
overlay carries what no spec format can state: provider job protocols (status
vocabularies, auth, base URL), cross-field rules and pricing. Both are YAML, read
by the one located reader and checked by the pydantic models below (unknown keys
are errors with a did-you-mean, fixed choices are literals); every record keeps
its line so later problems point at it. A mistake drops the entry it is in (one
provider, model or document) and is reported at its line and column.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, model_validator

from musicbind.generator.load.records import JsonScalar, Location, Record, SpecJob, SpecProblem
from musicbind.generator.project_files.typed_yaml import Strict, Text, TypedFile
from musicbind.runtime.jobstate import JobState

AuthScheme = Literal["basic", "key", "bearer", "header", "query", "none"]
RuleKind = Literal[
    "segment_within_media", "length", "range", "requires", "excludes", "required_when"
]
PriceUnit = Literal["second", "request"]
PartT = TypeVar("PartT", dict[str, Any], list[Any])
# The document kinds a manifest may list: DocumentKind's, less "unknown".
ListedKind = Literal["openapi", "scenario-table", "fal-page", "gateway-page", "fal-models-api"]


@dataclass(frozen=True, slots=True)
class ManifestEntry(Record):
    """One document listed in specs/manifest.yaml."""

    path: str
    provider: str
    kind: str
    origin: str
    retrieved: str
    location: Location
    etag: str | None = None  # the validators ``musicbind sync`` sends back upstream
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """A provider's protocol facts from the overlay.

    For a provider bound from its OpenAPI document alone, every fact is optional: the
    document states them and what the overlay sets wins (statuses are added to the
    document's). A provider with no such document needs base_url, auth and statuses.
    """

    name: str
    display_name: str | None
    base_url: str | None
    auth: str | None
    statuses: tuple[tuple[str, JobState], ...]
    location: Location
    auth_name: str | None = None  # the header or query parameter of ``header``/``query`` auth
    key_env: str | None = None  # the environment variable holding the key


@dataclass(frozen=True, slots=True)
class RuleFacts:
    """A rule from the overlay, in wire names: a new rule, a change of a rule the documents'
    sentences state (same name), or, with ``enabled`` false, that rule switched off.

    ``kind`` is None only for an entry that names the rule it switches off.
    """

    kind: str | None
    media: str | None
    start: str | None
    length: str | None
    location: Location
    name: str | None = None
    fields: tuple[str, ...] = ()
    minimum: int | float | None = None
    maximum: int | float | None = None
    value: JsonScalar = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class PricingFacts:
    """A pricing formula from the overlay, in wire names."""

    currency: str
    amount: str
    unit: str
    seconds_from: str | None
    media: str | None
    start: str | None
    multiplied_by: tuple[str, ...]
    location: Location


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """Overlay facts about one model ref.

    ``job``: for a generic provider's model whose document does not show how its job is
    read (no status operation musicbind recognises), how it is: the submit then answers
    with a job, and the job's result is the status answer.
    """

    ref: str
    rules: tuple[RuleFacts, ...]
    pricing: PricingFacts | None
    location: Location
    job: SpecJob | None = None


@dataclass(frozen=True, slots=True)
class Overlay:
    """The whole overlay."""

    providers: tuple[ProviderFacts, ...]
    models: tuple[ModelFacts, ...]


# --- the files' schemas ------------------------------------------------------------------


def _amount(text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise ValueError(f'amount {text!r} is not a price (a number such as "0.009")')
    return text


# RFC 9110 section 8.8.3: an optionally weak quoted string of visible ASCII but '"'.
_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]*"')
# RFC 9110 section 5.6.7: the IMF-fixdate form, the only one a server may send.
_HTTP_DATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


def entity_tag_problem(text: str) -> str | None:
    """Why ``text`` is not an HTTP entity tag (``"abc"`` or ``W/"abc"``), or None."""
    if _ENTITY_TAG.fullmatch(text) is None:
        return (
            f"{text[:60]!r} is not an HTTP entity tag: a quoted string such as "
            "'\"abc\"' or 'W/\"abc\"' (quote the whole value in YAML)"
        )
    return None


def http_date_problem(text: str) -> str | None:
    """Why ``text`` is not an HTTP date (``Sun, 06 Dec 2026 04:37:49 GMT``), or None."""
    valid = _HTTP_DATE.fullmatch(text) is not None
    if valid:
        try:
            email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            valid = False
    if not valid:
        return f"{text[:60]!r} is not an HTTP date such as 'Sun, 06 Dec 2026 04:37:49 GMT'"
    return None


def _entity_tag(text: str) -> str:
    problem = entity_tag_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def _http_date(text: str) -> str:
    problem = http_date_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def _variable_name(text: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is None:
        raise ValueError(f"{text[:60]!r} is not an environment variable name such as TUNES_KEY")
    return text


def _one_placeholder(text: str) -> str:
    if not text.startswith("/") or len(re.findall(r"\{[^{}/]+\}", text)) != 1:
        raise ValueError(
            f"{text[:60]!r} must be a path under the base URL with one placeholder for the "
            "job id, such as '/jobs/{id}'"
        )
    return text


def _plain_path(text: str) -> str:
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError(f"document path {text!r} holds control characters; it is not read")
    return text


class _ProviderEntry(Strict):
    display_name: Text | None = None
    base_url: Text | None = None
    auth: AuthScheme | None = None
    auth_name: Text | None = None
    key_env: Annotated[Text, AfterValidator(_variable_name)] | None = None
    statuses: Annotated[dict[Text, JobState], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _named(self) -> _ProviderEntry:
        if self.auth in ("header", "query") and not self.auth_name:
            raise ValueError(f"auth {self.auth!r} needs auth_name: the header or query parameter")
        return self


class _RuleEntry(Strict):
    name: Text | None = None
    kind: RuleKind | None = None
    media: Text | None = None
    start: Text | None = None
    length: Text | None = None
    fields: list[Text] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    value: JsonScalar = None
    enabled: bool = True

    @model_validator(mode="after")
    def _complete(self) -> _RuleEntry:
        if self.kind is None and (self.name is None or self.enabled):
            raise ValueError("a rule needs a kind (or a name and enabled: false to switch it off)")
        if self.kind == "segment_within_media" and self.media is None:
            raise ValueError("a segment_within_media rule needs media")
        if self.kind in {"length", "range"} and len(self.fields or ()) != 1:
            raise ValueError(f"a {self.kind} rule needs fields: [<one field>]")
        if self.kind in {"requires", "excludes", "required_when"} and len(self.fields or ()) != 2:
            raise ValueError(f"a {self.kind} rule needs fields: [<field>, <other field>]")
        return self


class _PricingEntry(Strict):
    currency: Text = "USD"
    amount: Annotated[Text, AfterValidator(_amount)]
    unit: PriceUnit
    seconds_from: Text | None = None
    media: Text | None = None
    start: Text | None = None
    multiplied_by: list[Text] | None = None


class _JobEntry(Strict):
    id_field: Text
    status_path: Annotated[Text, AfterValidator(_one_placeholder)]
    status_field: Text = "status"
    error_field: Text | None = None
    cancel_method: Literal["DELETE", "POST", "PUT", "PATCH"] | None = None
    cancel_path: Annotated[Text, AfterValidator(_one_placeholder)] | None = None


class _ModelEntry(Strict):
    rules: list[_RuleEntry] | None = None
    pricing: _PricingEntry | None = None
    job: _JobEntry | None = None


class _OverlayFile(Strict):
    providers: dict[Text, Any] | None = None
    models: dict[Text, Any] | None = None


class _ManifestDocument(Strict):
    path: Annotated[Text, AfterValidator(_plain_path)]
    provider: Text
    kind: ListedKind
    origin: Text = ""
    retrieved: Text = ""
    etag: Annotated[Text, AfterValidator(_entity_tag)] | None = None
    last_modified: Annotated[Text, AfterValidator(_http_date)] | None = None


class _ManifestFile(Strict):
    documents: list[Any] | None = None


# --- reading ----------------------------------------------------------------------------


def load_manifest(text: str, path: str) -> tuple[list[ManifestEntry], list[SpecProblem]]:
    """Parse specs/manifest.yaml."""
    file = TypedFile(text, path)
    file.check(_ManifestFile, (), file.value or {})
    entries: list[ManifestEntry] = []
    for index, item in enumerate(_part(file.value, "documents", list)):
        where = ("documents", index)
        entry = file.check(_ManifestDocument, where, item)
        if entry is not None:
            location = file.at(where)
            entries.append(
                ManifestEntry(
                    entry.path,
                    entry.provider,
                    entry.kind,
                    entry.origin,
                    entry.retrieved,
                    location,
                    etag=entry.etag,
                    last_modified=entry.last_modified,
                )
            )
    return entries, file.problems


def load_overlay(text: str, path: str) -> tuple[Overlay, list[SpecProblem]]:
    """Parse specs/overlay.yaml."""
    file = TypedFile(text, path)
    file.check(_OverlayFile, (), file.value or {})
    providers: list[ProviderFacts] = []
    models: list[ModelFacts] = []
    for name, node in _part(file.value, "providers", dict).items():
        entry = file.check(_ProviderEntry, ("providers", name), node)
        if entry is not None:
            providers.append(_provider(file, name, entry))
    for ref, node in _part(file.value, "models", dict).items():
        if ":" not in ref:
            message = f"model ref {ref!r} must be '<provider>:<model id>'"
            file.error(("models", ref), message, key=True)
            continue
        model = file.check(_ModelEntry, ("models", ref), node)
        if model is not None:
            models.append(_model(file, ref, model))
    overlay = Overlay(
        tuple(sorted(providers, key=lambda p: p.name)), tuple(sorted(models, key=lambda m: m.ref))
    )
    return overlay, file.problems


def _part(value: Any, name: str, kind: type[PartT]) -> PartT:
    """A top-level section as read (its shape was checked and reported with the file's),
    so that a mistake beside it does not lose it."""
    part = value.get(name) if isinstance(value, dict) else None
    return part if isinstance(part, kind) else kind()


def _provider(file: TypedFile, name: str, entry: _ProviderEntry) -> ProviderFacts:
    statuses = tuple(sorted((entry.statuses or {}).items()))
    location = file.at(("providers", name))
    return ProviderFacts(
        name,
        entry.display_name,
        entry.base_url,
        entry.auth,
        statuses,
        location,
        auth_name=entry.auth_name,
        key_env=entry.key_env,
    )


def _model(file: TypedFile, ref: str, entry: _ModelEntry) -> ModelFacts:
    where = ("models", ref)
    rules = tuple(
        RuleFacts(
            rule.kind,
            rule.media,
            rule.start,
            rule.length,
            file.at((*where, "rules", i)),
            name=rule.name,
            fields=tuple(rule.fields or ()),
            minimum=rule.minimum,
            maximum=rule.maximum,
            value=rule.value,
            enabled=rule.enabled,
        )
        for i, rule in enumerate(entry.rules or [])
    )
    price = entry.pricing
    pricing = (
        PricingFacts(
            currency=price.currency,
            amount=price.amount,
            unit=price.unit,
            seconds_from=price.seconds_from,
            media=price.media,
            start=price.start,
            multiplied_by=tuple(price.multiplied_by or ()),
            location=file.at((*where, "pricing")),
        )
        if price is not None
        else None
    )
    job = (
        SpecJob(
            id_field=entry.job.id_field,
            status_path=entry.job.status_path,
            status_field=entry.job.status_field,
            error_field=entry.job.error_field,
            cancel_method=entry.job.cancel_method,
            cancel_path=entry.job.cancel_path,
        )
        if entry.job is not None
        else None
    )
    return ModelFacts(ref, rules, pricing, file.at(where), job=job)


def layer_overlays(bundled: Overlay | None, project: Overlay) -> tuple[Overlay, frozenset[str]]:
    """``project`` laid over ``bundled``: a project's provider or model entry replaces the
    bundled one of the same name, everything else of the bundled overlay is kept.

    Also returns the refs whose facts come from the bundled overlay: they apply to the models
    a project's documents describe and are never reported for the models it does not name.
    """
    if bundled is None:
        return project, frozenset()
    providers = {p.name: p for p in bundled.providers} | {p.name: p for p in project.providers}
    models = {m.ref: m for m in bundled.models} | {m.ref: m for m in project.models}
    quiet = frozenset(m.ref for m in bundled.models) - {m.ref for m in project.models}
    layered = Overlay(
        tuple(providers[name] for name in sorted(providers)),
        tuple(models[ref] for ref in sorted(models)),
    )
    return layered, quiet
