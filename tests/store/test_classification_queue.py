"""The classification queue in the store: release, labels stored once per claim, flags, staff labels kept, corrections read."""

from portal.store.core.tables import Classification, Feedback, FeedbackTopic, StaffLabel
from portal.store.feedback import apply_effective_labels
from portal.store.labels import (
    ModelLabels,
    claim_pending,
    release,
    services_of,
    staff_corrected_feedback,
    store_labels,
)
from tests.factories import create_feedback, create_service


def _said(feedback_id: int, *, flags: tuple[str, ...] = (), topics: tuple[str, ...] = ("access",)) -> ModelLabels:
    return ModelLabels(
        feedback=feedback_id, model_version="test-1", sentiment="negative",
        sentiment_scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05}, topics=list(topics),
        topic_scores={t: 0.8 for t in topics}, urgent=False, urgent_score=0.1, flags=list(flags), language="fr",
        embedding=b"\x00" * 16, flagged=bool(flags),
    )


async def test_released_items_are_claimable_at_once_and_an_old_claim_releases_nothing(db):
    service = await create_service()
    for i in range(3):
        await create_feedback(service, text=f"Avis numéro {i} sur le service.")
    first = await claim_pending(batch_size=10, lease_seconds=60)
    assert len(first.items) == 3
    await release(first)
    second = await claim_pending(batch_size=10, lease_seconds=60)
    assert [i["id"] for i in second.items] == [i["id"] for i in first.items]
    await release(first)  # its claim no longer holds the items: they stay claimed by the second
    assert (await claim_pending(batch_size=10)).items == []
    assert await Feedback.count().where(Feedback.classify_claim == second.claim) == 3


async def test_labels_are_stored_once_flags_set_feedback_aside_and_staff_labels_stay(db):
    service = await create_service()
    plain, spam, corrected = [await create_feedback(service, text=f"Avis {n} avec des mots.") for n in range(3)]
    await StaffLabel(feedback=corrected.feedback_id, sentiment="positive", topics=["relation"], urgent=False).save()
    await apply_effective_labels(corrected.feedback_id, "positive", ["relation"], False,
                                 sentiment_confidence=1.0, sentiment_source="staff")
    claimed = await claim_pending(batch_size=10)
    said = [_said(plain.feedback_id), _said(spam.feedback_id, flags=("spam",)), _said(corrected.feedback_id)]
    ids = [plain.feedback_id, spam.feedback_id, corrected.feedback_id]
    assert await store_labels(claimed, said) == sorted(ids)
    assert await store_labels(claimed, said) == []  # done: nothing is labelled twice
    assert await Classification.count() == 3
    rows = {r["id"]: r for r in await Feedback.select(Feedback.id, Feedback.sentiment, Feedback.topics, Feedback.flagged)}
    assert (rows[plain.feedback_id]["sentiment"], rows[plain.feedback_id]["topics"]) == ("negative", "access")
    assert [bool(rows[i]["flagged"]) for i in ids] == [False, True, False]
    assert (rows[corrected.feedback_id]["sentiment"], rows[corrected.feedback_id]["topics"]) == ("positive", "relation")
    topics = await FeedbackTopic.select(FeedbackTopic.topic).where(FeedbackTopic.feedback == corrected.feedback_id)
    assert [t["topic"] for t in topics] == ["relation"]
    assert await services_of(ids) == {service["id"]}
    assert await services_of([]) == set()


async def test_staff_corrections_are_read_with_the_labels_staff_left_standing(db):
    service = await create_service()
    corrected = await create_feedback(service, text="Personne ne répond au téléphone.")
    await create_feedback(service, text="Pas corrigé.")
    rating_only = await create_feedback(service, text="", rating=2)
    for item, topics in ((corrected, ["access", "responsiveness"]), (rating_only, ["access"])):
        await StaffLabel(feedback=item.feedback_id, sentiment="negative", topics=topics, urgent=True).save()
        await apply_effective_labels(item.feedback_id, "negative", topics, True, sentiment_confidence=1.0,
                                     sentiment_source="staff")
    await Feedback.update({Feedback.flagged: True}).where(Feedback.id == corrected.feedback_id)
    [row] = await staff_corrected_feedback()
    assert row == {"id": corrected.feedback_id, "text": "Personne ne répond au téléphone.", "sentiment": "negative",
                   "topics": ["access", "responsiveness"], "urgent": True, "flagged": True}
