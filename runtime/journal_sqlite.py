"""Runtime: the job journal in SQLite (stdlib sqlite3, WAL), so no paid job is ever lost.

Import it as :mod:`musicbind.runtime.journal`, which also registers the PostgreSQL
backend (:mod:`musicbind.runtime.journal_postgres`): ``Journal(target)`` opens the backend
that accepts ``target`` (this module does not know the other backends; they register).

A row per submission is written *before* the submit request is sent and updated as the
job moves: job id and provider request id, states, cost, result, downloaded files.

Default path: ``$MUSICBIND_JOURNAL`` when set, else the user data directory:
``$XDG_DATA_HOME/musicbind/journal.sqlite3`` (default ``~/.local/share/...``) on Linux,
``~/Library/Application Support/musicbind/journal.sqlite3`` on macOS,
``%LOCALAPPDATA%\\musicbind\\journal.sqlite3`` on Windows. Every API takes a path too.

``submission`` is one of: ``pending`` (intent written, no answer yet; if it stays so the
process died mid-submit and the submission is as uncertain as ``uncertain``),
``accepted`` (job id known), ``rejected`` (the provider refused: nothing to pay),
``not_sent`` (provably never reached the provider), ``uncertain`` (may have created a
job: see ``reconcile``). ``state`` is the JobState once known. No secret is stored:
payloads, errors and URLs pass through the redactor, and credentials are never passed in.

A journal that cannot be used (not a database, damaged, read-only, someone else's
database, not a regular file, empty although it exists, locked past
``lock_timeout`` seconds, default ``$MUSICBIND_JOURNAL_LOCK_TIMEOUT`` or 30) raises
:class:`~runtime.errors.JournalError` naming the path and what to do; an existing file
is never replaced or silently re-initialised. When a created job cannot be recorded,
:func:`write_unrecorded_job` appends it to :func:`fallback_path` next to the journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from musicbind.runtime.binding import (
    ProviderProtocol,
    operations_from_json,
    operations_to_json,
)
from musicbind.runtime.errors import JournalError
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal_batch import BATCH_LINK, BatchLedger, SqlTransaction
from musicbind.runtime.journal_schema import (
    LATEST_VERSION,
    newer_version_message,
    pending_migrations,
)
from musicbind.runtime.secrets import redact

SCHEMA_VERSION = LATEST_VERSION
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds to wait for another process's write
LOCK_TIMEOUT_ENV = "MUSICBIND_JOURNAL_LOCK_TIMEOUT"
SUBMISSION_STATES = ("pending", "accepted", "rejected", "not_sent", "uncertain")


def default_journal_path() -> Path:
    """Where the journal lives unless told otherwise (see the module docstring)."""
    override = os.environ.get("MUSICBIND_JOURNAL")
    if override and not is_postgres_url(override):
        return Path(override).expanduser()
    return user_data_dir() / "journal.sqlite3"


def user_data_dir() -> Path:
    """musicbind's folder in the user data directory of this platform."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "musicbind"


