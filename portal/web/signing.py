"""Keyed signatures for links and tokens: HMAC-SHA256 of a purpose and a value, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

# 32 hex characters, 128 bits: beyond reach of online guessing, short enough to print and type,
# and made of characters that cannot be misread (no O, I or L).
SIGNATURE_LENGTH = 32


def digest(secret: str, purpose: str, value: int | str) -> str:
    """The full keyed hash (64 hex characters) of value for one purpose: for stored keys and form tokens."""
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, purpose: str, value: int | str) -> str:
    """The signature of value for one purpose: a value signed for one use is worthless for another."""
    return digest(secret, purpose, value)[:SIGNATURE_LENGTH]


def verify(secret: str, purpose: str, value: int | str, signature: str | None) -> bool:
    """True when signature is sign(secret, purpose, value), whatever its case; any other input is False."""
    if not signature or len(signature) != SIGNATURE_LENGTH:
        return False
    return _same(sign(secret, purpose, value), signature.lower())


def verify_digest(secret: str, purpose: str, value: int | str, given: str | None) -> bool:
    """True when given is exactly digest(secret, purpose, value); any other input is False."""
    if not given:
        return False
    return _same(digest(secret, purpose, value), given)


def _same(expected: str, given: str) -> bool:
    # Bytes, so a non-ASCII input is a plain mismatch rather than a TypeError.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
