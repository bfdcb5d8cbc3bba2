"""The staff inbox in the store: search of feedback in the views' and the orders' keyset pages, view counts, and export rows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from portal.store.core.tables import Feedback, FeedbackTopic, StaffUser
from portal.store.engine import current_engine, is_postgres
from portal.store.status import OPEN_STATUSES

# The orders of a page: urgent first then the oldest (the usual one), the oldest, the newest, the
# soonest due (those without a due date last), and the least sure sentiment first (`least_sure_first`).
URGENCY, OLDEST, NEWEST, DUE = "urgency", "oldest", "newest", "due"
# Which feedback, by its text: those with a comment (the queue), ratings given alone (kiosk and
# button-box presses: nothing to answer), or both.
WITH_COMMENT, RATING_ONLY, ANY_COMMENT = "with", "without", "any"


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
    received_after: dt.datetime | None = None  # strictly after: "new since my last visit"
    reference: str | None = None
    text: str = ""  # matched literally and case-insensitively in the redacted text
    confidence_below: float | None = None  # only sentiments less sure than this ("to check")
    include_withdrawn: bool = False  # clerks' entries withdrawn as mistakes are left out unless asked for
    assigned_staff: int | None = None  # only those assigned to this person
    unassigned: bool = False  # only those assigned to nobody (neither a person nor a team)
    due_before: dt.datetime | None = None  # only those due before this moment (overdue, with an open status)
    comment: str = ANY_COMMENT
    order: str = URGENCY
    least_sure_first: bool = False  # order by sentiment confidence, lowest first, unlabelled last (wins over `order`)


# Where an inbox page resumes, in the search's order: after the row with this (urgent, received_at, id);
# oldest or newest first, (received_at, id); soonest due, (due_at or None, id); least sure first,
# (sentiment_confidence or None, id).
InboxKey = tuple[bool, dt.datetime, int] | tuple[dt.datetime | float | None, int]

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
    Feedback.withdrawn_at,
    Feedback.assigned_staff,
    Feedback.assigned_service,
    Feedback.due_at,
    Feedback.service.code.as_alias("service_code"),
    Feedback.service.name_fr.as_alias("service_name_fr"),
    Feedback.service.name_en.as_alias("service_name_en"),
    Feedback.office.name.as_alias("office_name"),
)

# Literal, not a parameter, so the planner matches the partial index on rating-only feedback.
_RATING_ONLY = WhereRaw("\"feedback\".\"text\" = ''")
_WITH_COMMENT = WhereRaw("\"feedback\".\"text\" <> ''")
_CODE = re.compile(r"^[a-z_]{1,16}$")


def _status_in(statuses: tuple[str, ...]) -> WhereRaw:
    """The status condition with its codes written as literals (they are a closed vocabulary): PostgreSQL's
    generic plan of a prepared statement would otherwise guess half the rows for "open" (3 % of a million
    here) and walk the whole service in date order to find them."""
    if not all(_CODE.match(s) for s in statuses):
        raise ValueError(f"not a status code: {statuses!r}")
    return WhereRaw("\"feedback\".\"status\" IN (" + ", ".join(f"'{s}'" for s in statuses) + ")")


def _moment_before(column: str, moment: dt.datetime, before: bool = True):
    """column < moment (or > when not `before`). On PostgreSQL the moment is written as a literal (an aware datetime
    we made, in ISO form): as a parameter, the generic plan of a prepared statement guesses a third of the rows and
    walks the service in date order instead of taking the few overdue ones from their index."""
    if not is_postgres(current_engine()):
        return getattr(Feedback, column) < moment if before else getattr(Feedback, column) > moment
    text = moment.astimezone(dt.timezone.utc).isoformat()
    if not re.match(r"^[0-9T:.+-]+$", text):
        raise ValueError(f"not a moment: {text!r}")
    return WhereRaw(f"\"feedback\".\"{column}\" {'<' if before else '>'} '{text}'::timestamptz")


def _is_urgent(urgent: bool) -> WhereRaw:
    """Urgency as a literal, for the same reason: 1 feedback in 31 is urgent, not one in two."""
    return WhereRaw("\"feedback\".\"urgent\" = " + ("true" if urgent else "false"))


def _conditions(search: InboxSearch) -> list:
    """WHERE clauses of the search."""
    where = []
    if not search.include_withdrawn:
        where.append(Feedback.withdrawn_at.is_null())
    if search.services:
        wanted = list(search.services)
        where.append(Feedback.service == wanted[0] if len(wanted) == 1 else Feedback.service.is_in(wanted))
    if search.statuses:
        where.append(_status_in(search.statuses))
    if search.channel:
        where.append(Feedback.channel == search.channel)
    if search.office:
        where.append(Feedback.office == search.office)
    if search.sentiment:
        where.append(Feedback.sentiment == search.sentiment)
    if search.confidence_below is not None:
        where.append(Feedback.sentiment_confidence < search.confidence_below)
    if search.urgent is not None:
        where.append(_is_urgent(search.urgent))
    if search.received_from:
        where.append(Feedback.received_at >= search.received_from)
    if search.received_before:
        where.append(Feedback.received_at < search.received_before)
    if search.received_after:
        where.append(_moment_before("received_at", search.received_after, before=False))
    if search.assigned_staff is not None:
        where.append(Feedback.assigned_staff == search.assigned_staff)
    if search.unassigned:
        where += [Feedback.assigned_staff.is_null(), Feedback.assigned_service.is_null()]
    if search.due_before:
        where.append(_moment_before("due_at", search.due_before))
    if search.comment == WITH_COMMENT:
        where.append(_WITH_COMMENT)
    elif search.comment == RATING_ONLY:
        where.append(_RATING_ONLY)
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


async def _select(where: list, order: tuple, limit: int) -> list[dict]:
    query = Feedback.select(*_COLUMNS)
    for clause in where:
        query = query.where(clause)
    if order and isinstance(order[0], str):  # ("desc", columns...); a column's == builds SQL, hence the isinstance
        return await query.order_by(*order[1:], ascending=False).limit(limit)
    return await query.order_by(*order).limit(limit)


def _after(column, value, row_id: int, descending: bool = False):
    """Rows past (value, row_id) in (column, id) order.

    The redundant bound on the column alone (>= or <=) is what an index can start from: without it the OR
    left PostgreSQL reading the service from its first row (a page 10,000 rows deep at 10 million rows
    threw 2.3 million rows away, 536 ms; docs/capacity.md)."""
    if descending:
        return (column <= value) & ((column < value) | ((column == value) & (Feedback.id < row_id)))
    return (column >= value) & ((column > value) | ((column == value) & (Feedback.id > row_id)))


async def feedback_for_inbox(search: InboxSearch, after: InboxKey | None = None, limit: int = 50) -> list[dict]:
    """Up to `limit` feedback matching the search, in its order (by default urgent first, then the rest, each
    oldest first); resumes after `after`.

    Each order is read as ascending (or, newest first, descending) index-friendly scans rather than one
    mixed sort, so deep pages stay as fast as the first.
    """
    if search.services is not None and not search.services:
        return []
    if search.least_sure_first:
        return await _nulls_last(search, Feedback.sentiment_confidence, after, limit)
    if search.order == DUE:
        return await _nulls_last(search, Feedback.due_at, after, limit)
    where = _conditions(search)
    if search.order in (OLDEST, NEWEST):
        descending = search.order == NEWEST
        part = [*where, _after(Feedback.received_at, after[0], after[1], descending)] if after else where
        order = ("desc", Feedback.received_at, Feedback.id) if descending else (Feedback.received_at, Feedback.id)
        return await _select(part, order, limit)
    if search.urgent is None and search.statuses and set(search.statuses) <= set(OPEN_STATUSES):
        return await _urgent_first_in_one(where, after, limit)
    rows: list[dict] = []
    for urgent in (True, False):
        if search.urgent is not None and search.urgent != urgent:
            continue
        if after and after[0] is False and urgent:
            continue  # the key is already past the urgent part
        part = [*where, _is_urgent(urgent)]
        if after and after[0] == urgent:
            part.append(_after(Feedback.received_at, after[1], after[2]))
        rows += await _select(part, (Feedback.received_at, Feedback.id), limit - len(rows))
        if len(rows) >= limit:
            break
    return rows


async def _urgent_first_in_one(where: list, after: tuple | None, limit: int) -> list[dict]:
    """Urgent first, then the rest, each oldest first, in one statement: for the open items only (3 % of the
    rows), which sort quickly, where two scans would cost two round trips."""
    if after:
        urgent, received, row_id = after
        later = _after(Feedback.received_at, received, row_id)
        where = [*where, ((Feedback.urgent == True) & later) | (Feedback.urgent == False) if urgent  # noqa: E712
                 else (Feedback.urgent == False) & later]  # noqa: E712
    query = Feedback.select(*_COLUMNS)
    for clause in where:
        query = query.where(clause)
    return await query.order_by(Feedback.urgent, ascending=False).order_by(Feedback.received_at, Feedback.id).limit(limit)


async def _nulls_last(search: InboxSearch, column, after: tuple | None, limit: int) -> list[dict]:
    """The search's feedback by `column`, lowest first, then those without one, each by id.

    Least sure first: staff corrections are certain (1.0), so they come after every model label. Two
    ascending scans (with a value, then without) keep NULLs last the same way on SQLite and PostgreSQL.
    """
    where = _conditions(search)
    rows: list[dict] = []
    for valued in (True, False):
        if after and after[0] is None and valued:
            continue  # the key is already past the part with values
        part = [*where, column.is_not_null() if valued else column.is_null()]
        if after and (after[0] is not None) == valued:
            part.append(_after(column, after[0], after[1]) if valued else Feedback.id > after[1])
        rows += await _select(part, (column, Feedback.id) if valued else (Feedback.id,), limit - len(rows))
        if len(rows) >= limit:
            break
    return rows


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(dt.timezone.utc)


def key_of(search: InboxSearch, row: dict) -> InboxKey:
    """Where a page that ends with this row resumes, in the search's order."""
    if search.least_sure_first:
        return row["sentiment_confidence"], row["id"]
    if search.order == DUE:
        return _utc(row["due_at"]), row["id"]
    if search.order in (OLDEST, NEWEST):
        return _utc(row["received_at"]), row["id"]
    return bool(row["urgent"]), _utc(row["received_at"]), row["id"]


