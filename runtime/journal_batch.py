"""Runtime: the batch ledger in the journal: items claimed under a lease, intents fenced.

One ``batch_items`` row per item, keyed by a stable hash of its model ref and payload
(:func:`runtime.batch_items.item_key`), shared by every worker using the journal. A worker
*claims* an item (status ``claimed``, its worker id, a lease end) before touching it; the
intent of its submit is written only while the claim is still its own, in the same
transaction (:data:`BATCH_LINK`, read by ``Journal.record_intent``), so a worker that lost
its claim can never send a submit. A claim is taken over when its lease has passed, or at
once when its worker was a process on this machine that is gone. The total cost cap is
kept here too: an item's estimate is *reserved* before its submit, under a lock on the
batch, so workers sharing the journal never overspend together.

Item statuses: ``todo``, ``claimed``, ``done``, ``failed``, ``uncertain`` (its submit may
have created a job: see ``musicbind reconcile``), ``skipped`` (the cost cap) and
``timed_out`` (the wait ended, the job still runs); the last three are looked at again on
the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from musicbind.runtime.errors import MusicbindError

FINAL_STATUSES = frozenset({"done", "failed", "uncertain", "skipped", "timed_out"})
ITEM_STATUSES = ("todo", "claimed", *sorted(FINAL_STATUSES))
_ITEM_COLUMNS = (
    "item_key",
    "batch_id",
    "seq",
    "ref",
    "label",
    "status",
    "worker",
    "lease_until",
    "intent_id",
    "attempts",
    "reserved",
    "estimate",
    "cost",
    "currency",
    "error",
    "result_json",
    "files_json",
    "updated_at",
)


class SqlTransaction(Protocol):
    """One open transaction of a journal backend (``?`` placeholders in every dialect)."""

    dialect: str

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query; its rows."""
        ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        ...


class ClaimLostError(MusicbindError):
    """This worker no longer holds the item's claim: nothing was written or sent."""


@dataclass(frozen=True, slots=True)
class BatchLink:
    """The item a submit is made for, set around it (``BATCH_LINK.set``) by the batch runner.

    ``reuse_intent``: re-send under an intent already written (a provider that honours
    idempotency keys deduplicates the second send).
    """

    item_key: str
    worker: str
    reuse_intent: str | None = None


