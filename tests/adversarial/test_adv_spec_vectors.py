"""Hostile specs: every known vector in every field of every document kind.

Each document either generates code that imports, passes ``ruff check`` and keeps the text
inside string literals, or is refused with an error that names the file and line or JSON
pointer. Importing every generated module sets off no canary; nothing is written outside
the output folder; a ``$ref`` to a URL never connects (see test_adv_refs.py for more).

The documents are generated in batches spread over two processes (the machine CI runs on
has two cores); each batch is checked where it was generated.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from adversarial_documents import KINDS, REF_FILE, REF_MARKER, VECTORS, vector_text
from adversarial_support import (
    CANARY_MODULE,
    Canary,
    ConnectionRecorder,
    Document,
    add,
    files_under,
    generate_batch,
    import_everything,
    record,
    ruff_check,
    warm_up,
)

from musicbind.generator.emit.literals import clean_text
from musicbind.generator.load.records import Level, SpecProblem
from musicbind.generator.snapshot.snapshot_file import read_snapshot

BATCH_SIZE = 300
WORKERS = 2
# An endpoint template at a path no model page posts to describes nothing generated.
UNUSED_TEMPLATE = ("openapi-yaml (gateway)", "paths.key")
# Fields whose text an OpenAPI loader keeps as it is: it must come out inside a literal.
KEPT_VERBATIM = frozenset(
    {
        "x-fal-metadata.endpointId",
        "property.name",
        "property.enum",
        "property.default",
        "shape.property.name",
        "output.property.name",
    }
)
# Names that would be the canary payload running as code.
PAYLOAD_NAMES = frozenset({CANARY_MODULE, "__import__", "exec", "eval"})


@dataclass(frozen=True)
class Row:
    """One document of the matrix: what it holds where."""

    document: Document
    vector: str
    text: str
    kind: str
    field: str
    companion: bool = False


@dataclass
class Verdict:
    """What one batch showed."""

    failures: list[str] = field(default_factory=list)
    generated: int = 0
    refused: int = 0
    unused: int = 0
    canary: list[str] = field(default_factory=list)


def cells() -> list[tuple[int, int, int]]:
    """(kind, field, vector) indexes: every vector in every field of every kind."""
    return [
        (k, f, v)
        for k, kind in enumerate(KINDS)
        for f in range(len(kind.fields))
        for v in range(len(VECTORS))
    ]


def rows_of(cell: tuple[int, int, int], origin: str) -> list[Row]:
    """The document(s) of one cell: the vector in the field (and any companion it needs)."""
    k, f, v = cell
    kind, name, vector = KINDS[k], KINDS[k].fields[f], VECTORS[v]
    text = vector_text(vector, origin)
    label = f"{vector.name!r} in {kind.name} field {name!r}"
    built = [replace(d, label=label) for d in kind.build(name, text, f"k{k}f{f}v{v}")]
    first = Row(built[0], vector.name, text, kind.name, name)
    return [first, *(Row(d, vector.name, text, kind.name, name, True) for d in built[1:])]


def _code_facts(source: str) -> tuple[set[str], list[str]]:
    """The names used as code, and the string constants, of a module."""
    names: set[str] = set()
    strings: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.update((node.name, node.asname or ""))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(_flat(node.value))
    return names, strings


def _flat(text: str) -> str:
    return " ".join(clean_text(text).split())


def check_chunk(root: str, origin: str, start: int, stop: int) -> Verdict:
    """Generate cells ``start:stop`` of the matrix under ``root`` and check every document."""
    rows = [row for cell in cells()[start:stop] for row in rows_of(cell, origin)]
    marker = Document(
        REF_FILE, f'{{"Marker": {{"type": "string", "title": "{REF_MARKER}"}}}}'.encode(), "target"
    )
    batch = generate_batch(Path(root), [r.document for r in rows], companions=[marker])
    verdict = Verdict()
    verdict.failures += [f"{d.label}: the generator raised {why}" for d, why in batch.crashes]
    if batch.outcome is None:
        return verdict
    verdict.failures += [f"import: {failure}" for failure in import_everything(batch)]
    if complaints := ruff_check(batch.out):
        verdict.failures.append(f"ruff check {batch.out.name}:\n{complaints[:2000]}")
    registry, problems = read_snapshot(batch.out)
    assert registry is not None, problems
    shared: list[str] = []  # package and provider modules: refs and model ids
    strings: dict[str, list[str]] = {}  # module file -> its string constants
    for path in batch.out.rglob("*"):
        data = path.read_bytes() if path.is_file() else b""
        if REF_MARKER.encode() in data:
            verdict.failures.append(f"{path}: holds the text of the file a $ref named")
        if path.suffix == ".py":
            names, constants = _code_facts(data.decode("utf-8"))
            strings[path.relative_to(batch.out).as_posix()] = constants
            if path.name == "__init__.py":
                shared += constants
            if found := names & PAYLOAD_NAMES:
                verdict.failures.append(f"{path.name}: spec text became code: {sorted(found)}")
    literals: dict[str, list[str]] = defaultdict(lambda: list(shared))
    for model in registry.models:
        for source in model.sources:
            literals[source] += strings.get(f"{model.provider}/{model.module_name}.py", [])
    errors: dict[str, list[SpecProblem]] = defaultdict(list)
    for problem in batch.outcome.problems:
        if problem.level is Level.ERROR:
            errors[problem.location.path].append(problem)
    for row in rows:
        if not row.companion:
            name = row.document.name
            _judge(row, name in literals, errors[name], literals[name], verdict)
    verdict.canary = Canary(Path(os.environ["MUSICBIND_ADV_CANARY_DIR"])).fired()
    return verdict


def _judge(
    row: Row, generated: bool, errors: list[SpecProblem], strings: list[str], verdict: Verdict
) -> None:
    """Generated (and, for fields kept verbatim, the text inside a literal of the model's
    own modules), or refused with located errors, or an unused gateway template."""
    label = row.document.label
    if generated:
        verdict.generated += 1
        wanted = _flat(row.text)
        verbatim = row.field in KEPT_VERBATIM and row.kind.startswith("openapi")
        checked = verbatim and wanted and not wanted.isidentifier()
        if checked and not any(wanted in constant for constant in strings):
            verdict.failures.append(f"{label}: the text is in no string literal")
    elif errors:
        verdict.refused += 1
        if any(e.location.line is None and not e.location.pointer for e in errors):
            verdict.failures.append(f"{label}: an error names no line or pointer: {errors}")
    elif (row.kind, row.field) == UNUSED_TEMPLATE:
        verdict.unused += 1
    else:
        verdict.failures.append(f"{label}: neither generated nor refused with an error")


@pytest.mark.slow
def test_every_vector_in_every_field_of_every_kind(
    tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICBIND_ADV_CANARY_DIR", str(canary.folder))
    with ConnectionRecorder() as recorder:
        count = len(cells())
        before = files_under(tmp_path)
        chunks = [(s, min(s + BATCH_SIZE, count)) for s in range(0, count, BATCH_SIZE)]
        warm_up()  # the workers are forked from here: they start warm
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
            verdicts = list(
                pool.map(
                    check_chunk,
                    [str(tmp_path / f"w{i}") for i in range(len(chunks))],
                    [recorder.origin] * len(chunks),
                    [start for start, _ in chunks],
                    [stop for _, stop in chunks],
                )
            )
        hits = recorder.hits()
    failures = [f for v in verdicts for f in v.failures]
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} failures)"
    assert not [c for v in verdicts for c in v.canary], "the canary fired in a worker"
    assert not canary.fired(), canary.fired()
    assert hits == 0, f"{hits} connections to the $ref URL"
    outside = [p for p in files_under(tmp_path) - before if not _inside_batches(p, tmp_path)]
    assert not outside, outside
    documents = count
    generated = sum(v.generated for v in verdicts)
    refused = sum(v.refused for v in verdicts)
    unused = sum(v.unused for v in verdicts)
    assert generated + refused + unused == documents
    record("vectors", len(VECTORS))
    record("document_kinds", len(KINDS))
    add("spec_fields", sum(len(kind.fields) for kind in KINDS))
    add("vector_documents", documents)
    add("vector_documents_generated", generated)
    add("vector_documents_refused", refused)
    record("vector_documents_unused", unused)


def _inside_batches(path: Path, root: Path) -> bool:
    first = path.relative_to(root).parts[0]
    return first.startswith("w") or first == "canary"
