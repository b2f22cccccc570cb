"""Tooling: a registry diff as text, markdown or JSON (``musicbind diff --format``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from musicbind.generator.diff.registries import Change, Severity
from musicbind.generator.emit.docs import md_code, md_text

FORMATS = ("text", "markdown", "json")
_HEADINGS = {
    Severity.BREAKING: "Breaking changes",
    Severity.COMPATIBLE: "Compatible changes",
    Severity.NOTABLE: "Notable changes",
}


def counts(changes: Sequence[Change]) -> dict[str, int]:
    """How many changes of each severity."""
    return {s.value: sum(1 for c in changes if c.severity is s) for s in Severity}


def text_lines(changes: Sequence[Change]) -> Iterator[str]:
    """``BREAKING   scenario:x  duration: maximum 600 -> 300 (specs/...md:27)`` lines."""
    for change in changes:
        where = f" ({change.location})" if change.location else ""
        yield f"{change.severity.value.upper():<10} {change.ref}  {described(change)}{where}"


def described(change: Change) -> str:
    """The change's message with its hint: ``seed: field removed; possibly renamed to x``."""
    return f"{change.message}; {change.hint}" if change.hint else change.message


def markdown(changes: Sequence[Change], old: str, new: str) -> str:
    """A markdown report (for a pull-request comment): one table per severity."""
    numbers = counts(changes)
    lines = [
        f"## musicbind diff: {md_code(old)} -> {md_code(new)}",
        "",
        ", ".join(f"{numbers[s.value]} {s.value}" for s in Severity),
    ]
    for severity in Severity:
        chosen = [c for c in changes if c.severity is severity]
        if not chosen:
            continue
        lines += ["", f"### {_HEADINGS[severity]}", "", "| Model | Change | Stated in |"]
        lines.append("| --- | --- | --- |")
        for change in chosen:
            where = md_code(change.location) if change.location else ""
            lines.append(f"| {md_code(change.ref)} | {md_text(described(change))} | {where} |")
    return "\n".join(lines) + "\n"


def json_text(changes: Sequence[Change], old: str, new: str) -> str:
    """The changes and their counts as one JSON document."""
    data = {
        "old": old,
        "new": new,
        "counts": counts(changes),
        "changes": [
            {
                "severity": c.severity.value,
                "kind": c.kind,
                "ref": c.ref,
                "subject": c.subject,
                "message": c.message,
                "old": c.old,
                "new": c.new,
                "location": c.location,
                "hint": c.hint,
            }
            for c in changes
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
