"""Staff corrections of labels in the store: the label, the effective labels and the audit row go together."""

import pytest

from portal.store import feedback
from portal.store.core.tables import AuditEvent, FeedbackTopic, StaffLabel
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff


def _gone(staff: dict) -> dict:
    """The actor of a session whose account the database no longer has: its audit row cannot be written."""
    return {**staff, "id": staff["id"] + 10_000, "email": "ancien.agent@example.gouv.fr"}


async def test_a_correction_is_kept_made_effective_and_audited_or_not_at_all(db):
    service = await create_service()
    admin = await create_staff("admin")
    item = (await create_feedback(service, text="Personne au guichet ce matin.")).feedback_id

    with pytest.raises(Exception):
        await feedback.correct_labels(item, service["id"], "negative", ["accueil"], True, _gone(admin))
    assert await StaffLabel.count() == 0 and await FeedbackTopic.count() == 0 and await AuditEvent.count() == 0
    assert (await feedback.feedback_for_staff(item))["urgent"] is False

    await feedback.correct_labels(item, service["id"], "negative", ["accueil", "attente"], True, admin, client="192.0.2.1")
    row = await feedback.feedback_for_staff(item)
    assert (row["sentiment"], row["topics"], row["urgent"]) == ("negative", "accueil,attente", True)
    assert sorted(await feedback.topics_in_use()) == ["accueil", "attente"]
    [correction] = await feedback.corrections_of(item)
    assert (correction["sentiment"], correction["topics"], correction["urgent"]) == ("negative", ["accueil", "attente"], True)
    [event] = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).output(load_json=True)
    assert event["action"] == feedback.CORRECT_LABELS
    assert event["detail"]["after"] == {"sentiment": "negative", "topics": ["accueil", "attente"], "urgent": True}
    assert event["detail"]["before"]["topics"] == [] and event["detail"]["before"]["urgent"] is False
    assert await feedback.original_text_of(item) == "Personne au guichet ce matin."
    assert await feedback.publication_of(item) is None and await feedback.latest_classification(item) is None
