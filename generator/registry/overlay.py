"""Registry stage: read specs/manifest.yaml and specs/overlay.yaml into typed records.

The manifest names each document (provider, kind, origin, retrieved date); the
overlay carries what no spec format can state: provider job protocols (status
vocabularies, auth, base URL), cross-field rules and pricing. Both are YAML, read
by the one located reader and checked by the pydantic models below (unknown keys
are errors with a did-you-mean, fixed choices are literals); every record keeps
its line so later problems point at it. A mistake drops the entry it is in (one
provider, model or document) and is reported at its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, Field, model_validator

from musicbind.generator.load.records import JsonScalar, Location, SpecProblem
from musicbind.generator.registry.typed_yaml import Strict, Text, TypedFile
from musicbind.runtime.jobstate import JobState

AuthScheme = Literal["basic", "key", "bearer"]
RuleKind = Literal[
    "segment_within_media", "length", "range", "requires", "excludes", "required_when"
]
PriceUnit = Literal["second", "request"]
PartT = TypeVar("PartT", dict[str, Any], list[Any])
# The document kinds a manifest may list: DocumentKind's, less "unknown".
ListedKind = Literal["openapi", "scenario-table", "fal-page", "gateway-page", "fal-models-api"]


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One document listed in specs/manifest.yaml."""

    path: str
    provider: str
    kind: str
    origin: str
    retrieved: str
    location: Location


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """A provider's protocol facts from the overlay."""

    name: str
    display_name: str
    base_url: str
    auth: str
    statuses: tuple[tuple[str, JobState], ...]
    location: Location


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
    """Overlay facts about one model ref."""

    ref: str
    rules: tuple[RuleFacts, ...]
    pricing: PricingFacts | None
    location: Location


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


def _plain_path(text: str) -> str:
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError(f"document path {text!r} holds control characters; it is not read")
    return text


class _ProviderEntry(Strict):
    display_name: Text | None = None
    base_url: Text
    auth: AuthScheme
    statuses: Annotated[dict[Text, JobState], Field(min_length=1)]


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


class _ModelEntry(Strict):
    rules: list[_RuleEntry] | None = None
    pricing: _PricingEntry | None = None


class _OverlayFile(Strict):
    providers: dict[Text, Any] | None = None
    models: dict[Text, Any] | None = None


class _ManifestDocument(Strict):
    path: Annotated[Text, AfterValidator(_plain_path)]
    provider: Text
    kind: ListedKind
    origin: Text = ""
    retrieved: Text = ""


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
                    entry.path, entry.provider, entry.kind, entry.origin, entry.retrieved, location
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
    statuses = tuple(sorted(entry.statuses.items()))
    location = file.at(("providers", name))
    return ProviderFacts(
        name, entry.display_name or name, entry.base_url, entry.auth, statuses, location
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
    return ModelFacts(ref, rules, pricing, file.at(where))


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
