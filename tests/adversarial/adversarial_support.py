"""Adversarial suite support: sizes, counts, the canary, batch generation and loopback servers.

Sizes: every count scales with ``MUSICBIND_ADVERSARIAL_SCALE`` (default 1, the CI setting;
``nox -s adversarial`` raises it). Counts: tests call :func:`record`; with
``MUSICBIND_WRITE_COUNTS=1`` the session writes them to ``docs/security-counts.json`` and
the counts block of ``docs/security.md`` (see ``conftest.py``).
"""

from __future__ import annotations

import functools
import importlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from musicbind.generator.generate import Outcome, generate_paths
from musicbind.generator.ingest import default_overlay_path
from musicbind.generator.load.records import Level, SpecProblem

ROOT = Path(__file__).resolve().parents[2]
SCALE_ENV = "MUSICBIND_ADVERSARIAL_SCALE"
WRITE_ENV = "MUSICBIND_WRITE_COUNTS"
COUNTS_JSON = ROOT / "docs" / "security-counts.json"
SECURITY_MD = ROOT / "docs" / "security.md"

# What the issue asks for, per CI run (the committed counts must meet these too).
MINIMUMS = {
    "vectors": 25,
    "specs_generated": 2000,
    "payloads_per_model": 500,
    "secret_occurrences": 0,
}

# The counts every test module contributes; a run that misses one writes nothing.
COUNT_KEYS = (
    "vectors",
    "spec_fields",
    "document_kinds",
    "vector_documents",
    "vector_documents_generated",
    "vector_documents_refused",
    "vector_documents_unused",
    "ref_attempts",
    "ref_hits",
    "specs_generated",
    "specs_with_models",
    "specs_refused",
    "models",
    "payloads_per_model",
    "payloads_rejected",
    "server_faults",
    "secret_texts_scanned",
    "secret_error_paths",
    "secret_occurrences",
    "gate_bypasses_refused",
)

RESULTS: dict[str, Any] = {}
BEGIN = "<!-- counts:begin (written by tests/adversarial with MUSICBIND_WRITE_COUNTS=1) -->"
END = "<!-- counts:end -->"


def scale() -> float:
    """The size multiplier (``MUSICBIND_ADVERSARIAL_SCALE``, at least 1)."""
    try:
        return max(1.0, float(os.environ.get(SCALE_ENV, "1")))
    except ValueError:
        return 1.0


def scaled(count: int) -> int:
    """``count`` times the scale."""
    return int(count * scale())


def record(key: str, value: Any) -> None:
    """Keep one count for the report (the last value wins; numbers from reruns add up)."""
    if key not in COUNT_KEYS:
        raise KeyError(f"unknown count {key!r}; add it to COUNT_KEYS")
    RESULTS[key] = value


def add(key: str, amount: int) -> None:
    """Add to a count."""
    record(key, int(RESULTS.get(key, 0)) + amount)


def counts_block(counts: dict[str, object]) -> str:
    """The markdown table between the count markers of docs/security.md."""
    rows = [
        ("known vectors", counts["vectors"]),
        (
            "document kinds (OpenAPI JSON and YAML, fal and gateway dialects, pages)",
            counts["document_kinds"],
        ),
        ("spec fields that take a vector (all kinds, overlay, manifest)", counts["spec_fields"]),
        ("documents with a vector (vectors x fields)", counts["vector_documents"]),
        ("... generated into importable code", counts["vector_documents_generated"]),
        ("... refused with a located error", counts["vector_documents_refused"]),
        (
            "... gateway templates no page uses (nothing generated)",
            counts["vector_documents_unused"],
        ),
        ("`$ref`s to local files and URLs refused", counts["ref_attempts"]),
        ("... reads of the file or connections to the URL seen", counts["ref_hits"]),
        ("gate bypasses refused by the AST gate", counts["gate_bypasses_refused"]),
        ("hypothesis spec documents generated", counts["specs_generated"]),
        ("... of which generated models", counts["specs_with_models"]),
        ("... of which refused with a located error", counts["specs_refused"]),
        ("models in generated/", counts["models"]),
        ("hostile payloads per model (each rejected before sending)", counts["payloads_per_model"]),
        ("hostile payloads rejected in all", counts["payloads_rejected"]),
        ("hostile-server faults survived", counts["server_faults"]),
        ("error paths exercised with planted secrets", counts["secret_error_paths"]),
        ("texts scanned for the planted secrets", counts["secret_texts_scanned"]),
        ("**secret occurrences**", f"**{counts['secret_occurrences']}**"),
    ]
    lines = ["| what | count |", "| --- | ---: |"]
    lines += [f"| {what} | {value} |" for what, value in rows]
    lines.append("")
    lines.append(f"Size setting of that run: `MUSICBIND_ADVERSARIAL_SCALE={counts['scale']:g}`.")
    return "\n".join(lines) + "\n"


# --- the canary ------------------------------------------------------------------------------

