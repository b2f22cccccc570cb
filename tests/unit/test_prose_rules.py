"""The constraint-sentence recogniser: a table of sentences it reads and sentences it refuses.

Precision over recall: a sentence is read only when it matches as a whole (or as its last,
unconditional clause) and names fields the model has; everything else stays documentation.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.load.records import Location
from musicbind.generator.registry.prose_rules import (
    format_number,
    looks_like_constraint,
    parse_number,
    read_description,
    recognise,
    split_sentences,
)

HERE = Location("specs/x.md", 12)
FIELDS = [
    "prompt",
    "lyrics",
    "style",
    "is_instrumental",
    "mode",
    "video_url",
    "start_offset",
    "duration",
    "composition_plan",
    "seed",
]
ALLOWED = {"mode": ("custom", "auto")}

# (sentence, subject, expected rules as (name, minimum, maximum, value))
READ: list[tuple[str, str, list[tuple[str, object, object, object]]]] = [
    ("Max 2500 characters.", "prompt", [("length:prompt", None, 2500, None)]),
    ("maximum 300 characters", "prompt", [("length:prompt", None, 300, None)]),
    ("Maximum length: 500 characters.", "prompt", [("length:prompt", None, 500, None)]),
    ("Must be between 1 and 100 characters.", "prompt", [("length:prompt", 1, 100, None)]),
    ("Must not exceed 2,000 characters.", "lyrics", [("length:lyrics", None, 2000, None)]),
    ("At most 80 chars.", "style", [("length:style", None, 80, None)]),
    ("Up to 600 characters long.", "lyrics", [("length:lyrics", None, 600, None)]),
    ("Minimum 10 characters.", "lyrics", [("length:lyrics", 10, None, None)]),
    (
        "A few words about the mood, max 200 characters.",
        "prompt",
        [("length:prompt", None, 200, None)],
    ),
    ("Text of the song, max 3000 characters.", "lyrics", [("length:lyrics", None, 3000, None)]),
    ("The song's words (max 3,000 characters).", "lyrics", [("length:lyrics", None, 3000, None)]),
    ("10-200 characters.", "style", [("length:style", 10, 200, None)]),
    ("Must be between 1 and 600 seconds.", "duration", [("range:duration", 1, 600, None)]),
    ("Between 0.5 and 2.0", "duration", [("range:duration", 0.5, 2.0, None)]),
    ("Range: 1 to 600", "duration", [("range:duration", 1, 600, None)]),
    ("Maximum 300 seconds.", "duration", [("range:duration", None, 300, None)]),
    ("At least 5 s.", "duration", [("range:duration", 5, None, None)]),
    ("Length in seconds, from 10 to 240 seconds.", "duration", [("range:duration", 10, 240, None)]),
    (
        "Used only in conjunction with prompt.",
        "style",
        [("requires:style,prompt", None, None, None)],
    ),
    (
        "Only used in conjunction with `prompt`.",
        "seed",
        [("requires:seed,prompt", None, None, None)],
    ),
    ("Requires style.", "prompt", [("requires:prompt,style", None, None, None)]),
    ("Requires `lyrics` to be set.", "style", [("requires:style,lyrics", None, None, None)]),
    ("Has no effect unless prompt is set.", "seed", [("requires:seed,prompt", None, None, None)]),
    (
        "Cannot be used in conjunction with prompt.",
        "composition_plan",
        [("excludes:composition_plan,prompt", None, None, None)],
    ),
    (
        "Cannot be used with composition_plan.",
        "prompt",
        [("excludes:prompt,composition_plan", None, None, None)],
    ),
    (
        "Can't be combined with lyrics or style.",
        "prompt",
        [
            ("excludes:prompt,lyrics", None, None, None),
            ("excludes:prompt,style", None, None, None),
        ],
    ),
    ("Mutually exclusive with `style`.", "lyrics", [("excludes:lyrics,style", None, None, None)]),
    (
        "Required when is_instrumental is false.",
        "lyrics",
        [("required_when:lyrics,is_instrumental", None, None, False)],
    ),
    (
        "Required if is_instrumental is true.",
        "style",
        [("required_when:style,is_instrumental", None, None, True)],
    ),
    (
        "Required when mode is custom.",
        "lyrics",
        [("required_when:lyrics,mode", None, None, "custom")],
    ),
    (
        "Required when mode is 'auto'.",
        "prompt",
        [("required_when:prompt,mode", None, None, "auto")],
    ),
    ("Required when lyrics is set.", "style", [("requires:lyrics,style", None, None, None)]),
    (
        "Start offset plus duration must not exceed the video's length.",
        "start_offset",
        [("segment_within_media:video_url,start_offset,duration", None, None, None)],
    ),
    (
        "Start offset plus duration may not run past the end of the video.",
        "duration",
        [("segment_within_media:video_url,start_offset,duration", None, None, None)],
    ),
    (
        "The sum of start_offset and duration must not be longer than the video.",
        "duration",
        [("segment_within_media:video_url,start_offset,duration", None, None, None)],
    ),
]

REFUSED: list[tuple[str, str]] = [
    ("Max 10 minutes.", "duration"),  # a unit we would have to convert
    ("Max 2500 characters for v2 models, 500 for v1.", "prompt"),  # partial
    ("Max 2500 characters per line.", "lyrics"),  # per line, not in total
    ("If mode is custom, max 3000 characters.", "lyrics"),  # conditional
    ("Max 5 items.", "style"),  # items, not characters or a number
    ("Requires a video.", "prompt"),  # no such field
    ("Requires prompt or lyrics.", "style"),  # either of two: not a plain requires
    ("Used only in conjunction with prompt.", "prompt"),  # names itself
    ("Required when mode is something.", "lyrics"),  # not an allowed value, not quoted
    ("Required unless is_instrumental is true.", "lyrics"),  # negated condition
    ("The maximum is chosen by the model.", "duration"),
    ("Must be between 100 and 1 characters.", "prompt"),  # inverted bounds
    ("Must be between 1.5 and 3 characters.", "prompt"),  # fractional characters
    ("Cannot be used with voice_id.", "prompt"),  # unknown field
    ("Recommended max 300 characters.", "prompt"),  # advice, not a rule
    ("About 30 seconds at most.", "duration"),
    ("Start offset plus duration must not exceed the image.", "start_offset"),  # no image field
    ("Whether to include vocals.", "is_instrumental"),
    ("Max 400 characters if mode is custom.", "lyrics"),  # conditional tail
    ("For each verse, max 400 characters.", "lyrics"),  # conditional head clause
    ("Must be at least 5 s, unless mode is auto.", "duration"),
]


@pytest.mark.parametrize(("sentence", "subject", "expected"), READ, ids=[r[0] for r in READ])
def test_sentences_read(
    sentence: str, subject: str, expected: list[tuple[str, object, object, object]]
) -> None:
    rules = recognise(sentence, subject, FIELDS, HERE, ALLOWED)
    assert [(r.name, r.minimum, r.maximum, r.value) for r in rules] == expected
    assert all(r.location == HERE and r.sentence == sentence.rstrip(".") for r in rules)


@pytest.mark.parametrize(("sentence", "subject"), REFUSED, ids=[r[0] for r in REFUSED])
def test_sentences_refused(sentence: str, subject: str) -> None:
    assert recognise(sentence, subject, FIELDS, HERE, ALLOWED) == []


def test_a_description_gives_rules_and_candidates() -> None:
    text = "Words to sing. Max 3000 characters. Keep it under a minute or so, at most."
    rules, left = read_description(text, "lyrics", FIELDS, HERE)
    assert [r.name for r in rules] == ["length:lyrics"]
    assert [c.sentence for c in left] == ["Keep it under a minute or so, at most."]
    assert not looks_like_constraint("Required.")  # the table's own column says so
    assert split_sentences("Use 0.5 for half. Then more.") == ["Use 0.5 for half.", "Then more."]


@given(st.text(max_size=300))
def test_never_crashes_on_any_text(text: str) -> None:
    rules, left = read_description(text, "prompt", FIELDS, HERE, ALLOWED)
    assert all(r.fields and r.fields[0] in FIELDS for r in rules)
    assert all(c.sentence for c in left)


@given(
    st.sampled_from(["Max ", "Must be between 1 and ", "Requires ", "Required when "]), st.text()
)
def test_never_crashes_on_sentence_heads(head: str, tail: str) -> None:
    recognise(head + tail, "prompt", FIELDS, HERE, ALLOWED)


@given(st.integers(min_value=0, max_value=10**12))
def test_integers_round_trip(value: int) -> None:
    assert parse_number(format_number(value)) == value
    assert parse_number(f"{value:,}") == value
    [rule] = recognise(f"Max {value:,} characters.", "prompt", FIELDS, HERE)
    assert rule.maximum == value


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=999999))
def test_decimals_round_trip(whole: int, fraction: int) -> None:
    text = f"{whole}.{fraction:06d}".rstrip("0")
    value = parse_number(text)
    assert isinstance(value, float)
    assert parse_number(format_number(value)) == value
    [rule] = recognise(f"Must be between 0 and {text} seconds.", "duration", FIELDS, HERE)
    assert rule.maximum == value
