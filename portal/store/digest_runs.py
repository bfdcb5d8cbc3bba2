"""Digest runs in the store: one row per (subscription, period), claimed exactly once, with a lease, retries and the archive."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from portal.store.digests.tables import DigestRun

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Claim:
    run_id: int
    token: str
    attempts: int


async def claim_run(subscription_id: int, recipient: str, period_start: dt.datetime, period_end: dt.datetime,
                    now: dt.datetime, lease: dt.timedelta) -> Claim | None:
    """Claim the (subscription, period) row, or take over a dead or retry-due claim; None if someone else has it.

    The unique index on (subscription, period_start) makes the insert the arbiter between
    processes; the takeover is a conditional update, so only one process wins it. The claim
    holds for `lease`: after that it is presumed dead and may be taken over.
    """
    token = secrets.token_hex(16)
    inserted = await DigestRun.insert(DigestRun(
        subscription=subscription_id, recipient=recipient, period_start=period_start,
        period_end=period_end, state="claimed", claimed_at=now, claim_token=token, retry_at=now + lease,
        attempts=1, last_error="", message_id="", subject="", html="", text="",
    )).on_conflict(target=(DigestRun.subscription, DigestRun.period_start), action="DO NOTHING").returning(DigestRun.id)
    if inserted:
        return Claim(inserted[0]["id"], token, 1)
    taken = await DigestRun.raw(
        """UPDATE digest_run SET claim_token = {}, claimed_at = {}, retry_at = {}, attempts = attempts + 1
           WHERE subscription = {} AND period_start = {} AND state = 'claimed' AND retry_at <= {}
           RETURNING id, attempts""",
        token, now, now + lease, subscription_id, period_start, now,
    )
    return Claim(taken[0]["id"], token, int(taken[0]["attempts"])) if taken else None


async def mark_sent(claim: Claim, *, subject: str, html: str, text: str, chart_png: bytes, message_id: str,
                    now: dt.datetime) -> bool:
    """Archive the sent e-mail and close the run, if the claim still holds; False when it was taken over."""
    rows = await DigestRun.update({
        DigestRun.state: "sent", DigestRun.sent_at: now, DigestRun.message_id: message_id, DigestRun.subject: subject,
        DigestRun.html: html, DigestRun.text: text, DigestRun.chart_png: chart_png, DigestRun.last_error: "",
        DigestRun.retry_at: None,
    }).where((DigestRun.id == claim.run_id) & (DigestRun.claim_token == claim.token)).returning(DigestRun.id)
    return bool(rows)


async def retry_later(claim: Claim, error: str, retry_at: dt.datetime) -> None:
    """Release the claim with its error; the run may be claimed again from `retry_at`."""
    await _release(claim, {DigestRun.last_error: error[:2000], DigestRun.claim_token: "", DigestRun.retry_at: retry_at})


async def mark_failed(claim: Claim, error: str) -> None:
    """Release the claim and mark the run failed for good, with its error."""
    await _release(claim, {DigestRun.last_error: error[:2000], DigestRun.claim_token: "", DigestRun.state: "failed",
                           DigestRun.retry_at: None})


async def _release(claim: Claim, values: dict) -> None:
    await DigestRun.update(values).where((DigestRun.id == claim.run_id) & (DigestRun.claim_token == claim.token))


async def finished_periods(subscription_id: int, since: dt.datetime) -> set[dt.datetime]:
    """The starts (in UTC) of the subscription's periods from `since` on whose run is sent or failed."""
    rows = await DigestRun.select(DigestRun.period_start).where(
        (DigestRun.subscription == subscription_id) & DigestRun.state.is_in(["sent", "failed"])
        & (DigestRun.period_start >= since)
    )
    return {_utc(r["period_start"]) for r in rows}


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


async def archived_run(run_id: int) -> dict | None:
    """A digest run with its archived e-mail, for the portal's archive page."""
    return await DigestRun.select().where(DigestRun.id == run_id).first()
