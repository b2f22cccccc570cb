"""Registry stage: rules stated in descriptions' sentences, recognised by a small grammar.

Providers state many rules in prose, not in schema keywords: "Max 2500 characters",
"Must be between 1 and 100 characters", "Used only in conjunction with prompt", "Cannot be
used with X", "Required when is_instrumental is false", "Start offset plus duration must
not exceed the video's length". :func:`read_description` splits a field's description into
sentences and matches each against a few anchored patterns; a sentence matches as a whole
(or as its last clause) or not at all. Precision over recall: a sentence that does not
parse, or names a field the model does not have, stays documentation, and one that looks
like a constraint is returned as a :class:`Candidate` for ``musicbind rules`` to show.

Pure: text in, records out; field names are wire names of the model's inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from musicbind.generator.load.records import JsonScalar, Location

# The kinds a sentence can state. length/range become field constraints; the others are
# cross-field rules checked by a generated validator.
LENGTH = "length"
RANGE = "range"
REQUIRES = "requires"
EXCLUDES = "excludes"
REQUIRED_WHEN = "required_when"
SEGMENT = "segment_within_media"
KINDS = (LENGTH, RANGE, REQUIRES, EXCLUDES, REQUIRED_WHEN, SEGMENT)

Number = int | float


@dataclass(frozen=True, slots=True)
class ProseRule:
    """One rule a sentence states, in wire names.

    ``fields``: the subject first (length, range: the field; requires: the field that needs
    the other; excludes: the pair; required_when: the required field, then the condition's
    field, whose value is ``value``; segment_within_media: media, start, length).
    """

    kind: str
    fields: tuple[str, ...]
    sentence: str
    location: Location
    minimum: Number | None = None
    maximum: Number | None = None
    value: JsonScalar = None

    @property
    def name(self) -> str:
        """The rule's stable name, ``<kind>:<fields>`` (the overlay refers to it)."""
        return rule_name(self.kind, self.fields)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence that looks like a constraint but was not recognised."""

    field: str
    sentence: str
    location: Location


def rule_name(kind: str, fields: Sequence[str]) -> str:
    """``requires:style,prompt``: a rule's name from its kind and wire field names."""
    return f"{kind}:{','.join(fields)}"


# --- numbers ---------------------------------------------------------------------------

_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def parse_number(text: str) -> Number | None:
    """``2,500`` -> 2500, ``0.5`` -> 0.5; None for anything else."""
    if re.fullmatch(_NUMBER, text.strip()) is None:
        return None
    plain = text.strip().replace(",", "")
    return float(plain) if "." in plain else int(plain)


def format_number(value: Number) -> str:
    """The text :func:`parse_number` reads back as ``value`` (``2500``, ``0.5``)."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


# --- sentences -------------------------------------------------------------------------

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`'\"])|\n+")
_LOOKS_LIKE = re.compile(
    r"\b(?:max|maximum|min|minimum|must|only|cannot|can't|required|requires|exceed\w*|"
    r"at most|at least|no more than|up to|limit(?:ed)?|between|conjunction|exclusive)\b",
    re.IGNORECASE,
)
# Words that make what follows conditional or partial: a bound after them is never read.
_CONDITIONS = re.compile(
    r"\b(?:if|when|unless|except|per|each|otherwise|combined|total|depending)\b", re.IGNORECASE
)
# Words that make a bound advice or an estimate: a clause holding one is never read.
_HEDGES = re.compile(
    rf"{_CONDITIONS.pattern}|\b(?:recommended|ideally|approximately|about|around|roughly|"
    r"typically|usually|default|defaults)\b",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """A description's sentences, whitespace collapsed, in order."""
    parts = _SPLIT.split(text.translate(_QUOTES))
    return [" ".join(p.split()) for p in parts if p.strip()]


def looks_like_constraint(sentence: str) -> bool:
    """Whether a sentence has a constraint word (max, must, only, cannot, required, ...);
    a lone "Required." or "Optional." (the table already says so) is not one."""
    if _bare(sentence).lower() in {"required", "optional"}:
        return False
    return _LOOKS_LIKE.search(sentence) is not None


def _bare(sentence: str) -> str:
    return sentence.strip().rstrip(".!").strip()


# --- field references ------------------------------------------------------------------


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _resolve(text: str, fields: Sequence[str]) -> str | None:
    """The one field ``text`` names (``prompt``, ```start_offset```, "Start Offset")."""
    ref = text.strip().strip("`'\"").strip()
    ref = re.sub(r"^the\s+", "", ref, flags=re.IGNORECASE)
    ref = re.sub(r"\s+(?:parameter|field|option|input)$", "", ref, flags=re.IGNORECASE)
    ref = ref.strip("`'\"")
    if not ref or re.search(r"[^\w\s.-]", ref):
        return None
    found = [f for f in fields if _key(f) == _key(ref)]
    return found[0] if len(found) == 1 else None


def _resolve_list(text: str, fields: Sequence[str]) -> list[str] | None:
    parts = re.split(r"\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+", text.strip())
    names = [_resolve(p, fields) for p in parts]
    if not names or any(n is None for n in names):
        return None
    return [n for n in names if n is not None]


