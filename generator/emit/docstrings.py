"""Emit stage: the classes' docstrings in the one style of generated code.

datamodel-code-generator (and :mod:`generator.emit.pydantic_direct`, which writes the
same text without it) puts a class's or a field's description on lines of its own
between the quotes. Generated code has one style (:func:`generator.emit.environment.docstring`):
the text starts after the opening quotes, a one-line text closes on its line, a longer
one on a line of its own. This rewrites the first style into the second, token by token
(never by searching the text), and leaves every other string alone.
"""

from __future__ import annotations

import io
import tokenize

# Tokens after which a string token starts a statement (a docstring is a lone string).
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL}
_SKIPPED = {tokenize.COMMENT, tokenize.NL}


def house_docstrings(source: str) -> str:
    """``source`` with each lone triple-quoted string that opens with a line break restyled."""
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    lines = source.splitlines(keepends=True)
    edits: list[tuple[tokenize.TokenInfo, str]] = []
    for index, token in enumerate(tokens):
        if token.type != tokenize.STRING or not _lone(tokens, index):
            continue
        restyled = _restyled(token.string, token.start[1])
        if restyled is not None:
            edits.append((token, restyled))
    for token, text in reversed(edits):
        (first, column), (last, end) = token.start, token.end
        before, after = lines[first - 1][:column], lines[last - 1][end:]
        lines[first - 1 : last] = [before + text + after]
    return "".join(lines)


def _lone(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    """Whether the string at ``index`` is a statement of its own (a docstring's place)."""
    before = index - 1
    while before >= 0 and tokens[before].type in _SKIPPED - {tokenize.NL}:
        before -= 1
    if before >= 0 and tokens[before].type not in _STATEMENT_START:
        return False
    after = index + 1
    while after < len(tokens) and tokens[after].type == tokenize.COMMENT:
        after += 1
    return after < len(tokens) and tokens[after].type in {tokenize.NEWLINE, tokenize.ENDMARKER}


def _restyled(literal: str, column: int) -> str | None:
    """``\"\"\"\\n    text\\n    \"\"\"`` -> ``\"\"\"text\"\"\"`` (None: already in style or not a
    plain triple-quoted string)."""
    if not literal.startswith('"""') or not literal.endswith('"""') or len(literal) < 6:
        return None
    body = literal[3:-3]
    if not body.startswith("\n"):
        return None
    pad = " " * column
    text = [line.removeprefix(pad) for line in body[1:].split("\n")]
    if text and text[-1].strip() == "":
        text.pop()
    if not text or not text[0].strip() or text[0].endswith("\\"):
        return None
    if len(text) == 1:
        return f'"""{text[0]}"""' if not text[0].endswith('"') else None
    rest = [f"{pad}{line}" if line else "" for line in text[1:]]
    return '"""' + "\n".join([text[0], *rest]) + f"\n{pad}" + '"""'
