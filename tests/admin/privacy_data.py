"""Test data of the personal-data tests: items with an address and a phone number, closed long ago or not."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import CitizenMail, Feedback
from tests.factories import create_feedback

TEXT = "Rappelez-moi au 06 12 34 56 78 ou marie.dupont@example.fr, le guichet était fermé."


async def create_item(service: dict, *, email: str = "marie.dupont@example.fr", closed_days_ago: int | None = 400,
                      text: str = TEXT, comment: str = "", mail_error: str = "") -> dict:
    """A feedback with a contact address and an original text the redaction changed; closed `closed_days_ago` days
    ago (None: left open), received then, with one e-mail in the outbox (its error naming the address if given)."""
    receipt = await create_feedback(service, text=text, contact_email=email, contact_consent=True, rating=2)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=closed_days_ago or 0)
    await Feedback.update({
        Feedback.received_at: when, Feedback.status: "closed" if closed_days_ago is not None else "received",
        Feedback.resolved_comment: comment,
    }).where(Feedback.id == receipt.feedback_id)
    await CitizenMail.insert(CitizenMail(feedback=receipt.feedback_id, kind="status", state="failed" if mail_error else "pending",
                                         last_error=mail_error, due_at=when))
    return await Feedback.select().where(Feedback.id == receipt.feedback_id).first()


async def stored(feedback_id: int) -> dict:
    return await Feedback.select().where(Feedback.id == feedback_id).first()
