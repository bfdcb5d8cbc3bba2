"""The staff inbox in the store: search of feedback, urgent and oldest first (or least sure first), keyset-paged, and export rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.columns.combination import WhereRaw

from portal.store.core.tables import Feedback, FeedbackTopic
from portal.store.engine import current_engine, is_postgres


@dataclass(frozen=True)
class InboxSearch:
    """What to look for; an empty field matches everything."""

    services: tuple[int, ...] | None = None  # None: every service; () matches nothing
    statuses: tuple[str, ...] = ()
    channel: str | None = None
    office: int | None = None
    sentiment: str | None = None
    topic: str | None = None
    urgent: bool | None = None
    received_from: dt.datetime | None = None
    received_before: dt.datetime | None = None
    reference: str | None = None
    text: str = ""  # matched literally and case-insensitively in the redacted text
    confidence_below: float | None = None  # only sentiments less sure than this ("to check")
    least_sure_first: bool = False  # order by sentiment confidence, lowest first, unlabelled last


# Where an inbox page resumes: after the row with this (urgent, received_at, id), or, least sure
# first, with this (sentiment_confidence or None, id).
InboxKey = tuple[bool, dt.datetime, int] | tuple[float | None, int]

_COLUMNS = (
    Feedback.id,
    Feedback.reference,
    Feedback.channel,
    Feedback.rating,
    Feedback.redacted_text,
    Feedback.sentiment,
    Feedback.sentiment_confidence,
    Feedback.sentiment_source,
    Feedback.topics,
    Feedback.urgent,
    Feedback.flagged,
    Feedback.status,
    Feedback.received_at,
    Feedback.service.code.as_alias("service_code"),
    Feedback.service.name_fr.as_alias("service_name_fr"),
    Feedback.service.name_en.as_alias("service_name_en"),
    Feedback.office.name.as_alias("office_name"),
)


def _conditions(search: InboxSearch) -> list:
    """WHERE clauses of the search."""
    where = []
    if search.services:
        wanted = list(search.services)
        where.append(Feedback.service == wanted[0] if len(wanted) == 1 else Feedback.service.is_in(wanted))
    if len(search.statuses) == 1:
        where.append(Feedback.status == search.statuses[0])
    elif search.statuses:
        where.append(Feedback.status.is_in(list(search.statuses)))
    if search.channel:
        where.append(Feedback.channel == search.channel)
    if search.office:
        where.append(Feedback.office == search.office)
    if search.sentiment:
        where.append(Feedback.sentiment == search.sentiment)
    if search.confidence_below is not None:
        where.append(Feedback.sentiment_confidence < search.confidence_below)
    if search.urgent is not None:
        where.append(Feedback.urgent == search.urgent)
    if search.received_from:
        where.append(Feedback.received_at >= search.received_from)
    if search.received_before:
        where.append(Feedback.received_at < search.received_before)
    if search.topic:
        where.append(Feedback.id.is_in(FeedbackTopic.select(FeedbackTopic.feedback).where(FeedbackTopic.topic == search.topic)))
    if search.reference:
        where.append(Feedback.reference == search.reference)
    if search.text:
        # What was typed is matched literally: % and _ are escaped, with a backslash.
        pattern = "%" + search.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if is_postgres(current_engine()):  # backslash is PostgreSQL's default LIKE escape
            where.append(Feedback.redacted_text.ilike(pattern))
        else:  # SQLite's LIKE ignores ASCII case and has no escape character unless given one
            where.append(WhereRaw("\"feedback\".\"redacted_text\" LIKE {} ESCAPE '\\'", pattern))
    return where


async def feedback_for_inbox(search: InboxSearch, after: InboxKey | None = None, limit: int = 50) -> list[dict]:
    """Up to `limit` feedback matching the search: urgent first, then the rest, each oldest first (or the least sure
    first, when the search asks); resumes after `after`.

    Read as two index-friendly ascending scans (urgent, then not urgent) rather than one mixed
    DESC/ASC sort, so deep pages stay as fast as the first.
    """
    if search.services is not None and not search.services:
        return []
    if search.least_sure_first:
        return await _least_sure_first(search, after, limit)
    where = _conditions(search)
    rows: list[dict] = []
    for urgent in (True, False):
        if search.urgent is not None and search.urgent != urgent:
            continue
        if after and after[0] is False and urgent:
            continue  # the key is already past the urgent part
        part = [*where, Feedback.urgent == urgent]
        if after and after[0] == urgent:
            _, received, row_id = after
            part.append((Feedback.received_at > received) | ((Feedback.received_at == received) & (Feedback.id > row_id)))
        query = Feedback.select(*_COLUMNS)
        for clause in part:
            query = query.where(clause)
        rows += await query.order_by(Feedback.received_at, Feedback.id).limit(limit - len(rows))
        if len(rows) >= limit:
            break
    return rows


async def _least_sure_first(search: InboxSearch, after: tuple[float | None, int] | None, limit: int) -> list[dict]:
    """The search's feedback by sentiment confidence, lowest first, then those without one, each by id.

    Staff corrections are certain (1.0), so they come after every model label. Two ascending scans
    (labelled, then unlabelled) keep NULLs last the same way on SQLite and PostgreSQL.
    """
    where = _conditions(search)
    rows: list[dict] = []
    for labelled in (True, False):
        if after and after[0] is None and labelled:
            continue  # the key is already past the labelled part
        part = [*where, Feedback.sentiment_confidence.is_not_null() if labelled else Feedback.sentiment_confidence.is_null()]
        if after and (after[0] is not None) == labelled:
            confidence, row_id = after
            if labelled:
                part.append((Feedback.sentiment_confidence > confidence)
                            | ((Feedback.sentiment_confidence == confidence) & (Feedback.id > row_id)))
            else:
                part.append(Feedback.id > row_id)
        query = Feedback.select(*_COLUMNS)
        for clause in part:
            query = query.where(clause)
        order = (Feedback.sentiment_confidence, Feedback.id) if labelled else (Feedback.id,)
        rows += await query.order_by(*order).limit(limit - len(rows))
        if len(rows) >= limit:
            break
    return rows


def key_of(search: InboxSearch, row: dict) -> InboxKey:
    """Where a page that ends with this row resumes, in the search's order."""
    if search.least_sure_first:
        return row["sentiment_confidence"], row["id"]
    return bool(row["urgent"]), row["received_at"].astimezone(dt.timezone.utc), row["id"]


EXPORT_PAGE = 1000


async def feedback_for_export(search: InboxSearch, limit: int) -> list[dict]:
    """At most `limit` feedback matching the search, in inbox order, read a thousand at a time."""
    rows: list[dict] = []
    after: InboxKey | None = None
    while len(rows) < limit:
        want = min(EXPORT_PAGE, limit - len(rows))
        page = await feedback_for_inbox(search, after, limit=want + 1)  # one more says whether to go on
        rows += page[:want]
        if len(page) <= want:
            break
        after = key_of(search, page[want - 1])
    return rows
