"""One feedback as staff see it: labels with confidence, history, original text on request, corrections."""

from __future__ import annotations

import datetime as dt

from portal.classify.labels import DEFAULT_TOPIC_NAMES
from portal.review import audit
from portal.review.answers import templates_for
from portal.review.similar import similar_reports
from portal.review.similar_groups import group_of_item
from portal.store.core.tables import (
    SENTIMENTS,
    Classification,
    Feedback,
    FeedbackTopic,
    StaffLabel,
)
from portal.store.engine import current_engine
from portal.store.labels import apply_effective_labels
from portal.store.status import moves_from
from portal.store.workspace.tables import Publication


class CorrectionError(ValueError):
    """The correction is not valid; the message is for the person."""


async def item_view(item: dict) -> dict:
    """Everything the item page shows, except the original text (see `original_text`)."""
    row = await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.channel, Feedback.rating, Feedback.redacted_text, Feedback.language,
        Feedback.submitted_at, Feedback.received_at, Feedback.status, Feedback.public_answer, Feedback.answered_at,
        Feedback.given_as, Feedback.flagged, Feedback.sentiment, Feedback.urgent, Feedback.topics,
        Feedback.contact_consent, Feedback.service,
        Feedback.service.code.as_alias("service_code"), Feedback.service.name_fr.as_alias("service_name_fr"),
        Feedback.service.name_en.as_alias("service_name_en"), Feedback.office.name.as_alias("office_name"),
    ).where(Feedback.id == item["id"]).first()
    row["topic_list"] = [t for t in (row["topics"] or "").split(",") if t]
    model = (
        await Classification.select(
            Classification.model_version, Classification.sentiment, Classification.sentiment_scores,
            Classification.topics, Classification.topic_scores, Classification.urgent, Classification.urgent_score,
            Classification.flags, Classification.created_at,
        )
        .where(Classification.feedback == item["id"])
        .order_by(Classification.id, ascending=False)
        .output(load_json=True)
        .first()
    )
    corrections = await StaffLabel.select(
        StaffLabel.sentiment, StaffLabel.topics, StaffLabel.urgent, StaffLabel.created_at,
        StaffLabel.author.name.as_alias("author_name"),
    ).where(StaffLabel.feedback == item["id"]).order_by(StaffLabel.id).output(load_json=True)
    publication = await Publication.select(Publication.text, Publication.published_at, Publication.withdrawn).where(
        Publication.feedback == item["id"]
    ).first()
    return {
        "item": row,
        "model": model,
        "corrections": corrections,
        "history": await audit.feedback_history(item["id"]),
        "templates": await templates_for(row["service"]),
        "publication": publication,
        "moves": moves_from(row["status"]),
        "topic_choices": await topic_choices(),
        "sentiments": SENTIMENTS,
        "similar": await similar_reports(item["id"]),
        "report_group": await group_of_item(item["id"]),
    }


async def topic_choices() -> list[str]:
    """The classifier's topics, plus any topic already in use (a retrained model may add some)."""
    used = await FeedbackTopic.select(FeedbackTopic.topic).distinct()
    return sorted({*DEFAULT_TOPIC_NAMES, *(r["topic"] for r in used)})


async def original_text(staff: dict, item: dict, client: str = "") -> str:
    """The text as the citizen wrote it; every reading is written to the audit log first."""
    await audit.record("view_original", staff, feedback_id=item["id"], service_id=item["service"], client=client)
    row = await Feedback.select(Feedback.text).where(Feedback.id == item["id"]).first()
    return row["text"]


async def correct_labels(staff: dict, item: dict, sentiment: str | None, topics: list[str], urgent: bool, client: str = "") -> None:
    """One correction of sentiment, topics and urgency: kept as a StaffLabel and made effective."""
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise CorrectionError("Choisissez un sentiment dans la liste.")
    allowed = set(await topic_choices())
    unknown = [t for t in topics if t not in allowed]
    if unknown:
        raise CorrectionError(f"Thème inconnu : {', '.join(unknown)}.")
    topics = list(dict.fromkeys(topics))
    before = await Feedback.select(Feedback.sentiment, Feedback.topics, Feedback.urgent).where(Feedback.id == item["id"]).first()
    async with current_engine().transaction():
        await StaffLabel.insert(
            StaffLabel(feedback=item["id"], author=staff["id"], sentiment=sentiment, topics=topics, urgent=urgent,
                       created_at=dt.datetime.now(dt.timezone.utc))
        )
        await apply_effective_labels(item["id"], sentiment, topics, urgent)
        await audit.record(
            "correct_labels", staff, feedback_id=item["id"], service_id=item["service"], client=client,
            detail={"before": {**before, "topics": [t for t in (before["topics"] or "").split(",") if t]},
                    "after": {"sentiment": sentiment, "topics": topics, "urgent": urgent}},
        )
