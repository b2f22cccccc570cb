"""Hostile payloads: every model in generated/ refuses them before a single request is sent.

For each binding ``generated.list_bindings()`` names (in ``nox -s tests``: the seed models
and one of each provider and document kind, see ``hostile_refs``), hypothesis makes up at least 500
payloads (times ``MUSICBIND_ADVERSARIAL_SCALE``) that break what the documents state
about one field: its type, range, length, allowed values, required-ness, NaN and
infinity, booleans for numbers, unknown or doubled keys, paths to no file and non-http(s)
URLs where fal takes URLs.
Each goes through the generated client's ``submit``, whose transport counts requests: the
submit must raise an error naming the field, with zero requests sent and nothing journalled.
"""

from __future__ import annotations

import functools
import importlib
import math
import operator
from pathlib import Path
from typing import Any

import httpx
import pytest
from adversarial_support import RESULTS, hostile_refs, record, scaled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from musicbind import generated
from musicbind.generator.emit.docs import example_input
from musicbind.generator.load.records import TypeKind
from musicbind.generator.registry.model import Field, Model
from musicbind.generator.snapshot.snapshot_file import read_snapshot
from musicbind.runtime.errors import FileInputError
from musicbind.runtime.journal import Journal

MINIMUM_PER_MODEL = 500
ROOT = Path(__file__).resolve().parents[2]
REGISTRY, _ = read_snapshot(ROOT / "generated")
MODELS = {model.ref: model for model in (REGISTRY.models if REGISTRY else ())}
KEYS = {"scenario": {"api_key": "k-scn-4d1", "api_secret": "s-scn-9e2"}}

# None is left out: for an optional field it means "not given" (required fields get it below).
not_numbers = st.one_of(
    st.text(max_size=8),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), "5", "1e3", b"5"]),
)
not_strings = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    st.just(b"bytes"),
)
not_booleans = st.one_of(st.integers(), st.sampled_from(["true", "yes", "1", 1.0, [], {}]))
strange_keys = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(["__proto__", "../x", "model_config", "a\x00b", "constructor", "A" * 500]),
)


def hostile_value(field: Field, url_files: bool = False) -> st.SearchStrategy[Any]:
    """Values that break what the documents state about ``field``; ``url_files``: the
    provider takes file inputs as URLs (fal), so a path to no file, ``file://`` and other
    schemes are refused too (an existing local file would be uploaded)."""
    kind = field.type.kind
    options: list[st.SearchStrategy[Any]] = []
    if kind in (TypeKind.INTEGER, TypeKind.NUMBER):
        options.append(not_numbers)
        if kind is TypeKind.INTEGER:
            options.append(st.floats(allow_nan=False, allow_infinity=False).filter(_fractional))
        low = field.minimum if field.minimum is not None else field.exclusive_minimum
        high = field.maximum if field.maximum is not None else field.exclusive_maximum
        step = st.integers(1, 10**6) if kind is TypeKind.INTEGER else st.floats(0.001, 1e6)
        if low is not None:
            options.append(step.map(functools.partial(operator.sub, low)))
        if high is not None:
            options.append(step.map(functools.partial(operator.add, high)))
        if field.exclusive_minimum is not None:
            options.append(st.just(field.exclusive_minimum))
    elif kind in (TypeKind.STRING, TypeKind.FILE):
        options.append(not_strings)
        if field.max_length is not None:
            options.append(st.integers(1, 50).map(lambda d: "x" * (field.max_length + d)))
        if field.min_length:
            options.append(st.just("x" * (field.min_length - 1)))
    elif kind is TypeKind.BOOLEAN:
        options.append(not_booleans)
    elif kind is TypeKind.OBJECT:
        options.append(st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers())))
    elif kind is TypeKind.UNION and not any(
        v.kind in (TypeKind.ARRAY, TypeKind.OBJECT, TypeKind.ANY) for v in field.type.variants
    ):
        options.append(st.lists(st.integers(), min_size=1, max_size=2))
    elif kind is TypeKind.ARRAY:
        options.append(
            st.one_of(
                st.text(max_size=5),
                st.integers(),
                st.dictionaries(st.text(), st.integers(), max_size=1),
            )
        )
        if field.max_items is not None:
            options.append(st.just(["x"] * (field.max_items + 1)))
    if url_files and (kind is TypeKind.FILE or field.wire_name.endswith(("_url", "_urls"))):
        # A local file is uploaded first; these are not files nor http(s) URLs: refused.
        options.append(
            st.sampled_from(
                [
                    str(Path(__file__).with_name("no-such-clip.mp4")),
                    Path(__file__).resolve().as_uri(),
                    "ftp://example.com/clip.mp4",
                    "s3://bucket/clip.mp4",
                ]
            )
        )
    if field.allowed:
        options.append(_not_allowed(field))
    if field.required and not field.type.nullable:
        options.append(st.none())
    return st.one_of(options) if options else st.none()


def _fractional(value: float) -> bool:
    return not value.is_integer()


def _not_allowed(field: Field) -> st.SearchStrategy[Any]:
    allowed = tuple(field.allowed or ())
    variants: list[Any] = [f" {v}" for v in allowed if isinstance(v, str)] + [
        str(v).upper() for v in allowed if isinstance(v, str) and str(v).upper() != v
    ]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in allowed):
        variants += [True, False, *(str(v) for v in allowed)]
    candidates = st.one_of(st.text(max_size=10), st.integers(), st.sampled_from(variants or ["?"]))
    return candidates.filter(lambda v: not _among(v, allowed))