def _value(text: str, allowed: tuple[JsonScalar, ...] | None) -> tuple[bool, JsonScalar]:
    """(ok, value) for a condition's value: true/false, a number, a quoted or allowed word."""
    raw = text.strip()
    if raw.lower() in {"true", "false"}:
        return True, raw.lower() == "true"
    number = parse_number(raw)
    if number is not None:
        return True, number
    quoted = re.fullmatch(r"`([^`]*)`|'([^']*)'|\"([^\"]*)\"", raw)
    if quoted:
        return True, next(g for g in quoted.groups() if g is not None)
    if allowed and raw in allowed:
        return True, raw
    return False, None


# --- the grammar -----------------------------------------------------------------------

_N = rf"(?P<n>{_NUMBER})"
_M = rf"(?P<m>{_NUMBER})"
_CHARS = r"(?:characters?|chars?)"
_UNITS = r"(?:seconds?|secs?|s|hz|bpm|db|samples|tracks|steps)"
_AT_MOST = (
    r"(?:max(?:imum)?\.?(?:\s+length)?(?:\s*(?:is|of|:))?|at most|up to|no more than|"
    r"not more than|limited to|(?:must|should|may|can)\s+(?:not exceed|be at most|"
    r"be no more than|be up to|not be (?:longer|greater|more) than))"
)
_AT_LEAST = (
    r"(?:min(?:imum)?\.?(?:\s+length)?(?:\s*(?:is|of|:))?|at least|no less than|"
    r"(?:must|should)\s+be at least)"
)
_BETWEEN_HEAD = r"(?:(?:must|should)\s+be\s+|(?:a\s+)?value\s+|ranges?\s*:?\s*|ranges\s+)?"
_BETWEEN = [
    rf"{_BETWEEN_HEAD}between\s+{_N}\s+and\s+{_M}",
    rf"{_BETWEEN_HEAD}from\s+{_N}\s+to\s+{_M}",
    rf"{_BETWEEN_HEAD}{_N}\s*(?:to|-)\s*{_M}",
]


def _caps(unit: str, kind: str) -> list[tuple[re.Pattern[str], str, str]]:
    """(pattern, kind, bound side) for caps in ``unit``."""
    tail = r"(?:\s+long|\s+in length)?(?:\s+inclusive)?"
    return [
        (re.compile(rf"{_AT_MOST}\s+{_N}\s*{unit}{tail}", re.I), kind, "max"),
        (re.compile(rf"{_AT_LEAST}\s+{_N}\s*{unit}{tail}", re.I), kind, "min"),
        *((re.compile(rf"{between}\s*{unit}{tail}", re.I), kind, "both") for between in _BETWEEN),
    ]


_BOUNDS = [
    *_caps(_CHARS, LENGTH),
    *_caps(rf"(?:{_UNITS})?", RANGE),
]
_FIELD = r"(?P<x>`[^`]+`|'[^']+'|\"[^\"]+\"|[A-Za-z_][\w.]*(?:\s+[A-Za-z_][\w.]*){0,2}?)"
_FIELDS = r"(?P<x>.+)"
_SET = r"(?:\s+(?:is|are|to be)\s+(?:set|given|provided|present|specified))?"
_REQUIRES = [
    re.compile(rf"(?:requires|needs)\s+{_FIELD}{_SET}", re.I),
    re.compile(
        rf"(?:(?:this|it)\s+is\s+|is\s+|can\s+be\s+)?(?:only\s+)?(?:used|valid|applied|applies|"
        rf"usable|effective|honou?red)\s+(?:only\s+)?(?:in conjunction with|together with|"
        rf"along with|alongside)\s+{_FIELD}{_SET}",
        re.I,
    ),
    re.compile(
        rf"(?:must|should)\s+be\s+used\s+(?:together|in conjunction)\s+with\s+{_FIELD}", re.I
    ),
    re.compile(rf"has no effect (?:unless|without)\s+{_FIELD}{_SET}", re.I),
]
_EXCLUDES = [
    re.compile(
        rf"(?:cannot|can not|can't|must not|may not|should not)\s+be\s+(?:used|combined|set|"
        rf"given|provided|specified)\s+(?:in conjunction with|together with|along with|"
        rf"alongside|with)\s+{_FIELDS}",
        re.I,
    ),
    re.compile(
        rf"(?:is\s+)?(?:mutually exclusive|incompatible|not compatible)\s+with\s+{_FIELDS}", re.I
    ),
]
_REQUIRED_WHEN = re.compile(
    rf"(?:(?:this|the)\s+(?:field|parameter)\s+is\s+|it\s+is\s+|is\s+)?(?:required|mandatory|"
    rf"must\s+be\s+(?:set|given|provided))\s+(?:when|if)\s+{_FIELD}\s+is\s+"
    rf"(?P<v>set|given|provided|present|true|false|{_NUMBER}|`[^`]*`|'[^']*'|\"[^\"]*\"|[\w.-]+)",
    re.I,
)
_SEGMENT = re.compile(
    rf"(?:the sum of\s+)?{_FIELD.replace('x>', 's>')}\s+(?:plus|\+|and)\s+"
    rf"{_FIELD.replace('x>', 'l>')}(?:\s+together)?\s+(?:must not|may not|cannot|can't|"
    rf"should not|must never)\s+(?:exceed|be (?:longer|greater|more) than|"
    rf"(?:run|go|extend) (?:past|beyond)(?: the end of)?)\s+(?:the\s+)?(?:input\s+)?"
    rf"(?P<media>video|audio|clip)(?:'s)?(?:\s+(?:length|duration))?",
    re.I,
)


