"""Runtime: credentials that never show themselves, and the redactor for log lines and errors.

A :class:`Secret` prints as ``***`` in ``str``, ``repr``, f-strings and tracebacks,
refuses to be pickled, and registers its value (and the HTTP Basic encoding it ends
up in) with a process-wide redactor. :func:`redact` replaces every registered value
in a piece of text; :class:`RedactingFilter` does the same to log records, and
:func:`install_log_redaction` puts it on the loggers the runtime and httpx write to.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from typing import Any, NoReturn

MASK = "***"
# Values shorter than this are not registered: redacting "a" everywhere would
# destroy messages and protects nothing.
MIN_REDACTED_LENGTH = 4

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Query parameters whose values are secrets wherever they appear (signed URLs, tokens).
_SENSITIVE_QUERY = re.compile(
    r"(?i)([?&](?:key|api_key|apikey|token|access_token|secret|signature|sig|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature)=)[^&#\s]*"
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


def register_secret(value: str) -> None:
    """Make :func:`redact` hide ``value`` from now on."""
    global _pattern
    if len(value) < MIN_REDACTED_LENGTH:
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        ordered = sorted(_known, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(item) for item in ordered))


def redact(text: str) -> str:
    """``text`` with every registered secret, URL user-info and signed query value masked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _USERINFO.sub(r"\1" + MASK + "@", text)
    return _SENSITIVE_QUERY.sub(r"\1" + MASK, text)


class Secret:
    """A credential. Its value is only available through :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a Secret wraps a str")
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The value itself: only ever put into a request header."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac  # here: OpenSSL's loading (~2 ms) is no cost of importing a client

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def basic_credentials(user: Secret, password: Secret) -> Secret:
    """The ``Authorization: Basic`` value for ``user:password``, itself registered as secret."""
    token = base64.b64encode(f"{user.reveal()}:{password.reveal()}".encode()).decode("ascii")
    register_secret(token)
    return Secret(f"Basic {token}")


# Stripped from both ends of a credential: what key files and copy-paste add (a trailing
# newline, CR LF, a tab, a no-break space, a zero-width space or BOM).
_EDGE_JUNK = " \t\r\n\v\f\u00a0\u200b\u200c\u200d\u2060\ufeff"


class InvalidCredentialError(ValueError):
    """A credential holding characters no HTTP header can carry (never shows the value)."""


def clean_credential(value: str, *, name: str) -> str:
    """``value`` without the whitespace around it; refuses what is still not printable ASCII.

    Both forms are registered with the redactor first, so neither can leak afterwards.
    The error says where the odd character is, never what the credential is.
    """
    register_secret(value)
    cleaned = value.strip(_EDGE_JUNK)
    register_secret(cleaned)
    for position, char in enumerate(cleaned):
        if not (" " < char < "\x7f"):
            raise InvalidCredentialError(
                f"{name} has a character that cannot be sent (U+{ord(char):04X} at position "
                f"{position + 1} of {len(cleaned)}); check how the key was copied. Nothing "
                "was sent"
            )
    return cleaned


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` (arguments are merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error path
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


REDACTED_LOGGERS = (
    "musicbind",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)
_filter = RedactingFilter()
_factory_installed = False


def _covered(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in REDACTED_LOGGERS)


def install_log_redaction() -> None:
    """Redact every record of the runtime's and httpx's loggers and their children (idempotent).

    A filter on a logger sees only records logged to that very logger, not those of its
    children (``musicbind.http``) passing through on their way to the handlers; so the
    filter is attached to the named loggers and also applied by the log record factory
    to every record whose logger lies under one of them.
    """
    global _factory_installed
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
    with _lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _covered(record.name):
                _filter.filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True
