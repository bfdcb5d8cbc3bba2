"""Sending each digest exactly once: claim a (subscription, period) row, send, then mark it sent."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import traceback
from dataclasses import dataclass, field

from portal.digests.content import build_digest
from portal.digests.periods import Period, due_periods
from portal.digests.render import (
    archive_url,
    build_message,
    render_digest,
    unsubscribe_url,
)
from portal.digests.subscriptions import (
    OutOfScope,
    digest_services,
    list_subscriptions,
    service_codes,
)
from portal.settings import Settings
from portal.store.digests.tables import DigestRun
from portal.web.mail import MailError, send_email

log = logging.getLogger(__name__)
UTC = dt.timezone.utc


@dataclass(frozen=True)
class DeliveryPolicy:
    # A claim older than this is presumed dead (its process crashed) and may be taken over.
    # It must exceed the longest send: smtp_attempts * 30 s timeout plus backoff.
    lease: dt.timedelta = dt.timedelta(minutes=15)
    max_attempts: int = 5
    retry_delays: tuple[dt.timedelta, ...] = (
        dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2), dt.timedelta(hours=6),
    )
    smtp_attempts: int = 3
    smtp_backoff: float = 2.0
    catch_up_periods: int = 8  # older missed periods are history, not news: they are not sent

    def retry_delay(self, attempts: int) -> dt.timedelta:
        return self.retry_delays[min(attempts, len(self.retry_delays)) - 1]


@dataclass(frozen=True)
class Claim:
    run_id: int
    token: str
    attempts: int


@dataclass
class PassReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def line(self) -> str:
        return f"sent {len(self.sent)}, to retry {len(self.retrying)}, failed {len(self.failed)}"


async def claim_run(subscription: dict, period: Period, now: dt.datetime, policy: DeliveryPolicy) -> Claim | None:
    """Claim the (subscription, period) row, or take over a dead or retry-due claim; None if someone else has it.

    The unique index on (subscription, period_start) makes the insert the arbiter between
    processes; the takeover is a conditional update, so only one process wins it.
    """
    token = secrets.token_hex(16)
    inserted = await DigestRun.insert(DigestRun(
        subscription=subscription["id"], recipient=subscription["owner_email"], period_start=period.start,
        period_end=period.end, state="claimed", claimed_at=now, claim_token=token, retry_at=now + policy.lease,
        attempts=1, last_error="", message_id="", subject="", html="", text="",
    )).on_conflict(target=(DigestRun.subscription, DigestRun.period_start), action="DO NOTHING").returning(DigestRun.id)
    if inserted:
        return Claim(inserted[0]["id"], token, 1)
    taken = await DigestRun.raw(
        """UPDATE digest_run SET claim_token = {}, claimed_at = {}, retry_at = {}, attempts = attempts + 1
           WHERE subscription = {} AND period_start = {} AND state = 'claimed' AND retry_at <= {}
           RETURNING id, attempts""",
        token, now, now + policy.lease, subscription["id"], period.start, now,
    )
    return Claim(taken[0]["id"], token, int(taken[0]["attempts"])) if taken else None


async def mark_sent(claim: Claim, *, subject: str, html: str, text: str, chart_png: bytes, message_id: str,
                    now: dt.datetime) -> bool:
    rows = await DigestRun.update({
        DigestRun.state: "sent", DigestRun.sent_at: now, DigestRun.message_id: message_id, DigestRun.subject: subject,
        DigestRun.html: html, DigestRun.text: text, DigestRun.chart_png: chart_png, DigestRun.last_error: "",
        DigestRun.retry_at: None,
    }).where((DigestRun.id == claim.run_id) & (DigestRun.claim_token == claim.token)).returning(DigestRun.id)
    return bool(rows)


async def record_failure(claim: Claim, error: str, now: dt.datetime, policy: DeliveryPolicy, permanent: bool = False) -> str:
    """Release the claim for a later retry with backoff, or mark the run failed after the last attempt."""
    final = permanent or claim.attempts >= policy.max_attempts
    values = {DigestRun.last_error: error[:2000], DigestRun.claim_token: ""}
    if final:
        values.update({DigestRun.state: "failed", DigestRun.retry_at: None})
    else:
        values[DigestRun.retry_at] = now + policy.retry_delay(claim.attempts)
    await DigestRun.update(values).where((DigestRun.id == claim.run_id) & (DigestRun.claim_token == claim.token))
    return "failed" if final else "retrying"


async def deliver(settings: Settings, subscription: dict, period: Period, now: dt.datetime,
                  policy: DeliveryPolicy) -> str | None:
    """One digest: claim, build, render, send, mark. Returns sent/retrying/failed, or None if not ours."""
    claim = await claim_run(subscription, period, now, policy)
    if claim is None:
        return None
    unsubscribe = unsubscribe_url(settings, subscription["id"])
    try:
        codes = await digest_services(subscription["owner_email"], service_codes(subscription))
        content = await build_digest([] if codes is None else codes, period, subscription["language"], settings.base_url)
        rendered = render_digest(content, unsubscribe=unsubscribe, archive=archive_url(settings, claim.run_id),
                                 frequency=subscription["frequency"])
        # The same Message-ID on every attempt: should a crash ever follow an accepted send, the
        # copy sent on retry is recognisably the same message.
        message_id = f"<digest-{claim.run_id}-{period.start:%Y%m%dT%H%M}@guichet>"
        message = build_message(rendered, settings, to=subscription["owner_email"], unsubscribe=unsubscribe,
                                message_id=message_id)
        await send_email(settings, message, attempts=policy.smtp_attempts, backoff=policy.smtp_backoff)
    except OutOfScope as exc:  # trying again would not help: ownership is changed by a person
        state = await record_failure(claim, str(exc), now, policy, permanent=True)
        log.warning("digest run %s for subscription %s: %s", claim.run_id, subscription["id"], exc)
        return state
    except MailError as exc:
        state = await record_failure(claim, str(exc), now, policy, permanent=not exc.temporary)
        log.warning("digest run %s for subscription %s: %s (%s)", claim.run_id, subscription["id"], exc, state)
        return state
    except Exception:  # noqa: BLE001 - a bug must not leave the claim stuck; it is recorded and retried
        state = await record_failure(claim, traceback.format_exc(limit=5), now, policy)
        log.exception("digest run %s could not be built", claim.run_id)
        return state
    await mark_sent(claim, subject=rendered.subject, html=rendered.html, text=rendered.text,
                    chart_png=rendered.chart_png, message_id=message_id, now=dt.datetime.now(UTC))
    return "sent"


async def run_due(settings: Settings, *, now: dt.datetime | None = None, policy: DeliveryPolicy = DeliveryPolicy(),
                  subscription_ids: list[int] | None = None) -> PassReport:
    """One idempotent pass: every due period of every active subscription, missed ones included."""
    now = now or dt.datetime.now(UTC)
    report = PassReport()
    for subscription in await list_subscriptions(active_only=True):
        if subscription_ids is not None and subscription["id"] not in subscription_ids:
            continue
        periods = due_periods(subscription, now)[-policy.catch_up_periods:]
        if not periods:
            continue
        finished = {
            _utc(r["period_start"])
            for r in await DigestRun.select(DigestRun.period_start).where(
                (DigestRun.subscription == subscription["id"]) & DigestRun.state.is_in(["sent", "failed"])
                & (DigestRun.period_start >= periods[0].start)
            )
        }
        for period in periods:
            if period.start in finished:
                continue
            state = await deliver(settings, subscription, period, now, policy)
            if state:
                getattr(report, state).append(subscription["id"])
    return report


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


async def archived_run(run_id: int) -> dict | None:
    """A digest run with its archived e-mail, for the portal's archive page."""
    return await DigestRun.select().where(DigestRun.id == run_id).first()
