"""The batch ledger in the SQLite journal: migrations, claims, leases, the fence, item keys."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.runtime.batch_items import item_key, parse_items
from musicbind.runtime.binding import ProviderProtocol
from musicbind.runtime.errors import JournalError
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal import Journal
from musicbind.runtime.journal_batch import (
    BATCH_LINK,
    BatchLink,
    ClaimLostError,
    NewItem,
)
from musicbind.runtime.journal_schema import LATEST_VERSION, MIGRATIONS

PROTOCOL = ProviderProtocol(
    name="aigateway",
    display_name="AIgateway",
    base_url="https://api.aigateway.sh",
    auth="bearer",
    statuses={"completed": JobState.SUCCEEDED},
)


def _intent(journal: Journal) -> str:
    return journal.record_intent(
        protocol=PROTOCOL, ref="aigateway:m", model_id="m", base_url="https://x", payload={"a": 1}
    )


def test_a_version_1_journal_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0].sqlite:
            db.execute(statement)
        db.execute("PRAGMA user_version=1")
    with Journal(path) as journal:
        kept = _intent(journal)
        assert journal.schema_version == LATEST_VERSION
    with Journal(path) as journal:
        assert journal.get(kept).submission == "pending"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        db.execute("PRAGMA user_version=99")
    with pytest.raises(JournalError, match="schema version 99, newer than this musicbind"):
        Journal(path)


def test_a_claim_is_exclusive_until_its_lease_passes(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.batch_register("b", [NewItem("k1", 0, "aigateway:m", "line 1")])
        other = "elsewhere.example:4242:abcd"  # a worker on another machine: only its lease counts
        assert journal.batch_claim("k1", other, "b", lease_s=0.3) is not None
        assert journal.batch_claim("k1", "here:1:x", "b", lease_s=30) is None
        time.sleep(0.35)
        taken = journal.batch_claim("k1", "here:1:x", "b", lease_s=30)
        assert taken is not None and taken.worker == "here:1:x" and taken.attempts == 2


def test_a_worker_that_lost_its_claim_cannot_write_an_intent(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.batch_register("b", [NewItem("k1", 0, "aigateway:m", "line 1")])
        journal.batch_claim("k1", "a.example:1:a", "b", lease_s=0.1)
        time.sleep(0.15)
        journal.batch_claim("k1", "b.example:2:b", "b", lease_s=30)
        token = BATCH_LINK.set(BatchLink("k1", "a.example:1:a"))
        try:
            with pytest.raises(ClaimLostError, match="nothing was sent"):
                _intent(journal)
        finally:
            BATCH_LINK.reset(token)
        assert journal.entries() == []  # no intent, so no submit
        assert not journal.batch_finish("k1", "a.example:1:a", "done")
        token = BATCH_LINK.set(BatchLink("k1", "b.example:2:b"))
        try:
            intent = _intent(journal)
        finally:
            BATCH_LINK.reset(token)
        assert journal.batch_items(["k1"])["k1"].intent_id == intent


def test_reservations_never_pass_the_cap(tmp_path: Path) -> None:
    from decimal import Decimal

    with Journal(tmp_path / "j.sqlite3") as journal:
        items = [NewItem(f"k{n}", n, "aigateway:m", f"line {n}") for n in range(5)]
        journal.batch_register("b", items)
        refused = []
        for item in items:
            journal.batch_claim(item.item_key, "w.example:1:w", "b", lease_s=30)
            over = journal.batch_reserve(
                item.item_key, "w.example:1:w", "b", Decimal("0.3"), Decimal("1"), "USD"
            )
            refused.append(over is not None)
        assert refused == [False, False, False, True, True]
        assert journal.batch_spent("b") == Decimal("0.9")


ids = st.one_of(st.none(), st.text(min_size=1, max_size=8))
inputs = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.one_of(st.integers(), st.text(max_size=10), st.booleans()),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["fal:a", "aigateway:b/c"]), inputs, ids), min_size=1))
def test_jsonl_items_keep_their_keys_whatever_the_key_order(
    rows: list[tuple[str, dict[str, object], str | None]],
) -> None:
    raw = []
    for number, (ref, payload, item_id) in enumerate(rows, start=1):
        item: dict[str, object] = {"input": dict(reversed(list(payload.items()))), "model": ref}
        if item_id is not None:
            item["id"] = item_id
        raw.append((number, json.loads(json.dumps(item))))
    parsed = parse_items(raw, "b.jsonl")
    assert [p.key for p in parsed] == [item_key(r, p, i) for r, p, i in rows]
    assert [p.line for p in parsed] == list(range(1, len(rows) + 1))


def test_a_postgres_url_password_never_reaches_an_error_or_repr(tmp_path: Path) -> None:
    url = "postgresql://batch:hunter2-secret@127.0.0.1:1/musicbind?sslmode=disable"
    with pytest.raises(JournalError) as caught:
        Journal(url, lock_timeout=1)
    assert "hunter2" not in str(caught.value)
    assert "127.0.0.1:1/musicbind: cannot connect to it" in str(caught.value)
