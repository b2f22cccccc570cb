"""Emit stage: ruff on generated text (imports sorted and merged, then formatted).

One ruff process per batch, not per file: the texts are written to a private
temporary folder, fixed and formatted there, and read back (:class:`Batch`; the
caller writes and reads, so a thread can wait for ruff while the caller works). The settings are
passed explicitly (``--isolated``) so no project's configuration changes the bytes.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

_SETTINGS = (
    "--isolated",
    "--no-cache",  # the scratch folder is new every time: a cache there is never read
    "--line-length",
    "100",
    "--target-version",
    "py311",
    "--config",
    "lint.isort.known-first-party = ['musicbind']",
    # Imports are merged and wrapped before unused names are dropped: the wrap's trailing
    # comma must not keep a now short import exploded.
    "--config",
    "lint.isort.split-on-trailing-comma = false",
)


class FormattingError(RuntimeError):
    """ruff could not format the generated text."""


def _ruff() -> str:
    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    return str(find_ruff_bin())


# Files per ruff run: bounds the scratch copies (a RAM-backed folder may be small) while
# keeping ruff's start-up, once per batch, negligible.
BATCH_SIZE = 1000
# A RAM-backed folder for the scratch copies where the system has one: writing thousands of
# small files, letting ruff rewrite them and deleting them costs several times more on a disk.
# The copies go in a private folder made by TemporaryDirectory (mode 0700) inside it.
_RAM_FOLDER = Path("/dev/shm")  # noqa: S108


def format_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """Return ``sources`` with imports sorted (unused ones dropped) and formatted by ruff."""
    items = list(sources.items())
    formatted: dict[str, str] = {}
    for start in range(0, len(items), BATCH_SIZE):
        with Batch(dict(items[start : start + BATCH_SIZE])) as batch:
            batch.run()
            formatted.update(batch.result())
    return formatted


class Batch:
    """Texts being formatted by ruff in a private scratch folder.

    Made (the texts written) and read back by the caller; :meth:`run` only waits for ruff, so
    a thread may run it while the caller renders: it never waits for the interpreter lock.
    """

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.paths = list(sources)
        self._ruff = _ruff() if sources else ""
        self._folder = _scratch_copy(sources)
        self._ran = False

    @property
    def _root(self) -> Path:
        return Path(self._folder.name)

    def run(self) -> None:
        """ruff on the scratch copies: imports sorted and merged, then formatted."""
        if not self.paths:
            return
        for command in (
            [
                self._ruff,
                "check",
                *_SETTINGS,
                "--select",
                "I,F401",
                "--fix",
                "--quiet",
                "--exit-zero",
                ".",
            ],
            [self._ruff, "format", *_SETTINGS, "--quiet", "."],
        ):
            done = subprocess.run(  # noqa: S603
                command, cwd=self._root, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise FormattingError(f"ruff failed: {done.stderr.strip() or done.stdout.strip()}")
        self._ran = True

    def result(self) -> dict[str, str]:
        """The formatted texts (after :meth:`run`)."""
        if not self._ran and self.paths:
            raise FormattingError("ruff has not run on this batch")
        return {path: (self._root / path).read_text(encoding="utf-8") for path in self.paths}

    def close(self) -> None:
        """Remove the scratch folder."""
        self._folder.cleanup()

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scratch_copy(sources: Mapping[str, str]) -> tempfile.TemporaryDirectory[str]:
    if _RAM_FOLDER.is_dir() and os.access(_RAM_FOLDER, os.W_OK):
        try:
            return _write_copy(sources, str(_RAM_FOLDER))
        except OSError:
            pass  # the RAM folder may be small or full: the default temporary folder then
    return _write_copy(sources, None)


def _write_copy(sources: Mapping[str, str], folder: str | None) -> tempfile.TemporaryDirectory[str]:
    scratch = tempfile.TemporaryDirectory(prefix="musicbind-fmt-", dir=folder)
    try:
        root = Path(scratch.name)
        for parent in {(root / relative).parent for relative in sources}:
            parent.mkdir(parents=True, exist_ok=True)
        for relative, text in sources.items():
            (root / relative).write_text(text, encoding="utf-8")
    except BaseException:
        scratch.cleanup()
        raise
    return scratch
