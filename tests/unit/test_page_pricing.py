"""A price a model page states per minute is kept exactly, per second of the duration."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from musicbind.generator.ingest import build_from_paths, default_overlay_path

PAGE = Path(__file__).resolve().parents[1] / "corpus" / "documents" / "gateway-page-ember-score.md"


def test_a_per_minute_price_becomes_the_same_price_per_second() -> None:
    built = build_from_paths([PAGE], default_overlay_path(), PAGE.parent, "aigateway")
    (model,) = built.registry.models
    assert model.pricing is not None
    assert (model.pricing.unit, Decimal(model.pricing.amount) * 60) == ("second", Decimal("0.09"))
    assert model.pricing.seconds_from == "duration"
