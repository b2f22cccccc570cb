"""Emit stage: the only way spec text reaches generated code — as escaped Python literals.

``py_literal`` renders JSON values as Python literal source (``repr`` of str
escapes quotes, backslashes, control characters, U+2028/U+2029 and NUL);
``clean_text`` normalises prose (descriptions) before it becomes a docstring.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

# Line and paragraph separators Python's tokenizer or editors treat as line ends.
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
# Bidirectional controls: they reorder how the rest of a line is shown ("Trojan Source",
# CVE-2021-42574), so a docstring could make the code beside it read differently.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# The ASCII characters ``clean_text`` drops (category Cc but tab and newline): ASCII text,
# nearly all text, is cleaned by one substitution instead of a look-up per character.
_ASCII_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


class UnsafeLiteralError(ValueError):
    """A value has no faithful Python literal (NaN, infinity, an unsupported type)."""


def py_literal(value: Any) -> str:
    """Python source for a JSON value; raises UnsafeLiteralError for NaN/inf/unknown types."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise UnsafeLiteralError(f"{value!r} has no JSON or Python literal")
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list | tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return (
            f"({inner},)"
            if isinstance(value, tuple) and len(value) == 1
            else (f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
        )
    if isinstance(value, dict):
        items = ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
        return f"{{{items}}}"
    raise UnsafeLiteralError(f"cannot render a {type(value).__name__} as a literal")


def clean_text(text: str) -> str:
    """Prose fit for a docstring: one kind of newline, no control or bidi characters, trimmed."""
    text = _LINE_BREAKS.sub("\n", text)
    if text.isascii():
        text = _ASCII_CONTROLS.sub("", text)
    else:
        text = "".join(
            ch
            for ch in text
            if ch in "\n\t"
            or (
                unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"}
                and ch not in _BIDI_CONTROLS
            )
        )
    lines = [line.rstrip() for line in text.replace("\t", " ").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


# Escaped in comment text: a quote could end the docstring the text sits in, and a backslash
# could escape the quote that ends it.
_COMMENT_ESCAPES = {'"': '\\"', "\\": "\\\\"}
_COMMENT_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but the quote and backslash


def comment_text(text: str) -> str:
    """Text fit for one ``#`` comment line or the inside of a triple-quoted docstring.

    Printable ASCII only, anything else escaped. Templates put this text between
    triple quotes too, so quotes and backslashes are escaped as well: spec text
    (a model id, a provider's display name) can never end the docstring.
    """
    if _COMMENT_PLAIN.fullmatch(text):
        return text  # nothing to escape (most text): no look-up per character
    return "".join(
        _COMMENT_ESCAPES.get(ch) or (ch if " " <= ch <= "~" else ascii(ch)[1:-1]) for ch in text
    )
