"""Moderated publication: staff choose what becomes public, always from the redacted text."""

from __future__ import annotations

import datetime as dt

from portal.feedback.redact import redact
from portal.review import audit
from portal.review.tables import Publication
from portal.store.tables import Feedback
from portal.web.i18n import _

MAX_PUBLISHED = 4000


class PublicationError(ValueError):
    """Publication refused; the message is for the person."""


async def publish(staff: dict, item: dict, edited_text: str | None = None, client: str = "") -> None:
    """Publish (or update) the item: the moderator's wording, redacted again, never the original."""
    row = await Feedback.select(Feedback.redacted_text, Feedback.public_answer, Feedback.flagged).where(
        Feedback.id == item["id"]
    ).first()
    if row["flagged"]:
        raise PublicationError(_("Cet avis est signalé (spam ou propos abusifs) : il ne peut pas être publié."))
    # The moderator starts from the redacted text; whatever they type is redacted once more.
    text = redact((edited_text if edited_text is not None else row["redacted_text"]).strip()).text
    if not text:
        raise PublicationError(_("Il n'y a pas de texte à publier."))
    if len(text) > MAX_PUBLISHED:
        raise PublicationError(_("Le texte publié dépasse %(max)s caractères.") % {"max": MAX_PUBLISHED})
    now = dt.datetime.now(dt.timezone.utc)
    answer = redact(row["public_answer"]).text if row["public_answer"] else ""
    existing = await Publication.select(Publication.id).where(Publication.feedback == item["id"]).first()
    if existing:
        await Publication.update(
            {Publication.text: text, Publication.answer: answer, Publication.withdrawn: False,
             Publication.published_by: staff["id"], Publication.published_at: now}
        ).where(Publication.id == existing["id"])
    else:
        await Publication.insert(
            Publication(feedback=item["id"], text=text, answer=answer, published_by=staff["id"], published_at=now)
        )
    await audit.record("publish", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"length": len(text)})


async def withdraw(staff: dict, item: dict, client: str = "") -> None:
    await Publication.update({Publication.withdrawn: True}).where(Publication.feedback == item["id"])
    await audit.record("withdraw", staff, feedback_id=item["id"], service_id=item["service"], client=client)


async def published(limit: int = 50, service_code: str | None = None) -> list[dict]:
    """What the public sees: redacted snapshots and answers, newest first; never a tracking reference."""
    query = Publication.select(
        Publication.id.as_alias("publication_id"), Publication.feedback.as_alias("feedback_id"),
        Publication.text, Publication.answer, Publication.published_at,
        Publication.feedback.rating.as_alias("rating"),
        Publication.feedback.service.code.as_alias("service_code"),
        Publication.feedback.service.name_fr.as_alias("service_name_fr"),
        Publication.feedback.service.name_en.as_alias("service_name_en"),
    ).where(Publication.withdrawn == False)  # noqa: E712
    if service_code:
        query = query.where(Publication.feedback.service.code == service_code)
    return await query.order_by(Publication.published_at, ascending=False).limit(limit)
