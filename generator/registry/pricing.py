"""Registry stage: a model's price, from the overlay's formula or else a model page's."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from musicbind.generator.load.records import Location, SpecPrice, SpecProblem
from musicbind.generator.project_files.overlay import PricingFacts
from musicbind.generator.registry.field_checks import overlay_field
from musicbind.generator.registry.model import Field, Pricing


def _field_name(
    ref: str,
    wire: str | None,
    by_wire: dict[str, Field],
    location: Location,
    problems: list[SpecProblem],
    *,
    numeric: bool,
) -> str | None:
    if wire is None:
        return None
    found = overlay_field(ref, wire, by_wire, location, problems, numeric=numeric)
    return found.python_name if found is not None else None


def overlay_pricing(
    ref: str, facts: PricingFacts, by_wire: dict[str, Field], problems: list[SpecProblem]
) -> Pricing | None:
    """The overlay's pricing formula in python names; None (with errors) when it names a
    field the model lacks, or a field that must be a number and is not."""
    count = len(problems)
    loc = facts.location
    seconds_from = _field_name(ref, facts.seconds_from, by_wire, loc, problems, numeric=True)
    media = _field_name(ref, facts.media, by_wire, loc, problems, numeric=False)
    start = _field_name(ref, facts.start, by_wire, loc, problems, numeric=True)
    multiplied = [
        _field_name(ref, m, by_wire, loc, problems, numeric=True) for m in facts.multiplied_by
    ]
    if len(problems) > count:
        return None
    return Pricing(
        currency=facts.currency,
        amount=facts.amount,
        unit=facts.unit,
        seconds_from=seconds_from,
        media=media,
        start=start,
        multiplied_by=tuple(m for m in multiplied if m is not None),
        location=loc,
    )


def page_pricing(price: SpecPrice | None, inputs: Sequence[Field]) -> Pricing | None:
    """A price stated only by a model page: per request, or per second of a duration field."""
    if price is None:
        return None
    by_wire = {f.wire_name: f for f in inputs}
    duration = by_wire.get("duration")
    per_minute = price.unit in {"minute", "output_minute"}
    per_second = per_minute or price.unit in {"second", "output_second"}
    samples = next((f for f in inputs if "samples" in f.wire_name.lower()), None)
    amount = price.amount
    if per_minute:  # durations are seconds: the same price per second, exactly
        amount = format((Decimal(price.amount) / 60).normalize(), "f")
    return Pricing(
        currency=price.currency,
        amount=amount,
        unit="second" if per_second else "request",
        seconds_from=duration.python_name if per_second and duration else None,
        media=None,
        start=None,
        multiplied_by=(samples.python_name,) if price.per_sample and samples else (),
        location=price.location,
    )
