"""Runtime: webhooks instead of polling: fal's signature scheme, replay checks, the journal.

A job submitted with ``webhook_url=`` (fal's queue takes it as the ``fal_webhook`` query
parameter) is announced to the provider's callback; the receiver (:func:`verify_fal_webhook`
or the ASGI app in :mod:`runtime.webhooks_asgi`) checks each delivery and records the
outcome in the job journal, where ``wait``, ``jobs`` and ``resume`` find it without
polling. A job whose webhook does not come by its fallback time is polled as usual.

fal signs each delivery with Ed25519. The signed message is four lines: the
``X-Fal-Webhook-Request-Id``, ``X-Fal-Webhook-User-Id`` and ``X-Fal-Webhook-Timestamp``
(Unix seconds) headers and the hex sha256 of the raw body; ``X-Fal-Webhook-Signature`` is
the signature in hex. The public keys are a JWKS (``kty: OKP``, ``crv: Ed25519``, ``x`` in
base64url) at ``https://rest.fal.ai/.well-known/jwks.json``. A delivery is refused when a
header is missing, its timestamp is more than :data:`TIMESTAMP_TOLERANCE_S` from now, no
key verifies it, its body is not fal's JSON for that request, it was seen before (a
replay), or it names no job in the journal. A refused delivery changes nothing.

Signatures are checked with PyNaCl (libsodium), the ``webhooks`` extra.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.errors import ConfigurationError, MusicbindError
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.providers.base import Exchange, JobSnapshot, ProviderAdapter
from musicbind.runtime.retry import Operation

if TYPE_CHECKING:
    import sqlite3

    from musicbind.runtime.journal import Journal, JournalEntry
else:  # loaded with the first webhook: a client's import stays light
    sqlite3 = deferred_module("sqlite3")

FAL_JWKS_URL = "https://rest.fal.ai/.well-known/jwks.json"
TIMESTAMP_TOLERANCE_S = 300  # fal's documented window, both ways
DEFAULT_FALLBACK_S = 900.0  # a webhook not heard by then: poll
CHECK_EVERY_S = 0.5  # how often a waiting job looks in the journal for its webhook
MAX_BODY_BYTES = 8 * 1024 * 1024
HEADERS = (
    "x-fal-webhook-request-id",
    "x-fal-webhook-user-id",
    "x-fal-webhook-timestamp",
    "x-fal-webhook-signature",
)
_OUTCOMES = {"OK": JobState.SUCCEEDED, "ERROR": JobState.FAILED}
T = TypeVar("T")


class WebhookRejected(MusicbindError):
    """A webhook delivery that was refused; ``reason`` says why. Nothing was recorded."""

    def __init__(self, reason: str, *, status_code: int = 401) -> None:
        super().__init__(f"webhook refused: {reason}", provider="fal")
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where the provider should call, and how long to wait for it before polling."""

    url: str
    fallback_after_s: float = DEFAULT_FALLBACK_S


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """A verified fal delivery: the job it is about and its outcome."""

    request_id: str
    user_id: str
    timestamp: int
    signature: str
    status: str  # "OK" or "ERROR"
    payload: Any
    error: str | None

    @property
    def state(self) -> JobState:
        """The job's end as the delivery tells it."""
        return _OUTCOMES[self.status]


def webhook_target(
    value: str | WebhookTarget, adapter: ProviderAdapter, journal: Journal
) -> WebhookTarget:
    """``value`` as a target; ConfigurationError (before anything is sent) for a provider
    without webhooks, a URL it cannot call, or a journal that cannot keep the outcome."""
    if not sqlite_journal(journal):
        raise ConfigurationError(
            "webhooks need a SQLite journal (their outcomes are kept beside its jobs)",
            provider=adapter.protocol.name,
        )
    if not getattr(adapter, "webhook_param", None):
        raise ConfigurationError(
            f"{adapter.protocol.display_name} takes no webhook URL here; wait() polls its jobs",
            provider=adapter.protocol.name,
        )
    target = value if isinstance(value, WebhookTarget) else WebhookTarget(value)
    if urlsplit(target.url).scheme not in ("http", "https") or not urlsplit(target.url).hostname:
        raise ConfigurationError(f"webhook_url must be an http(s) URL, not {target.url[:100]!r}")
    if not target.fallback_after_s >= 0:
        raise ConfigurationError("a webhook's fallback_after_s must be 0 or more seconds")
    return target


def with_callback(
    exchange: Exchange[T], adapter: ProviderAdapter, target: WebhookTarget
) -> Exchange[T]:
    """``exchange`` with the webhook URL added to its submit request (fal: ``?fal_webhook=``)."""
    param = str(getattr(adapter, "webhook_param", ""))
    try:
        call = next(exchange)
        while True:
            if call.operation is Operation.SUBMIT:
                call = replace(call, params={**(call.params or {}), param: target.url})
            answer = yield call
            call = exchange.send(answer)
    except StopIteration as stop:
        return cast(T, stop.value)
    finally:
        exchange.close()


