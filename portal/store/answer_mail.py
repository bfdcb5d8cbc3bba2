"""The e-mail state of a feedback's public answer: its vocabulary, its writes, and what a retry needs."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import Feedback

NOT_ASKED = "not_asked"  # the citizen gave no address or did not agree to be contacted
NO_SMTP = "no_smtp"  # no e-mail is set up on this portal (PORTAL_SMTP_URL empty)
QUEUED = "queued"  # handed to the sender, not yet accepted by the server
SENT = "sent"
FAILED = "failed"
MAIL_STATES = (NOT_ASKED, NO_SMTP, QUEUED, SENT, FAILED)
# What a retry button is offered for: the answer is there and the citizen agreed, but it did not leave.
RETRY_STATES = (NO_SMTP, FAILED)  # not while queued: the outbox still has it, a retry would send it twice
MAX_ERROR = 500


async def set_answer_mail(feedback_id: int, state: str, error: str = "", at: dt.datetime | None = None) -> None:
    """Record where the answer's e-mail stands (and why it failed)."""
    if state not in MAIL_STATES:
        raise ValueError(f"unknown e-mail state {state!r}")
    await Feedback.update({
        Feedback.answer_mail_state: state, Feedback.answer_mail_error: error[:MAX_ERROR],
        Feedback.answer_mail_at: at or dt.datetime.now(dt.timezone.utc),
    }).where(Feedback.id == feedback_id)


async def answer_mail_of(feedback_id: int) -> dict | None:
    """The answer and its e-mail state: public_answer, answer_mail_state, answer_mail_error, answer_mail_at."""
    return await Feedback.select(
        Feedback.public_answer, Feedback.answer_mail_state, Feedback.answer_mail_error, Feedback.answer_mail_at,
    ).where(Feedback.id == feedback_id).first()
