"""Emulator: ``EmulatorServer``, uvicorn on 127.0.0.1 in a background thread, stopped on exit.

    with EmulatorServer(seed=7, faults="fal.submit=reset_after_accept") as emu:
        emu.base_url("fal")        # http://127.0.0.1:PORT/fal
        emu.env()                  # MUSICBIND_*_BASE_URL, dummy credentials, MUSICBIND_JOURNAL
        emu.ledger.duplicate_charges()
        emu.set_faults("aigateway.status=503:2")

``package=`` names the bindings package whose models it validates (default
``musicbind.generated``); each of its providers bound from an OpenAPI document alone
(``PROTOCOL.adapter == "openapi"``) is served too, under ``/<name>``:

    with EmulatorServer(package="mybindings") as emu:
        emu.base_url("mymusic")    # http://127.0.0.1:PORT/mymusic
        emu.api_key("mymusic")     # the dummy key it accepts (env: key_env or MYMUSIC_API_KEY;
                                   # basic auth adds MYMUSIC_API_SECRET = emu.api_secret(...))

It listens on two loopback ports: the primary origin every URL points at, and a second
origin (``localhost`` on another port, the same app) that the ``redirect`` fault sends
clients to: another host and another port, so no client should send it credentials.

The emulator's jobs live only as long as it runs, so they are journalled apart from real ones:
``env()`` sets ``MUSICBIND_JOURNAL`` to a journal of the emulator's own (``journal=`` to choose
it; by default a file in a temporary folder removed on stop), never the user's default journal.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from musicbind.emulator.app import build_app
from musicbind.emulator.catalogue import DEFAULT_PACKAGE
from musicbind.emulator.faults import FaultRule
from musicbind.emulator.jobs import Timing
from musicbind.emulator.ledger import Ledger
from musicbind.emulator.state import (
    AIGATEWAY_API_KEY,
    FAL_KEY,
    SCENARIO_API_KEY,
    SCENARIO_API_SECRET,
    Emulator,
    generic_key,
    generic_secret,
)

HOST = "127.0.0.1"
PROVIDERS = ("scenario", "fal", "aigateway")
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


class EmulatorServer:
    """The emulator served on loopback for the duration of a ``with`` block (or start/stop)."""

    def __init__(
        self,
        seed: int = 0,
        faults: str | tuple[FaultRule, ...] = (),
        timing: Timing | None = None,
        port: int = 0,
        honour_idempotency_keys: bool = False,
        clock: Callable[[], float] = time.monotonic,
        journal: str | os.PathLike[str] | None = None,
        package: str = DEFAULT_PACKAGE,
    ) -> None:
        self.emulator = Emulator(seed, faults, timing, clock, honour_idempotency_keys, package)
        self._journal = Path(journal) if journal is not None else None
        self._journal_folder: Path | None = None  # the temporary folder this server made
        self._port = port
        self._sockets: list[socket.socket] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The primary port (after start)."""
        return int(self._sockets[0].getsockname()[1]) if self._sockets else self._port

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.emulator.primary_origin

    @property
    def alternate_origin(self) -> str:
        """The second origin (another port) used by the ``redirect`` fault."""
        return self.emulator.alternate_origin

    @property
    def ledger(self) -> Ledger:
        """What the emulator accepted and charged."""
        return self.emulator.ledger

    def snapshot(self) -> dict[str, Any]:
        """The ledger and the jobs as JSON-ready data (what ``GET /_emulator/ledger`` answers)."""
        return self.emulator.snapshot()

    @property
    def providers(self) -> tuple[str, ...]:
        """Every provider served: the three, then the package's generic ones (sorted)."""
        return (*PROVIDERS, *sorted(self.emulator.generic))

    @property
    def package(self) -> str:
        """The bindings package whose models the emulator validates and serves."""
        return self.emulator.catalogue.package

    def base_url(self, provider: str) -> str:
        """The base URL a client of ``provider`` should use."""
        if provider not in self.providers:
            raise ValueError(
                f"unknown provider {provider!r} (expected one of {', '.join(self.providers)})"
            )
        return f"{self.origin}/{provider}"

    def api_key(self, provider: str) -> str:
        """The dummy key the emulator accepts for a generic provider."""
        self._generic(provider)
        return generic_key(provider)

    def api_secret(self, provider: str) -> str:
        """The dummy secret (password) the emulator accepts for a generic basic-auth provider."""
        self._generic(provider)
        return generic_secret(provider)

    def _generic(self, provider: str) -> None:
        if provider not in self.emulator.generic:
            raise ValueError(f"{provider!r} is not a generic provider of {self.package}")

    def media_url(self, name: str = "demo.mp4") -> str:
        """URL of a file the emulator ships (the demo video by default)."""
        return f"{self.origin}/media/{name}"

    @property
    def journal_path(self) -> Path:
        """The job journal of the emulator's jobs (``MUSICBIND_JOURNAL`` in :meth:`env`)."""
        if self._journal is None:
            self._journal_folder = Path(tempfile.mkdtemp(prefix="musicbind-emulator-"))
            self._journal = self._journal_folder / "journal.sqlite3"
        return self._journal

    def env(self) -> dict[str, str]:
        """Environment pointing musicbind's clients at the emulator, with accepted credentials.

        ``MUSICBIND_JOURNAL`` names the emulator's own journal, so its jobs never mix with
        the real ones in the user's default journal. Each generic provider adds
        ``MUSICBIND_<NAME>_BASE_URL`` and its key variable (``PROTOCOL.key_env``, else
        ``<NAME>_API_KEY``).
        """
        from musicbind.runtime.client_core import base_url_env
        from musicbind.runtime.providers import credential_variables

        env = {
            "MUSICBIND_JOURNAL": str(self.journal_path),
            "MUSICBIND_SCENARIO_BASE_URL": self.base_url("scenario"),
            "MUSICBIND_FAL_BASE_URL": self.base_url("fal"),
            "MUSICBIND_AIGATEWAY_BASE_URL": self.base_url("aigateway"),
            "SCENARIO_API_KEY": SCENARIO_API_KEY,
            "SCENARIO_API_SECRET": SCENARIO_API_SECRET,
            "FAL_KEY": FAL_KEY,
            "AIGATEWAY_API_KEY": AIGATEWAY_API_KEY,
        }
        for name, protocol in sorted(self.emulator.generic.items()):
            env[base_url_env(name)] = self.base_url(name)
            key_variable, secret_variable = credential_variables(protocol)
            if protocol.auth != "none":
                env[key_variable] = generic_key(name)
            if secret_variable is not None:
                env[secret_variable] = generic_secret(name)
        return env

    def set_faults(self, faults: str | tuple[FaultRule, ...]) -> None:
        """Replace the fault rules of the running emulator."""
        self.emulator.set_faults(faults)

    def start(self) -> EmulatorServer:
        """Bind, serve in a background thread, and return once requests are answered."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        self._sockets = [_bind(self._port), _bind(0)]
        ports = [s.getsockname()[1] for s in self._sockets]
        self.emulator.primary_origin = f"http://{HOST}:{ports[0]}"
        self.emulator.alternate_origin = f"http://localhost:{ports[1]}"
        config = uvicorn.Config(
            build_app(self.emulator),
            http="h11",
            ws="none",
            lifespan="off",
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": self._sockets},
            name=f"musicbind-emulator-{ports[0]}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and release both ports."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
        for sock in self._sockets:
            sock.close()
        self._server, self._thread = None, None
        if self._journal_folder is not None:  # its jobs ended with the emulator
            shutil.rmtree(self._journal_folder, ignore_errors=True)
            self._journal_folder = self._journal = None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET a path of the emulator (admin endpoints, files) without credentials."""
        return httpx.get(self.origin + path, **kwargs)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _bind(port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say they are TCP
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
