"""Emit stage: ruff on generated text (imports sorted and merged, then formatted).

One ruff process per batch, not per file: the texts are written to a private
temporary folder, fixed and formatted there, and read back. The settings are
passed explicitly (``--isolated``) so no project's configuration changes the bytes.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

_SETTINGS = (
    "--isolated",
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


def format_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """Return ``sources`` with imports sorted (unused ones dropped) and formatted by ruff."""
    if not sources:
        return {}
    ruff = _ruff()
    with tempfile.TemporaryDirectory(prefix="musicbind-fmt-") as tmp:
        root = Path(tmp)
        for relative, text in sources.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        steps = (
            [
                ruff,
                "check",
                *_SETTINGS,
                "--select",
                "I,F401",
                "--fix",
                "--quiet",
                "--exit-zero",
                ".",
            ],
            [ruff, "format", *_SETTINGS, "--quiet", "."],
        )
        for command in steps:
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode != 0:
                raise FormattingError(f"ruff failed: {done.stderr.strip() or done.stdout.strip()}")
        return {relative: (root / relative).read_text(encoding="utf-8") for relative in sources}
