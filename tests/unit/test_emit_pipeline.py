"""The emit pipeline: batches rendered lazily, formatted by ruff, every module gated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from musicbind.generator.emit.formatting import format_sources
from musicbind.generator.emit.pipeline import GATE_PARALLEL_THRESHOLD, formatted_and_gated
from musicbind.generator.emit.safety import UnsafeCodeError

SAFE = "from musicbind.runtime import InputModel\nclass A(InputModel):\n    x: int = 'a'\n"
FORMATTED = 'from musicbind.runtime import InputModel\n\n\nclass A(InputModel):\n    x: int = "a"\n'


def _batches(count: int, size: int, asked: list[int]) -> Iterator[dict[str, str]]:
    for start in range(0, count, size):
        asked.append(start)
        yield {f"m{i:04d}.py": SAFE for i in range(start, min(count, start + size))}


@pytest.mark.parametrize("count", [3, GATE_PARALLEL_THRESHOLD + 5])
def test_every_batch_comes_back_formatted(count: int) -> None:
    asked: list[int] = []
    files = formatted_and_gated(_batches(count, 100, asked), None, count)
    assert files == {f"m{i:04d}.py": FORMATTED for i in range(count)}
    assert asked == list(range(0, count, 100))


@pytest.mark.parametrize("count", [3, GATE_PARALLEL_THRESHOLD + 5])
def test_an_unsafe_module_in_a_later_batch_stops_everything(count: int) -> None:
    def batches() -> Iterator[dict[str, str]]:
        yield from _batches(count, 100, [])
        yield {"z.py": SAFE + "exec('print(1)')\n", "notes.md": "# notes\n"}

    with pytest.raises(UnsafeCodeError, match=r"z\.py: line \d+"):
        formatted_and_gated(batches(), None, count + 1)


def test_a_module_that_passed_before_is_not_gated_again() -> None:
    # What this generator wrote last time (and gated then) is trusted; any other text is not.
    unsafe = SAFE + "exec('print(1)')\n"
    written = format_sources({"m.py": unsafe})["m.py"]
    assert formatted_and_gated([{"m.py": unsafe}], lambda path: written, 1) == {"m.py": written}
    with pytest.raises(UnsafeCodeError):
        formatted_and_gated([{"m.py": unsafe}], lambda path: written + "x = 1\n", 1)
