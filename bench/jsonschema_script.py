"""Bench: the script a user would write instead of ``musicbind validate`` (jsonschema over JSONL).

    python -m bench.jsonschema_script SCHEMA.json PAYLOADS.jsonl

Prints one line per invalid payload (line number and message); exits 1 if any.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]


def main(argv: list[str]) -> int:
    """Validate every line of the JSONL file against the schema."""
    schema = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema)
    bad = 0
    with Path(argv[1]).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            for error in validator.iter_errors(json.loads(line)):
                bad += 1
                print(f"{argv[1]}:{number}: {error.json_path}: {error.message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
