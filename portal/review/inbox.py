"""The inbox: filtered feedback of a person's services, urgent and oldest first, keyset-paged."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field

from portal.feedback.reference import normalise_reference
from portal.review import audit
from portal.review.access import service_scope
from portal.review.answers import ALLOWED_MOVES
from portal.store.engine import current_engine, is_postgres
from portal.store.tables import CHANNELS, SENTIMENTS, STATUSES, Feedback, FeedbackTopic
from portal.web.csv_export import write_csv

PAGE_SIZE = 50
OPEN_STATUSES = ("received", "in_review")


@dataclass
class InboxFilter:
    """What the person asked for; every field optional. Built from the query string."""

    service_ids: list[int] = field(default_factory=list)
    channel: str | None = None
    office_id: int | None = None
    sentiment: str | None = None
    topic: str | None = None
    urgent: bool | None = None
    status: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    q: str = ""

    @classmethod
    def from_query(cls, params: dict[str, str | list[str]]) -> "InboxFilter":
        def one(name: str) -> str:
            value = params.get(name) or ""
            return (value[0] if isinstance(value, list) and value else value if isinstance(value, str) else "").strip()

        def as_int(value: str) -> int | None:
            return int(value) if value.isdigit() else None

        def as_date(value: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(value) if value else None
            except ValueError:
                return None

        raw_services = params.get("service") or []
        services = [as_int(v) for v in ([raw_services] if isinstance(raw_services, str) else raw_services)]
        urgent = one("urgent")
        return cls(
            service_ids=[s for s in services if s is not None],
            channel=one("channel") if one("channel") in CHANNELS else None,
            office_id=as_int(one("office")),
            sentiment=one("sentiment") if one("sentiment") in SENTIMENTS else None,
            topic=one("topic")[:64] or None,
            urgent=True if urgent == "yes" else False if urgent == "no" else None,
            status=one("status") if one("status") in (*STATUSES, "open") else None,
            since=as_date(one("since")),
            until=as_date(one("until")),
            q=one("q")[:200],
        )


@dataclass
class InboxPage:
    rows: list[dict]
    next_cursor: str | None


def encode_cursor(row: dict) -> str:
    payload = [bool(row["urgent"]), row["received_at"].isoformat(), row["id"]]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[bool, dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        urgent, received, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return bool(urgent), dt.datetime.fromisoformat(received), int(row_id)
    except (ValueError, TypeError):
        return None


def _conditions(staff: dict, f: InboxFilter) -> list | None:
    """WHERE clauses for this person and filter; None when nothing can match."""
    scope = service_scope(staff)
    wanted = f.service_ids
    if scope is not None:
        wanted = [s for s in wanted if s in scope] if wanted else scope
        if not wanted:
            return None
    where = []
    if wanted:
        where.append(Feedback.service == wanted[0] if len(wanted) == 1 else Feedback.service.is_in(wanted))
    if f.status == "open":
        where.append(Feedback.status.is_in(list(OPEN_STATUSES)))
    elif f.status:
        where.append(Feedback.status == f.status)
    if f.channel:
        where.append(Feedback.channel == f.channel)
    if f.office_id:
        where.append(Feedback.office == f.office_id)
    if f.sentiment:
        where.append(Feedback.sentiment == f.sentiment)
    if f.urgent is not None:
        where.append(Feedback.urgent == f.urgent)
    if f.since:
        where.append(Feedback.received_at >= _start_of(f.since))
    if f.until:
        where.append(Feedback.received_at < _start_of(f.until + dt.timedelta(days=1)))
    if f.topic:
        where.append(Feedback.id.is_in(FeedbackTopic.select(FeedbackTopic.feedback).where(FeedbackTopic.topic == f.topic)))
    if f.q:
        reference = normalise_reference(f.q)
        if reference:
            where.append(Feedback.reference == reference)
        else:
            # Search reads the redacted text only: searching must not reveal hidden personal data.
            if is_postgres(current_engine()):
                escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                where.append(Feedback.redacted_text.ilike(f"%{escaped}%"))
            else:  # SQLite's LIKE ignores ASCII case and has no default escape character
                where.append(Feedback.redacted_text.like(f"%{f.q}%"))
    return where


_COLUMNS = (
    Feedback.id,
    Feedback.reference,
    Feedback.channel,
    Feedback.rating,
    Feedback.redacted_text,
    Feedback.sentiment,
    Feedback.topics,
    Feedback.urgent,
    Feedback.status,
    Feedback.received_at,
    Feedback.service.code.as_alias("service_code"),
    Feedback.service.name_fr.as_alias("service_name_fr"),
    Feedback.service.name_en.as_alias("service_name_en"),
    Feedback.office.name.as_alias("office_name"),
)


async def list_inbox(staff: dict, f: InboxFilter, cursor: str | None = None, page_size: int = PAGE_SIZE) -> InboxPage:
    """One page: urgent items first, then the rest, each oldest first; resumes after `cursor`.

    Read as two index-friendly ascending scans (urgent, then not urgent) rather than one mixed
    DESC/ASC sort, so deep pages stay as fast as the first.
    """
    where = _conditions(staff, f)
    if where is None:
        return InboxPage([], None)
    after = decode_cursor(cursor)
    rows: list[dict] = []
    for urgent in (True, False):
        if f.urgent is not None and f.urgent != urgent:
            continue
        if after and after[0] is False and urgent:
            continue  # the cursor is already past the urgent part
        part = [*where, Feedback.urgent == urgent]
        if after and after[0] == urgent:
            _, received, row_id = after
            part.append((Feedback.received_at > received) | ((Feedback.received_at == received) & (Feedback.id > row_id)))
        query = Feedback.select(*_COLUMNS)
        for clause in part:
            query = query.where(clause)
        rows += await query.order_by(Feedback.received_at, Feedback.id).limit(page_size + 1 - len(rows))
        if len(rows) > page_size:
            break
    more = len(rows) > page_size
    rows = rows[:page_size]
    return InboxPage(rows, encode_cursor(rows[-1]) if more else None)


BULK_STATUSES = ("in_review", "closed")


async def bulk_set_status(staff: dict, feedback_ids: list[int], status: str, client: str = "") -> int:
    """Move the chosen items (those this person may act on) to `status`; returns how many moved."""
    if status not in BULK_STATUSES or not feedback_ids:
        return 0
    scope = service_scope(staff)
    query = Feedback.select(Feedback.id, Feedback.service, Feedback.status).where(Feedback.id.is_in(feedback_ids[:500]))
    moved = 0
    for row in await query:
        if scope is not None and row["service"] not in scope:
            continue
        if status not in ALLOWED_MOVES.get(row["status"], ()):
            continue
        await Feedback.update({Feedback.status: status}).where(Feedback.id == row["id"])
        await audit.record("change_status", staff, feedback_id=row["id"], service_id=row["service"], client=client,
                           detail={"from": row["status"], "to": status, "bulk": True})
        moved += 1
    return moved


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


EXPORT_LIMIT = 10_000
EXPORT_COLUMNS = ("reference", "received_at", "service_code", "channel", "office_name", "rating", "sentiment", "topics",
                  "urgent", "status", "redacted_text")


async def export_inbox(staff: dict, f: InboxFilter, client: str = "") -> str:
    """The filtered inbox as CSV (redacted text only, at most EXPORT_LIMIT rows); the export is audited."""
    rows: list[dict] = []
    cursor = None
    while len(rows) < EXPORT_LIMIT:
        page = await list_inbox(staff, f, cursor, page_size=min(1000, EXPORT_LIMIT - len(rows)))
        rows += page.rows
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    body = write_csv(EXPORT_COLUMNS, ([row[c].isoformat() if c == "received_at" else row[c] for c in EXPORT_COLUMNS] for row in rows))
    await audit.record("export", staff, client=client, detail={"rows": len(rows), "filters": _describe(f)})
    return body


def _describe(f: InboxFilter) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in f.__dict__.items() if v not in (None, "", [])}
