"""No planted key shows up in DEBUG logs, exceptions, reprs or the journal file."""

from __future__ import annotations

import base64
import logging
import pickle
import traceback
from pathlib import Path

import pytest
from conftest import MakeClient
from runtime_fakes import BINDINGS, PAYLOADS, PLANTED, PROVIDERS, FakeProvider

from musicbind.runtime.errors import MusicbindError
from musicbind.runtime.secrets import RedactingFilter, Secret, redact, register_secret


def planted_forms(provider: str) -> list[str]:
    """Every form a provider's planted credentials could leak in."""
    if provider == "scenario":
        key, secret = PLANTED["scenario_key"], PLANTED["scenario_secret"]
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        return [key, secret, basic]
    return [PLANTED[provider]]


def test_secret_never_shows_itself() -> None:
    secret = Secret("hunter2-but-longer")
    for shown in (
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret}",
        f"{secret:>30}",
    ):
        assert "hunter2" not in shown
    assert secret.reveal() == "hunter2-but-longer"
    assert secret == Secret("hunter2-but-longer") and secret != Secret("other-value")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert "hunter2" not in repr({"key": secret}) and "hunter2" not in repr([secret])


def test_redact_masks_registered_values_userinfo_and_signed_queries() -> None:
    register_secret("registered-value-123")
    text = "key=registered-value-123 url=https://u:p@h.test/a?sig=abc&ok=1"
    assert redact(text) == "key=*** url=https://***@h.test/a?sig=***&ok=1"
    register_secret("ab")  # too short to register: would mangle every message
    assert redact("abc") == "abc"


def test_redacting_filter_rewrites_records() -> None:
    register_secret("filter-secret-999")
    record = logging.LogRecord(
        "musicbind.x", logging.DEBUG, __file__, 1, "key %s", ("filter-secret-999",), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "key ***"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_planted_key_appears_nowhere(
    provider: str,
    make_client: MakeClient,
    journal_path: Path,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    def keep(error: BaseException) -> None:
        texts.extend([str(error), repr(error), "".join(traceback.format_exception(error))])
        if isinstance(error, MusicbindError):
            texts.append(repr(vars(error)))

    fake = FakeProvider(provider)
    client = make_client(fake)
    texts.append(repr(client))
    # An ambiguous submit, a refusal, a retried status, a failure: every error path.
    for fault in ("reset_after_send", "401", "500", "422"):
        fake.arm("submit", fault)
        try:
            client.submit(BINDINGS[provider], PAYLOADS[provider])
        except MusicbindError as error:
            keep(error)
    fake.arm("status", "503")
    fake.arm("status", "read_timeout")
    job = client.submit(BINDINGS[provider], PAYLOADS[provider])
    texts.append(repr(job))
    job.wait()
    texts.append(repr(job.result()))
    job.download(tmp_path / "out")
    fake.arm("status", "403")
    try:
        job.status()
    except MusicbindError as error:
        keep(error)
    failing = FakeProvider(provider, fate="fail")
    try:
        make_client(failing).run(BINDINGS[provider], PAYLOADS[provider])
    except MusicbindError as error:
        keep(error)

    # The credentials were really used...
    assert any("authorization" in r.headers for _, r in fake.requests)
    # ...and appear nowhere else.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert any(record.name == "musicbind.http" for record in caplog.records)
    journal_bytes = b"".join(p.read_bytes() for p in journal_path.parent.iterdir())
    assert len(texts) >= 8
    for form in planted_forms(provider):
        assert form not in logged
        assert all(form not in text for text in texts)
        assert form.encode() not in journal_bytes
