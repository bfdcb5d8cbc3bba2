"""'Me too' on published feedback: one vote per browser, abuse-limited, counted into the group's weight."""

from __future__ import annotations

import datetime as dt
import secrets

from portal.settings import Settings
from portal.store import publications as store
from portal.store.groups import me_too_counts
from portal.web import signing

COOKIE = "guichet_voter"
COOKIE_DAYS = 365
# Per client address, whatever the cookie: clearing cookies to vote again is slowed down to this.
PER_CLIENT = (10, 3600)
# Signing purposes: the cookie's signature, and the key stored for a vote.
COOKIE_PURPOSE = "voter-cookie"
VOTER_PURPOSE = "me-too"


def voter_cookie(secret: str, existing: str | None) -> str:
    """The browser's voter cookie: kept when its signature is right, a new one otherwise."""
    if existing and voter_key(secret, existing):
        return existing
    token = secrets.token_urlsafe(24)
    return f"{token}.{signing.sign(secret, COOKIE_PURPOSE, token)}"


def cookie_args(settings: Settings, cookie: str) -> dict:
    """How the voter cookie is set (Response.set_cookie's keywords): sent back to the services' pages only (the
    form's similar step and the results page share it, so one browser counts once)."""
    return {"key": COOKIE, "value": cookie, "httponly": True, "samesite": "lax", "secure": settings.secure_cookies,
            "path": "/s", "max_age": COOKIE_DAYS * 86400}


def voter_key(secret: str, cookie: str | None) -> str | None:
    """What is stored for a vote: a keyed hash of the browser token (never the token, never an address)."""
    if not cookie or "." not in cookie:
        return None
    token, signature = cookie.rsplit(".", 1)
    if not signing.verify(secret, COOKIE_PURPOSE, token, signature):
        return None
    # Full length, and the same for the same cookie: it is what me_too_vote.voter holds.
    return signing.digest(secret, VOTER_PURPOSE, token)


async def service_of_publication(publication_id: int) -> str | None:
    """The service code whose results page shows this publication; None when it is not published."""
    return await store.published_service_code(publication_id)


async def add_vote(publication_id: int, voter: str) -> bool:
    """True when counted; False when this browser already said "me too" here (the database decides)."""
    return await store.add_me_too(publication_id, voter, dt.datetime.now(dt.timezone.utc))


async def with_votes(items: list[dict], voter: str | None) -> list[dict]:
    """Published items with their "me too" count, the people behind the problem, and whether this browser voted."""
    if not items:
        return items
    pubs = {i["feedback_id"]: i["publication_id"] for i in items}
    pub_ids = list(pubs.values())
    votes = await store.me_too_votes(pub_ids)
    mine = await store.voted_by(voter, pub_ids) if voter else set()
    groups = await store.groups_with_sizes(list(pubs))
    group_votes = await me_too_counts(sorted({group for group, _size in groups.values()}))
    for item in items:
        feedback_id, pub = item["feedback_id"], item["publication_id"]
        item["me_too"] = votes.get(pub, 0)
        item["voted"] = pub in mine
        # The weight of the problem: reports in the group (or this one) and every "me too" on them.
        if feedback_id in groups:
            group, size = groups[feedback_id]
            item["people"] = size + group_votes.get(group, 0)
        else:
            item["people"] = 1 + item["me_too"]
    return items
