"""The counts docs/security.md reports are the suite's own, and meet what the issue asks.

``nox -s adversarial`` runs this folder at heavier settings with ``MUSICBIND_WRITE_COUNTS=1``
and writes ``docs/security-counts.json`` and the counts block of ``docs/security.md``
(see ``conftest.py``). This test holds the committed numbers to the minimums and the block
to the JSON; every test of the folder also checks its own count in each run.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from adversarial_support import (
    BEGIN,
    COUNT_KEYS,
    COUNTS_JSON,
    END,
    MINIMUMS,
    SECURITY_MD,
    WRITE_ENV,
    counts_block,
)

from musicbind import generated

# A run that writes the counts replaces them: the ones committed before do not bind it.
pytestmark = pytest.mark.skipif(os.environ.get(WRITE_ENV) == "1", reason="this run writes them")


def committed() -> dict[str, Any]:
    return dict(json.loads(COUNTS_JSON.read_text(encoding="utf-8")))


def test_committed_counts_meet_the_minimums() -> None:
    counts = committed()
    assert set(COUNT_KEYS) <= set(counts), sorted(set(COUNT_KEYS) - set(counts))
    assert counts["vectors"] >= MINIMUMS["vectors"]
    assert counts["specs_generated"] >= MINIMUMS["specs_generated"]
    assert counts["payloads_per_model"] >= MINIMUMS["payloads_per_model"]
    assert counts["models"] == len(generated.list_bindings())
    assert counts["payloads_rejected"] >= counts["payloads_per_model"] * counts["models"]
    assert counts["secret_occurrences"] == MINIMUMS["secret_occurrences"] == 0
    assert counts["ref_hits"] == 0 and counts["ref_attempts"] > 0
    assert counts["server_faults"] > 0 and counts["gate_bypasses_refused"] > 0
    assert counts["vector_documents"] == (
        counts["vector_documents_generated"]
        + counts["vector_documents_refused"]
        + counts["vector_documents_unused"]
    )
    assert counts["specs_generated"] == counts["specs_with_models"] + counts["specs_refused"]


def test_the_security_page_shows_the_committed_counts() -> None:
    text = SECURITY_MD.read_text(encoding="utf-8")
    block = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    assert block == "\n" + counts_block(committed())
