"""Validation is fast: 10,000 payloads well under a second beyond start-up."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bad_payloads import base_items
from cli_support import models, run_cli

from musicbind.validation.validator import BindingSource, ValidateOptions, Validator

COUNT = 10_000


def _payload_lines() -> list[str]:
    lines = []
    catalogue = [(m.ref, {k: json.loads(v) for k, v in base_items(m)}) for m in models()]
    for index in range(COUNT):
        ref, data = catalogue[index % len(catalogue)]
        lines.append(json.dumps({"model": ref, "input": data}))
    return lines


def test_ten_thousand_payloads_in_well_under_a_second(tmp_path: Path) -> None:
    lines = _payload_lines()
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "many.json").write_text("[" + ",\n".join(lines) + "]\n")
    source = BindingSource("musicbind.generated")
    Validator(source, ValidateOptions()).validate([tmp_path / "many.json"])  # bindings loaded
    for name in ("many.jsonl", "many.json"):
        best = min(_timed(source, tmp_path / name) for _ in range(3))
        assert best < 0.8, f"{name}: {COUNT} payloads took {best:.2f} s"


def _timed(source: BindingSource, path: Path) -> float:
    started = time.perf_counter()
    report = Validator(source, ValidateOptions()).validate([path])
    elapsed = time.perf_counter() - started
    assert report.payloads == COUNT and report.exit_code == 0
    return elapsed


def test_the_command_line_adds_little_beyond_start_up(tmp_path: Path) -> None:
    lines = _payload_lines()
    (tmp_path / "one.jsonl").write_text(lines[0] + "\n")
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n")

    def seconds(name: str) -> float:
        started = time.perf_counter()
        done = run_cli("validate", str(tmp_path / name))
        assert done.returncode == 0, done.stdout
        return time.perf_counter() - started

    one = min(seconds("one.jsonl") for _ in range(2))
    many = min(seconds("many.jsonl") for _ in range(2))
    assert many - one < 1.0, f"start-up {one:.2f} s, {COUNT} payloads {many:.2f} s"
