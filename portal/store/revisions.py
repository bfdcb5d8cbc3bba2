"""Revisions of clerks' entries in the store: each correction with the version before and after it."""

from __future__ import annotations

from portal.store.counters.tables import CounterEntryRevision
from portal.store.engine import current_engine
from portal.store.feedback import FeedbackRow, correct_feedback


async def revisions_of(feedback_id: int) -> list[dict]:
    """The corrections of a feedback (changed_at, before, after), newest first."""
    return await CounterEntryRevision.select(
        CounterEntryRevision.changed_at, CounterEntryRevision.before, CounterEntryRevision.after
    ).where(CounterEntryRevision.feedback == feedback_id).order_by(CounterEntryRevision.changed_at, ascending=False)


async def record_correction(
    feedback_id: int, row: FeedbackRow, *, reclassify: bool, changed_by: int, before: dict, after: dict
) -> None:
    """Correct the feedback with the row's values and keep the revision, in one transaction."""
    async with current_engine().transaction():
        await correct_feedback(feedback_id, row, reclassify=reclassify)
        await CounterEntryRevision.insert(
            CounterEntryRevision(feedback=feedback_id, changed_by=changed_by, before=before, after=after)
        )