async def counts_for_inbox(searches: dict[str, InboxSearch], cap: int) -> dict[str, int]:
    """How many feedback match each search, counted up to `cap` (a view's count reads "more than" past it), all in
    one statement: one round trip for the inbox's view counts."""
    wanted = {name: search for name, search in searches.items() if search.services is None or search.services}
    counts = {name: 0 for name in searches}
    if not wanted:
        return counts
    parts = []
    for search in wanted.values():
        query = Feedback.select(Feedback.id)
        for clause in _conditions(search):
            query = query.where(clause)
        parts.append(query.limit(cap).querystrings[0])
    template = "SELECT " + ", ".join(f"(SELECT count(*) FROM ({{}}) AS part{i}) AS n{i}" for i in range(len(parts)))
    row = (await current_engine().run_querystring(QueryString(template, *parts)))[0]
    counts.update({name: int(row[f"n{i}"]) for i, name in enumerate(wanted)})
    return counts


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


async def record_inbox_visit(staff_id: int, now: dt.datetime, gap: dt.timedelta) -> dt.datetime | None:
    """Note that this person opened the inbox now; returns the start of their "new since my last visit".

    A visit is the inbox pages opened less than `gap` apart: a new visit starts "new" where the last
    one ended; a first visit, at the account's creation.
    """
    async with current_engine().transaction():
        row = await StaffUser.select(StaffUser.inbox_seen_at, StaffUser.inbox_new_since, StaffUser.created_at).where(
            StaffUser.id == staff_id).first()
        if row is None:
            return None
        seen, since = row["inbox_seen_at"], row["inbox_new_since"]
        if seen is None:
            since = row["created_at"]
        elif now - seen > gap:
            since = seen
        await StaffUser.update({StaffUser.inbox_seen_at: now, StaffUser.inbox_new_since: since}).where(StaffUser.id == staff_id)
    return since


async def inbox_new_since(staff_id: int) -> dt.datetime | None:
    """Where this person's "new since my last visit" starts, as their last inbox page left it (nothing is changed)."""
    row = await StaffUser.select(StaffUser.inbox_new_since).where(StaffUser.id == staff_id).first()
    return row["inbox_new_since"] if row else None