CANARY_MODULE = "mbcanary"
CANARY_ENV = "MUSICBIND_ADV_CANARY"
# Python that, were it ever executed, imports the canary module (which then reports it).
PAYLOAD = f"__import__('{CANARY_MODULE}')"


@dataclass
class Canary:
    """A module that reports being imported (a file, an environment variable, sys.modules)."""

    folder: Path

    @property
    def flag(self) -> Path:
        return self.folder / "fired"

    def fired(self) -> list[str]:
        """How the canary was set off, if it was (empty: it never ran)."""
        signs = []
        if self.flag.exists():
            signs.append(f"{self.flag} was written")
        if os.environ.get(CANARY_ENV):
            signs.append(f"${CANARY_ENV} was set")
        if CANARY_MODULE in sys.modules:
            signs.append(f"{CANARY_MODULE} was imported")
        return signs


def plant_canary(folder: Path) -> Canary:
    """Write the canary module into ``folder`` (which the caller puts on sys.path)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{CANARY_MODULE}.py").write_text(
        '"""Imported only if code from a spec ever runs."""\n'
        "import os\n"
        "from pathlib import Path\n\n"
        f"Path(__file__).with_name('fired').write_text('fired')\n"
        f"os.environ[{CANARY_ENV!r}] = 'fired'\n",
        encoding="utf-8",
    )
    return Canary(folder)


# --- generating batches ----------------------------------------------------------------------

_packages = itertools.count()


@dataclass(frozen=True)
class Document:
    """One spec document to generate: its file name and bytes, and what it is about."""

    name: str
    data: bytes
    kind: str
    label: str = ""  # e.g. "vector 'triple_dq' in property.description"


@dataclass
class Batch:
    """The outcome of generating many documents into one package."""

    package: str
    out: Path
    outcome: Outcome | None
    crashes: list[tuple[Document, str]] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    def problems_of(self, document: Document) -> list[SpecProblem]:
        """The problems located in ``document``."""
        if self.outcome is None:
            return []
        return [p for p in self.outcome.problems if p.location.path == document.name]

    def errors_of(self, document: Document) -> list[SpecProblem]:
        """The errors located in ``document``."""
        return [p for p in self.problems_of(document) if p.level is Level.ERROR]


def write_documents(folder: Path, documents: Sequence[Document]) -> list[Path]:
    """Write the documents into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for document in documents:
        path = folder / document.name
        path.write_bytes(document.data)
        paths.append(path)
    return paths


def generate_batch(
    root: Path,
    documents: Sequence[Document],
    *,
    overlay: Path | None = None,
    provider: str | None = None,
    companions: Sequence[Document] = (),
) -> Batch:
    """Generate ``documents`` into one package under ``root``; a crash is narrowed to documents.

    ``companions`` are written beside the documents but not given to the generator (the
    file a local ``$ref`` names).

    When ``generate_paths`` raises, the batch is split in halves until the documents that
    make it raise are found (each is a crash: the generator must never raise on a spec).
    """
    warm_up()
    package = f"advpkg{next(_packages)}"
    out = root / "out" / package
    write_documents(root / f"specs-{package}", companions)  # beside them, never loaded
    paths = write_documents(root / f"specs-{package}", documents)
    chosen_overlay = overlay if overlay is not None else default_overlay_path()
    try:
        outcome = generate_paths(paths, out, chosen_overlay, provider)
    except Exception as exc:  # narrowed below: which documents make the generator raise
        crashes = _narrow(root, list(documents), chosen_overlay, provider, exc)
        return Batch(package, out, None, crashes, list(documents))
    return Batch(package, out, outcome, [], list(documents))


@functools.cache
def warm_up() -> None:
    """Render one model here first: the emitter's worker processes are forked from this one,
    and each would otherwise import the schema -> pydantic library itself, every batch."""
    from musicbind.generator.emit.pydantic_models import render_classes
    from musicbind.generator.load.dispatch import load_bytes
    from musicbind.generator.project_files.overlay import load_overlay
    from musicbind.generator.registry.build import build_registry

    document = load_bytes(
        b'{"openapi": "3.0.4", "info": {"title": "w", "version": "1", "x-fal-metadata": '
        b'{"endpointId": "warm/up"}}, "components": {"schemas": {"WarmInput": {"type": '
        b'"object", "properties": {"p": {"type": "string"}}}}}}',
        "warm.json",
    )
    overlay_path = default_overlay_path()
    assert overlay_path is not None
    overlay, _ = load_overlay(overlay_path.read_text(encoding="utf-8"), "overlay.yaml")
    registry = build_registry([document], overlay)
    assert registry.models, registry.problems
    for model in registry.models:
        render_classes(model)