def sqlite_journal(journal: Journal) -> bool:
    """Whether ``journal`` is the SQLite file the webhook and upload tables live in."""
    return getattr(journal, "dialect", "sqlite") == "sqlite"


def jwks_url_for(base_url: str) -> str:
    """fal's JWKS for its own queue; ``<base URL>/.well-known/jwks.json`` for any other."""
    if urlsplit(base_url).hostname == "queue.fal.run":
        return FAL_JWKS_URL
    return base_url.rstrip("/") + "/.well-known/jwks.json"


def public_keys(jwks: object) -> list[bytes]:
    """The raw 32-byte Ed25519 keys of a JWKS document (other keys are skipped)."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    found: list[bytes] = []
    for key in keys if isinstance(keys, list) else []:
        if not isinstance(key, dict) or key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
            continue
        x = key.get("x")
        if not isinstance(x, str):
            continue
        try:
            raw = base64.urlsafe_b64decode(x.rstrip("=") + "=" * (-len(x.rstrip("=")) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(raw) == 32:
            found.append(raw)
    return found


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """The bytes fal signs for a delivery."""
    import hashlib  # with the first delivery, not with a client's import

    digest = hashlib.sha256(body).hexdigest()
    return f"{request_id}\n{user_id}\n{timestamp}\n{digest}".encode()


def verify_fal_webhook(
    headers: Mapping[str, str],
    body: bytes,
    keys: Sequence[bytes],
    *,
    now: float | None = None,
    tolerance_s: float = TIMESTAMP_TOLERANCE_S,
) -> WebhookDelivery:
    """Check one delivery's signature, timestamp and body; WebhookRejected when it fails.

    ``headers``: the request's headers (any case); ``keys``: :func:`public_keys` of fal's
    JWKS. Replays are caught by :class:`WebhookInbox`, which remembers signatures.
    """
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [name for name in HEADERS if not lowered.get(name)]
    if missing:
        raise WebhookRejected(f"missing header {missing[0]}", status_code=400)
    request_id, user_id, stamp, signature = (lowered[name] for name in HEADERS)
    if not stamp.isdigit() or len(stamp) > 12:
        raise WebhookRejected("the timestamp is not Unix seconds", status_code=400)
    skew = abs((time.time() if now is None else now) - int(stamp))
    if skew > tolerance_s:
        raise WebhookRejected(f"stale timestamp ({skew:.0f} s from now, at most {tolerance_s:g})")
    try:
        raw_signature = bytes.fromhex(signature)
    except ValueError:
        raise WebhookRejected("the signature is not hex", status_code=400) from None
    message = signed_message(request_id, user_id, stamp, body)
    for key in keys:
        try:
            VerifyKey(key).verify(message, raw_signature)
        except (BadSignatureError, ValueError, TypeError):
            continue
        break
    else:
        raise WebhookRejected("the signature does not verify with any of fal's keys")
    return _delivery(request_id, user_id, int(stamp), signature.lower(), body)


def _delivery(
    request_id: str, user_id: str, stamp: int, signature: str, body: bytes
) -> WebhookDelivery:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRejected("the body is not JSON", status_code=400) from None
    if not isinstance(data, dict) or data.get("request_id") != request_id:
        raise WebhookRejected("the body does not name the signed request id", status_code=400)
    status = data.get("status")
    if status not in _OUTCOMES:
        raise WebhookRejected(f"unknown webhook status {str(status)[:40]!r}", status_code=400)
    error = data.get("error")
    if status == "ERROR" and not error:
        error = data.get("payload_error") or "the provider reported an error"
    return WebhookDelivery(
        request_id,
        user_id,
        stamp,
        signature,
        str(status),
        data.get("payload"),
        str(error) if error else None,
    )


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS webhook_waits (
        provider TEXT NOT NULL,
        job_id TEXT NOT NULL,
        url TEXT NOT NULL,
        fallback_at REAL NOT NULL,      -- Unix time after which the job is polled
        heard_at REAL,                  -- Unix time the verified delivery arrived
        PRIMARY KEY (provider, job_id)
    )""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        signature TEXT PRIMARY KEY,     -- a delivery seen twice is a replay
        provider TEXT NOT NULL,
        job_id TEXT NOT NULL,
        received_at REAL NOT NULL
    )""",
)


