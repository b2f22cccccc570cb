"""Runtime: the job journal, so no paid job is ever lost: SQLite or PostgreSQL by target.

``Journal(path)`` opens the SQLite journal (:mod:`musicbind.runtime.journal_sqlite`, where
the rows, states and error messages are described); ``Journal("postgresql://...")`` (or
``MUSICBIND_JOURNAL`` set to such a URL) opens the PostgreSQL one
(:mod:`musicbind.runtime.journal_postgres`, the ``postgres`` extra). This module brings
the two together: importing it registers the PostgreSQL backend with :class:`Journal`
(its module is imported when a PostgreSQL URL is first opened).
"""

from __future__ import annotations

from musicbind.runtime.journal_sqlite import (
    Journal,
    JournalEntry,
    JournalLookupError,
    default_journal_path,
    fallback_path,
    is_postgres_url,
    payload_digest,
    protocol_from_json,
    protocol_to_json,
    user_data_dir,
    write_unrecorded_job,
)


def _postgres() -> type[Journal]:
    from musicbind.runtime.journal_postgres import PostgresJournal

    return PostgresJournal


Journal.register_backend(is_postgres_url, _postgres)

__all__ = [
    "Journal",
    "JournalEntry",
    "JournalLookupError",
    "default_journal_path",
    "fallback_path",
    "is_postgres_url",
    "payload_digest",
    "protocol_from_json",
    "protocol_to_json",
    "user_data_dir",
    "write_unrecorded_job",
]
