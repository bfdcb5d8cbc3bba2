"""'Me too' on published feedback: one vote per browser, abuse-limited, counted into the group's weight."""

from __future__ import annotations

import datetime as dt
import secrets

from portal.review.similar_groups import me_too_counts
from portal.store.workspace.tables import MeTooVote, Publication, ReportGroupMember
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


def voter_key(secret: str, cookie: str | None) -> str | None:
    """What is stored for a vote: a keyed hash of the browser token (never the token, never an address)."""
    if not cookie or "." not in cookie:
        return None
    token, signature = cookie.rsplit(".", 1)
    if not signing.verify(secret, COOKIE_PURPOSE, token, signature):
        return None
    # Full length, and the same for the same cookie: it is what me_too_vote.voter holds.
    return signing.digest(secret, VOTER_PURPOSE, token)


async def publication_exists(publication_id: int) -> bool:
    return await Publication.exists().where((Publication.id == publication_id) & (Publication.withdrawn == False))  # noqa: E712


async def add_vote(publication_id: int, voter: str) -> bool:
    """True when counted; False when this browser already said "me too" here (the database decides)."""
    rows = await MeTooVote.raw(
        "INSERT INTO me_too_vote (publication, voter, at) VALUES ({}, {}, {}) "
        "ON CONFLICT (publication, voter) DO NOTHING RETURNING id",
        publication_id, voter, dt.datetime.now(dt.timezone.utc),
    )
    return bool(rows)


async def with_votes(items: list[dict], voter: str | None) -> list[dict]:
    """Published items with their "me too" count, the people behind the problem, and whether this browser voted."""
    if not items:
        return items
    pubs = {i["feedback_id"]: i["publication_id"] for i in items}
    pub_ids = list(pubs.values())
    votes = {r["publication"]: int(r["n"]) for r in await MeTooVote.raw(
        "SELECT publication, COUNT(*) AS n FROM me_too_vote WHERE publication IN ("
        + ", ".join("{}" for _ in pub_ids) + ") GROUP BY publication", *pub_ids)}
    mine = set()
    if voter:
        mine = {r["publication"] for r in await MeTooVote.select(MeTooVote.publication).where(
            (MeTooVote.voter == voter) & MeTooVote.publication.is_in(pub_ids))}
    members = await ReportGroupMember.select(ReportGroupMember.feedback, ReportGroupMember.report_group).where(
        ReportGroupMember.feedback.is_in(list(pubs)) & ReportGroupMember.report_group.is_not_null())
    group_of = {m["feedback"]: m["report_group"] for m in members}
    group_ids = sorted(set(group_of.values()))
    sizes = {}
    if group_ids:
        sizes = {r["gid"]: int(r["n"]) for r in await ReportGroupMember.raw(
            "SELECT report_group AS gid, COUNT(*) AS n FROM report_group_member WHERE report_group IN ("
            + ", ".join("{}" for _ in group_ids) + ") GROUP BY report_group", *group_ids)}
    group_votes = await me_too_counts(group_ids)
    for item in items:
        feedback_id, pub = item["feedback_id"], item["publication_id"]
        group = group_of.get(feedback_id)
        item["me_too"] = votes.get(pub, 0)
        item["voted"] = pub in mine
        # The weight of the problem: reports in the group (or this one) and every "me too" on them.
        item["people"] = sizes[group] + group_votes.get(group, 0) if group else 1 + item["me_too"]
    return items
