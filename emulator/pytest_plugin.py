"""Emulator: the opt-in pytest plugin: a fixture serving the emulator.

Turn it on with ``-p musicbind.emulator.pytest_plugin``.

    def test_no_double_charge(musicbind_emulator):
        musicbind_emulator.set_faults("fal.submit=reset_after_accept")
        client = musicbind_emulator.client("fal")     # generated.fal.client, pointed here
        ...
        assert musicbind_emulator.ledger.duplicate_charges() == 0

The fixture starts an emulator on 127.0.0.1 (ephemeral ports) for one test, sets the
``MUSICBIND_*_BASE_URL`` variables, dummy credentials and ``MUSICBIND_JOURNAL`` (a journal in the
test's ``tmp_path``, never the user's default one) in the environment (undone after the test) and
stops it afterwards. Configure it with the marker
``@pytest.mark.musicbind_emulator(seed=1, faults="...", timing=Timing(...))``;
``package="mybindings"`` serves a bindings package of your own (importable), its generic
providers included. Nothing of the emulator is imported until the fixture is used, so other
test sessions pay nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from musicbind.emulator.ledger import Ledger
    from musicbind.emulator.server import EmulatorServer

MARKER = "musicbind_emulator"
_CLIENT_CLASSES = {
    "scenario": ("ScenarioClient",),
    "fal": ("FalClient",),
    "aigateway": ("AIgatewayClient", "AigatewayClient", "AIGatewayClient"),
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (the suite runs with --strict-markers)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(seed=0, faults='', timing=None, honour_idempotency_keys=False, "
        "package='musicbind.generated'): "
        "configure the musicbind_emulator fixture",
    )


class EmulatorHandle:
    """What the fixture yields: URLs, environment, faults, the ledger and clients."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server

    @property
    def ledger(self) -> Ledger:
        """What the emulator accepted and charged."""
        return self.server.ledger

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.server.origin

    def base_url(self, provider: str) -> str:
        """The base URL for ``provider`` ("scenario", "fal", "aigateway" or a generic one)."""
        return self.server.base_url(provider)

    def api_key(self, provider: str) -> str:
        """The dummy key the emulator accepts for a generic provider."""
        return self.server.api_key(provider)

    def api_secret(self, provider: str) -> str:
        """The dummy secret the emulator accepts for a generic basic-auth provider."""
        return self.server.api_secret(provider)

    def media_url(self, name: str = "demo.mp4") -> str:
        """URL of the emulator's demo video (12.0 s), usable as a fal ``video_url``."""
        return self.server.media_url(name)

    def env(self) -> dict[str, str]:
        """The environment the fixture has set (base URLs, dummy credentials, the journal)."""
        return self.server.env()

    def set_faults(self, spec: str) -> None:
        """Replace the fault rules (syntax in ``emulator.faults``)."""
        self.server.set_faults(spec)

    def client(self, provider: str, **kwargs: Any) -> Any:
        """The generated client of ``provider``, reading its base URL and key from the env."""
        package = self.server.package
        try:
            module = importlib.import_module(f"{package}.{provider}.client")
        except ImportError as exc:
            raise RuntimeError(
                f"no generated client for {provider!r}: run `musicbind generate`"
            ) from exc
        for name in _CLIENT_CLASSES.get(provider, ()):
            cls = getattr(module, name, None)
            if cls is not None:
                return cls(**kwargs)
        found = [
            value
            for name, value in vars(module).items()
            if isinstance(value, type) and name.endswith("Client") and not name.startswith("Async")
        ]
        if len(found) != 1:
            raise RuntimeError(f"cannot tell the client class of {package}.{provider}.client")
        return found[0](**kwargs)


@pytest.fixture
def musicbind_emulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[EmulatorHandle]:
    """A running emulator for one test, with the environment pointing clients at it."""
    from musicbind.emulator.server import EmulatorServer

    marker = request.node.get_closest_marker(MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    server = EmulatorServer(
        seed=int(options.get("seed", 0)),
        faults=options.get("faults", ()),
        timing=options.get("timing"),
        honour_idempotency_keys=bool(options.get("honour_idempotency_keys", False)),
        journal=tmp_path / "emulator-journal.sqlite3",
        package=str(options.get("package", "musicbind.generated")),
    )
    with server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield EmulatorHandle(server)
