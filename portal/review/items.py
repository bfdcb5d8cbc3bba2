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
from portal.store.answer_mail import RETRY_STATES
from portal.store.status import ANSWERED, CLOSED, IN_REVIEW, RECEIVED, moves_from
from portal.web.i18n import _, current_language, ngettext
from portal.web.labels import detail_items, label


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
    publication = await feedback.publication_of(item["id"])
    published = bool(publication and not publication["withdrawn"])
    return {
        "item": row,
        "next_action": next_action(row, published),
        "confidence_words": confidence_words(model["sentiment_confidence"] if model else None),
        "mail_retry": bool(row["public_answer"]) and row["answer_mail_state"] in RETRY_STATES,
        "tapped_topics": await tapped_topics(item["id"]),
        "model": model,
        "corrections": await feedback.corrections_of(item["id"]),
        "history": history_in_words(await audit.feedback_history(item["id"])),
        "templates": await templates_for(row["service"]),
        "publication": publication,
        "moves": status_moves(row["status"]),
        "topic_choices": await topic_choices(),
        "sentiments": SENTIMENTS,
        "similar": await similar_reports(item["id"]),
        "report_group": await group_of_item(item["id"]),
    }


def next_action(row: dict, published: bool) -> str | None:
    """The step the item page offers first, from the item's state: "flag", "answer", "close", "publish" or None.

    A flagged open item is looked at first (clear the flag or close it); an open item with text is
    answered; a rating alone needs no answer and is closed; an answered item is published when it
    may be (text, no flag, not yet public), else closed; a closed item may still be published.
    """
    has_text = bool(row["redacted_text"])
    may_publish = has_text and not row["flagged"] and not published
    if row["status"] in (RECEIVED, IN_REVIEW):
        if row["flagged"]:
            return "flag"
        return "answer" if has_text else "close"
    if row["status"] == ANSWERED:
        return "publish" if may_publish else "close"
    if row["status"] == CLOSED and may_publish:
        return "publish"
    return None


def status_moves(status: str) -> tuple[str, ...]:
    """The moves the status box offers, the likely one first: once answered, closing, not going back to review."""
    moves = moves_from(status)
    if status == ANSWERED:
        return tuple(sorted(moves, key=lambda m: m != CLOSED))
    return moves


# How sure the model is, in words: the thresholds the team reads a confidence with.
SURE, FAIRLY_SURE = 0.85, 0.65


def confidence_words(confidence: float | None) -> str:
    """The model's confidence as a person says it ("sure", "fairly sure", "unsure: to check")."""
    if confidence is None:
        return ""
    if confidence >= SURE:
        return _("le modèle est sûr de lui")
    if confidence >= FAIRLY_SURE:
        return _("le modèle est assez sûr de lui")
    return _("le modèle hésite : à vérifier")


# Details the history leaves out: counts for the audit page, not for a person following the item.
_QUIET_DETAILS = ("length", "emailed", "bulk")


def history_in_words(events: list[dict]) -> list[dict]:
    """Each event of the item as a sentence: when, who, and what happened in words (never a code)."""
    lines = []
    for e in events:
        detail = e["detail"] or {}
        if e["action"] == "change_status" and detail.get("from") and detail.get("to"):
            what = _("Statut changé de « %(before)s » à « %(after)s »") % {
                "before": label("status", detail["from"]), "after": label("status", detail["to"])}
        elif e["action"] in ("answer", "retry_answer_mail") and "email_state" in detail:
            what = _("%(action)s : %(state)s") % {"action": label("action", e["action"]),
                                                  "state": label("answer_mail", detail["email_state"])}
        elif e["action"] == "clear_flag":
            what = _("Signalement levé : « %(reason)s »") % {"reason": detail.get("reason", "")}
        else:
            what = label("action", e["action"])
        shown = {k: v for k, v in detail.items()
                 if k not in (*_QUIET_DETAILS, "from", "to", "email_state", "reason", "by")}
        # No staff account acted (the citizen answering "is it resolved?"): who did, in words.
        who = e["actor_email"] or label("by", detail.get("by"))
        lines.append({"at": e["at"], "who": who, "what": what, "details": detail_items(shown)})
    return lines


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
