"""Load stage: numbers and booleans written as text in markdown pages ("90", "−2", "yes")."""

from __future__ import annotations

import math
import re

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_number(text: str) -> int | float | None:
    """A decimal number ("90", "-1", "0.5", "1e3", "−2" with a unicode minus), or None."""
    cleaned = text.strip().replace("\u2212", "-").replace("_", "")
    if _INT.fullmatch(cleaned):
        return int(cleaned)
    if _FLOAT.fullmatch(cleaned):
        value = float(cleaned)
        return value if math.isfinite(value) else None
    return None


_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


def parse_bool(text: str) -> bool | None:
    """A boolean from "true"/"false", "yes"/"no" and the like (any case), or None."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None
