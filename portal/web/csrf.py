"""CSRF protection for HTML forms: a random cookie and a signed copy in each form.

Checked by the handler itself (not a middleware) so that a failed check can re-show the form
with the person's text kept instead of discarding it on an error page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "guichet_csrf"
FIELD = "csrf_token"


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def form_token(secret: str, cookie_value: str | None) -> tuple[str, str]:
    """The (cookie value, form token) pair to use in a response; reuses a well-formed cookie."""
    nonce = cookie_value if cookie_value and len(cookie_value) == 43 else secrets.token_urlsafe(32)
    return nonce, _sign(secret, nonce)


def is_valid(secret: str, cookie_value: str | None, submitted: str | None) -> bool:
    if not cookie_value or not submitted:
        return False
    # Bytes, so a non-ASCII token is a plain mismatch rather than a TypeError.
    return hmac.compare_digest(_sign(secret, cookie_value).encode(), submitted.encode("utf-8", "replace"))
