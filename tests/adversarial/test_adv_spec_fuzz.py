"""Hypothesis makes up spec documents of every kind: no crash, no hang, nothing half-done.

Each document either loads and generates code that imports and passes ``ruff check``, or
is refused with an error naming the file and line or JSON pointer. At least 2,000 documents
per CI run (times ``MUSICBIND_ADVERSARIAL_SCALE``). Hypothesis draws the documents; they
are generated in batches over two processes, each batch with one ruff run.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from adversarial_strategies import documents
from adversarial_support import (
    Canary,
    Document,
    files_under,
    generate_batch,
    import_everything,
    record,
    ruff_check,
    scaled,
    warm_up,
)
from hypothesis import HealthCheck, Phase, given, settings

from musicbind.generator.load.records import Level
from musicbind.generator.snapshot.snapshot_file import read_snapshot

MINIMUM_DOCUMENTS = 2000
BATCH_SIZE = 150
WORKERS = 2
BATCH_SECONDS = 240  # a batch that takes longer than this is a hang


@dataclass
class FuzzVerdict:
    """What one batch of made-up documents showed."""

    failures: list[str] = field(default_factory=list)
    generated: int = 0
    refused: int = 0
    canary: list[str] = field(default_factory=list)


def draw_documents(count: int) -> list[Document]:
    """``count`` distinct documents drawn by hypothesis."""
    found: dict[str, Document] = {}

    @settings(
        max_examples=count + count // 4,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(documents())
    def collect(drawn: tuple[str, bytes, str]) -> None:
        suffix, data, kind = drawn
        digest = hashlib.sha256(data + kind.encode()).hexdigest()
        if len(found) < count and digest not in found:
            uid = str(len(found))
            data = data.replace(b"UID", uid.encode())
            found[digest] = Document(f"fz{uid}{suffix}", data, kind, f"{kind} document fz{uid}")

    for _ in range(5):  # hypothesis may repeat itself; draw again until there are enough
        collect()
        if len(found) >= count:
            break
    return list(found.values())


def check_documents(root: str, batch_documents: list[Document]) -> FuzzVerdict:
    """Generate one batch and judge every document in it."""
    batch = generate_batch(Path(root), batch_documents)
    verdict = FuzzVerdict()
    for document, why in batch.crashes:
        text = document.data.decode("utf-8", "replace")[:3000]
        verdict.failures.append(f"{document.label}: the generator raised {why}\n{text}")
    if batch.outcome is None:
        return verdict
    verdict.failures += [f"import: {failure}" for failure in import_everything(batch)]
    if complaints := ruff_check(batch.out):
        verdict.failures.append(f"ruff check {batch.out.name}:\n{complaints[:3000]}")
    registry, problems = read_snapshot(batch.out)
    assert registry is not None, problems
    sources = {source for model in registry.models for source in model.sources}
    errors = defaultdict(list)
    for problem in batch.outcome.problems:
        if problem.level is Level.ERROR:
            errors[problem.location.path].append(problem)
    for document in batch_documents:
        found = errors[document.name]
        if document.name in sources:
            verdict.generated += 1
        elif found:
            verdict.refused += 1
            if any(e.location.line is None and not e.location.pointer for e in found):
                verdict.failures.append(f"{document.label}: an error names no line: {found}")
        else:
            text = document.data.decode("utf-8", "replace")[:2000]
            verdict.failures.append(
                f"{document.label}: neither generated nor refused with an error\n{text}"
            )
    verdict.canary = Canary(Path(os.environ["MUSICBIND_ADV_CANARY_DIR"])).fired()
    return verdict


@pytest.mark.slow
def test_made_up_documents_generate_or_fail_with_a_located_error(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = scaled(MINIMUM_DOCUMENTS)
    drawn = draw_documents(target)
    assert len(drawn) >= target, f"hypothesis drew only {len(drawn)} distinct documents"
    monkeypatch.setenv("MUSICBIND_ADV_CANARY_DIR", str(canary.folder))
    batches = [drawn[i : i + BATCH_SIZE] for i in range(0, len(drawn), BATCH_SIZE)]
    before = files_under(tmp_path)
    warm_up()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        futures = [
            pool.submit(check_documents, str(tmp_path / f"b{i}"), batch)
            for i, batch in enumerate(batches)
        ]
        timeout = BATCH_SECONDS * len(batches) / WORKERS
        verdicts = [future.result(timeout=timeout) for future in futures]
    failures = [f for v in verdicts for f in v.failures]
    assert not failures, "\n\n".join(failures[:10]) + f"\n({len(failures)} failures)"
    assert not [c for v in verdicts for c in v.canary]
    assert not canary.fired()
    outside = [
        p
        for p in files_under(tmp_path) - before
        if not p.relative_to(tmp_path).parts[0].startswith("b")
    ]
    assert not outside, outside
    generated = sum(v.generated for v in verdicts)
    refused = sum(v.refused for v in verdicts)
    assert generated + refused == len(drawn)
    assert generated > len(drawn) // 10, "almost nothing generated: the strategies are off"
    record("specs_generated", len(drawn))
    record("specs_with_models", generated)
    record("specs_refused", refused)
