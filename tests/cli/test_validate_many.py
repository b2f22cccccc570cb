"""Many payloads at once: 10,000 across the whole catalogue, as a JSON array and as JSON Lines.

How fast is measured in bench/ (``nox -s bench``: `musicbind validate` on 10,000 payloads
against a jsonschema script, beyond start-up), not here: this checks that every payload
is read, matched to its model and counted, in both file forms and through the CLI.
"""

from __future__ import annotations

import json
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


def test_ten_thousand_payloads_of_every_model_are_each_validated(tmp_path: Path) -> None:
    lines = _payload_lines()
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "many.json").write_text("[" + ",\n".join(lines) + "]\n")
    source = BindingSource("musicbind.generated")
    for name in ("many.jsonl", "many.json"):
        report = Validator(source, ValidateOptions()).validate([tmp_path / name])
        assert (report.payloads, report.exit_code) == (COUNT, 0), name


def test_one_bad_payload_among_ten_thousand_is_found_by_its_line(tmp_path: Path) -> None:
    lines = _payload_lines()
    broken = json.loads(lines[4321])
    broken["input"]["no_such_field"] = 1
    lines[4321] = json.dumps(broken)
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n")
    done = run_cli("validate", str(tmp_path / "many.jsonl"))
    assert done.returncode == 1, done.stdout
    assert "many.jsonl:4322" in done.stdout
    assert "no_such_field" in done.stdout
