"""Staff corrections as training examples: the corrected feedback with words, and the labels staff left standing."""

from portal.classify.corrections import corrections_from_store
from portal.store.core.tables import Feedback, StaffLabel
from portal.store.feedback import apply_effective_labels
from tests.factories import create_feedback, create_service


async def test_each_corrected_feedback_with_words_is_one_example(db):
    service = await create_service()
    corrected = await create_feedback(service, text="Personne ne répond au téléphone.")
    kept = await create_feedback(service, text="Accueil agréable.")
    await create_feedback(service, text="Pas corrigé.")
    rating_only = await create_feedback(service, text="", rating=2)
    for item, topics, urgent in ((corrected, ["access", "responsiveness"], True), (kept, [], False),
                                 (rating_only, ["access"], True)):
        await StaffLabel(feedback=item.feedback_id, sentiment="negative", topics=topics, urgent=urgent).save()
        await apply_effective_labels(item.feedback_id, "negative", topics, urgent, sentiment_confidence=1.0,
                                     sentiment_source="staff")
    await Feedback.update({Feedback.flagged: True}).where(Feedback.id == corrected.feedback_id)
    assert await corrections_from_store() == [
        ("Personne ne répond au téléphone.",
         {"sentiment": "negative", "topics": ["access", "responsiveness"], "urgent": True, "flags": ["spam"]}),
        ("Accueil agréable.", {"sentiment": "negative", "topics": [], "urgent": False, "flags": []}),
    ]
