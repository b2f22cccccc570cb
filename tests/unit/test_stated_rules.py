"""Rules from sentences become registry rules: merged with the overlay, tightening fields."""

from __future__ import annotations

from musicbind.generator.load.records import Location, SpecProblem, SpecType, TypeKind
from musicbind.generator.project_files.overlay import RuleFacts
from musicbind.generator.registry.model import Field, Provenance
from musicbind.generator.registry.stated_rules import apply_bounds, combine_rules, document_rules

DOC = Location("specs/x.md", 7)
OVERLAY = Location("specs/overlay.yaml", 3)


def _field(name: str, kind: TypeKind, description: str, **facts: object) -> Field:
    return Field(
        name,
        name,
        SpecType(kind),
        False,
        description,
        provenance=(Provenance("description", DOC),),
        **facts,  # type: ignore[arg-type]
    )


FIELDS = (
    _field("prompt", TypeKind.STRING, "What to play. Max 300 characters.", max_length=200),
    _field("tempo", TypeKind.INTEGER, "Beats per minute. Max 300 characters."),  # wrong kind
    _field("duration", TypeKind.NUMBER, "Seconds. Must be between 5 and 240 seconds.", minimum=1),
)


def test_a_rule_is_applied_only_where_the_field_can_carry_it() -> None:
    prose, left = document_rules(FIELDS)
    assert [r.name for r in prose] == ["length:prompt", "length:tempo", "range:duration"]
    assert left == []
    rules = combine_rules("fal:x", prose, (), FIELDS, [])
    assert [r.name for r in rules] == ["length:prompt", "range:duration"]  # tempo: documentation
    assert rules[0].sentence == "Max 300 characters" and rules[0].location == DOC


def test_bounds_only_ever_tighten() -> None:
    prose, _ = document_rules(FIELDS)
    rules = combine_rules("fal:x", prose, (), FIELDS, [])
    prompt, _, duration = apply_bounds(FIELDS, rules)
    assert prompt.max_length == 200  # the document's own stricter cap stays
    assert (duration.minimum, duration.maximum) == (5, 240)
    assert Provenance("maximum", DOC) in duration.provenance


def test_the_overlay_changes_and_switches_off_by_name() -> None:
    prose, _ = document_rules(FIELDS)
    problems: list[SpecProblem] = []
    overlay = (
        RuleFacts(None, None, None, None, OVERLAY, name="length:prompt", enabled=False),
        RuleFacts("range", None, None, None, OVERLAY, fields=("duration",), maximum=60),
        RuleFacts("requires", None, None, None, OVERLAY, fields=("tempo", "nope")),
    )
    rules = combine_rules("fal:x", prose, overlay, FIELDS, problems)
    assert [(r.name, r.maximum, r.location) for r in rules] == [("range:duration", 60, OVERLAY)]
    [problem] = problems
    assert (
        problem.location == OVERLAY and "'nope', which the model does not have" in problem.message
    )
