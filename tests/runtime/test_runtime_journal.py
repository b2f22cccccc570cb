"""The journal: default path, WAL, rows, lookups, protocol round trip."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from runtime_fakes import PROTOCOLS

from musicbind.runtime.journal import (
    Journal,
    JournalLookupError,
    default_journal_path,
    payload_digest,
    protocol_from_json,
    protocol_to_json,
)


def test_default_path_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MUSICBIND_JOURNAL", str(tmp_path / "j.sqlite3"))
    assert default_journal_path() == tmp_path / "j.sqlite3"


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout")
def test_default_path_in_the_user_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MUSICBIND_JOURNAL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_journal_path() == tmp_path / "data" / "musicbind" / "journal.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert (
        default_journal_path() == Path.home() / ".local" / "share" / "musicbind" / "journal.sqlite3"
    )


def _journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "deep" / "j.sqlite3")


def test_wal_mode_and_private_file(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    with sqlite3.connect(journal.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    if sys.platform != "win32":
        assert journal.path.stat().st_mode & 0o077 == 0


def test_rows_lookups_and_updates(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    first = journal.record_intent(
        protocol=PROTOCOLS["fal"],
        ref="fal:a",
        model_id="a",
        base_url="https://u:p@q.test",
        payload={"b": 1, "a": [1, 2]},
    )
    second = journal.record_intent(
        protocol=PROTOCOLS["fal"],
        ref="fal:a",
        model_id="a",
        base_url="https://q.test",
        payload={"a": [1, 2], "b": 1},
    )
    journal.update(first, submission="accepted", job_id="req-123")
    entries = journal.entries()
    assert [e.intent_id for e in entries] == [first, second]
    assert (
        entries[0].payload_sha256
        == entries[1].payload_sha256
        == payload_digest("fal:a", {"a": [1, 2], "b": 1})
    )
    assert entries[0].base_url == "https://***@q.test"
    assert journal.get("req-123").intent_id == first
    assert journal.get(first[:10]).intent_id == first
    assert journal.get(second).submission == "pending"
    with pytest.raises(JournalLookupError):
        journal.get("nothing-like-this")
    with pytest.raises(JournalLookupError):
        journal.get("")  # matches nothing exactly; an empty prefix is refused
    with pytest.raises(ValueError, match="not journal columns"):
        journal.update(first, colour="red")
    with pytest.raises(JournalLookupError):
        journal.update("missing", state="QUEUED")
    journal.record_files(first, [tmp_path / "a.wav"], tmp_path)
    assert journal.get(first).files == [str(tmp_path / "a.wav")]
    assert journal.get(first).as_dict()["files"] == [str(tmp_path / "a.wav")]


def test_ambiguous_prefix(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    a = journal.record_intent(
        protocol=PROTOCOLS["fal"], ref="fal:a", model_id="a", base_url="https://q.test", payload={}
    )
    b = journal.record_intent(
        protocol=PROTOCOLS["fal"], ref="fal:a", model_id="a", base_url="https://q.test", payload={}
    )
    journal.update(a, job_id="job_1")
    journal.update(b, job_id="job_2")
    with pytest.raises(JournalLookupError, match="2 journal entries"):
        journal.get("job_")


@pytest.mark.parametrize("provider", sorted(PROTOCOLS))
def test_protocol_round_trip(provider: str) -> None:
    assert protocol_from_json(protocol_to_json(PROTOCOLS[provider])) == PROTOCOLS[provider]
