"""Registry stage: read specs/manifest.yaml and specs/overlay.yaml into typed records.

The manifest names each document (provider, kind, origin, retrieved date); the
overlay carries what no spec format can state: provider job protocols (status
vocabularies, auth, base URL), cross-field rules and pricing. Both are YAML;
every record keeps its line so problems point at it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

import yaml

from musicbind.generator.load.records import Level, Location, SpecProblem
from musicbind.runtime.jobstate import JobState

RULE_KINDS = frozenset({"segment_within_media"})
AUTH_SCHEMES = frozenset({"basic", "key", "bearer"})
PRICE_UNITS = frozenset({"second", "request"})
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    """A cross-field rule from the overlay, in wire names."""

    kind: str
    media: str
    start: str | None
    length: str | None
    location: Location


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


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader that records each mapping's 1-based line under ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        str(key): value for key, value in loader.construct_mapping(node, deep=True).items()
    }
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    """Collects problems while reading one YAML file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[SpecProblem] = []

    def parse(self, text: str) -> dict[str, Any] | None:
        try:
            data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            self.error(line, f"not valid YAML: {getattr(exc, 'problem', exc)}")
            return None
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.error(1, "expected a mapping at the top level")
            return None
        return data

    def error(self, line: int | None, message: str) -> None:
        self.problems.append(SpecProblem(Level.ERROR, Location(self.path, line), message))

    def text(self, node: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                self.error(node.get("__line__"), f"missing {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float | datetime.date):
            self.error(node.get("__line__"), f"{key!r} must be text, got {type(value).__name__}")
            return None
        return self.unicode(str(value), node.get("__line__"), key)

    def unicode(self, text: str, line: int | None, what: str) -> str | None:
        """``text``, or None (and an error) when it holds a lone surrogate (a YAML ``\\ud800``)."""
        if _SURROGATE.search(text):
            self.error(line, f"{what} {text!a} holds a lone surrogate, which is not Unicode")
            return None
        return text


def load_manifest(text: str, path: str) -> tuple[list[ManifestEntry], list[SpecProblem]]:
    """Parse specs/manifest.yaml."""
    reader = _Reader(path)
    data = reader.parse(text)
    entries: list[ManifestEntry] = []
    documents = (data or {}).get("documents", [])
    if data is not None and not isinstance(documents, list):
        reader.error(data.get("__line__"), "'documents' must be a list")
        documents = []
    for item in documents:
        if not isinstance(item, dict):
            reader.error(None, "each document entry must be a mapping")
            continue
        fields = [reader.text(item, key) for key in ("path", "provider", "kind")]
        origin = reader.text(item, "origin", required=False) or ""
        retrieved = reader.text(item, "retrieved", required=False) or ""
        if None in fields:
            continue
        entry_path, provider, kind = (str(value) for value in fields)
        location = Location(path, item["__line__"])
        if any(ord(char) < 32 or ord(char) == 127 for char in entry_path):
            reader.error(
                location.line,
                f"document path {entry_path!r} holds control characters; it is not read",
            )
            continue
        entries.append(ManifestEntry(entry_path, provider, kind, origin, retrieved, location))
    return entries, reader.problems


def load_overlay(text: str, path: str) -> tuple[Overlay, list[SpecProblem]]:
    """Parse specs/overlay.yaml."""
    reader = _Reader(path)
    data = reader.parse(text) or {}
    providers = [
        facts
        for name, node in _items(data.get("providers"))
        if (facts := _provider(reader, name, node)) is not None
    ]
    models = [
        model
        for ref, node in _items(data.get("models"))
        if (model := _model(reader, ref, node)) is not None
    ]
    overlay = Overlay(
        tuple(sorted(providers, key=lambda p: p.name)), tuple(sorted(models, key=lambda m: m.ref))
    )
    return overlay, reader.problems


def _items(node: Any) -> list[tuple[str, Any]]:
    if not isinstance(node, dict):
        return []
    return [(str(key), value) for key, value in node.items() if key != "__line__"]


def _provider(reader: _Reader, name: str, node: Any) -> ProviderFacts | None:
    if not isinstance(node, dict):
        reader.error(None, f"provider {name!r} must be a mapping")
        return None
    location = Location(reader.path, node["__line__"])
    auth = reader.text(node, "auth")
    base_url = reader.text(node, "base_url")
    if auth is not None and auth not in AUTH_SCHEMES:
        reader.error(
            location.line, f"provider {name!r}: auth must be one of {sorted(AUTH_SCHEMES)}"
        )
        return None
    statuses: list[tuple[str, JobState]] = []
    for word, state in _items(node.get("statuses")):
        if reader.unicode(word, location.line, "status word") is None:
            continue
        try:
            statuses.append((word, JobState(str(state))))
        except ValueError:
            known = ", ".join(s.value for s in JobState)
            reader.error(
                location.line,
                f"provider {name!r}: status {word!r} maps to {state!r}, not one of {known}",
            )
    if not statuses:
        reader.error(location.line, f"provider {name!r} has no 'statuses' vocabulary")
    if auth is None or base_url is None:
        return None
    display = reader.text(node, "display_name", required=False) or name
    return ProviderFacts(name, display, base_url, auth, tuple(sorted(statuses)), location)


def _model(reader: _Reader, ref: str, node: Any) -> ModelFacts | None:
    if isinstance(node, dict) and reader.unicode(ref, node["__line__"], "model ref") is None:
        return None
    if not isinstance(node, dict) or ":" not in ref:
        reader.error(None, f"model entry {ref!r} must be '<provider>:<model id>' with a mapping")
        return None
    location = Location(reader.path, node["__line__"])
    rules = [
        rule for item in node.get("rules") or [] if (rule := _rule(reader, ref, item)) is not None
    ]
    pricing = _pricing(reader, ref, node["pricing"]) if "pricing" in node else None
    return ModelFacts(ref, tuple(rules), pricing, location)


def _rule(reader: _Reader, ref: str, node: Any) -> RuleFacts | None:
    if not isinstance(node, dict):
        reader.error(None, f"{ref}: each rule must be a mapping")
        return None
    kind = reader.text(node, "kind")
    media = reader.text(node, "media")
    if kind is not None and kind not in RULE_KINDS:
        reader.error(
            node["__line__"], f"{ref}: unknown rule kind {kind!r} (known: {sorted(RULE_KINDS)})"
        )
        return None
    if kind is None or media is None:
        return None
    start = reader.text(node, "start", required=False)
    length = reader.text(node, "length", required=False)
    return RuleFacts(kind, media, start, length, Location(reader.path, node["__line__"]))


def _pricing(reader: _Reader, ref: str, node: Any) -> PricingFacts | None:
    if not isinstance(node, dict):
        reader.error(None, f"{ref}: pricing must be a mapping")
        return None
    line = node["__line__"]
    amount = reader.text(node, "amount")
    unit = reader.text(node, "unit")
    if unit is not None and unit not in PRICE_UNITS:
        reader.error(line, f"{ref}: pricing unit {unit!r} is not one of {sorted(PRICE_UNITS)}")
        return None
    if amount is None or unit is None:
        return None
    try:
        float(amount)
    except ValueError:
        reader.error(line, f"{ref}: pricing amount {amount!r} is not a number")
        return None
    multiplied = node.get("multiplied_by") or []
    if not isinstance(multiplied, list) or not all(isinstance(m, str) for m in multiplied):
        reader.error(line, f"{ref}: multiplied_by must be a list of field names")
        return None
    return PricingFacts(
        currency=reader.text(node, "currency", required=False) or "USD",
        amount=amount,
        unit=unit,
        seconds_from=reader.text(node, "seconds_from", required=False),
        media=reader.text(node, "media", required=False),
        start=reader.text(node, "start", required=False),
        multiplied_by=tuple(multiplied),
        location=Location(reader.path, line),
    )


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
