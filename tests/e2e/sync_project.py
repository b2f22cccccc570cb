"""A user's project whose manifest origins are served by the emulator's document server.

Shared by test_sync.py and test_add.py: ``musicbind init`` in a temporary folder, two
documents of a fal model written for these tests (tests/e2e/fixtures/sync/), a manifest
with their real fal origins and a comment of the user's, generated bindings; the same
documents served by the emulator at fal's documented paths, reached through
``MUSICBIND_FAL_DOCS_URL``. Every command runs as a real subprocess of the CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from musicbind.emulator.server import EmulatorServer

FIXTURES = Path(__file__).parent / "fixtures" / "sync"
MUSICBIND = [sys.executable, "-P", "-m", "musicbind"]
OPENAPI = "fal/lumen-v1-text-to-music.openapi.json"
PAGE = "fal/lumen-v1-text-to-music.md"
OPENAPI_ORIGIN = "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=lumen/v1/text-to-music"
PAGE_ORIGIN = "https://fal.ai/models/lumen/v1/text-to-music/llms.txt"
MANIFEST = f"""\
# Our fal documents (a comment of the user's, kept by sync and add).
documents:
  - path: {OPENAPI}
    provider: fal
    kind: openapi
    origin: {OPENAPI_ORIGIN}
    retrieved: 2026-11-20   # our first copy
  - path: {PAGE}
    provider: fal
    kind: fal-page
    origin: {PAGE_ORIGIN}
    retrieved: 2026-11-20
"""
INPUT_SCHEMA = "/components/schemas/LumenV1TextToMusicInput/properties"


@dataclass
class SyncProject:
    """The project folder and the emulator serving its documents upstream."""

    root: Path
    emulator: EmulatorServer

    def run(self, *args: str, docs_url: str | None = None) -> subprocess.CompletedProcess[str]:
        """``musicbind ARGS`` in the project, with fal's documents read from the emulator."""
        env = {
            **os.environ,
            "MUSICBIND_CACHE_DIR": str(self.root / ".cache"),
            "COLUMNS": "200",
            **{
                f"MUSICBIND_{provider.upper()}_DOCS_URL": f"{self.emulator.origin}/docs/{provider}"
                for provider in ("scenario", "fal", "aigateway")
            },
        }
        if docs_url is not None:
            env["MUSICBIND_FAL_DOCS_URL"] = docs_url
        return subprocess.run(
            [*MUSICBIND, *args], cwd=self.root, capture_output=True, text=True, env=env
        )

    def control(
        self, action: str, url: str, provider: str = "fal", **fields: Any
    ) -> dict[str, Any]:
        """One request to the document server's control API (asserted to succeed)."""
        body = {"action": action, "provider": provider, "url": url, **fields}
        answer = httpx.post(self.emulator.origin + "/_emulator/documents", json=body)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def serve(self, origin: str, fixture: str, provider: str = "fal") -> None:
        """Serve a fixture document at ``origin``."""
        content = (FIXTURES / fixture).read_text(encoding="utf-8")
        self.control("put", origin, provider, content=content)

    def answers(self, origin: str) -> dict[str, int]:
        """How the document server answered requests for ``origin`` (``{"200": 1, ...}``)."""
        listing = httpx.get(self.emulator.origin + "/_emulator/documents").json()["documents"]
        target = origin.split("fal.ai", 1)[1]
        found = [d["answers"] for d in listing if d["target"] == target]
        return dict(found[0]) if found else {}

    def tree(self) -> dict[str, bytes]:
        """Every file of the specs and the bindings, for "nothing changed" checks."""
        return {
            str(path.relative_to(self.root)): path.read_bytes()
            for folder in ("specs", "bindings")
            for path in sorted((self.root / folder).rglob("*"))
            if path.is_file()
        }


def make_template(root: Path) -> Path:
    """``musicbind init``, the two documents, the manifest and generated bindings, once."""
    project = SyncProject(root, EmulatorServer())  # not started: no document is read
    initialised = project.run("init")
    assert initialised.returncode == 0, initialised.stderr
    for name in (OPENAPI, PAGE):
        (root / "specs" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / name, root / "specs" / name)
    (root / "specs" / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    generated = project.run("generate")
    assert generated.returncode == 0, generated.stderr
    return root


def make_project(template: Path, root: Path, emulator: EmulatorServer) -> SyncProject:
    """A copy of the template project whose two documents the emulator serves unchanged."""
    shutil.copytree(template, root, dirs_exist_ok=True)
    project = SyncProject(root, emulator)
    project.serve(OPENAPI_ORIGIN, OPENAPI)
    project.serve(PAGE_ORIGIN, PAGE)
    return project
