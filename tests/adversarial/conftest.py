"""Adversarial suite fixtures: the canary on sys.path, and the counts written after a full run.

With ``MUSICBIND_WRITE_COUNTS=1`` (``nox -s adversarial`` sets it) and a run in which every
adversarial test passed and every count was taken, the session ends by writing
``docs/security-counts.json`` and the block between the count markers of
``docs/security.md``. Any other run writes nothing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from adversarial_support import (
    BEGIN,
    CANARY_ENV,
    CANARY_MODULE,
    COUNT_KEYS,
    COUNTS_JSON,
    END,
    RESULTS,
    SECURITY_MD,
    WRITE_ENV,
    Canary,
    counts_block,
    plant_canary,
    scale,
)

_failed: list[str] = []


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Canary]:
    """The canary module, importable for the duration of a test; it must never fire."""
    planted = plant_canary(tmp_path / "canary")
    monkeypatch.syspath_prepend(str(planted.folder))
    monkeypatch.delenv(CANARY_ENV, raising=False)
    yield planted
    sys.modules.pop(CANARY_MODULE, None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember failures of this folder's tests: a failed run writes no counts."""
    if report.failed and "tests/adversarial" in report.nodeid.replace("\\", "/"):
        _failed.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the counts when asked to and the run was complete and green."""
    if os.environ.get(WRITE_ENV) != "1" or _failed or exitstatus != 0:
        return
    missing = [key for key in COUNT_KEYS if key not in RESULTS]
    if missing:
        print(f"\nadversarial counts not written: no count for {missing}", file=sys.stderr)
        return
    counts = {key: RESULTS[key] for key in COUNT_KEYS}
    counts["scale"] = scale()
    COUNTS_JSON.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    text = SECURITY_MD.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    SECURITY_MD.write_text(text[:start] + "\n" + counts_block(counts) + text[end:], "utf-8")
