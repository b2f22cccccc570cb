"""Runtime: which local files were uploaded to a provider's storage, kept in the job journal.

An upload is keyed by provider, storage origin and the file's sha256, and recorded in an
``uploads`` table of the journal's SQLite file the moment it succeeds. So a file goes up
at most once per journal: a second submit, a rerun after a crash, a resume or another
process sharing the journal reuse the recorded value (fal's file URL, Scenario's asset
id) instead of uploading again. A record whose ``expires_at`` is near is not reused.
No secret is stored: the values are a public file URL or an asset id.

Progress: each body sent to the storage (a whole file, or one part of a multipart upload)
is reported as an :class:`UploadProgress` (bytes sent of the file's size) to the client's
``on_upload_progress`` hook, and logged at INFO on the ``musicbind.upload`` logger.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger("musicbind.upload")

REUSE_MARGIN = timedelta(hours=1)  # an upload expiring sooner than this is not reused

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    provider TEXT NOT NULL,
    storage_origin TEXT NOT NULL,   -- scheme://host:port of the storage the file went to
    sha256 TEXT NOT NULL,           -- of the file's bytes
    size INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    value TEXT NOT NULL,            -- what the file input takes: a file URL or an asset id
    uploaded_at TEXT NOT NULL,      -- ISO 8601 UTC
    expires_at TEXT,                -- ISO 8601 UTC, when the storage forgets the file
    PRIMARY KEY (provider, storage_origin, sha256)
)
"""


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """One recorded upload."""

    provider: str
    storage_origin: str
    sha256: str
    size: int
    file_name: str
    value: str
    uploaded_at: str
    expires_at: str | None


class UploadRecords:
    """The ``uploads`` table of the journal at ``path`` (one short connection per call)."""

    def __init__(self, path: Path, *, lock_timeout: float = 30.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=self.lock_timeout)) as db, db:
            db.execute(_SCHEMA)
            yield db

    def find(self, provider: str, storage_origin: str, sha256: str) -> UploadRecord | None:
        """The reusable upload of this content, or None (none, or expiring soon)."""
        with self._db() as db:
            row = db.execute(
                "SELECT provider, storage_origin, sha256, size, file_name, value, uploaded_at, "
                "expires_at FROM uploads WHERE provider = ? AND storage_origin = ? AND sha256 = ?",
                (provider, storage_origin, sha256),
            ).fetchone()
        if row is None:
            return None
        record = UploadRecord(*row)
        if record.expires_at is not None:
            expires = datetime.fromisoformat(record.expires_at)
            if expires - REUSE_MARGIN <= datetime.now(UTC):
                return None
        return record

    def record(
        self,
        *,
        provider: str,
        storage_origin: str,
        sha256: str,
        size: int,
        file_name: str,
        value: str,
        lifetime_s: int | None = None,
    ) -> UploadRecord:
        """Record a finished upload (replacing an expired record of the same content)."""
        record = self.unrecorded(
            provider=provider,
            storage_origin=storage_origin,
            sha256=sha256,
            size=size,
            file_name=file_name,
            value=value,
            lifetime_s=lifetime_s,
        )
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO uploads (provider, storage_origin, sha256, size, "
                "file_name, value, uploaded_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.provider,
                    record.storage_origin,
                    record.sha256,
                    record.size,
                    record.file_name,
                    record.value,
                    record.uploaded_at,
                    record.expires_at,
                ),
            )
        return record

    @staticmethod
    def unrecorded(
        *,
        provider: str,
        storage_origin: str,
        sha256: str,
        size: int,
        file_name: str,
        value: str,
        lifetime_s: int | None = None,
    ) -> UploadRecord:
        """The record of a finished upload, not written anywhere."""
        now = datetime.now(UTC)
        expires = (now + timedelta(seconds=lifetime_s)).isoformat() if lifetime_s else None
        return UploadRecord(
            provider, storage_origin, sha256, size, file_name, value, now.isoformat(), expires
        )

    def all(self) -> list[UploadRecord]:
        """Every recorded upload, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT provider, storage_origin, sha256, size, file_name, value, uploaded_at, "
                "expires_at FROM uploads ORDER BY uploaded_at"
            ).fetchall()
        return [UploadRecord(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """How far a local file's upload got: ``sent`` of ``total`` bytes (the file's size)."""

    provider: str
    file_name: str
    sent: int
    total: int

    @property
    def fraction(self) -> float:
        """``sent / total`` (1.0 for an empty file)."""
        return min(self.sent / self.total, 1.0) if self.total else 1.0


UploadProgressHook = Callable[[UploadProgress], None]


def report_progress(hook: UploadProgressHook | None, progress: UploadProgress) -> None:
    """Log ``progress`` on ``musicbind.upload`` and hand it to ``hook``."""
    log.info(
        "%s: uploaded %d of %d bytes of %s (%.0f%%)",
        progress.provider,
        progress.sent,
        progress.total,
        progress.file_name,
        100 * progress.fraction,
    )
    if hook is not None:
        hook(progress)
