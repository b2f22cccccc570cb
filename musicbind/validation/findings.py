"""Tooling: what ``musicbind validate`` found, as values the output formats render.

A :class:`Finding` is one problem with one value: where it is (file, line,
column, JSON path), what is wrong, the rule it breaks and the spec document (and
line or JSON pointer) that states the rule, plus a "did you mean" hint when one
helps. A :class:`Report` collects them with the counts the summary needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one value of one payload."""

    file: str
    line: int | None
    column: int | None
    path: str  # JSONPath in the document: "$.input.duration", "$[2].input"
    code: str  # "range", "type", "missing", "unknown-field", "syntax", ...
    message: str
    rule: str | None = None
    source: str | None = None  # the spec location stating the rule
    hint: str | None = None  # "did you mean 'duration'?"
    model: str | None = None  # the ref the payload was validated against

    def as_data(self) -> dict[str, Any]:
        """The finding as JSON-ready data (every key present, null when unknown)."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "rule": self.rule,
            "source": self.source,
            "hint": self.hint,
            "model": self.model,
        }


@dataclass(slots=True)
class Report:
    """Everything one run found, in file order."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    payloads: int = 0
    invalid_payloads: int = 0
    unreadable: int = 0

    @property
    def exit_code(self) -> int:
        """2 when a file could not be read, else 1 when anything was found, else 0."""
        if self.unreadable:
            return 2
        return 1 if self.findings else 0
