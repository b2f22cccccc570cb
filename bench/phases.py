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
    "musicbind.generator.emit.environment": (
        ("render_template", "render clients, packages and reference pages (jinja2)"),
    ),
    "musicbind.generator.generate": (
        ("generator_hash", "hash the generator's own sources"),
        ("build_from_specs", "load documents + build registry"),
        ("write_tree", "write files"),
    ),
    "musicbind.generator.emit.emit": (
        ("_rendered_models", "classify models, datamodel-code-generator ones (workers)"),
        ("render_model", "render model modules (direct writer)"),
        ("shard_text", "registry snapshot (_registry.json and its shards)"),
        # Overlapped: ruff formats a batch (waited for in a thread) while the next batch
        # renders; the gate runs in worker processes (in this process below 256 modules).
        ("formatted_and_gated", "render + ruff + AST gate, overlapped (wall)"),
    ),
    "musicbind.generator.emit.formatting": (
        ("_scratch_copy", "ruff: write the scratch copies"),
        ("Batch.run", "ruff: the ruff processes (thread, overlaps rendering)"),
        ("Batch.result", "ruff: read the formatted copies"),
    ),
    "musicbind.generator.emit.pipeline": (("_gate_job", "AST safety gate (in this process)"),),
}


def _wrap(module: Any, name: str, label: str, spent: dict[str, float]) -> None:
    """Time ``module.name`` (``Class.method`` for a method) under ``label``."""
    *owners, attribute = name.split(".")
    for owner in owners:
        module = getattr(module, owner, None)
    original = getattr(module, attribute, None)
    if not callable(original):
        return

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    setattr(module, attribute, timed)


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