def payload_digest(ref: str, payload: Mapping[str, Any]) -> str:
    """sha256 of the model ref and the canonical JSON of the wire payload."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{ref}\n{canonical}".encode()).hexdigest()


def protocol_to_json(protocol: ProviderProtocol) -> str:
    """The protocol facts as JSON (statuses included)."""
    return json.dumps(
        {
            "name": protocol.name,
            "display_name": protocol.display_name,
            "base_url": protocol.base_url,
            "auth": protocol.auth,
            "statuses": {word: str(state) for word, state in protocol.statuses.items()},
            # Only when set, so the rows of the providers without them read as before.
            **{
                key: value
                for key, value in (
                    ("adapter", protocol.adapter),
                    ("auth_name", protocol.auth_name),
                    ("key_env", protocol.key_env),
                    ("operations", operations_to_json(protocol.operations)),
                )
                if value
            },
        },
        sort_keys=True,
    )


def protocol_from_json(text: str) -> ProviderProtocol:
    """The protocol :func:`protocol_to_json` wrote."""
    data = json.loads(text)
    return ProviderProtocol(
        name=data["name"],
        display_name=data["display_name"],
        base_url=data["base_url"],
        auth=data["auth"],
        statuses={word: JobState(state) for word, state in data["statuses"].items()},
        adapter=data.get("adapter", ""),
        auth_name=data.get("auth_name"),
        key_env=data.get("key_env"),
        operations=operations_from_json(data.get("operations") or {}),
    )


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal row."""

    intent_id: str
    created_at: str
    updated_at: str
    provider: str
    ref: str
    model_id: str
    base_url: str
    protocol_json: str
    payload_sha256: str
    payload_json: str
    submission: str
    state: str | None
    status_word: str | None
    job_id: str | None
    request_id: str | None
    handle_json: str | None
    estimate: str | None
    estimate_currency: str | None
    cost: str | None
    cost_unit: str | None
    error: str | None
    reconcile: str | None
    result_json: str | None
    out_dir: str | None
    files_json: str

    @property
    def files(self) -> list[str]:
        """Paths of the downloaded files."""
        value = json.loads(self.files_json)
        return [str(item) for item in value] if isinstance(value, list) else []

    @property
    def protocol(self) -> ProviderProtocol:
        """The provider protocol the job was submitted with."""
        return protocol_from_json(self.protocol_json)

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (``files`` as a list)."""
        data = {name: getattr(self, name) for name in self.__slots__}
        data["files"] = self.files
        del data["files_json"], data["protocol_json"]
        return data


_COLUMNS = tuple(JournalEntry.__slots__)


class JournalLookupError(LookupError):
    """No journal row, or more than one, matches the key."""


class Journal(BatchLedger):
    """The journal file, with one connection per instance (thread-safe; close() when done).

    Several processes may share the file: SQLite's WAL locking serialises the writes.
    ``Journal("postgresql://...")`` (or ``MUSICBIND_JOURNAL`` set to such a URL) opens the
    PostgreSQL journal instead (:mod:`runtime.journal_postgres`, the ``postgres`` extra).
    """

    dialect = "sqlite"
    schema_version = 0
    _ENTRY_ORDER = "created_at, rowid"  # insertion order among rows of the same second
    # Other databases: (accepts the target?, loads the journal class), see register_backend.
    _backends: ClassVar[list[tuple[Callable[[str], bool], Callable[[], type[Journal]]]]] = []

    @staticmethod
    def register_backend(
        accepts: Callable[[str], bool], backend: Callable[[], type[Journal]]
    ) -> None:
        """Open the class ``backend()`` returns for targets ``accepts`` says are its own (a
        URL, not a file); ``backend`` is called only then, so its module loads on use."""
        Journal._backends.append((accepts, backend))

    def __new__(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float | None = None,
    ) -> Journal:
        target = path if path is not None else os.environ.get("MUSICBIND_JOURNAL")
        if cls is Journal and isinstance(target, str):
            for accepts, backend in Journal._backends:
                if accepts(target):
                    return super().__new__(backend())
            if is_postgres_url(target):  # imported without musicbind.runtime.journal
                raise JournalError(
                    f"no journal backend for {target.partition(':')[0]}: URLs; import "
                    "Journal from musicbind.runtime",
                    path=user_data_dir(),
                )
        return super().__new__(cls)

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self.read_only = read_only
        self.lock_timeout = lock_timeout if lock_timeout is not None else _env_lock_timeout()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        existed = self._check_file()
        if not existed:
            if read_only:
                raise JournalError(f"journal {self.path} does not exist", path=self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as error:
                raise self._error(error, "create its folder") from None
        self._verified = False
        with self._connect() as db:
            self._check_schema(db, existed)
        self._verified = True
        if not read_only:
            with self._lock:
                try:
                    self._open().execute("PRAGMA journal_mode=WAL")
                except sqlite3.Error as error:
                    self._drop()
                    raise self._error(error, "open it") from None
        if not read_only:
            # Private by default; a shared path may not be ours to change (no secret in it).
            with suppress(OSError):
                self.path.chmod(0o600)

    def _check_file(self) -> bool:
        """Whether the journal exists; refuses what cannot be a journal (never touching it)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise self._error(error, "read it") from None
        if not stat.S_ISREG(info.st_mode):
            raise JournalError(
                f"journal {self.path} is not a regular file; pass --journal (or set "
                "MUSICBIND_JOURNAL) to a file path",
                path=self.path,
            )
        if info.st_size == 0:
            raise JournalError(
                f"journal {self.path} is empty (0 bytes): it may have been truncated, and its "
                "jobs lost. Restore it from a backup, or move it aside to start a new journal",
                path=self.path,
            )
        return True

    def _check_schema(self, db: sqlite3.Connection, existed: bool) -> None:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if existed and "submissions" not in tables:
            raise JournalError(
                f"journal {self.path} is a database of something else (tables: "
                f"{', '.join(sorted(tables)) or 'none'}); it was not changed. Pass --journal "
                "(or set MUSICBIND_JOURNAL) to musicbind's journal or a new file",
                path=self.path,
            )
        if "submissions" in tables:
            columns = {row[1] for row in db.execute("PRAGMA table_info(submissions)")}
            missing = set(_COLUMNS) - columns
            if missing:
                raise JournalError(
                    f"journal {self.path} has a 'submissions' table that is not musicbind's "
                    f"(no {', '.join(sorted(missing))}); it was not changed",
                    path=self.path,
                )
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if "submissions" in tables:
            version = max(version, 1)
        if version > LATEST_VERSION:
            raise JournalError(newer_version_message(str(self.path), version), path=self.path)
        self.schema_version = version
        if self.read_only:
            return  # read as it is; the batch ledger needs a journal opened for writing
        for migration in pending_migrations(version):
            for statement in migration.sqlite:
                db.execute(statement)
            db.execute(f"PRAGMA user_version={migration.version}")
            self.schema_version = migration.version

    def _error(self, error: BaseException, doing: str) -> JournalError:
        """A one-line error naming the journal and what to do about ``error``."""
        text = str(error)
        if isinstance(error, sqlite3.OperationalError) and "locked" in text:
            advice = (
                f"another process holds it locked (waited {self.lock_timeout:g} s); try again "
                "when it is done"
            )
        elif isinstance(error, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text
        ):
            advice = (
                "it is damaged or not a database; restore it from a backup, or move it aside "
                "to start a new journal (it was not changed)"
            )
        elif "readonly" in text or "read-only" in text or isinstance(error, PermissionError):
            advice = "it cannot be written here; check its and its folder's permissions"
        elif "disk" in text or "full" in text:
            advice = "the disk is full; free space and try again"
        else:
            advice = f"{type(error).__name__}: {text}"
        return JournalError(f"journal {self.path}: cannot {doing}: {advice}", path=self.path)

    @property
    def shown(self) -> str:
        """Where the journal is, as messages name it (a path; a URL without its password)."""
        return str(self.path)

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def close(self) -> None:
        """Close the connection (it reopens on the next call)."""
        with self._lock:
            self._drop()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside one transaction (committed unless it raises).

        sqlite errors leave as :class:`~runtime.errors.JournalError`, never as tracebacks.
        """
        with self._lock:
            try:
                db = self._open()
                db.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                self._drop()
                raise self._error(error, "open it") from None
            try:
                yield db
                db.execute("COMMIT")
            except sqlite3.Error as error:
                with suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise self._error(error, "read or write it") from None
            except BaseException:
                with suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise

    def _open(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        if self.read_only:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            db = sqlite3.connect(
                uri,
                uri=True,
                timeout=self.lock_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        else:
            db = sqlite3.connect(
                self.path,
                timeout=self.lock_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        self._db = db
        if not self.read_only:
            db.execute("PRAGMA synchronous=FULL")  # a journalled job id survives power loss
            if self._verified:  # WAL is written into the file: only once it is known ours
                db.execute("PRAGMA journal_mode=WAL")
        return db

    def _drop(self) -> None:
        if self._db is not None:
            with suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def record_intent(
        self,
        *,
        protocol: ProviderProtocol,
        ref: str,
        model_id: str,
        base_url: str,
        payload: Mapping[str, Any],
        estimate: str | None = None,
        estimate_currency: str | None = None,
    ) -> str:
        """Write the row for a submit about to be sent; returns its intent id."""
        intent_id = uuid.uuid4().hex
        now = _now()
        row = {
            "intent_id": intent_id,
            "created_at": now,
            "updated_at": now,
            "provider": protocol.name,
            "ref": ref,
            "model_id": model_id,
            "base_url": redact(base_url),
            "protocol_json": protocol_to_json(protocol),
            "payload_sha256": payload_digest(ref, payload),
            "payload_json": redact(json.dumps(payload, sort_keys=True, ensure_ascii=False)),
            "submission": "pending",
            "estimate": estimate,
            "estimate_currency": estimate_currency,
        }
        link = BATCH_LINK.get()
        if link is not None:
            row["batch_key"] = link.item_key
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._transaction() as tx:
            if link is not None:
                # Fenced: the intent is written only while this worker holds the item's
                # claim, in the same transaction; a reused intent (a re-send under the
                # same idempotency key) is not written twice.
                reused = self._link_intent(tx, link, intent_id)
                if reused is not None:
                    return reused
            tx.run(f"INSERT INTO submissions ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608 (names are ours)
        return intent_id

    @contextmanager
    def _transaction(self) -> Iterator[SqlTransaction]:
        """One write transaction for the batch ledger (:class:`BatchLedger`)."""
        with self._connect() as db:
            yield _SqliteTransaction(db)

    def update(self, intent_id: str, **fields: str | None) -> None:
        """Set columns of one row (text is redacted; ``updated_at`` is refreshed)."""
        unknown = set(fields) - set(_COLUMNS)
        if unknown or "intent_id" in fields:
            raise ValueError(
                f"not journal columns: {sorted(unknown | {'intent_id'} & set(fields))}"
            )
        values = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        values["updated_at"] = _now()
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._transaction() as tx:
            changed = tx.run(
                f"UPDATE submissions SET {assignments} WHERE intent_id = ?",  # noqa: S608
                (*values.values(), intent_id),
            )
        if changed != 1:
            raise JournalLookupError(f"no journal row {intent_id}")

    def record_files(self, intent_id: str, files: Sequence[Path], out_dir: Path) -> None:
        """Record where the result files were stored."""
        self.update(
            intent_id,
            files_json=json.dumps([str(path) for path in files]),
            out_dir=str(out_dir),
        )

    def get(self, key: str) -> JournalEntry:
        """The row whose intent id or job id is ``key`` (or starts with it, when unique)."""
        with self._transaction() as tx:
            rows = tx.rows(
                f"SELECT {', '.join(_COLUMNS)} FROM submissions "  # noqa: S608
                "WHERE intent_id = ? OR job_id = ?",
                (key, key),
            )
            if not rows and key:
                pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                rows = tx.rows(
                    f"SELECT {', '.join(_COLUMNS)} FROM submissions "  # noqa: S608
                    "WHERE intent_id LIKE ? ESCAPE '\\' OR job_id LIKE ? ESCAPE '\\'",
                    (pattern, pattern),
                )
        if len(rows) != 1:
            what = "no journal entry" if not rows else f"{len(rows)} journal entries"
            raise JournalLookupError(f"{what} for {key!r} in {self.shown}")
        return JournalEntry(*rows[0])

    def entries(self) -> list[JournalEntry]:
        """Every row, oldest first."""
        with self._transaction() as tx:
            rows = tx.rows(
                f"SELECT {', '.join(_COLUMNS)} FROM submissions ORDER BY {self._ENTRY_ORDER}"  # noqa: S608
            )
        return [JournalEntry(*row) for row in rows]


class _SqliteTransaction:
    """A sqlite3 connection inside a transaction, as the batch ledger speaks to it."""

    dialect = "sqlite"

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._db.execute(sql, tuple(params)).fetchall())

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._db.execute(sql, tuple(params)).rowcount)


def is_postgres_url(target: str) -> bool:
    """Whether a journal target names a PostgreSQL database rather than a file."""
    return target.startswith(("postgresql://", "postgres://"))


def fallback_path(journal_path: Path) -> Path:
    """Where job ids the journal could not record are written: next to the journal."""
    return journal_path.with_name(journal_path.name + ".unrecorded-jobs.jsonl")


def write_unrecorded_job(journal_path: Path, record: Mapping[str, Any]) -> Path | None:
    """Append ``record`` (job id, provider, ref, ...) to the fallback file; None on failure."""
    target = fallback_path(journal_path)
    line = json.dumps({"recorded_at": _now(), **record}, sort_keys=True) + "\n"
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, redact(line).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        return None
    return target


def _env_lock_timeout() -> float:
    try:
        value = float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if value >= 0 and value == value else DEFAULT_LOCK_TIMEOUT


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
