"""Tooling: validate payload files against a generated package's models (``musicbind validate``).

For each payload: the text's own problems (syntax, duplicate keys, NaN, huge
values, deep nesting) are reported first; then the model is found (``{"model":
REF, "input": {...}}`` or ``--model``), booleans given for numeric choices are
reported (the input model's guard would otherwise hide the other errors), media
lengths are gathered (``--media-duration`` and local files), and the input
model validates what is left, every error explained by :mod:`explain`.

Bindings are resolved once per ref and the registry snapshot is read only when
a finding needs citing, so the cost per payload is one parse and one
``model_validate``.
"""

from __future__ import annotations

import difflib
import importlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from musicbind.generator.load.located import Anomaly, JsonPath, Position, json_path
from musicbind.generator.registry.model import Model
from musicbind.generator.snapshot.snapshot_file import read_snapshot
from musicbind.runtime.bases import InputModel
from musicbind.runtime.binding import Binding
from musicbind.runtime.media import file_input_problems, file_input_rules
from musicbind.validation.explain import ModelFacts, Where, model_facts
from musicbind.validation.findings import Finding, Report
from musicbind.validation.media import MediaProber, local_media_path
from musicbind.validation.payload_errors import error_findings, rule_errors
from musicbind.validation.payloads import (
    PAYLOAD_SUFFIXES,
    Document,
    Payload,
    PayloadFile,
    Unreadable,
    read_payload_file,
)

ENVELOPE_KEYS = ("model", "input")
# Anomalies whose value was replaced or dropped while reading: the model's errors about those
# values would only repeat them, so they are not reported.
REPLACED = frozenset(
    {"not-a-number", "huge-number", "huge-string", "too-deep", "bad-key", "bad-tag", "too-large"}
)


class PackageError(Exception):
    """The generated package cannot be imported or is not a musicbind package."""


@dataclass(frozen=True, slots=True)
class ValidateOptions:
    """What the command line says about every payload."""

    model: str | None = None
    media_durations: Mapping[str, float] = field(default_factory=dict)
    probe_urls: bool = False  # read the length of http(s) media with ranged requests


class BindingSource:
    """The bindings of one generated package, each resolved once; its registry snapshot."""

    def __init__(self, package: str) -> None:
        try:
            self.module: ModuleType = importlib.import_module(package)
        except Exception as exc:  # any import failure means the same: no package to use
            raise PackageError(f"cannot import the bindings package {package!r}: {exc}") from None
        if not callable(getattr(self.module, "list_bindings", None)):
            raise PackageError(f"{package!r} is not a musicbind bindings package")
        self.refs: list[str] = list(self.module.list_bindings())
        self._known = frozenset(self.refs)
        self._bindings: dict[str, Binding] = {}
        self._records: dict[str, Model] | None = None

    def binding(self, ref: str) -> Binding | None:
        """The binding of ``ref``, or None when the package has no such model."""
        if ref not in self._known:
            return None
        found = self._bindings.get(ref)
        if found is None:
            found = self._bindings[ref] = self.module.get_binding(ref)
        return found

    def record(self, ref: str) -> Model | None:
        """The registry record of ``ref`` from the package's snapshot (None without one)."""
        if self._records is None:
            folder = Path(str(self.module.__file__)).parent
            registry, _ = read_snapshot(folder)
            self._records = {m.ref: m for m in registry.models} if registry else {}
        return self._records.get(ref)

    def suggest(self, ref: str) -> list[str]:
        """The refs closest to an unknown one (also matching on the model id alone)."""
        close = difflib.get_close_matches(ref, self.refs, n=3, cutoff=0.6)
        if close:
            return close
        by_id = {r.split(":", 1)[-1]: r for r in self.refs}
        model_id = ref.split(":", 1)[-1]
        return [by_id[m] for m in difflib.get_close_matches(model_id, list(by_id), n=3, cutoff=0.6)]


def did_you_mean(names: Iterable[str]) -> str | None:
    """``did you mean "a" or "b"?`` or None."""
    shown = [json.dumps(n) for n in names]
    return f"did you mean {' or '.join(shown)}?" if shown else None


