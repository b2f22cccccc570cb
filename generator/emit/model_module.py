"""Emit stage: one model's module (its classes, its rules, its binding) from the template.

:mod:`generator.emit.pydantic_models` writes the classes and says, as data, what they
import; ``templates/model_module.py.j2`` writes the whole module: every import (those of
the classes and those of the parts it adds), the private rules class the public input
class derives from when the model has cross-field rules, the classes, the binding.
"""

from __future__ import annotations

from musicbind.generator.emit.docstrings import house_docstrings
from musicbind.generator.emit.environment import docstring, environment
from musicbind.generator.emit.outputs import output_model, protocol_output
from musicbind.generator.emit.pydantic_models import (
    Imports,
    ModelClasses,
    input_base,
    render_classes,
    rules_class,
)
from musicbind.generator.providers import is_file_input
from musicbind.generator.registry.model import CrossFieldRule, Model

RUNTIME = "musicbind.runtime"
MEDIA_RULE = "segment_within_media"


def render_model(model: Model, head: str, classes: ModelClasses | None = None) -> str:
    """Unformatted source of one model module (``classes``: its classes, when rendered)."""
    if classes is None:
        classes = render_classes(model)
    checked = [rule for rule in model.rules if rule.checked_by_validator]
    media_rules = [rule for rule in checked if rule.kind == MEDIA_RULE]
    always_rules = [rule for rule in checked if rule.kind != MEDIA_RULE]
    return (
        environment()
        .get_template("model_module.py.j2")
        .render(
            head=head,
            title=docstring(f"Bindings for {model.ref}: request and response models."),
            imports=_imports(model, classes.imports, checked),
            classes=house_docstrings(classes.body.strip("\n")) + "\n",
            model=model,
            rules_class=rules_class(model),
            rules_base=input_base(model.inputs).rpartition(".")[2],
            always_rules=always_rules,
            media_rules=media_rules,
            file_fields=tuple(
                f.python_name
                for f in model.inputs
                if is_file_input(model.provider, f.wire_name, f.type)
            ),
            media_fields=tuple(sorted({rule.media for rule in model.rules if rule.media})),
            output_model=output_model(model),
        )
    )


def _imports(model: Model, of_classes: Imports, rules: list[CrossFieldRule]) -> Imports:
    """Every import of the module, by module: the classes' and the template's own."""
    wanted: dict[str, set[str]] = {}
    for module, names in of_classes:
        wanted.setdefault(module, set()).update(names)
    runtime = wanted.setdefault(RUNTIME, set())
    runtime.add("Binding")
    if model.pricing:
        runtime.add("PriceRule")
        wanted.setdefault("decimal", set()).add("Decimal")
    protocol = protocol_output(model)
    if protocol:
        runtime.add(protocol)
    if rules:
        runtime.add(input_base(model.inputs).rpartition(".")[2])
        runtime.update(rule.kind for rule in rules)
    if any(rule.kind == MEDIA_RULE for rule in rules):
        wanted.setdefault("collections.abc", set()).add("Mapping")
    return tuple((module, tuple(sorted(names))) for module, names in sorted(wanted.items()))
