"""The emitted texts are held compressed until written: every text comes back as it was."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.emit.texts import Texts

# Any str, lone surrogates included: a text is never changed by being held.
_TEXTS = st.dictionaries(st.text(max_size=20), st.text(st.characters(), max_size=300))


@given(_TEXTS, _TEXTS)
def test_texts_read_back_as_written_and_merge_like_a_dict(
    first: dict[str, str], second: dict[str, str]
) -> None:
    held = Texts(first)
    assert dict(held) == first and held == first
    other = Texts(second.items())
    held.merge(other)
    held.merge({"extra": "text"})
    expected = {**first, **second, "extra": "text"}
    assert dict(held.items()) == expected
    assert list(held.in_order()) == sorted(expected)
    del held["extra"]
    assert "extra" not in held and len(held) == len(expected) - 1
