"""Security headers on every response, and a CSP without inline script."""

from __future__ import annotations

import re

from litestar.types import Message, Scope

# A path segment that carries a secret: a private tracking key or a link signature (32+ hex
# characters), or a tracking reference (three letters, then two groups of four).
_SECRET_SEGMENT = re.compile(r"/(?:[0-9a-fA-F]{32,}|[A-Za-z]{3}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4})(?=/|$)")
_KEYED_PATH = re.compile(r"/[0-9a-fA-F]{32,}(?:/|$)")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def csp_allowing_forms_to(origins: tuple[str, ...]) -> str:
    """The policy of a page whose form leads on to these other sites (a sign-out that ends at the identity provider).

    Browsers check `form-action` against every redirect that follows a form's submission."""
    return CSP.replace("form-action 'self'", " ".join(("form-action 'self'", *origins)))


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook: it runs for every response, unknown paths and errors included."""
    if message["type"] == "http.response.start":
        present = {name.lower() for name, _ in message.get("headers", [])}
        extra = [(n, v) for n, v in HEADERS if n not in present]
        if _KEYED_PATH.search(scope.get("path", "")) and b"cache-control" not in present:
            # A page reached by a private key must not stay in a shared computer's cache.
            extra.append((b"cache-control", b"no-store"))
        message["headers"] = [*message.get("headers", []), *extra]


def loggable_path(path: str) -> str:
    """The path with its secrets (references, private keys, signatures) masked, for log lines."""
    return _SECRET_SEGMENT.sub("/…", path)
