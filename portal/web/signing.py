"""Keyed signatures for links and tokens: HMAC-SHA256 of a purpose and a value, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

# 32 hex characters, 128 bits: beyond reach of online guessing, short enough to print and type,
# and made of characters that cannot be misread (no O, I or L).
SIGNATURE_LENGTH = 32


def sign(secret: str, purpose: str, value: int | str) -> str:
    """The signature of value for one purpose: a value signed for one use is worthless for another."""
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def verify(secret: str, purpose: str, value: int | str, signature: str | None) -> bool:
    """True when signature is sign(secret, purpose, value), whatever its case; any other input is False."""
    if not signature or len(signature) != SIGNATURE_LENGTH:
        return False
    # Bytes, so a non-ASCII signature is a plain mismatch rather than a TypeError.
    return hmac.compare_digest(sign(secret, purpose, value).encode(), signature.lower().encode("utf-8", "replace"))