class WebhookInbox:
    """Webhook bookkeeping in the journal's SQLite file: waits, deliveries, outcomes."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        timeout = self.journal.lock_timeout
        with closing(sqlite3.connect(self.journal.path, timeout=timeout)) as db, db:
            for statement in _SCHEMA:
                db.execute(statement)
            yield db

    def in_use(self) -> bool:
        """Whether any job of this journal ever asked for a webhook (no tables otherwise)."""
        if not sqlite_journal(self.journal):
            return False
        try:
            with closing(
                sqlite3.connect(self.journal.path, timeout=self.journal.lock_timeout)
            ) as db:
                row = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webhook_waits'"
                ).fetchone()
        except sqlite3.Error:
            return False
        return row is not None

    def expect(self, provider: str, job_id: str, target: WebhookTarget) -> None:
        """Note that ``job_id``'s outcome will be called back (before its first wait)."""
        with self._db() as db:
            db.execute(
                "INSERT INTO webhook_waits (provider, job_id, url, fallback_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (provider, job_id) DO UPDATE SET "
                "url = excluded.url, fallback_at = excluded.fallback_at",
                (provider, job_id, target.url, time.time() + target.fallback_after_s),
            )

    def quiet_for(self, provider: str, job_id: str, now: float) -> float:
        """Seconds a waiting job should stay quiet for its webhook (0: poll now)."""
        with self._db() as db:
            row = db.execute(
                "SELECT fallback_at, heard_at FROM webhook_waits WHERE provider = ? AND job_id = ?",
                (provider, job_id),
            ).fetchone()
        if row is None or row[1] is not None:
            return 0.0
        return max(float(row[0]) - now, 0.0)

    def heard(self, provider: str, job_id: str) -> JobSnapshot | None:
        """The job's end as its verified webhook told it, or None when none came."""
        with self._db() as db:
            row = db.execute(
                "SELECT heard_at FROM webhook_waits WHERE provider = ? AND job_id = ?",
                (provider, job_id),
            ).fetchone()
        if row is None or row[0] is None:
            return None
        entry = _entry(self.journal, provider, job_id)
        if entry is None or entry.state is None:
            return None
        state = JobState(entry.state)
        return JobSnapshot(
            state=state,
            status_word=entry.status_word or "COMPLETED",
            progress=1.0 if state is JobState.SUCCEEDED else None,
            error=entry.error if state is not JobState.SUCCEEDED else None,
        )

    def accept(self, delivery: WebhookDelivery, provider: str = "fal") -> str:
        """Record a verified delivery's outcome on its journal entry; the entry's intent id.

        WebhookRejected (nothing recorded) for a replayed delivery or an unknown job.
        """
        entry = _entry(self.journal, provider, delivery.request_id)
        if entry is None:
            raise WebhookRejected(
                f"no job {delivery.request_id[:80]} in the journal", status_code=404
            )
        now = time.time()
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO webhook_deliveries (signature, provider, job_id, received_at) "
                    "VALUES (?, ?, ?, ?)",
                    (delivery.signature, provider, delivery.request_id, now),
                )
                db.execute(
                    "INSERT OR IGNORE INTO webhook_waits (provider, job_id, url, fallback_at) "
                    "VALUES (?, ?, '', ?)",
                    (provider, delivery.request_id, now),
                )
                db.execute(
                    "UPDATE webhook_waits SET heard_at = ? WHERE provider = ? AND job_id = ?",
                    (now, provider, delivery.request_id),
                )
        except sqlite3.IntegrityError:
            raise WebhookRejected(
                "a replay of a delivery already received", status_code=409
            ) from None
        fields: dict[str, str | None] = {
            "state": str(delivery.state),
            "status_word": "COMPLETED",
            "error": delivery.error,
        }
        if delivery.state is JobState.SUCCEEDED and isinstance(delivery.payload, dict):
            fields["result_json"] = json.dumps(delivery.payload, sort_keys=True, default=str)
        self.journal.update(entry.intent_id, **fields)
        return str(entry.intent_id)


def _entry(journal: Journal, provider: str, job_id: str) -> JournalEntry | None:
    from musicbind.runtime.journal import JournalLookupError

    try:
        entry = journal.get(job_id)
    except JournalLookupError:
        return None
    return entry if entry.provider == provider and entry.job_id == job_id else None


def webhook_news(
    journal: Journal, provider: str, job_id: str, now: float
) -> tuple[JobSnapshot | None, float]:
    """For a waiting job: its webhook's reading if one came, and how long to stay quiet.

    ``(None, 0.0)`` for a job submitted without a webhook (or one whose fallback passed):
    poll as usual.
    """
    inbox = WebhookInbox(journal)
    if not inbox.in_use():
        return None, 0.0
    heard = inbox.heard(provider, job_id)
    if heard is not None:
        return heard, 0.0
    return None, inbox.quiet_for(provider, job_id, now)
