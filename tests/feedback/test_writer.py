"""Group commit: concurrent submissions share INSERTs, and one bad row never fails the others."""

import asyncio

from portal.feedback.intake import FeedbackInput, submit_feedback
from portal.store.core.tables import Feedback
from tests.factories import create_service


async def test_concurrent_rows_are_all_stored_once_with_their_own_ids(db):
    service = await create_service()
    results = await asyncio.gather(
        *(submit_feedback(FeedbackInput(service_code=service["code"], text=f"avis numéro {i}", rating=1 + i % 5)) for i in range(200))
    )
    rows = await Feedback.select(Feedback.id, Feedback.reference, Feedback.text).order_by(Feedback.id)
    assert len(rows) == 200
    by_reference = {row["reference"]: row for row in rows}
    for i, result in enumerate(results):
        row = by_reference[result.reference]
        assert row["id"] == result.feedback_id and row["text"] == f"avis numéro {i}"


async def test_a_clashing_row_in_a_batch_does_not_fail_its_neighbours(db, monkeypatch):
    from portal.feedback import intake
    from portal.feedback.reference import new_reference

    service = await create_service()
    first = await submit_feedback(FeedbackInput(service_code=service["code"], text="premier"))
    # The second draw clashes with a stored reference; that row is written in a batch with
    # the rows that queued behind the first one.
    draws = iter([None, first.reference])

    def clashing_then_random():
        return next(draws, None) or new_reference()

    monkeypatch.setattr(intake, "new_reference", clashing_then_random)
    results = await asyncio.gather(*(submit_feedback(FeedbackInput(service_code=service["code"], text=f"voisin {i}")) for i in range(20)))
    assert all(r.created for r in results)
    assert first.reference not in {r.reference for r in results}
    assert len({r.reference for r in results}) == 20
    assert await Feedback.count() == 21
