"""Bench: where ``musicbind generate`` / ``check`` spend their time, phase by phase.

    python -m bench.phases generate|check SPECS OUT

Runs the pipeline in this process with timing wrappers around its stage functions
(loading, rendering, formatting, the AST gate, reference pages, the registry snapshot,
writing) and prints one JSON object: total seconds and seconds per phase. The stage
functions are looked up by name; one that no longer exists is simply not timed, so the
breakdown degrades instead of failing when the generator is reorganised.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PHASES = {
    "musicbind.generator.freshness": (
        ("spec_input_hashes", "read manifest.yaml, hash inputs"),
        ("generator_hash", "hash the generator's own sources"),
        ("up_to_date", "compare with _manifest.json, hash outputs"),
    ),
    "musicbind.generator.generate": (
        ("generator_hash", "hash the generator's own sources"),
        ("build_from_specs", "load documents + build registry"),
        ("write_tree", "write files"),
    ),
    "musicbind.generator.emit.emit": (
        ("_render_all", "render models (datamodel-code-generator, worker processes)"),
        ("format_sources", "ruff on the rendered text"),
        ("check_modules", "AST safety gate"),
        ("reference_pages", "reference pages"),
        ("snapshot_text", "registry snapshot (_registry.json)"),
    ),
}


def _wrap(module: Any, name: str, label: str, spent: dict[str, float]) -> None:
    original = getattr(module, name, None)
    if not callable(original):
        return

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    setattr(module, name, timed)


def _runner(mode: str) -> Callable[[Path, Path], Any]:
    """What the command line runs: check's fast path first (as `musicbind check` does)."""
    if mode == "check":
        try:
            freshness = importlib.import_module("musicbind.generator.freshness")
            fresh: Callable[[Path, Path], Any] = freshness.is_fresh
            return fresh
        except (ImportError, AttributeError):
            pass
    generate = importlib.import_module("musicbind.generator.generate")
    run: Callable[[Path, Path], Any] = (
        generate.generate_specs if mode == "generate" else generate.check_specs
    )
    return run


def main(argv: list[str]) -> int:
    """Run one generate or check with the phases timed; print JSON."""
    mode, specs, out = argv[0], Path(argv[1]), Path(argv[2])
    spent: dict[str, float] = {}
    started = time.perf_counter()
    run = _runner(mode)
    for module_name, functions in PHASES.items():
        # check's fast path must not pay for importing what it does not use
        module = sys.modules.get(module_name)
        if module is None and mode != "check":
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
        if module is None:
            continue
        for name, label in functions:
            _wrap(module, name, label, spent)
    imported = time.perf_counter() - started
    began = time.perf_counter()
    run(specs, out)
    total = time.perf_counter() - began
    print(
        json.dumps(
            {
                "mode": mode,
                "imports_seconds": imported,
                "total_seconds": total,
                "phases": dict(sorted(spent.items(), key=lambda kv: -kv[1])),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