BATCH_LINK: ContextVar[BatchLink | None] = ContextVar("musicbind_batch_link", default=None)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One ``batch_items`` row."""

    item_key: str
    batch_id: str
    seq: int
    ref: str
    label: str
    status: str
    worker: str | None
    lease_until: float | None
    intent_id: str | None
    attempts: int
    reserved: int
    estimate: str | None
    cost: str | None
    currency: str | None
    error: str | None
    result_json: str | None
    files_json: str
    updated_at: str

    @property
    def files(self) -> list[str]:
        """Paths of the downloaded files."""
        value = json.loads(self.files_json or "[]")
        return [str(item) for item in value] if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class NewItem:
    """What registering an item needs: its key, order, model ref and a label for people."""

    item_key: str
    seq: int
    ref: str
    label: str


def new_worker_id() -> str:
    """``host:pid:token``: unique per process, and tells a local process that is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _worker_gone(worker: str | None) -> bool:
    """True when ``worker`` was a process on this machine that no longer runs."""
    if not worker:
        return True
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # someone else's process: it exists
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A process that ended but was not yet reaped (Linux); it will never write again."""
    with (
        contextlib.suppress(OSError, IndexError),
        open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat,
    ):
        return stat.read().rpartition(")")[2].split()[0] == "Z"
    return False


def _decimal(text: str | None) -> Decimal:
    if not text:
        return Decimal(0)
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(0)


class BatchLedger:
    """The batch ledger's operations, for any backend that opens a :class:`SqlTransaction`."""

    def _transaction(self) -> contextlib.AbstractContextManager[SqlTransaction]:
        raise NotImplementedError

    def _now_s(self, tx: SqlTransaction) -> float:
        """Unix seconds by the clock every worker shares (the database's, for a server)."""
        return time.time()

    def _lock_batch(self, tx: SqlTransaction, batch_id: str) -> None:
        """Serialise cost reservations of one batch (SQLite's write lock already does)."""

    def _claim_row(self, tx: SqlTransaction, item_key: str) -> list[tuple[Any, ...]]:
        """The item's row, locked for this transaction (none when another holds its lock)."""
        columns = ", ".join(_ITEM_COLUMNS)
        return tx.rows(
            f"SELECT {columns} FROM batch_items WHERE item_key = ?",  # noqa: S608
            (item_key,),
        )

    def batch_register(
        self, batch_id: str, items: Sequence[NewItem], *, retry_failed: bool = False
    ) -> None:
        """Add the items not yet in the ledger; make skipped (and uncertain) ones claimable.

        ``retry_failed``: failed items are tried again, as new submits.
        """
        now = _iso_now()
        with self._transaction() as tx:
            for item in items:
                tx.run(
                    "INSERT INTO batch_items (item_key, batch_id, seq, ref, label, status, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, 'todo', ?) "
                    "ON CONFLICT (item_key) DO NOTHING",
                    (item.item_key, batch_id, item.seq, item.ref, item.label, now),
                )
            keys = [item.item_key for item in items]
            for chunk in _chunks(keys):
                marks = ", ".join("?" for _ in chunk)
                # uncertain: a reconciled intent is resumed, an unreconciled one stays uncertain
                tx.run(
                    f"UPDATE batch_items SET status = 'todo', updated_at = ? WHERE "  # noqa: S608
                    f"status IN ('skipped', 'uncertain', 'timed_out') AND item_key IN ({marks})",
                    (now, *chunk),
                )
                if retry_failed:
                    tx.run(
                        "UPDATE batch_items SET status = 'todo', intent_id = NULL, "  # noqa: S608
                        "reserved = 0, error = NULL, updated_at = ? WHERE status = 'failed' "
                        f"AND item_key IN ({marks})",
                        (now, *chunk),
                    )

    def batch_claim(
        self, item_key: str, worker: str, batch_id: str, lease_s: float
    ) -> BatchItem | None:
        """Claim an item for ``worker`` when it is free; the claimed row, else None."""
        with self._transaction() as tx:
            rows = self._claim_row(tx, item_key)
            if not rows:
                return None
            item = BatchItem(*rows[0])
            now = self._now_s(tx)
            if item.status == "claimed" and item.worker != worker:
                expired = item.lease_until is None or item.lease_until < now
                if not expired and not _worker_gone(item.worker):
                    return None
            elif item.status != "todo" and item.status != "claimed":
                return None
            tx.run(
                "UPDATE batch_items SET status = 'claimed', worker = ?, lease_until = ?, "
                "batch_id = ?, attempts = attempts + 1, updated_at = ? WHERE item_key = ?",
                (worker, now + lease_s, batch_id, _iso_now(), item_key),
            )
            rows = tx.rows(
                f"SELECT {', '.join(_ITEM_COLUMNS)} FROM batch_items WHERE item_key = ?",  # noqa: S608
                (item_key,),
            )
        return BatchItem(*rows[0])

    def batch_renew(self, worker: str, lease_s: float) -> int:
        """Extend the leases of every item ``worker`` holds; how many it holds."""
        with self._transaction() as tx:
            now = self._now_s(tx)
            return tx.run(
                "UPDATE batch_items SET lease_until = ? WHERE worker = ? AND status = 'claimed'",
                (now + lease_s, worker),
            )

    def batch_release(self, worker: str) -> int:
        """Give back every claim of ``worker`` (an orderly stop); how many."""
        with self._transaction() as tx:
            return tx.run(
                "UPDATE batch_items SET lease_until = 0 WHERE worker = ? AND status = 'claimed'",
                (worker,),
            )

    def batch_reserve(
        self,
        item_key: str,
        worker: str,
        batch_id: str,
        estimate: Decimal | None,
        cap: Decimal | None,
        currency: str | None,
    ) -> Decimal | None:
        """Reserve ``estimate`` of the batch's ``cap``; None when it fits (reserved), else
        what the batch has already committed (the item is then left unreserved)."""
        with self._transaction() as tx:
            self._lock_batch(tx, batch_id)
            self._check_claim(tx, item_key, worker)
            committed = Decimal(0)
            if cap is not None:
                for cost, reserved_estimate in tx.rows(
                    "SELECT cost, estimate FROM batch_items WHERE batch_id = ? AND reserved = 1 "
                    "AND item_key <> ?",
                    (batch_id, item_key),
                ):
                    committed += _decimal(cost) if cost is not None else _decimal(reserved_estimate)
                if estimate is None or committed + estimate > cap:
                    return committed
            tx.run(
                "UPDATE batch_items SET reserved = 1, estimate = ?, currency = ? "
                "WHERE item_key = ?",
                (None if estimate is None else str(estimate), currency, item_key),
            )
        return None

    def batch_spent(self, batch_id: str) -> Decimal:
        """What the batch has committed: reported costs, else reserved estimates."""
        total = Decimal(0)
        with self._transaction() as tx:
            for cost, estimate in tx.rows(
                "SELECT cost, estimate FROM batch_items WHERE batch_id = ? AND reserved = 1",
                (batch_id,),
            ):
                total += _decimal(cost) if cost is not None else _decimal(estimate)
        return total

    def batch_finish(
        self,
        item_key: str,
        worker: str,
        status: str,
        *,
        error: str | None = None,
        cost: Decimal | None = None,
        result: Mapping[str, Any] | None = None,
        files: Sequence[str] = (),
        release: bool = False,
    ) -> bool:
        """End ``worker``'s claim with a final ``status``; False when the claim was lost.

        ``release``: nothing was paid, so the item's reservation no longer counts.
        """
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final batch item status: {status!r}")
        from musicbind.runtime.secrets import redact

        assignments = ["status = ?", "worker = NULL", "lease_until = NULL", "updated_at = ?"]
        values: list[Any] = [status, _iso_now()]
        if error is not None:
            assignments.append("error = ?")
            values.append(redact(error)[:2000])
        if cost is not None:
            assignments.append("cost = ?")
            values.append(str(cost))
        if result is not None:
            assignments.append("result_json = ?")
            values.append(redact(json.dumps(result, sort_keys=True, default=str)))
        if files:
            assignments.append("files_json = ?")
            values.append(json.dumps(list(files)))
        if release:
            assignments.append("reserved = 0")
        with self._transaction() as tx:
            changed = tx.run(
                f"UPDATE batch_items SET {', '.join(assignments)} "  # noqa: S608
                "WHERE item_key = ? AND worker = ? AND status = 'claimed'",
                (*values, item_key, worker),
            )
        return changed == 1

    def batch_items(self, keys: Sequence[str]) -> dict[str, BatchItem]:
        """The ledger rows of ``keys`` (those it has)."""
        found: dict[str, BatchItem] = {}
        with self._transaction() as tx:
            for chunk in _chunks(list(keys)):
                marks = ", ".join("?" for _ in chunk)
                for row in tx.rows(
                    f"SELECT {', '.join(_ITEM_COLUMNS)} FROM batch_items "  # noqa: S608
                    f"WHERE item_key IN ({marks})",
                    chunk,
                ):
                    item = BatchItem(*row)
                    found[item.item_key] = item
        return found

    def _check_claim(self, tx: SqlTransaction, item_key: str, worker: str) -> None:
        rows = tx.rows("SELECT worker, status FROM batch_items WHERE item_key = ?", (item_key,))
        if not rows or rows[0][0] != worker or rows[0][1] != "claimed":
            raise ClaimLostError(
                f"batch item {item_key[:12]} is no longer claimed by this worker "
                "(its lease passed and another worker took it); nothing was sent"
            )

    def _link_intent(self, tx: SqlTransaction, link: BatchLink, intent_id: str) -> str | None:
        """Fence a new intent by the item's claim and link it; the reused intent id, if any."""
        self._check_claim(tx, link.item_key, link.worker)
        chosen = link.reuse_intent or intent_id
        tx.run("UPDATE batch_items SET intent_id = ? WHERE item_key = ?", (chosen, link.item_key))
        return link.reuse_intent


def _chunks(keys: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
