"""One feedback as staff see it: labels with confidence, history, original text on request, corrections."""

from __future__ import annotations

from portal.classify.labels import DEFAULT_TOPIC_NAMES
from portal.feedback import chips
from portal.review import audit
from portal.review.answers import templates_for
from portal.review.inbox import to_check
from portal.review.similar import similar_reports
from portal.review.similar_groups import group_of_item
from portal.store import feedback
from portal.store import topics as topic_store
from portal.store.core.tables import SENTIMENTS
from portal.store.status import moves_from
from portal.web.i18n import _, current_language, ngettext


class CorrectionError(ValueError):
    """The correction is not valid; the message is for the person."""


async def item_view(item: dict) -> dict:
    """Everything the item page shows, except the original text (see `original_text`)."""
    row = await feedback.feedback_for_staff(item["id"])
    row["topic_list"] = [t for t in (row["topics"] or "").split(",") if t]
    row["to_check"] = to_check(row["sentiment_confidence"])
    model = await feedback.latest_classification(item["id"])
    if model is not None:
        if model["sentiment_confidence"] is None:  # stored before the confidence was: read it from the scores
            model["sentiment_confidence"] = max((model["sentiment_scores"] or {}).values(), default=None)
        model["to_check"] = to_check(model["sentiment_confidence"])
    return {
        "item": row,
        "tapped_topics": await tapped_topics(item["id"]),
        "model": model,
        "corrections": await feedback.corrections_of(item["id"]),
        "history": await audit.feedback_history(item["id"]),
        "templates": await templates_for(row["service"]),
        "publication": await feedback.publication_of(item["id"]),
        "moves": moves_from(row["status"]),
        "topic_choices": await topic_choices(),
        "sentiments": SENTIMENTS,
        "similar": await similar_reports(item["id"]),
        "report_group": await group_of_item(item["id"]),
    }


async def tapped_topics(feedback_id: int) -> list[str]:
    """The topic chips the person tapped on a kiosk with this feedback, in the reader's language (none for other channels)."""
    return (await chips.tapped_topics([feedback_id], current_language.get())).get(feedback_id, [])


async def topic_choices() -> list[str]:
    """The classifier's topics, the administrators' active ones, and any topic already in use (a retrained
    model may add some)."""
    described = [t["name"] for t in await topic_store.active_topics()]
    return sorted({*DEFAULT_TOPIC_NAMES, *described, *await feedback.topics_in_use()})


async def original_text(staff: dict, item: dict, client: str = "") -> str:
    """The text as the citizen wrote it; every reading is written to the audit log first."""
    await audit.record("view_original", staff, feedback_id=item["id"], service_id=item["service"], client=client)
    return await feedback.original_text_of(item["id"])


async def correct_labels(staff: dict, item: dict, sentiment: str | None, topics: list[str], urgent: bool, client: str = "") -> None:
    """One correction of sentiment, topics and urgency: kept as a StaffLabel, made effective, audited."""
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise CorrectionError(_("Choisissez un sentiment dans la liste."))
    allowed = set(await topic_choices())
    unknown = [t for t in topics if t not in allowed]
    if unknown:
        raise CorrectionError(ngettext("Thème inconnu : %(topics)s.", "Thèmes inconnus : %(topics)s.", len(unknown))
                              % {"topics": ", ".join(unknown)})
    await feedback.correct_labels(item["id"], item["service"], sentiment, list(dict.fromkeys(topics)), urgent, staff,
                                  client=client)
