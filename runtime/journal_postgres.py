"""Runtime: the PostgreSQL journal, one ledger shared by workers on many machines (psycopg 3).

Chosen by URL: ``Journal("postgresql://user@host/db")``, ``--journal postgresql://...`` or
``MUSICBIND_JOURNAL=postgresql://...``; needs the ``postgres`` extra (psycopg, imported
only here). The same tables and the same guarantees as the SQLite journal
(:mod:`runtime.journal_sqlite`, :mod:`runtime.journal_batch`), with a server's locks instead of
a file lock: a batch item is claimed under ``SELECT ... FOR UPDATE SKIP LOCKED`` (a worker
never waits for, nor takes, a row another is claiming), cost reservations of one batch
are serialised by a transaction-scoped advisory lock, leases are read on the database's
clock (workers' clocks may differ), and schema migrations run under an advisory lock so
two workers starting together migrate once. The URL's password never reaches a message,
a repr or the journal.

Files that stay on each machine (uploads cache, answers kept as files, the fallback list of
job ids the journal could not record) live next to :attr:`PostgresJournal.path`, a
per-database name in the user data directory.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from musicbind.runtime.errors import JournalError
from musicbind.runtime.journal_batch import SqlTransaction
from musicbind.runtime.journal_schema import (
    LATEST_VERSION,
    MIGRATIONS,
    newer_version_message,
    pending_migrations,
)
from musicbind.runtime.journal_sqlite import (
    _COLUMNS,
    Journal,
    _env_lock_timeout,
    user_data_dir,
)
from musicbind.runtime.secrets import redact

MIGRATION_LOCK = 0x6D75_7369_6362  # advisory lock key of schema migrations ("musicb")
EXTRA_HINT = "pip install 'musicbind[postgres]'"


def display_postgres_url(url: str) -> str:
    """The URL without its password (and without query options, which may hold one)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise JournalError(
            f"the PostgreSQL journal needs the 'postgres' extra: {EXTRA_HINT}",
            path=user_data_dir(),
        ) from None
    return psycopg


class _PgTransaction:
    """A psycopg connection inside a transaction, speaking ``?`` placeholders."""

    dialect = "postgres"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._conn.execute(sql.replace("?", "%s"), tuple(params)).rowcount)


class PostgresJournal(Journal):
    """The journal in a PostgreSQL database (one connection per instance, thread-safe)."""

    dialect = "postgres"
    _ENTRY_ORDER = "created_at, intent_id"

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float | None = None,
    ) -> None:
        url = str(path) if path is not None else os.environ.get("MUSICBIND_JOURNAL", "")
        self.url = url
        self.shown_url = display_postgres_url(url)
        self.read_only = read_only
        self.lock_timeout = lock_timeout if lock_timeout is not None else _env_lock_timeout()
        digest = hashlib.sha256(self.shown_url.encode()).hexdigest()[:12]
        self.path = user_data_dir() / f"postgres-{digest}.journal"
        self._lock = threading.Lock()
        self._conn: Any = None
        self._psycopg = _psycopg()
        with suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    @property
    def shown(self) -> str:
        """The URL without its password."""
        return self.shown_url

    def __repr__(self) -> str:
        return f"PostgresJournal({self.shown_url!r})"

    # -- connection ---------------------------------------------------------------------

    def _connect_db(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = self._psycopg.connect(
                    self.url,
                    connect_timeout=max(1, int(self.lock_timeout)),
                    application_name="musicbind",
                )
            except self._psycopg.Error as error:
                raise self._pg_error(error, "connect to it") from None
        return self._conn

    def _pg_error(self, error: BaseException, doing: str) -> JournalError:
        text = redact(str(error).strip().splitlines()[0] if str(error).strip() else "")
        if self.url:
            text = text.replace(self.url, self.shown_url)
        return JournalError(
            f"journal {self.shown_url}: cannot {doing}: {type(error).__name__}: {text}",
            path=self.path,
        )

    @contextmanager
    def _transaction(self) -> Iterator[SqlTransaction]:
        with self._lock:
            conn = self._connect_db()
            try:
                with conn.transaction():
                    if self.read_only:
                        conn.execute("SET TRANSACTION READ ONLY")
                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        (f"{int(self.lock_timeout * 1000)}ms",),
                    )
                    yield _PgTransaction(conn)
            except self._psycopg.OperationalError as error:
                with suppress(Exception):
                    conn.close()
                self._conn = None
                raise self._pg_error(error, "read or write it") from None
            except self._psycopg.Error as error:
                raise self._pg_error(error, "read or write it") from None

    def close(self) -> None:
        """Close the connection (it reopens on the next call)."""
        with self._lock:
            if self._conn is not None:
                with suppress(Exception):
                    self._conn.close()
                self._conn = None

    # -- schema -------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._transaction() as tx:
            if not self.read_only:
                tx.rows("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            version = self._version(tx)
            if version > LATEST_VERSION:
                raise JournalError(newer_version_message(self.shown_url, version), path=self.path)
            self.schema_version = version
            if self.read_only:
                return
            if version == 0:
                tx.run(
                    "CREATE TABLE IF NOT EXISTS musicbind_schema (version INTEGER PRIMARY KEY, "
                    "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
            for migration in pending_migrations(version):
                for statement in migration.postgres:
                    tx.run(statement)
                tx.run(
                    "INSERT INTO musicbind_schema (version, description) VALUES (?, ?)",
                    (migration.version, migration.description),
                )
                self.schema_version = migration.version
            self._check_columns(tx)

    def _version(self, tx: SqlTransaction) -> int:
        exists = tx.rows("SELECT to_regclass('musicbind_schema') IS NOT NULL")[0][0]
        if not exists:
            taken = tx.rows("SELECT to_regclass('submissions') IS NOT NULL")[0][0]
            if taken:
                raise JournalError(
                    f"journal {self.shown_url} has a 'submissions' table that is not "
                    "musicbind's (no musicbind_schema); it was not changed",
                    path=self.path,
                )
            return 0
        return int(tx.rows("SELECT coalesce(max(version), 0) FROM musicbind_schema")[0][0])

    def _check_columns(self, tx: SqlTransaction) -> None:
        """Every version's tables and columns are there (a hand-edited schema is refused)."""
        found = {
            (table, column)
            for table, column in tx.rows(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name IN "
                "('submissions', 'batch_items')"
            )
        }
        wanted = {("submissions", name) for name in _COLUMNS} | {("submissions", "batch_key")}
        missing = sorted(f"{t}.{c}" for t, c in wanted - found)
        if missing:
            raise JournalError(
                f"journal {self.shown_url} is at schema version {MIGRATIONS[-1].version} but "
                f"lacks {', '.join(missing[:5])}; it was not changed",
                path=self.path,
            )

    # -- the ledger of submissions ------------------------------------------------------

    # -- the batch ledger's server-side locks ------------------------------------------

    def _now_s(self, tx: SqlTransaction) -> float:
        return float(tx.rows("SELECT extract(epoch FROM clock_timestamp())")[0][0])

    def _lock_batch(self, tx: SqlTransaction, batch_id: str) -> None:
        tx.rows("SELECT pg_advisory_xact_lock(hashtextextended(?, 17))", (batch_id,))

    def _claim_row(self, tx: SqlTransaction, item_key: str) -> list[tuple[Any, ...]]:
        from musicbind.runtime.journal_batch import _ITEM_COLUMNS

        return tx.rows(
            f"SELECT {', '.join(_ITEM_COLUMNS)} FROM batch_items WHERE item_key = ? "  # noqa: S608
            "FOR UPDATE SKIP LOCKED",
            (item_key,),
        )