def _clauses(sentence: str) -> list[str]:
    """The sentence itself, then its last clause (after a comma, semicolon, dash or
    opening parenthesis) when the words before it are not conditional."""
    text = _bare(sentence)
    found = [text]
    paren = re.fullmatch(r"(?P<head>.*?)\s*\((?P<inner>[^()]*)\)", text)
    if paren and not _CONDITIONS.search(paren["head"]):
        found.append(paren["inner"].strip())
    split = re.fullmatch(r"(?P<head>.*?)(?:,|;|\s-|:)\s+(?P<tail>[^,;:]+)", text)
    if split and not _CONDITIONS.search(split["head"]):
        found.append(split["tail"].strip())
    return found


def recognise(
    sentence: str,
    subject: str,
    fields: Sequence[str],
    location: Location,
    allowed: Mapping[str, tuple[JsonScalar, ...] | None] | None = None,
) -> list[ProseRule]:
    """The rules one sentence of ``subject``'s description states, or ``[]``."""
    if len(sentence) > 400:
        return []
    clean = _bare(" ".join(sentence.translate(_QUOTES).split()))
    others = [f for f in fields if f != subject]
    for clause in _clauses(clean):
        found = None if _HEDGES.search(clause) else _bounds(clause, subject, clean, location)
        if found is None:
            found = _relations(clause, subject, others, clean, location, allowed or {})
        if found is None:
            found = _segment(clause, fields, clean, location)
        if found:
            return found
    return []


def _bounds(clause: str, subject: str, sentence: str, location: Location) -> list[ProseRule] | None:
    for pattern, kind, side in _BOUNDS:
        match = pattern.fullmatch(clause)
        if match is None:
            continue
        low = parse_number(match["n"])
        high = parse_number(match["m"]) if side == "both" and match["m"] else None
        if side == "max":
            low, high = None, low
        if low is not None and high is not None and low > high:
            return []
        if kind == LENGTH and any(
            v is not None and (isinstance(v, float) or v < 0) for v in (low, high)
        ):
            return []
        return [ProseRule(kind, (subject,), sentence, location, minimum=low, maximum=high)]
    return None


def _relations(
    clause: str,
    subject: str,
    others: Sequence[str],
    sentence: str,
    location: Location,
    allowed: Mapping[str, tuple[JsonScalar, ...] | None],
) -> list[ProseRule] | None:
    for pattern in _REQUIRES:
        match = pattern.fullmatch(clause)
        if match:
            other = _resolve(match["x"], others)
            return [ProseRule(REQUIRES, (subject, other), sentence, location)] if other else []
    for pattern in _EXCLUDES:
        match = pattern.fullmatch(clause)
        if match:
            names = _resolve_list(match["x"], others)
            if not names:
                return []
            return [
                ProseRule(EXCLUDES, (subject, name), sentence, location)
                for name in dict.fromkeys(names)
            ]
    match = _REQUIRED_WHEN.fullmatch(clause)
    if match:
        other = _resolve(match["x"], others)
        if other is None:
            return []
        if match["v"].lower() in {"set", "given", "provided", "present"}:
            return [ProseRule(REQUIRES, (other, subject), sentence, location)]
        ok, value = _value(match["v"], allowed.get(other))
        if not ok:
            return []
        return [ProseRule(REQUIRED_WHEN, (subject, other), sentence, location, value=value)]
    return None


def _segment(
    clause: str, fields: Sequence[str], sentence: str, location: Location
) -> list[ProseRule] | None:
    match = _SEGMENT.fullmatch(clause)
    if match is None:
        return None
    start = _resolve(match["s"], fields)
    length = _resolve(match["l"], fields)
    word = match["media"].lower()
    kinds = ("video", "audio") if word == "clip" else (word,)
    media = [f for f in fields if any(k in f.lower() for k in kinds)]
    if start is None or length is None or start == length or len(media) != 1:
        return []
    return [ProseRule(SEGMENT, (media[0], start, length), sentence, location)]


def read_description(
    description: str,
    subject: str,
    fields: Sequence[str],
    location: Location,
    allowed: Mapping[str, tuple[JsonScalar, ...] | None] | None = None,
) -> tuple[list[ProseRule], list[Candidate]]:
    """The rules ``subject``'s description states, and the sentences left alone that look
    like constraints."""
    rules: list[ProseRule] = []
    left: list[Candidate] = []
    for sentence in split_sentences(description):
        found = recognise(sentence, subject, fields, location, allowed)
        if found:
            rules.extend(found)
        elif looks_like_constraint(sentence):
            left.append(Candidate(subject, sentence, location))
    return rules, left
