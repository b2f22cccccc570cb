"""Generated docstrings in one style: the text starts after the opening quotes."""

from __future__ import annotations

import ast
import inspect

from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.emit.docstrings import house_docstrings

# What a description line can hold once datamodel-code-generator or pydantic_direct wrote it:
# no quotes or backslashes (escaped before), no line breaks inside a line.
line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters='"\\'),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() == text and text)
paragraph = st.lists(line, min_size=1, max_size=4)


def _spec_style(lines: list[str], pad: str) -> str:
    return f'{pad}"""\n' + "".join(f"{pad}{text}\n" for text in lines) + f'{pad}"""\n'


def _docstrings(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.append(node.value.value)
    return found


@given(paragraph, paragraph, st.text("ab", max_size=3))
def test_a_class_and_field_docstring_keep_their_text_in_the_house_style(
    class_doc: list[str], field_doc: list[str], value: str
) -> None:
    source = (
        "class Track(BaseModel):\n"
        + _spec_style(class_doc, "    ")
        + "\n    title: str\n"
        + _spec_style(field_doc, "    ")
        + f"    other: str = {value!r}\n"
        + '    """already in style"""\n'
    )
    restyled = house_docstrings(source)
    before, after = _docstrings(source), _docstrings(restyled)
    assert [inspect.cleandoc(text) for text in after] == [inspect.cleandoc(text) for text in before]
    assert not any(text.startswith("\n") for text in after)
    assert house_docstrings(restyled) == restyled
    one_line = [text for text in (class_doc, field_doc) if len(text) == 1]
    for text in one_line:
        assert f'"""{text[0]}"""' in restyled


def test_strings_that_are_not_docstrings_are_left_alone() -> None:
    source = (
        'x = """\n    kept as it is\n    """\n'
        'call("""\n    an argument\n    """)\n'
        "class A:\n"
        '    """\n    ends with a quote"\n    """\n'
    )
    # An assignment, an argument, and a text whose closing quote would meet the delimiter.
    assert house_docstrings(source) == source
