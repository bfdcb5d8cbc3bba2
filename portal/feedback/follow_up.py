"""Citizen follow-up: queue the e-mails people agreed to, their one-click stop, and "is the problem resolved?".

The staff action only queues (portal.store.follow_up's outbox, in the action's transaction): the
sender (`portal.feedback.follow_up_mail.deliver_pending`) runs from the scheduler and is woken at
once where the root wired it, so a slow or failing SMTP server never blocks or loses a notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from portal.feedback.redact import redact
from portal.settings import Settings
from portal.store import follow_up as store
from portal.store.follow_up import ANSWER, RESOLUTIONS, RESOLVED, STATUS
from portal.web import signing
from portal.web.i18n import N_

UTC = dt.timezone.utc
STOP_PURPOSE = "follow-up-stop"
MAX_COMMENT = 2000
# What the person may answer, in the order the page offers them.
RESOLUTION_LABELS = (("yes", N_("Oui")), ("partly", N_("En partie")), ("no", N_("Non")))

# Told after e-mails are queued (the root wires the sender's wake-up here; nothing by default).
_on_queued: Callable[[], None] = lambda: None


def when_mail_queued(callback: Callable[[], None]) -> None:
    """Call `callback` after e-mails to citizens are queued (replaces any previous one)."""
    global _on_queued
    _on_queued = callback


def mail_queued() -> None:
    _on_queued()


def notice(settings: Settings, kind: str = STATUS) -> Callable[[list[int]], Awaitable[int]] | None:
    """For a status move or an answer: queues the citizens' e-mails in its transaction; None when e-mail is off."""
    if not settings.smtp_url:
        return None

    async def queue(feedback_ids: list[int]) -> int:
        return await store.queue_mail(feedback_ids, kind, dt.datetime.now(UTC))

    return queue


def answer_notice(settings: Settings) -> Callable[[list[int]], Awaitable[int]] | None:
    return notice(settings, ANSWER)


def due_for_question(answered_at: dt.datetime | None, days: int | None, now: dt.datetime) -> bool:
    """Whether "is it resolved?" is due: `days` (the service's delay, 0: never) after the answer."""
    if answered_at is None or not days or days <= 0:
        return False
    if answered_at.tzinfo is None:
        answered_at = answered_at.replace(tzinfo=UTC)
    return answered_at + dt.timedelta(days=days) <= now


async def queue_resolved_questions(settings: Settings, now: dt.datetime | None = None) -> int:
    """The scheduler's job: queue "is it resolved?" once per answered feedback whose delay is over; how many."""
    if not settings.smtp_url:
        return 0
    now = now or dt.datetime.now(UTC)
    candidates = await store.answered_before(now - dt.timedelta(days=1))
    due = [r["id"] for r in candidates if due_for_question(r["answered_at"], r["days"], now)]
    queued = await store.queue_once(due, RESOLVED, now) if due else 0
    if queued:
        mail_queued()
    return queued


def question_shown(item: dict, now: dt.datetime | None = None) -> bool:
    """On the private tracking page: ask while the item is answered (or since closed), its delay is over and
    nobody answered yet."""
    return (item.get("status") in ("answered", "closed") and not item.get("resolved")
            and due_for_question(item.get("answered_at"), item.get("resolved_after_days"), now or dt.datetime.now(UTC)))


class ResolutionError(ValueError):
    """The answer is refused; the message (a msgid) is for the person."""

    def __init__(self, msgid: str):
        super().__init__(msgid)
        self.msgid = msgid


async def answer_question(item: dict, answer: str, comment: str, client: str = "") -> dict:
    """Keep the person's answer to "is it resolved?"; "no" re-opens the item. {"reopened": bool}; raises ResolutionError."""
    if answer not in RESOLUTIONS:
        raise ResolutionError(N_("Choisissez une réponse : oui, en partie ou non."))
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ResolutionError(N_("Le commentaire dépasse 2000 caractères."))
    if item.get("resolved") or not question_shown(item):
        raise ResolutionError(N_("Cette question n'attend plus de réponse."))
    # Kept redacted, like every text staff read on the item page.
    done = await store.record_resolution(item["id"], answer, redact(comment).text if comment else "",
                                         dt.datetime.now(UTC), client)
    if done is None:
        raise ResolutionError(N_("Cette question n'attend plus de réponse."))
    return done


def stop_signature(secret: str, feedback_id: int) -> str:
    return signing.sign(secret, STOP_PURPOSE, feedback_id)


def stop_url(settings: Settings, feedback_id: int) -> str:
    """The one-click link that stops the e-mails about one feedback (no reference in it: an id and a signature)."""
    return f"{settings.base_url.rstrip('/')}/follow-up/stop/{feedback_id}/{stop_signature(settings.secret_key, feedback_id)}"


def stop_link_valid(secret: str, feedback_id: int, signature: str) -> bool:
    return signing.verify(secret, STOP_PURPOSE, feedback_id, signature)


async def stop(feedback_id: int) -> bool:
    """No more e-mails about this feedback; False when they were already stopped."""
    return await store.stop_follow_up(feedback_id)


async def resolution_counts(service_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """Per service, the yes / no / partly answers to "is it resolved?" (for the public results)."""
    return await store.resolution_counts(service_ids)
