"""Emulator: a local stand-in for Scenario, fal and AIgateway on loopback.

``EmulatorServer`` serves the one ASGI app (``emulator.app``) with uvicorn on 127.0.0.1;
``emulator.faults`` documents the fault-spec syntax; ``emulator.ledger`` the ledger format;
``emulator.pytest_plugin`` the ``musicbind_emulator`` fixture. Imports are lazy so that the
pytest plugin costs nothing in sessions that do not use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from musicbind.emulator.faults import FaultSpecError, parse_fault_spec
    from musicbind.emulator.jobs import Timing
    from musicbind.emulator.server import EmulatorServer

__all__ = ["EmulatorServer", "FaultSpecError", "Timing", "parse_fault_spec"]

_WHERE = {
    "EmulatorServer": "musicbind.emulator.server",
    "FaultSpecError": "musicbind.emulator.faults",
    "parse_fault_spec": "musicbind.emulator.faults",
    "Timing": "musicbind.emulator.jobs",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")
