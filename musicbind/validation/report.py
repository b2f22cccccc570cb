"""Tooling: a validation report as text, JSON or GitHub Actions workflow commands.

GitHub format: one ``::error file=F,line=L,col=C,title=T::MESSAGE`` line per finding,
escaped as the Actions toolkit does (``@actions/core`` ``command.ts``): in the message
``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A``; in property values also ``:`` -> ``%3A``
and ``,`` -> ``%2C``. The runner turns each line into an annotation on that file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from musicbind.validation.findings import Finding, Report

FORMATS = ("text", "json", "github")


def writable(text: str) -> str:
    """``text`` that any UTF-8 stream can write: a lone surrogate becomes ``\\udXXX``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def location(finding: Finding) -> str:
    """``file:line:column`` (or less when unknown), the prefix editors and CI logs link."""
    parts = [finding.file]
    if finding.line is not None:
        parts.append(str(finding.line))
        if finding.column is not None:
            parts.append(str(finding.column))
    return ":".join(parts)


def explanation(finding: Finding) -> str:
    """``$.input.duration: 601 is above the maximum 600; rule: duration <= 600 (spec:27)``."""
    text = f"{finding.path}: {finding.message}"
    if finding.hint:
        text += f"; {finding.hint}"
    if finding.rule:
        text += f"; rule: {finding.rule}"
        if finding.source:
            text += f" ({finding.source})"
    elif finding.source:
        text += f" ({finding.source})"
    if finding.model:
        text += f" [{finding.model}]"
    return text


def text_lines(report: Report) -> Iterator[str]:
    """One line per finding: ``file:line:col: error: explanation``."""
    for finding in report.findings:
        yield writable(f"{location(finding)}: error: {explanation(finding)}")


def github_lines(report: Report) -> Iterator[str]:
    """One workflow command per finding."""
    for finding in report.findings:
        properties = [("file", finding.file)]
        if finding.line is not None:
            properties.append(("line", str(finding.line)))
        if finding.column is not None:
            properties.append(("col", str(finding.column)))
        properties.append(("title", f"musicbind validate: {finding.code}"))
        shown = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
        yield writable(f"::error {shown}::{escape_data(explanation(finding))}")


def json_text(report: Report) -> str:
    """The whole report as one JSON document."""
    data = {
        "valid": report.exit_code == 0,
        "files": report.files,
        "payloads": report.payloads,
        "invalid_payloads": report.invalid_payloads,
        "unreadable_files": report.unreadable,
        "problems": [f.as_data() for f in report.findings],
    }
    return writable(json.dumps(data, indent=2, ensure_ascii=False))


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``: a count with its noun in the right number."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(report: Report) -> str:
    """The closing line: what was checked and how much was wrong."""
    files = plural(report.files, "file")
    if not report.findings:
        return f"{plural(report.payloads, 'payload')} valid ({files})"
    return (
        # "1 of 1 payloads": the noun names the set counted from, so it stays plural.
        f"{plural(len(report.findings), 'problem')} in {report.invalid_payloads} of "
        f"{report.payloads} payloads ({files}, {report.unreadable} unreadable)"
    )
