"""Registry build: documents about one model merge with provenance; conflicts are reported.

What a user relies on: when an OpenAPI document and a model page agree, nothing is said;
when they disagree on a range, a default or the allowed values, one warning names both
places and the value used (the more authoritative document's: OpenAPI before model pages,
whatever order the documents come in); the overlay's facts win over the documents' and
say where they came from; and every fact of a field keeps the place that stated it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.load.records import (
    DocumentKind,
    JsonScalar,
    Level,
    Location,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecPrice,
    SpecProblem,
    SpecType,
    TypeKind,
)
from musicbind.generator.project_files.overlay import Overlay, load_overlay
from musicbind.generator.registry.build import build_registry
from musicbind.generator.registry.model import Field, Registry

REF = "fal:acme/riff"
OPENAPI = "specs/fal/acme-riff.openapi.json"
PAGE = "specs/fal/acme-riff.md"
PROVIDERS = """\
providers:
  fal: {display_name: fal, base_url: https://queue.fal.run, auth: key,
        statuses: {IN_QUEUE: QUEUED, IN_PROGRESS: RUNNING, COMPLETED: SUCCEEDED}}
"""


def _overlay(text: str = "") -> Overlay:
    overlay, problems = load_overlay(PROVIDERS + text, "specs/overlay.yaml")
    assert problems == []
    return overlay


def _where(path: str, name: str) -> Location:
    if path.endswith(".md"):
        return Location(path, 10 + len(name))  # a page's facts are at lines
    return Location(path, pointer=f"/components/schemas/RiffInput/properties/{name}")


def _duration(path: str, **facts: object) -> SpecParam:
    stated: dict[str, object] = {"minimum": 1, "maximum": 30, "description": "Seconds."}
    stated.update(facts)
    return SpecParam(
        "duration",
        SpecType(TypeKind.NUMBER),
        False,
        _where(path, "duration"),
        **stated,  # type: ignore[arg-type]
    )


def _format(path: str, allowed: tuple[JsonScalar, ...] = ("mp3", "wav")) -> SpecParam:
    return SpecParam(
        "format",
        SpecType(TypeKind.STRING),
        False,
        _where(path, "format"),
        has_default=True,
        default="mp3",
        allowed=allowed,
    )


def _document(path: str, *inputs: SpecParam, price: SpecPrice | None = None) -> SpecDocument:
    kind = DocumentKind.FAL_PAGE if path.endswith(".md") else DocumentKind.OPENAPI
    model = SpecModel(
        "fal", "acme/riff", Location(path, 1), title="Riff", inputs=inputs, price=price
    )
    return SpecDocument(path, kind, sha256=path, provider="fal", models=(model,))


def _field(registry: Registry, wire_name: str) -> Field:
    (model,) = registry.models
    return next(f for f in model.inputs if f.wire_name == wire_name)


def _warnings(registry: Registry) -> list[str]:
    return [str(p) for p in registry.problems if p.level is Level.WARNING]


def test_documents_that_agree_merge_without_a_word() -> None:
    documents = [
        _document(OPENAPI, _duration(OPENAPI), _format(OPENAPI)),
        _document(PAGE, _duration(PAGE), _format(PAGE, ("wav", "mp3"))),  # same set
    ]
    registry = build_registry(documents, _overlay())
    assert registry.problems == ()
    duration = _field(registry, "duration")
    assert (duration.minimum, duration.maximum) == (1, 30)
    assert {p.location.path for p in duration.provenance} == {OPENAPI}
    (model,) = registry.models
    assert model.sources == (PAGE, OPENAPI)


def test_a_conflicting_range_is_reported_at_the_page_and_the_openapi_value_wins() -> None:
    openapi = _document(OPENAPI, _duration(OPENAPI, maximum=30))
    page = _document(PAGE, _duration(PAGE, maximum=60))
    for documents in ([openapi, page], [page, openapi]):  # order of the inputs does not matter
        registry = build_registry(documents, _overlay())
        assert _field(registry, "duration").maximum == 30
        (problem,) = registry.problems
        assert problem.level is Level.WARNING
        assert problem.location == _where(PAGE, "duration")
        assert problem.message == (
            f"{REF} input: maximum of 'duration' is 60 here but 30 in "
            f"{_where(OPENAPI, 'duration')}; using 30"
        )


def test_conflicting_defaults_and_allowed_values_each_get_a_warning() -> None:
    page_format = replace(_format(PAGE, ("mp3", "wav", "flac")), default="wav")
    documents = [
        _document(PAGE, page_format),
        _document(OPENAPI, _format(OPENAPI)),
    ]
    registry = build_registry(documents, _overlay())
    chosen = _field(registry, "format")
    assert (chosen.default, chosen.allowed) == ("mp3", ("mp3", "wav"))
    where = _where(OPENAPI, "format")
    assert sorted(_warnings(registry)) == [
        f"{_where(PAGE, 'format')}: warning: {REF} input: allowed of 'format' is "
        f"('mp3', 'wav', 'flac') here but ('mp3', 'wav') in {where}; using ('mp3', 'wav')",
        f"{_where(PAGE, 'format')}: warning: {REF} input: default of 'format' is "
        f"'wav' here but 'mp3' in {where}; using 'mp3'",
    ]


def test_a_fact_only_the_page_states_is_taken_from_the_page() -> None:
    bare = replace(_duration(OPENAPI), minimum=None, maximum=None)
    documents = [_document(OPENAPI, bare), _document(PAGE, _duration(PAGE, maximum=45))]
    registry = build_registry(documents, _overlay())
    assert registry.problems == ()
    by_fact = {p.fact: p.location for p in _field(registry, "duration").provenance}
    assert by_fact["maximum"] == _where(PAGE, "duration")
    assert by_fact["minimum"] == _where(PAGE, "duration")
    assert by_fact["type"] == _where(OPENAPI, "duration")
    assert by_fact["description"] == _where(OPENAPI, "duration")
    assert set(by_fact) == {"type", "required", "minimum", "maximum", "description"}


def test_overlay_facts_win_over_the_documents_and_say_where_they_came_from() -> None:
    page_price = SpecPrice("0.5", "USD", "request", False, Location(PAGE, 4))
    documents = [_document(PAGE, _duration(PAGE, maximum=60), price=page_price)]
    overlay = _overlay(
        "models:\n"
        f'  "{REF}":\n'
        "    rules:\n"
        "      - {kind: range, fields: [duration], minimum: 5, maximum: 20}\n"
        '    pricing: {amount: "0.01", unit: second, seconds_from: duration}\n'
    )
    registry = build_registry(documents, overlay)
    assert registry.problems == ()
    duration = _field(registry, "duration")
    assert (duration.minimum, duration.maximum) == (5, 20)
    by_fact = {p.fact: p.location for p in duration.provenance}
    assert by_fact["minimum"].path == by_fact["maximum"].path == "specs/overlay.yaml"
    assert by_fact["type"] == _where(PAGE, "duration")
    (model,) = registry.models
    assert model.pricing is not None
    assert (model.pricing.amount, model.pricing.unit) == ("0.01", "second")
    assert model.pricing.location.path == "specs/overlay.yaml"


def test_without_the_overlay_the_pages_price_is_used() -> None:
    page_price = SpecPrice("0.5", "USD", "request", False, Location(PAGE, 4))
    registry = build_registry([_document(PAGE, _duration(PAGE), price=page_price)], _overlay())
    (model,) = registry.models
    assert model.pricing is not None
    assert (model.pricing.amount, model.pricing.location) == ("0.5", Location(PAGE, 4))


def test_a_model_whose_document_has_an_error_is_left_out_with_a_reason() -> None:
    error = SpecProblem(Level.ERROR, Location(PAGE, 3), "the table has no header")
    broken = replace(_document(PAGE, _duration(PAGE)), problems=(error,))
    registry = build_registry([_document(OPENAPI, _duration(OPENAPI)), broken], _overlay())
    assert registry.models == ()
    assert f"{REF}: not generated because {PAGE} has errors" in {
        p.message for p in registry.problems
    }


_BOUNDS = st.integers(min_value=1, max_value=600)


@given(
    openapi_max=_BOUNDS,
    page_max=_BOUNDS,
    page_default=st.sampled_from(["mp3", "wav"]),
    reverse=st.booleans(),
)
def test_merging_is_deterministic_and_the_openapi_value_always_wins(
    openapi_max: int, page_max: int, page_default: str, reverse: bool
) -> None:
    documents = [
        _document(OPENAPI, _duration(OPENAPI, maximum=openapi_max), _format(OPENAPI)),
        _document(
            PAGE, _duration(PAGE, maximum=page_max), replace(_format(PAGE), default=page_default)
        ),
    ]
    registry = build_registry(documents[::-1] if reverse else documents, _overlay())
    assert registry == build_registry(documents, _overlay())
    assert _field(registry, "duration").maximum == openapi_max
    assert _field(registry, "format").default == "mp3"
    conflicts = {p.message.split(" of ")[0].rsplit(" ", 1)[-1] for p in registry.problems}
    expected = {"maximum"} if openapi_max != page_max else set()
    expected |= {"default"} if page_default != "mp3" else set()
    assert conflicts == expected
    assert all(p.location.path == PAGE for p in registry.problems)


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ("length", "overlay names field 'length', which the model does not have (fields: "),
        ("format", "overlay field 'format' must be a number, the documents say string"),
    ],
)
def test_an_overlay_price_on_a_wrong_field_is_an_error_at_the_overlay(
    wire: str, message: str
) -> None:
    overlay = _overlay(
        f'models:\n  "{REF}":\n'
        f'    pricing: {{amount: "0.01", unit: second, seconds_from: {wire}}}\n'
    )
    documents = [_document(OPENAPI, _duration(OPENAPI), _format(OPENAPI))]
    registry = build_registry(documents, overlay)
    assert registry.models == ()  # never a binding that prices from the wrong field
    errors = [p for p in registry.problems if p.level is Level.ERROR]
    assert [p.location.path for p in errors] == ["specs/overlay.yaml"]
    assert errors[0].message.startswith(f"{REF}: {message}")
