"""Tooling: one error style for payload problems: a model's ``ValidationError`` -> findings -> text.

``musicbind validate`` and ``musicbind run`` both turn a generated input model's
:class:`pydantic.ValidationError` into located :class:`Finding` values here (JSON path,
the rule broken, the spec line stating it, did-you-mean for unknown names) and print
them with :func:`finding_lines`. :func:`explain_validation_error` is the same for a
program's own code:

    try:
        client.submit("fal:sonilo/v1.1/video-to-music", payload)
    except pydantic.ValidationError as error:
        print(explain_validation_error(error, payload))
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from musicbind.generator.load.located import JsonPath, Position
from musicbind.generator.load.located_json import read_json
from musicbind.generator.registry.model import Model
from musicbind.generator.snapshot.snapshot_file import read_snapshot
from musicbind.runtime.binding import Binding
from musicbind.validation.explain import ModelFacts, Where, explain, model_facts, resolve
from musicbind.validation.findings import Finding, Report
from musicbind.validation.report import text_lines

_NOWHERE = Position(None, None)  # type: ignore[arg-type]


def error_findings(
    errors: Iterable[Mapping[str, Any]],
    data: Mapping[str, Any],
    facts: ModelFacts,
    where: Where,
    *,
    skip_fields: Collection[str] = (),
    skip_paths: Iterable[JsonPath] = (),
) -> list[Finding]:
    """pydantic errors (``ValidationError.errors()``) of ``data`` as findings, in their order.

    ``skip_fields``: top-level keys whose "missing" errors would only repeat a problem
    already reported; ``skip_paths``: values already reported (errors under them are dropped).
    """
    hidden = list(skip_paths)
    found: list[Finding] = []
    for error in errors:
        relative = resolve(tuple(error.get("loc", ())), data, facts.alternatives)
        if error["type"] == "missing" and relative[:1] and relative[0] in skip_fields:
            continue
        if any(relative[: len(p)] == p for p in hidden):
            continue
        found.append(explain(error, data, facts, where))
    return found


def finding_lines(findings: Iterable[Finding]) -> Iterator[str]:
    """``file:line:col: error: $.path: message; hint; rule: ... (spec:line) [ref]``, one a line."""
    return text_lines(Report(findings=list(findings)))


def text_where(file: str, text: str | None) -> Where:
    """How to locate values of a JSON input given as ``text`` (no positions without it)."""
    if text is None:
        return Where(file, (), lambda path: _NOWHERE, lambda path: _NOWHERE)
    located = read_json(text)
    return Where(file, (), located.value_position, located.key_position)


def package_record(binding: Binding) -> Model | None:
    """The registry record of ``binding`` from its bindings package's snapshot, if it has one."""
    parts = binding.input_model.__module__.split(".")
    for end in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        if callable(getattr(module, "list_bindings", None)) and module.__file__:
            registry, _ = read_snapshot(Path(module.__file__).parent)
            if registry is None:
                return None
            return next((m for m in registry.models if m.ref == binding.ref), None)
    return None


def rule_errors(
    model: type[Any], data: dict[str, Any], errors: list[dict[str, Any]], durations: Any
) -> list[dict[str, Any]]:
    """The cross-field rules' errors, which pydantic does not run when a field failed.

    The payload is checked again without the failed fields; only the whole-model errors
    (the rules) of that second pass are new. When a failed field is required, the rules
    cannot run without it and nothing is added.
    """
    failed = {e["loc"][0] for e in errors if e.get("loc")}
    if not failed:
        return []
    fields = model.model_fields
    required = {n for n, f in fields.items() if f.is_required()}
    required |= {f.alias for n, f in fields.items() if f.is_required() and f.alias}
    if failed & required:
        return []
    partial = {k: v for k, v in data.items() if k not in failed}
    try:
        model.model_validate(partial, context={"media_duration": durations})
    except ValidationError as exc:
        return [dict(e) for e in exc.errors(include_url=False) if not e.get("loc")]
    except (RecursionError, TypeError, ValueError, ArithmeticError):
        return []
    return []


def binding_findings(
    error: ValidationError,
    data: Mapping[str, Any],
    binding: Binding,
    *,
    file: str = "<input>",
    text: str | None = None,
    media_duration: Mapping[str, float] | None = None,
) -> list[Finding]:
    """The findings of ``error``, raised validating ``data`` as ``binding``'s input, in
    the order of the text, with the cross-field rules' errors a field error hid.

    ``text`` is the JSON ``data`` was read from, for line and column; ``file`` names it;
    ``media_duration`` the media lengths the rules were given.
    """
    facts = model_facts(binding.ref, binding.input_model.model_fields, package_record(binding))
    errors: list[dict[str, Any]] = [dict(e) for e in error.errors(include_url=False)]
    errors += rule_errors(binding.input_model, dict(data), errors, media_duration or {})
    found = error_findings(errors, data, facts, text_where(file, text))
    return sorted(found, key=lambda f: (f.line or 0, f.column or 0))


def explain_validation_error(
    error: ValidationError,
    data: Mapping[str, Any],
    binding: Binding | str | None = None,
    *,
    package: str = "musicbind.generated",
    file: str = "<input>",
    text: str | None = None,
) -> str:
    """A generated model's ``ValidationError`` as ``musicbind validate`` prints it.

    ``data`` is what was validated (the payload given to ``submit``, ``validate`` or
    ``model_validate``); ``binding`` its binding or ref (default: the binding in
    ``package`` whose input model raised ``error``). One line per problem with its JSON
    path, the rule, the spec line stating it and a did-you-mean for unknown names.
    """
    if not isinstance(binding, Binding):
        binding = _binding_of(error, binding, package)
    findings = binding_findings(error, data, binding, file=file, text=text)
    return "\n".join(finding_lines(findings))


def _binding_of(error: ValidationError, ref: str | None, package: str) -> Binding:
    generated: Any = importlib.import_module(package)
    if ref is not None:
        found: Binding = generated.get_binding(ref)
        return found
    for candidate in generated.list_bindings():
        binding: Binding = generated.get_binding(candidate)
        if binding.input_model.__name__ == error.title:
            return binding
    raise LookupError(f"no binding in {package} has the input model {json.dumps(error.title)}")


__all__ = [
    "binding_findings",
    "error_findings",
    "explain_validation_error",
    "finding_lines",
    "package_record",
    "text_where",
]
