"""Runtime: the journal's versioned schema migrations, one list for SQLite and PostgreSQL.

Version 1 is the ``submissions`` table (one row per paid submit); version 2 adds the batch
ledger (``batch_items``: one row per batch item, claimed by one worker at a time under a
lease) and ``submissions.batch_key`` (the item an intent was written for). SQLite keeps
the version in ``PRAGMA user_version``; PostgreSQL in ``musicbind_schema`` (one row per
applied version). A journal written by a newer musicbind (a version above
:data:`LATEST_VERSION`) is refused, never downgraded; an older one is migrated in one
transaction when it is opened for writing.
"""

from __future__ import annotations

from dataclasses import dataclass

LATEST_VERSION = 2


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the statements that take a journal from ``version - 1`` to it."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_SUBMISSION_COLUMNS = """
    intent_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    provider TEXT NOT NULL,
    ref TEXT NOT NULL,
    model_id TEXT NOT NULL,
    base_url TEXT NOT NULL,
    protocol_json TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    submission TEXT NOT NULL,
    state TEXT,
    status_word TEXT,
    job_id TEXT,
    request_id TEXT,
    handle_json TEXT,
    estimate TEXT,
    estimate_currency TEXT,
    cost TEXT,
    cost_unit TEXT,
    error TEXT,
    reconcile TEXT,
    result_json TEXT,
    out_dir TEXT,
    files_json TEXT NOT NULL DEFAULT '[]'
"""

# status: todo | claimed | done | failed | uncertain | skipped; lease_until: Unix seconds
_BATCH_ITEMS = """
CREATE TABLE IF NOT EXISTS batch_items (
    item_key TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ref TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    worker TEXT,
    lease_until {real},
    intent_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    estimate TEXT,
    cost TEXT,
    currency TEXT,
    error TEXT,
    result_json TEXT,
    files_json TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
)"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "submissions: one row per paid submit, written before it is sent",
        (
            f"CREATE TABLE IF NOT EXISTS submissions ({_SUBMISSION_COLUMNS})",
            "CREATE INDEX IF NOT EXISTS submissions_job_id ON submissions (job_id)",
        ),
        (
            f"CREATE TABLE IF NOT EXISTS submissions ({_SUBMISSION_COLUMNS})",
            "CREATE INDEX IF NOT EXISTS submissions_job_id ON submissions (job_id)",
        ),
    ),
    Migration(
        2,
        "batch ledger: batch_items claimed under a lease; submissions.batch_key",
        (
            "ALTER TABLE submissions ADD COLUMN batch_key TEXT",
            _BATCH_ITEMS.format(real="REAL"),
            "CREATE INDEX IF NOT EXISTS batch_items_batch ON batch_items (batch_id, status)",
        ),
        (
            "ALTER TABLE submissions ADD COLUMN IF NOT EXISTS batch_key TEXT",
            _BATCH_ITEMS.format(real="DOUBLE PRECISION"),
            "CREATE INDEX IF NOT EXISTS batch_items_batch ON batch_items (batch_id, status)",
        ),
    ),
)


def pending_migrations(current: int) -> tuple[Migration, ...]:
    """The migrations a journal at version ``current`` still needs, in order."""
    return tuple(m for m in MIGRATIONS if m.version > current)


def newer_version_message(where: str, version: int) -> str:
    """Why a journal of a newer schema is refused, and what to do."""
    return (
        f"journal {where} has schema version {version}, newer than this musicbind knows "
        f"({LATEST_VERSION}); it was not changed. Upgrade musicbind to use it"
    )


assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
