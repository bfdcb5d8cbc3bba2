"""Clerks' corrections in the store: the new version and the revision are written together or not at all."""

import pytest

from portal.feedback.intake import FeedbackInput, prepare_feedback
from portal.store import revisions
from portal.store.core.tables import Feedback
from portal.store.counters.tables import CounterEntryRevision
from tests.factories import create_feedback, create_office, create_service
from tests.review.staff import create_staff


async def _corrected_row(service: dict):
    received = (await Feedback.select(Feedback.received_at).first())["received_at"]
    return prepare_feedback(FeedbackInput(service_code=service["code"], text="Accueil très lent ce matin."), service, received)


async def test_a_correction_is_kept_with_its_revision(db):
    service = await create_service()
    clerk = await create_staff("clerk", office=await create_office(services=[service]))
    stored = await create_feedback(service, text="Accueil lent.")
    row = await _corrected_row(service)
    await revisions.record_correction(stored.feedback_id, row, reclassify=True, changed_by=clerk["id"],
                                      before={"text": "Accueil lent."}, after={"text": row.text})
    assert (await Feedback.select(Feedback.text).first())["text"] == "Accueil très lent ce matin."
    [revision] = await revisions.revisions_of(stored.feedback_id)
    assert revision["changed_at"] is not None


async def test_a_correction_whose_revision_fails_is_rolled_back(db):
    service = await create_service()
    stored = await create_feedback(service, text="Accueil lent.")
    with pytest.raises(Exception, match="(?i)foreign key"):  # no such staff member: the revision's row is refused
        await revisions.record_correction(stored.feedback_id, await _corrected_row(service), reclassify=True,
                                          changed_by=999_999, before={}, after={})
    assert (await Feedback.select(Feedback.text).first())["text"] == "Accueil lent."
    assert await CounterEntryRevision.count() == 0