def _narrow(
    root: Path,
    documents: list[Document],
    overlay: Path | None,
    provider: str | None,
    error: Exception,
) -> list[tuple[Document, str]]:
    if len(documents) == 1:
        return [(documents[0], f"{type(error).__name__}: {error}")]
    crashes: list[tuple[Document, str]] = []
    middle = len(documents) // 2
    for half in (documents[:middle], documents[middle:]):
        package = f"advpkg{next(_packages)}"
        paths = write_documents(root / f"specs-{package}", half)
        try:
            generate_paths(paths, root / "out" / package, overlay, provider)
        except Exception as exc:  # keep narrowing
            crashes += _narrow(root, half, overlay, provider, exc)
    return crashes or [(documents[0], f"{type(error).__name__}: {error} (only together)")]


def import_everything(batch: Batch) -> list[str]:
    """Import the package, every binding and every client module; the failures."""
    sys.path.insert(0, str(batch.out.parent))
    failures: list[str] = []
    try:
        importlib.invalidate_caches()
        package = importlib.import_module(batch.package)
        for ref in package.list_bindings():
            try:
                package.get_binding(ref)
            except Exception as exc:  # every failure is reported, not just the first
                failures.append(f"{ref}: {type(exc).__name__}: {exc}")
        for client in sorted(batch.out.glob("*/client.py")):
            name = f"{batch.package}.{client.parent.name}.client"
            try:
                importlib.import_module(name)
            except Exception as exc:  # as above
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
    finally:
        sys.path.remove(str(batch.out.parent))
        for name in [m for m in sys.modules if m.split(".")[0] == batch.package]:
            del sys.modules[name]
    return failures


def ruff_check(folder: Path) -> str:
    """``ruff check`` over a folder: its complaints, or "".

    No configuration is read; the rules are pycodestyle's errors and warnings and pyflakes
    (syntax, undefined and unused names, redefinitions), line length aside: the formatter
    decides that, and generated lines hold long literals.
    """
    from ruff.__main__ import find_ruff_bin

    done = subprocess.run(
        [
            str(find_ruff_bin()),
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            "E,F,W",
            "--ignore",
            "E501",
            "--output-format",
            "concise",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return "" if done.returncode == 0 else (done.stdout + done.stderr).strip()


def files_under(folder: Path) -> set[Path]:
    """Every file below ``folder`` (links not followed)."""
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


# --- loopback servers ------------------------------------------------------------------------


class ConnectionRecorder:
    """A listening loopback socket that nobody serves: every connection attempt queues up in
    its backlog and is counted afterwards. No thread runs, so forking stays safe."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._socket.getsockname()[1])

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def hits(self) -> int:
        """Connections attempted so far (each is accepted and closed)."""
        self._socket.setblocking(False)
        count = 0
        while True:
            try:
                connection, _ = self._socket.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1

    def __enter__(self) -> ConnectionRecorder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._socket.close()


@dataclass(frozen=True)
class Seen:
    """One request a loopback server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What a loopback server sends back: status, headers and the body (bytes or chunks)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterator[bytes] = b""


Handler = Callable[[Seen], Answer]


class LoopbackServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 for behaviours the emulator lacks; stops on exit."""

    SERVE_SECONDS = 120.0  # a server never outlives this, whatever a test does

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        outer = self

        class _Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                with outer._lock:
                    outer.seen.append(seen)
                answer = outer.handler(seen)
                self.send_response(answer.status)
                chunks = [answer.body] if isinstance(answer.body, bytes) else answer.body
                headers = {k.lower(): v for k, v in answer.headers.items()}
                if "content-length" not in headers and isinstance(answer.body, bytes):
                    headers["content-length"] = str(len(answer.body))
                if "content-length" not in headers:
                    headers["connection"] = "close"
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return
                if headers.get("connection") == "close":
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Request)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        deadline = time.monotonic() + self.SERVE_SECONDS
        while time.monotonic() < deadline and not getattr(self, "_stopped", False):
            self._server.handle_request()

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LoopbackServer:
        self._server.timeout = 0.05
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped = True
        self._thread.join(5)
        self._server.server_close()


# The five seed systems: always among the models the hostile payloads are thrown at.
SEED_REFS = (
    "aigateway:sonauto/v2/text-to-music",
    "fal:sonilo/v1.1/video-to-music",
    "scenario:minimax/music-01",
    "scenario:model_sonilo-v1-1-text-to-music",
    "scenario:model_sonilo-v1-1-video-to-music",
)


def hostile_refs(models: dict[str, Any]) -> list[str]:
    """The models the hostile payloads are thrown at: every one in the run that writes the
    counts (``nox -s adversarial``); otherwise the seed models plus one model of each
    provider and each combination of document kinds, so the suite's time does not grow
    with the catalogue while every loader's output is still attacked."""
    refs = sorted(models)
    if os.environ.get(WRITE_ENV) == "1":
        return refs
    chosen = {ref for ref in SEED_REFS if ref in models}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for ref in refs:
        model = models[ref]
        kinds = tuple(sorted({Path(source).suffix for source in model.sources}))
        if (model.provider, kinds) not in seen:
            seen.add((model.provider, kinds))
            chosen.add(ref)
    return sorted(chosen)