def _payload_files_under(folder: Path) -> Iterator[Path]:
    """Payload files under ``folder``; links are not followed out of it (nor into loops)."""
    root = folder.resolve()
    for current, _folders, names in os.walk(folder, followlinks=False):
        for name in names:
            candidate = Path(current) / name
            if candidate.suffix.lower() not in PAYLOAD_SUFFIXES:
                continue
            try:
                if candidate.resolve().is_relative_to(root) and candidate.is_file():
                    yield candidate
            except (OSError, RuntimeError):  # a dangling or looping link: not a payload
                continue


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders replaced by the payload files under them, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(_payload_files_under(path))
        else:
            found.append(path)
    return found


@dataclass(slots=True)
class _Run:
    file: PayloadFile
    findings: list[Finding] = field(default_factory=list)


class Validator:
    """Validates payload files; one instance per run (it caches bindings and media lengths)."""

    def __init__(self, source: BindingSource, options: ValidateOptions) -> None:
        self.source = source
        self.options = options
        self.prober = MediaProber()
        self._facts: dict[str, ModelFacts] = {}
        # --media-duration names some checked model has a media field of (the rest are typos)
        self.media_names_used: set[str] = set()
        self.media_fields_seen: set[str] = set()
        # payloads whose cross-field media rules could not be checked: no length was known
        self.rules_unchecked = 0

    def unknown_media_names(self) -> list[str]:
        """``--media-duration`` names that matched no media field of any checked model."""
        return sorted(set(self.options.media_durations) - self.media_names_used)

    def validate(self, paths: Iterable[Path]) -> Report:
        """Every payload of every file; findings in file order."""
        report = Report()
        for path in expand_paths(paths):
            report.files += 1
            read = read_payload_file(path, path.as_posix())
            if isinstance(read, Unreadable):
                report.unreadable += 1
                report.findings.append(
                    Finding(
                        read.shown, None, None, "$", "unreadable", f"cannot read: {read.reason}"
                    )
                )
                continue
            self._file(report, read)
        return report

    def _file(self, report: Report, file: PayloadFile) -> None:
        run = _Run(file)
        poisoned: dict[int, list[JsonPath]] = {}
        flawed: dict[int, list[JsonPath]] = {}
        for document in file.documents:
            if document.located is not None:
                anomalies = document.located.anomalies
                run.findings += [_anomaly(file.shown, a) for a in anomalies]
                poisoned[id(document)] = [a.path for a in anomalies if a.code in REPLACED]
                flawed[id(document)] = [a.path for a in anomalies]
        if not file.documents:
            run.findings.append(
                Finding(file.shown, 1, 1, "$", "empty", "the file holds no payload")
            )
        for payload in file.payloads():
            report.payloads += 1
            before = len(run.findings)
            self._payload(run, payload, poisoned.get(id(payload.document), []))
            # the text's own problems (NaN, duplicate keys) inside it count against it too
            inside = any(_under(payload.base, p) for p in flawed.get(id(payload.document), []))
            if len(run.findings) > before or inside:
                report.invalid_payloads += 1
        run.findings.sort(key=lambda f: (f.line or 0, f.column or 0))
        report.findings += run.findings

    def _payload(self, run: _Run, payload: Payload, poisoned: list[JsonPath]) -> None:
        value = payload.value
        where = _where(run.file.shown, payload.document, payload.base)
        if any(_under(p, payload.base) for p in poisoned):
            return  # the payload itself is unreadable (reported as an anomaly)
        if not isinstance(value, dict):
            run.findings.append(
                _at(where, payload.base, "payload", "a payload is a JSON object", None)
            )
            return
        target = self._target(run, value, payload.base, where)
        if target is None:
            return
        ref, data, base = target
        binding = self.source.binding(ref)
        if binding is None:
            at = where.value_position((*payload.base, "model"))
            hint = did_you_mean(self.source.suggest(ref))
            message = f"no model {json.dumps(ref)} in this package"
            run.findings.append(
                Finding(
                    run.file.shown,
                    at.line,
                    at.column,
                    json_path((*payload.base, "model")),
                    "unknown-model",
                    message,
                    hint=hint,
                )
            )
            return
        inner = [p[len(base) :] for p in poisoned if _under(base, p)]
        self._check_input(run, binding, data, _where(run.file.shown, payload.document, base), inner)

    def _target(
        self, run: _Run, value: dict[str, Any], base: JsonPath, where: Where
    ) -> tuple[str, Any, JsonPath] | None:
        """(ref, input, path of the input) of a payload, or None after reporting why not."""
        chosen = self.options.model
        is_envelope = "input" in value and isinstance(value["input"], dict)
        if chosen is not None and not (is_envelope and set(value) <= set(ENVELOPE_KEYS)):
            return chosen, value, base
        if "model" not in value:
            message = 'the payload names no model: write {"model": REF, "input": {...}}'
            run.findings.append(_at(where, base, "no-model", message, "or pass --model REF"))
            return None
        for key in sorted(set(value) - set(ENVELOPE_KEYS)):
            close = difflib.get_close_matches(key, ENVELOPE_KEYS, n=1, cutoff=0.6)
            hint = did_you_mean(close)
            at = where.key_position((*base, key))
            message = f'unknown key {json.dumps(key)} next to "model" and "input"'
            run.findings.append(
                Finding(
                    run.file.shown,
                    at.line,
                    at.column,
                    json_path((*base, key)),
                    "unknown-field",
                    message,
                    hint=hint,
                )
            )
        ref = value["model"]
        if not isinstance(ref, str):
            message = f"the model is named by a string ref, got {json.dumps(ref)[:40]}"
            run.findings.append(_at(where, (*base, "model"), "type", message, None))
            return None
        if chosen is not None and ref != chosen:
            message = f"the payload names {ref}, --model names {chosen}"
            run.findings.append(_at(where, (*base, "model"), "model-mismatch", message, None))
            return None
        if "input" not in value:
            message = 'the payload has no "input" object'
            run.findings.append(_at(where, base, "missing", message, None))
            return None
        if not isinstance(value["input"], dict):
            message = 'the "input" of a payload is a JSON object'
            run.findings.append(_at(where, (*base, "input"), "type", message, None))
            return None
        return ref, value["input"], (*base, "input")

    def _check_input(
        self,
        run: _Run,
        binding: Binding,
        data: dict[str, Any],
        where: Where,
        poisoned: list[JsonPath],
    ) -> None:
        if () in poisoned:
            return
        model = binding.input_model
        choices: frozenset[str] = getattr(model, "musicbind_numeric_choices", frozenset())
        booleans = [k for k, v in data.items() if isinstance(v, bool) and k in choices]
        errors: list[dict[str, Any]] = [
            {"type": "float_type", "loc": (k,), "input": data[k], "msg": "boolean"}
            for k in booleans
        ]
        rest = {k: v for k, v in data.items() if k not in booleans} if booleans else data
        durations = self._durations(run, binding, rest, where)
        try:
            checked = model.model_validate(rest, context={"media_duration": durations})
            if isinstance(checked, InputModel):
                checked.to_wire()  # text that is not Unicode is refused where it is encoded
        except ValidationError as exc:
            errors += [dict(e) for e in exc.errors(include_url=False)]
            errors += rule_errors(model, rest, errors, durations)
        except (RecursionError, TypeError, ValueError, ArithmeticError) as exc:
            at = where.value_position(where.base)
            message = f"the model could not check this input: {type(exc).__name__}: {exc}"
            run.findings.append(
                Finding(where.file, at.line, at.column, json_path(where.base), "invalid", message)
            )
            return
        if not errors:
            return
        facts = self._facts_of(binding)
        run.findings += error_findings(
            errors, data, facts, where, skip_fields=booleans, skip_paths=poisoned
        )

    def _durations(
        self, run: _Run, binding: Binding, data: dict[str, Any], where: Where
    ) -> dict[str, float]:
        """Media lengths by python field name: from --media-duration, else local files."""
        durations: dict[str, float] = {}
        if not binding.media_fields:
            return durations
        fields = binding.input_model.model_fields
        self.media_fields_seen.update(_wire(p, fields) for p in binding.media_fields)
        for name, seconds in self.options.media_durations.items():
            matched = _python_name(name, fields)
            if matched is not None and matched in binding.media_fields:
                durations[matched] = seconds
                self.media_names_used.add(name)
        folder = run.file.path.parent
        refused = self._file_inputs(run, binding, data, where)
        for python in binding.media_fields:
            wire = fields[python].alias or python if python in fields else python
            key = wire if wire in data else python
            if python in refused:
                continue
            if python in durations:
                continue
            local = local_media_path(data.get(key), folder)
            if local is not None:
                probed = self.prober.probe(local)
            elif self.options.probe_urls and _is_http(data.get(key)):
                probed = self.prober.probe_url(str(data.get(key)))
            else:
                continue
            if probed.seconds is not None:
                durations[python] = probed.seconds
                continue
            else:
                problem = probed.problem or "cannot read the media's length"
                path = (*where.base, key)
                run.findings.append(_at(where, path, "media", problem, model=binding.ref))
        named = [p for p in binding.media_fields if data.get(_wire(p, fields)) is not None]
        if any(p not in durations for p in named):
            self.rules_unchecked += 1
        return durations

    def _file_inputs(
        self, run: _Run, binding: Binding, data: dict[str, Any], where: Where
    ) -> set[str]:
        """Report file inputs that cannot be sent (the runtime's own check); their fields."""
        if not binding.file_fields:
            return set()
        fields = binding.input_model.model_fields
        aliases = {name: info.alias or name for name, info in fields.items()}
        problems = file_input_problems(
            binding.file_fields,
            data,
            aliases,
            file_input_rules(binding.provider),
            folder=run.file.path.parent,
        )
        for problem in problems:
            key = problem.wire if problem.wire in data else problem.field
            reason = problem.reason
            if reason.startswith("no such local file"):
                reason += " (paths are relative to the payload)"
            path = (*where.base, key)
            run.findings.append(_at(where, path, "file-input", reason, model=binding.ref))
        return {problem.field for problem in problems}

    def _facts_of(self, binding: Binding) -> ModelFacts:
        facts = self._facts.get(binding.ref)
        if facts is None:
            record = self.source.record(binding.ref)
            facts = model_facts(binding.ref, binding.input_model.model_fields, record)
            self._facts[binding.ref] = facts
        return facts


