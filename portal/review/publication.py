"""Moderated publication: staff choose what becomes public, always from the redacted text."""

from __future__ import annotations

import datetime as dt

from portal.feedback.redact import redact
from portal.review import audit
from portal.store.feedback import publication_source
from portal.store.publications import (
    publish_feedback,
    published_feedback,
    withdraw_publication,
)
from portal.web.i18n import _

MAX_PUBLISHED = 4000


class PublicationError(ValueError):
    """Publication refused; the message is for the person."""


async def publish(staff: dict, item: dict, edited_text: str | None = None, client: str = "") -> None:
    """Publish (or update) the item: the moderator's wording, redacted again, never the original."""
    row = await publication_source(item["id"])
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
    await publish_feedback(item["id"], text, answer, staff["id"], now)
    await audit.record("publish", staff, feedback_id=item["id"], service_id=item["service"], client=client,
                       detail={"length": len(text)})


async def withdraw(staff: dict, item: dict, client: str = "") -> None:
    await withdraw_publication(item["id"])
    await audit.record("withdraw", staff, feedback_id=item["id"], service_id=item["service"], client=client)


async def published(limit: int = 50, service_code: str | None = None) -> list[dict]:
    """What the public sees: redacted snapshots and answers, newest first; never a tracking reference."""
    return await published_feedback(limit, service_code)
