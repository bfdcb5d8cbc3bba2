"""The feedback status vocabulary, its allowed moves, and every status change with its audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from portal.store.audit import append_audit, audit_row
from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres

RECEIVED = "received"
IN_REVIEW = "in_review"
ANSWERED = "answered"
CLOSED = "closed"
STATUSES = (RECEIVED, IN_REVIEW, ANSWERED, CLOSED)
# Waiting for someone: the urgent backlog and the inbox's "open" filter count these.
OPEN_STATUSES = (RECEIVED, IN_REVIEW)

# received -> in_review -> answered -> closed; reopening goes back to in_review.
# "answered" is reached only by writing an answer (`mark_answered`), never by a move.
MOVES: dict[str, tuple[str, ...]] = {
    RECEIVED: (IN_REVIEW, CLOSED),
    IN_REVIEW: (RECEIVED, CLOSED),
    ANSWERED: (IN_REVIEW, CLOSED),
    CLOSED: (IN_REVIEW,),
}
# What the inbox offers for the ticked items at once.
BULK_STATUSES = (IN_REVIEW, CLOSED)

CHANGE_STATUS = "change_status"  # the audit action of every move
MAX_MANY = 500  # items moved by one call of `set_status_many`


def moves_from(status: str) -> tuple[str, ...]:
    """The statuses a feedback in `status` may be moved to (none for an unknown status)."""
    return MOVES.get(status, ())


def can_move(current: str, to: str) -> bool:
    """Whether a feedback in `current` may be moved to `to`."""
    return to in moves_from(current)


async def set_status(feedback_id: int, to: str, actor: dict, *, client: str = "",
                     notify: Callable[[list[int]], Awaitable[object]] | None = None) -> str | None:
    """Move one feedback to `to` and audit it in one transaction; returns the status it left, or None if refused.

    `notify` is given the moved ids inside that transaction (the citizen's notice commits with the move).
    """
    async with current_engine().transaction():
        query = Feedback.select(Feedback.status, Feedback.service).where(Feedback.id == feedback_id)
        row = await _locked(query).first()
        if row is None or not can_move(row["status"], to):
            return None
        await Feedback.update({Feedback.status: to}).where(Feedback.id == feedback_id)
        await append_audit(audit_row(CHANGE_STATUS, actor, feedback_id=feedback_id, service_id=row["service"],
                                     client=client, detail={"from": row["status"], "to": to}))
        if notify is not None:
            await notify([feedback_id])
    return row["status"]


async def set_status_many(
    feedback_ids: list[int], to: str, actor: dict, *, services: list[int] | None = None, client: str = "",
    notify: Callable[[list[int]], Awaitable[object]] | None = None,
) -> int:
    """Move those of the first MAX_MANY ids (in `services`; None: any) that may go to `to`, audited, in one go."""
    ids = feedback_ids[:MAX_MANY]
    if not ids or (services is not None and not services):
        return 0
    now = dt.datetime.now(dt.timezone.utc)
    async with current_engine().transaction():
        query = Feedback.select(Feedback.id, Feedback.service, Feedback.status).where(Feedback.id.is_in(ids))
        if services is not None:
            query = query.where(Feedback.service.is_in(list(services)))
        rows = [r for r in await _locked(query.order_by(Feedback.id)) if can_move(r["status"], to)]
        if rows:
            await Feedback.update({Feedback.status: to}).where(Feedback.id.is_in([r["id"] for r in rows]))
        await append_audit(*(
            audit_row(CHANGE_STATUS, actor, feedback_id=r["id"], service_id=r["service"], client=client, at=now,
                      detail={"from": r["status"], "to": to, "bulk": True})
            for r in rows
        ))
        if notify is not None and rows:
            await notify([r["id"] for r in rows])
    return len(rows)


async def mark_answered(feedback_id: int, text: str, at: dt.datetime,
                        notify: Callable[[list[int]], Awaitable[object]] | None = None) -> None:
    """Store the public answer and move the feedback to "answered", whatever its status was (`notify`: as set_status)."""
    async with current_engine().transaction():
        await Feedback.update({Feedback.public_answer: text, Feedback.status: ANSWERED, Feedback.answered_at: at}).where(
            Feedback.id == feedback_id
        )
        if notify is not None:
            await notify([feedback_id])


def _locked(query):
    """The select with its rows locked, in its order, until the transaction ends."""
    # So a move never acts on a status read before someone else's move, and two bulk moves lock in the
    # same order. SQLite has no row locks and needs none: its write transactions run one at a time.
    return query.lock_rows() if is_postgres(current_engine()) else query
