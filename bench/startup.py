"""Bench: start-up costs, each in a fresh interpreter.

Imports are timed inside the child (``perf_counter`` around the import statement), so the
interpreter's own start does not blur a 20 ms figure; commands (``--help``) are timed as a
user sees them, whole process, next to a bare ``python -c pass``. One warm-up run each
first, so byte-code compilation is not counted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.measure import ProcessRun, check_ok, run_process, summary, tool, tool_env

IMPORTS = {
    "generated": "import musicbind.generated as g; g.list_bindings()",
    "generated_first_binding": (
        "import musicbind.generated as g; g.get_binding('fal:sonilo/v1.1/video-to-music')"
    ),
    "generated_fal_client": "from musicbind.generated.fal.client import FalClient",
    "fal_client": "import fal_client",
    "scenario_sdk": "import scenario_sdk",
}
IMPORT_LABELS = {
    "generated": "import musicbind.generated + list_bindings() (every provider's refs)",
    "generated_first_binding": "import musicbind.generated + get_binding(fal video-to-music)",
    "generated_fal_client": "from musicbind.generated.fal.client import FalClient",
    "fal_client": "import fal_client (official fal SDK)",
    "scenario_sdk": "import scenario_sdk (official Scenario SDK)",
}
COMMANDS = {
    "python": [sys.executable, "-c", "pass"],
    "musicbind_help": [tool("musicbind"), "--help"],
    "dmcg_help": [tool("datamodel-codegen"), "--help"],
    "openapi_python_client_help": [tool("openapi-python-client"), "--help"],
}
COMMAND_LABELS = {
    "python": "python -c pass (the interpreter alone)",
    "musicbind_help": "musicbind --help",
    "dmcg_help": "datamodel-codegen --help",
    "openapi_python_client_help": "openapi-python-client --help",
}
_TIMED = (
    "import time as _t\n_s = _t.perf_counter()\n{statement}\nprint(repr(_t.perf_counter() - _s))\n"
)


def _run(command: list[str], root: Path) -> ProcessRun:
    return run_process(command, cwd=root, env=tool_env(), sample_memory=False)


def _import_seconds(statement: str, root: Path, runs: int) -> dict[str, Any]:
    command = [sys.executable, "-c", _TIMED.format(statement=statement)]
    first = _run(command, root)
    if first.returncode != 0:
        return {"error": (first.stderr or first.stdout)[-600:]}
    samples = []
    for _ in range(runs):
        run = check_ok(_run(command, root), statement)
        samples.append(float(run.stdout.strip().splitlines()[-1]))
    return {"seconds": summary(samples)}


def _command_seconds(command: list[str], root: Path, runs: int) -> dict[str, Any]:
    first = _run(command, root)
    if first.returncode != 0:
        return {"error": (first.stderr or first.stdout)[-600:]}
    samples = [check_ok(_run(command, root), command[0]).seconds for _ in range(runs)]
    return {"seconds": summary(samples)}


def run(root: Path, runs: int) -> dict[str, Any]:
    """The start-up section of the results."""
    return {
        "import_labels": IMPORT_LABELS,
        "command_labels": COMMAND_LABELS,
        "imports": {name: _import_seconds(code, root, runs) for name, code in IMPORTS.items()},
        "commands": {name: _command_seconds(cmd, root, runs) for name, cmd in COMMANDS.items()},
    }
