"""CSRF protection for HTML forms: a random cookie and a signed copy in each form.

Checked by the handler itself (not a middleware) so that a failed check can re-show the form
with the person's text kept instead of discarding it on an error page.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from litestar import Request
from litestar.response import Template

from portal.web import signing
from portal.web.settings import settings_of

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


def with_csrf(request: Request, template: str, context: dict, status: int = 200, headers: dict | None = None) -> Template:
    """Render a page whose forms carry a CSRF token: csrf_token and csrf_field in the context, the cookie set."""
    settings = settings_of(request)
    cookie_value, token = form_token(settings.secret_key, request.cookies.get(COOKIE))
    response = Template(
        template_name=template,
        context={**context, "csrf_token": token, "csrf_field": FIELD},
        status_code=status,
        headers=headers,
    )
    response.set_cookie(COOKIE, cookie_value, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/")
    return response


def csrf_ok(request: Request, data: Mapping[str, str]) -> bool:
    """True when the submitted form carries the token made for this browser."""
    return is_valid(settings_of(request).secret_key, request.cookies.get(COOKIE), data.get(FIELD))