def _among(value: Any, allowed: tuple[Any, ...]) -> bool:
    for choice in allowed:
        if type(value) is type(choice) and value == choice:
            return True
        numbers = (int, float)
        if isinstance(value, numbers) and isinstance(choice, numbers):
            both_plain = not isinstance(value, bool) and not isinstance(choice, bool)
            if both_plain and value == choice:
                return True
    return False


@st.composite
def hostile_payloads(draw: st.DrawFn, model: Model) -> tuple[dict[str, Any], set[str], str]:
    """(payload, names the error must mention one of, what was broken)."""
    base = dict(example_input(model))
    way = draw(st.sampled_from(["value", "value", "value", "unknown", "missing", "doubled"]))
    fields = list(model.inputs)
    if way == "unknown":
        key = draw(strange_keys.filter(lambda k: k not in {f.wire_name for f in fields}))
        key = key if key not in {f.python_name for f in fields} else key + "_x"
        return {**base, key: draw(st.integers())}, {key}, f"unknown key {key!r}"
    required = [f for f in fields if f.required]
    if way == "missing" and required:
        gone = draw(st.sampled_from(required))
        payload = {k: v for k, v in base.items() if k != gone.wire_name}
        return payload, {gone.wire_name, gone.python_name}, f"missing {gone.wire_name!r}"
    aliased = [f for f in fields if f.python_name != f.wire_name]
    if way == "doubled" and aliased:
        # The same (valid) value under both names: which one would be sent is ambiguous.
        twice = draw(st.sampled_from(aliased))
        value = base.get(twice.wire_name, draw(hostile_value(twice)))
        payload = {**base, twice.python_name: value, twice.wire_name: value}
        return payload, {twice.wire_name, twice.python_name}, f"both names of {twice.wire_name!r}"
    breakable = [f for f in fields if _breakable(f, model.provider == "fal")]
    target = draw(st.sampled_from(breakable or fields))
    value = draw(hostile_value(target, url_files=model.provider == "fal"))
    names = {target.wire_name, target.python_name}
    return {**base, target.wire_name: value}, names, f"{target.wire_name}={value!r}"


def _breakable(field: Field, url_files: bool) -> bool:
    """Whether some value breaks what the documents state about ``field`` (a free-form or
    any-typed optional field takes every value)."""
    kind = field.type.kind
    if kind is TypeKind.ANY or (kind is TypeKind.OBJECT and field.type.ref is None):
        return bool(field.required and not field.type.nullable) or bool(field.allowed)
    if kind is TypeKind.UNION:
        return not any(
            v.kind in (TypeKind.ARRAY, TypeKind.OBJECT, TypeKind.ANY) for v in field.type.variants
        ) or bool(field.required and not field.type.nullable)
    return True


def _client(provider: str, journal: Path, sent: list[httpx.Request]) -> Any:
    module = importlib.import_module(f"musicbind.generated.{provider}.client")
    classes = [
        value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and value.__module__ == module.__name__
        and not name.startswith(("Async", "_"))
    ]
    keys = KEYS.get(provider, {"api_key": f"k-{provider}-7c3"})

    def count(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(count)
    return classes[0](journal=journal, http_client=httpx.Client(transport=transport), **keys)


def _names_field(error: Exception, names: set[str]) -> bool:
    if isinstance(error, ValidationError):
        return any(str(e["loc"][0]) in names for e in error.errors() if e["loc"])
    return any(name in str(error) for name in names)


def test_every_model_is_in_the_snapshot() -> None:
    assert sorted(MODELS) == generated.list_bindings()


@pytest.mark.parametrize("ref", hostile_refs(MODELS))
def test_hostile_payloads_are_refused_before_sending(ref: str, tmp_path: Path) -> None:
    model = MODELS[ref]
    binding = generated.get_binding(ref)
    sent: list[httpx.Request] = []
    journal = tmp_path / "journal.sqlite3"
    client = _client(model.provider, journal, sent)
    binding.input_model.model_validate(example_input(model))  # the base payload is valid
    tried: list[str] = []
    target = scaled(MINIMUM_PER_MODEL)

    @settings(
        max_examples=target,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(hostile_payloads(model))
    def refused(case: tuple[dict[str, Any], set[str], str]) -> None:
        payload, names, what = case
        sent.clear()
        with pytest.raises((ValidationError, FileInputError)) as caught:
            client.submit(binding, payload)
        assert _names_field(caught.value, names), (what, caught.value)
        assert sent == [], what
        tried.append(what)

    try:
        refused()
    finally:
        client.close()
    with Journal(journal) as book:
        assert book.entries() == []
    assert len(tried) >= target, f"only {len(tried)} payloads for {ref}"
    counts = dict(RESULTS.get("payloads_by_model") or {})
    counts[ref] = len(tried)
    RESULTS["payloads_by_model"] = counts
    record("models", len(generated.list_bindings()))
    record("payloads_per_model", min(counts.values()))
    record("payloads_rejected", sum(counts.values()))


def test_nan_and_infinity_are_refused_where_no_bound_would_catch_them() -> None:
    """Regression: an unbounded number took NaN; the submit then failed after journalling
    (reported as possibly sent) or the cost check raised decimal.InvalidOperation."""
    unbounded = [
        (ref, f)
        for ref, model in MODELS.items()
        for f in model.inputs
        if f.type.kind is TypeKind.NUMBER and f.minimum is None and f.maximum is None
    ]
    assert unbounded, "no unbounded number field left to check"
    for ref, f in unbounded:
        model = generated.get_binding(ref).input_model
        for bad in (math.nan, math.inf, -math.inf):
            with pytest.raises(ValidationError) as caught:
                model.model_validate({**example_input(MODELS[ref]), f.wire_name: bad})
            assert caught.value.errors()[0]["loc"][0] in (f.wire_name, f.python_name)
