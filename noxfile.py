"""One command per task: ``nox -s tests | lint | typecheck | regen | demo | bench``."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, golden, generated, runtime, end-to-end)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON, venv_backend="uv")
def lowest(session: nox.Session) -> None:
    """The tests against the lowest versions pyproject's floors allow (uv lowest-direct).

    Keeps the floors true: a floor that is too low fails here, not on a user's machine.
    The adversarial suite and the wheel-building tests are left to ``tests``.
    """
    session.install("--resolution", "lowest-direct", "-e", ".[test]")
    session.run(
        "pytest",
        "-q",
        "tests/unit",
        "tests/generated",
        "tests/runtime",
        "tests/faults",
        "tests/cli",
        "tests/golden",
        "tests/e2e",
        "--deselect",
        "tests/e2e/test_wheel_install.py",
        "--deselect",
        "tests/e2e/test_user_project.py",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def adversarial(session: nox.Session) -> None:
    """The adversarial suite at heavier settings; writes the counts of docs/security.md.

    ``MUSICBIND_ADVERSARIAL_SCALE`` multiplies the made-up documents and hostile payloads
    (default here 5; ``nox -s tests`` runs the same tests at 1). The counts are written to
    docs/security-counts.json and docs/security.md only when every test passed.
    """
    session.install("-e", ".[test]")
    scale = os.environ.get("MUSICBIND_ADVERSARIAL_SCALE", "5")
    session.env["MUSICBIND_ADVERSARIAL_SCALE"] = scale
    session.env["MUSICBIND_WRITE_COUNTS"] = "1"
    session.run("pytest", "tests/adversarial", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on generator/, runtime/, generated/, musicbind/ and emulator/."""
    session.install("-e", ".[test]")
    session.run("mypy")
    # The golden expected trees are generated code too: they must pass --strict as well.
    session.run("mypy", "--strict", "tests/typing")
    for tree in sorted(Path("tests/golden/expected").iterdir()):
        session.run("mypy", "--strict", str(tree))


@nox.session(python=PYTHON)
def postgres(session: nox.Session) -> None:
    """The batch and shared-journal tests against a real PostgreSQL server.

    Start one first (``source .ci/postgres.sh && start_test_postgres`` exports
    MUSICBIND_TEST_POSTGRES_URL); without it these tests fail here instead of skipping.
    """
    session.install("-e", ".[test]")
    session.env["CI"] = "true"
    session.run("pytest", "tests/batch", *session.posargs)


@nox.session(python=PYTHON)
def regen(session: nox.Session) -> None:
    """Regenerate generated/ from specs/."""
    session.install("-e", ".[codegen]")
    session.run("musicbind", "generate")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: every system the seeds describe, end to end against the local emulator.

    Needs both extras: the generator (to regenerate when the specs changed) and the emulator.
    """
    session.install("-e", ".[codegen,emulator]")
    session.run("musicbind", "demo", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks against the alternatives; writes bench/results.json and docs/benchmarks.md.

    ``nox -s bench -- --quick`` is a smoke run written to bench/out/ instead.
    """
    session.install("-e", ".[test,bench]")
    session.run("python", "-m", "bench", *session.posargs)
