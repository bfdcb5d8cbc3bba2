"""What the Open311 endpoint reads: published feedback as service requests, filtered and paged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.store.core.tables import Feedback
from portal.store.workspace.tables import Publication


@dataclass(frozen=True)
class RequestFilter:
    """Which published feedback a GET asks for; every part optional but the page."""

    ids: tuple[int, ...] = ()  # overrides the other filters, as the spec says
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # the store's statuses (received, in_review, ...)
    received_from: dt.datetime | None = None
    received_until: dt.datetime | None = None
    offset: int = 0
    limit: int = 50


async def published_requests(where: RequestFilter) -> list[dict]:
    """Published (not withdrawn) feedback matching the filter, newest first: its public text and answer only."""
    query = Publication.select(
        Publication.feedback.id.as_alias("id"),
        Publication.feedback.status.as_alias("status"),
        Publication.feedback.received_at.as_alias("received_at"),
        Publication.feedback.answered_at.as_alias("answered_at"),
        Publication.feedback.due_at.as_alias("due_at"),
        Publication.feedback.service.code.as_alias("service_code"),
        Publication.feedback.service.name_fr.as_alias("service_name_fr"),
        Publication.feedback.service.name_en.as_alias("service_name_en"),
        Publication.text, Publication.answer, Publication.published_at,
    ).where(Publication.withdrawn == False)  # noqa: E712
    if where.ids:
        query = query.where(Publication.feedback.is_in(list(where.ids)))
    else:
        if where.service_codes:
            query = query.where(Publication.feedback.service.code.is_in(list(where.service_codes)))
        if where.statuses:
            query = query.where(Publication.feedback.status.is_in(list(where.statuses)))
        if where.received_from is not None:
            query = query.where(Publication.feedback.received_at >= where.received_from)
        if where.received_until is not None:
            query = query.where(Publication.feedback.received_at <= where.received_until)
    return await query.order_by(Publication.feedback.id, ascending=False).offset(where.offset).limit(where.limit)


async def feedback_exists(feedback_id: int) -> bool:
    """Whether a feedback has this id (published or not): a token names one or nothing."""
    return await Feedback.exists().where(Feedback.id == feedback_id)
