"""fal's webhook signature scheme, checked without a server: what passes and what is refused."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

nacl_signing = pytest.importorskip("nacl.signing")

from musicbind.runtime.webhooks import (  # noqa: E402 (after the PyNaCl check)
    WebhookRejected,
    public_keys,
    verify_fal_webhook,
)

KEY = nacl_signing.SigningKey(hashlib.sha256(b"test key").digest())
PUBLIC = bytes(KEY.verify_key)
NOW = 1_800_000_000
BODY = json.dumps({"request_id": "req-1", "status": "OK", "payload": {"audio": {}}}).encode()


def headers(body: bytes = BODY, stamp: int = NOW, key: object = KEY) -> dict[str, str]:
    digest = hashlib.sha256(body).hexdigest()
    message = f"req-1\nuser-1\n{stamp}\n{digest}".encode()
    return {
        "X-Fal-Webhook-Request-Id": "req-1",
        "X-Fal-Webhook-User-Id": "user-1",
        "X-Fal-Webhook-Timestamp": str(stamp),
        "X-Fal-Webhook-Signature": key.sign(message).signature.hex(),  # type: ignore[attr-defined]
    }


def test_a_good_delivery_passes() -> None:
    delivery = verify_fal_webhook(headers(), BODY, [PUBLIC], now=NOW + 299)
    assert (delivery.request_id, delivery.status, delivery.payload) == (
        "req-1",
        "OK",
        {"audio": {}},
    )


def test_the_jwks_key_reads_padded_or_not() -> None:
    x = base64.urlsafe_b64encode(PUBLIC).decode()
    for written in (x, x.rstrip("=")):
        jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": written}, {"kty": "RSA", "n": "x"}]}
        assert public_keys(jwks) == [PUBLIC]
    assert public_keys({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "!!"}]}) == []
    assert public_keys([]) == []


@pytest.mark.parametrize(
    ("given_headers", "body", "now", "reason"),
    [
        (headers(), BODY, NOW + 301, "stale timestamp"),
        (headers(), BODY, NOW - 301, "stale timestamp"),
        (headers(key=nacl_signing.SigningKey.generate()), BODY, NOW, "does not verify"),
        (headers(), BODY + b" ", NOW, "does not verify"),
        ({**headers(), "X-Fal-Webhook-Signature": "zz"}, BODY, NOW, "not hex"),
        ({**headers(), "X-Fal-Webhook-Timestamp": "soon"}, BODY, NOW, "Unix seconds"),
        (headers(b"[1]"), b"[1]", NOW, "does not name the signed request id"),
        (headers(b"{x"), b"{x", NOW, "not JSON"),
    ],
)
def test_bad_deliveries_are_refused(
    given_headers: dict[str, str], body: bytes, now: int, reason: str
) -> None:
    with pytest.raises(WebhookRejected, match=reason):
        verify_fal_webhook(given_headers, body, [PUBLIC], now=now)


@given(st.sampled_from(list(headers())))
def test_every_header_is_needed(name: str) -> None:
    missing = {k: v for k, v in headers().items() if k != name}
    with pytest.raises(WebhookRejected, match=f"missing header {name.lower()}"):
        verify_fal_webhook(missing, BODY, [PUBLIC], now=NOW)


@given(st.integers(0, len(BODY) - 1), st.integers(1, 255))
def test_any_changed_byte_breaks_the_signature(index: int, flip: int) -> None:
    changed = bytearray(BODY)
    changed[index] ^= flip
    with pytest.raises(WebhookRejected):
        verify_fal_webhook(headers(), bytes(changed), [PUBLIC], now=NOW)
