"""CSRF protection for HTML forms: a random cookie and a signed copy in each form.

Checked by the handler itself (not a middleware) so that a failed check can re-show the form
with the person's text kept instead of discarding it on an error page.
"""

from __future__ import annotations

import secrets

from portal.web import signing

COOKIE = "guichet_csrf"
FIELD = "csrf_token"
PURPOSE = "csrf"


def form_token(secret: str, cookie_value: str | None) -> tuple[str, str]:
    """The (cookie value, form token) pair to use in a response; reuses a well-formed cookie."""
    nonce = cookie_value if cookie_value and len(cookie_value) == 43 else secrets.token_urlsafe(32)
    return nonce, signing.digest(secret, PURPOSE, nonce)


def is_valid(secret: str, cookie_value: str | None, submitted: str | None) -> bool:
    """True when the submitted token is the one made for this browser's cookie."""
    if not cookie_value or not submitted:
        return False
    return signing.verify_digest(secret, PURPOSE, cookie_value, submitted)
