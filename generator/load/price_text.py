"""Load stage: a price read from a sentence ("$0.009 per second of output and per sample")."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PriceText:
    """A price read from a sentence: decimal amount text, currency code, unit, per-sample flag."""

    amount: str
    currency: str
    unit: str
    per_sample: bool


_NUMBER_TEXT = r"\d[\d,]*(?:\.\d+)?|\.\d+"
_PRICE = re.compile(
    rf"(?P<symbol>US\$|\$|€|£)\s*(?P<amount>{_NUMBER_TEXT})"
    rf"|\b(?P<code>USD|EUR|GBP)\s*(?P<amount2>{_NUMBER_TEXT})"
)
_CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP"}
_UNIT_PHRASE = re.compile(
    r"(?:\bper\b|/|\bfor (?:each|every)\b|\beach\b|\bevery\b)\s*(?P<phrase>[a-z0-9 \-]+?)"
    r"(?=\s+and\b|\s*[,;()]|\s*$)"
)
_PER_SAMPLE = re.compile(r"\b(?:per|each|every|for each)\s+(?:generated\s+|output\s+)?samples?\b")
_NOUN_UNITS = {
    "request": "request",
    "call": "request",
    "run": "request",
    "generation": "request",
    "prediction": "request",
    "creative unit": "creative_unit",
    "cu": "creative_unit",
    "image": "image",
    "video": "video",
    "megapixel": "megapixel",
    "track": "track",
    "song": "song",
}
_SECOND_WORDS = frozenset({"s", "sec", "secs", "second", "seconds"})
_MINUTE_WORDS = frozenset({"min", "mins", "minute", "minutes"})
_OUTPUT_WORDS = frozenset({"output", "generated"})


def parse_price(sentence: str) -> PriceText | None:
    """Read "$0.009 per second of output and per sample" and the like; None when unreadable.

    Units: "output_second" (seconds of output or generated audio), "second" (any other
    seconds), "output_minute"/"minute", "request" (request, call, run, generation, and a
    bare "per sample" with ``per_sample`` set), "creative_unit", or a single counted noun
    such as "image" or "video". Anything else is unreadable.
    """
    match = _PRICE.search(sentence)
    if match is None:
        return None
    amount = (match.group("amount") or match.group("amount2")).replace(",", "")
    symbol = match.group("symbol")
    currency = _CURRENCIES[symbol] if symbol else match.group("code")
    rest = re.split(r"\.(?:\s|$)", sentence[match.end() :], maxsplit=1)[0].lower()
    phrase = _UNIT_PHRASE.search(rest)
    if phrase is None:
        return None
    unit, per_sample = _price_unit(phrase.group("phrase").strip())
    if unit is None:
        return None
    return PriceText(amount, currency, unit, per_sample or bool(_PER_SAMPLE.search(rest)))


def _price_unit(phrase: str) -> tuple[str | None, bool]:
    words = set(re.split(r"[\s\-]+", phrase))
    output = "output_" if words & _OUTPUT_WORDS else ""
    if words & _SECOND_WORDS:
        return f"{output}second", False
    if words & _MINUTE_WORDS:
        return f"{output}minute", False
    noun = phrase.removesuffix("s") if not phrase.endswith("ss") else phrase
    if noun == "sample":
        return "request", True
    return _NOUN_UNITS.get(noun), False
