"""Runtime: the cost check before a paid submit, and why an estimate may be unknown.

The estimate is the registry's price (:class:`runtime.binding.PriceRule`); a ``max_cost``
above it, or an estimate that cannot be made, refuses the submit with CostLimitError before
anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from musicbind.runtime.binding import Binding
from musicbind.runtime.errors import CostLimitError

if TYPE_CHECKING:
    from pydantic import BaseModel


def check_cost(
    binding: Binding,
    model: BaseModel,
    max_cost: Decimal | float | str | None,
    media_duration: Mapping[str, float],
) -> Decimal | None:
    """The estimate of ``model``'s cost; CostLimitError when it is above ``max_cost`` or
    ``max_cost`` is given and the cost cannot be estimated."""
    estimate = binding.estimate_cost(model, media_duration)
    if max_cost is None:
        return estimate
    try:
        limit = Decimal(str(max_cost))
    except InvalidOperation:
        raise CostLimitError(
            f"max_cost={max_cost!r} is not a number", estimate=estimate, max_cost=max_cost
        ) from None
    context = {"provider": binding.provider, "ref": binding.ref}
    if estimate is None:
        raise CostLimitError(
            f"max_cost={limit} was given but the cost of {binding.ref} cannot be estimated: "
            f"{why_no_estimate(binding, model, media_duration)}; nothing was sent",
            estimate=None,
            max_cost=limit,
            **context,
        )
    if estimate > limit:
        currency = binding.pricing.currency if binding.pricing else ""
        raise CostLimitError(
            f"estimated cost {estimate} {currency} is above max_cost={limit}; nothing was sent",
            estimate=estimate,
            max_cost=limit,
            **context,
        )
    return estimate


def why_no_estimate(binding: Binding, model: BaseModel, media: Mapping[str, float] | None) -> str:
    """Why ``binding.estimate_cost`` gives None for this payload, in words a user can act on."""
    pricing = binding.pricing
    if pricing is None:
        from musicbind.runtime.providers import unpriced_hint  # the adapters load on use

        return unpriced_hint(binding.provider)
    if pricing.unit == "second" and pricing.media and pricing.media not in (media or {}):
        return (
            f"the price depends on the length of {pricing.media}: pass "
            f"media_duration={{{pricing.media!r}: seconds}}"
        )
    return "a field the price depends on is unset"
