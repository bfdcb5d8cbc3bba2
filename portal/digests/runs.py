"""Sending each digest exactly once: claim a (subscription, period) row, send, then mark it sent."""

from __future__ import annotations

import datetime as dt
import logging
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
from portal.digests.subscriptions import OutOfScope, digest_services, service_codes
from portal.settings import Settings
from portal.store.digest_runs import (
    Claim,
    claim_run,
    finished_periods,
    mark_failed,
    mark_sent,
    retry_later,
)
from portal.store.subscriptions import list_subscriptions
from portal.web import labels
from portal.web.mail import MailError, send_email
from portal.web.metrics import count_digest_delivery

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


@dataclass
class PassReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def line(self) -> str:
        return f"sent {len(self.sent)}, to retry {len(self.retrying)}, failed {len(self.failed)}"


async def record_failure(claim: Claim, error: str, now: dt.datetime, policy: DeliveryPolicy, permanent: bool = False) -> str:
    """Release the claim for a later retry with backoff, or mark the run failed after the last attempt."""
    if permanent or claim.attempts >= policy.max_attempts:
        await mark_failed(claim, error)
        return "failed"
    await retry_later(claim, error, now + policy.retry_delay(claim.attempts))
    return "retrying"


async def deliver(settings: Settings, subscription: dict, period: Period, now: dt.datetime,
                  policy: DeliveryPolicy) -> str | None:
    """One digest: claim, build, render, send, mark. Returns sent/retrying/failed, or None if not ours."""
    claim = await claim_run(subscription["id"], subscription["owner_email"], period.start, period.end, now, policy.lease)
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
    await labels.read_described_topics()  # the scheduler may be a process of its own: topics' words as they are now
    for subscription in await list_subscriptions(active_only=True):
        if subscription_ids is not None and subscription["id"] not in subscription_ids:
            continue
        periods = due_periods(subscription, now)[-policy.catch_up_periods:]
        if not periods:
            continue
        finished = await finished_periods(subscription["id"], periods[0].start)
        for period in periods:
            if period.start in finished:
                continue
            state = await deliver(settings, subscription, period, now, policy)
            if state:
                count_digest_delivery(state)
                getattr(report, state).append(subscription["id"])
    return report