def _is_http(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _wire(python: str, fields: Mapping[str, Any]) -> str:
    return str(fields[python].alias or python) if python in fields else python


def _python_name(name: str, fields: Mapping[str, Any]) -> str | None:
    if name in fields:
        return name
    for python, info in fields.items():
        if info.alias == name:
            return python
    return None


def _under(prefix: JsonPath, path: JsonPath) -> bool:
    return path[: len(prefix)] == prefix


def _where(file: str, document: Document, base: JsonPath) -> Where:
    return Where(
        file,
        base,
        lambda path: document.locate().value_position(path),
        lambda path: document.locate().key_position(path),
    )


def _at(
    where: Where,
    path: JsonPath,
    code: str,
    message: str,
    hint: str | None = None,
    *,
    model: str | None = None,
) -> Finding:
    """A finding at the value ``path`` names in ``where``'s file."""
    at: Position = where.value_position(path)
    return Finding(
        where.file, at.line, at.column, json_path(path), code, message, hint=hint, model=model
    )


def _anomaly(file: str, anomaly: Anomaly) -> Finding:
    return Finding(
        file,
        anomaly.position.line,
        anomaly.position.column,
        json_path(anomaly.path),
        anomaly.code,
        anomaly.message,
        anomaly.rule,
    )


__all__ = [
    "BindingSource",
    "PackageError",
    "ValidateOptions",
    "Validator",
    "did_you_mean",
    "expand_paths",
]
