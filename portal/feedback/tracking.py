"""Private tracking links: the short reference shows a status, the reference with its key shows everything.

The reference (GCH-XXXX-XXXX) is read aloud at a counter, printed and typed, so it is treated as
known to others: it only opens the status. The citizen's own text and the service's answer need
the key, an HMAC of the reference under the portal's secret, given on the confirmation page and in
e-mails. No column holds it: it is recomputed, and changing PORTAL_SECRET_KEY changes every link.
"""

from __future__ import annotations

from portal.web import signing

PURPOSE = "tracking-link"


def link_key(secret: str, reference: str) -> str:
    return signing.sign(secret, PURPOSE, reference)


def key_matches(secret: str, reference: str, key: str | None) -> bool:
    return signing.verify(secret, PURPOSE, reference, key)


def private_path(secret: str, reference: str) -> str:
    """The citizen's own tracking page: their text, the answer, similar reports."""
    return f"/track/{reference}/{link_key(secret, reference)}"


def confirmation_path(secret: str, reference: str) -> str:
    return f"/merci/{reference}/{link_key(secret, reference)}"


def private_url(base_url: str, secret: str, reference: str) -> str:
    return base_url.rstrip("/") + private_path(secret, reference)


def status_api_url(base_url: str, reference: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/feedback/{reference}"


def private_api_url(base_url: str, secret: str, reference: str) -> str:
    return f"{status_api_url(base_url, reference)}/{link_key(secret, reference)}"
