"""The inbox: views of a person's work (new, mine, unassigned, overdue, to check, urgent) with their counts, filters and orders, keyset-paged."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field

from portal.feedback import chips, follow_up
from portal.classify.calibration import CHECK_BELOW
from portal.feedback.reference import normalise_reference
from portal.review import audit
from portal.review.access import service_scope
from portal.review.assignment import assignee_words
from portal.review.request_values import BadValue, day, in_day_range, row_id
from portal.settings import Settings
from portal.store.core.tables import CHANNELS, SENTIMENTS
from portal.store.inbox import (
    ANY_COMMENT,
    DUE,
    NEWEST,
    OLDEST,
    RATING_ONLY,
    URGENCY,
    WITH_COMMENT,
    InboxKey,
    InboxSearch,
    counts_for_inbox,
    feedback_for_export,
    feedback_for_inbox,
    inbox_new_since,
    key_of,
    record_inbox_visit,
)
from portal.store.status import BULK_STATUSES, OPEN_STATUSES, STATUSES, set_status_many
from portal.web.csv_export import write_csv
from portal.web.formats import local_midnight
from portal.web.i18n import _, current_language
from portal.web.params import can_be_row_id

PAGE_SIZE = 50
# The orders staff can choose, by the value the query string names them with ("" is the usual one).
LEAST_SURE = "least_sure"  # the sentiments the model is least sure of first: corrections that teach it most
ORDERS = ("", OLDEST, NEWEST, DUE, LEAST_SURE)
# The views, by the value the query string names them with ("" is every feedback of the person's services).
NEW, MINE, UNASSIGNED, OVERDUE, CHECK, URGENT = "new", "mine", "unassigned", "overdue", "check", "urgent"
VIEWS = (NEW, MINE, UNASSIGNED, OVERDUE, CHECK, URGENT)
# Views of the work still to do: those with no status chosen show the open ones ("overdue" always does).
OPEN_VIEWS = (MINE, UNASSIGNED, OVERDUE, URGENT)
# Which feedback by their text: with a comment (the queue, ""), ratings alone ("notes sans commentaire"), or all.
COMMENTS = {"": WITH_COMMENT, "none": RATING_ONLY, "all": ANY_COMMENT}
COUNT_CAP = 1000  # a view's count past this reads "more than 999"
VISIT_GAP = dt.timedelta(minutes=30)  # inbox pages opened closer than this are one visit


def to_check(confidence: float | None) -> bool:
    """Whether a sentiment this sure is shown as "to check" rather than as a label."""
    return confidence is not None and confidence < CHECK_BELOW


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
    to_check: bool = False  # only the sentiments too unsure to show as a label
    order: str = ""  # one of ORDERS
    # The zone whose midnight `since` and `until` cut at: the portal's (PORTAL_TIME_ZONE).
    time_zone: str = field(default="UTC", compare=False)
    view: str = ""  # one of VIEWS, or "" for every feedback
    comment: str = ""  # one of COMMENTS

    # Values of the query string that could name nothing; the page answers 400 and lists them.
    problems: list[str] = field(default_factory=list, compare=False)

    @classmethod
    def from_query(cls, params: dict[str, str | list[str]], time_zone: str = "UTC") -> "InboxFilter":
        """The filter asked for, its days cut at `time_zone`'s midnight; an empty value means "any", a value
        that names nothing is left out and explained in `problems`."""
        problems: list[str] = []

        def one(name: str) -> str:
            value = params.get(name) or ""
            return (value[0] if isinstance(value, list) and value else value if isinstance(value, str) else "").strip()

        def an_id(value: str, message: str) -> int | None:
            found = row_id(value)
            if value.strip() and found is None and message not in problems:
                problems.append(message)
            return found

        def a_day(name: str, label: str) -> dt.date | None:
            try:
                return day(one(name), label)
            except BadValue as exc:
                problems.append(str(exc))
                return None

        raw_services = params.get("service") or []
        unknown_service = _("Ce service n’existe pas : choisissez un service dans la liste.")
        services = [an_id(v, unknown_service) for v in ([raw_services] if isinstance(raw_services, str) else raw_services)]
        urgent = one("urgent")
        return cls(
            service_ids=[s for s in services if s is not None],
            channel=one("channel") if one("channel") in CHANNELS else None,
            office_id=an_id(one("office"), _("Ce lieu d’accueil n’existe pas : choisissez un lieu dans la liste.")),
            sentiment=one("sentiment") if one("sentiment") in SENTIMENTS else None,
            topic=one("topic")[:64] or None,
            urgent=True if urgent == "yes" else False if urgent == "no" else None,
            status=one("status") if one("status") in (*STATUSES, "open") else None,
            since=a_day("since", _("Reçus depuis le")),
            until=a_day("until", _("Jusqu’au")),
            q=one("q")[:200],
            to_check=one("check") == "yes" or one("view") == CHECK,
            order=one("order") if one("order") in ORDERS else "",
            time_zone=time_zone,
            view=one("view") if one("view") in VIEWS else "",
            comment=one("comment") if one("comment") in COMMENTS else "",
            problems=problems,
        )


class InvalidCursor(ValueError):
    """A "next page" link that was altered or comes from elsewhere; the message is for the person."""


@dataclass
class InboxPage:
    rows: list[dict]
    next_cursor: str | None


def encode_cursor(key: InboxKey) -> str:
    """The "next page" value of a page ending at this key: [urgent, received, id] in the usual order, [confidence, id]
    least sure first, [received, id] oldest or newest first, [due, id] soonest due first (times as ISO text)."""
    payload = [v.isoformat() if isinstance(v, dt.datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, least_sure_first: bool = False, order: str = URGENCY) -> InboxKey | None:
    """None without a cursor; InvalidCursor when it is not one this page, in this order, wrote."""
    if not cursor:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if least_sure_first:
            return _confidence_key(payload)
        if order in (OLDEST, NEWEST, DUE):
            moment, row_id_ = payload
            if not isinstance(row_id_, int) or isinstance(row_id_, bool) or not can_be_row_id(row_id_):
                raise ValueError("out of range")
            if moment is None and order == DUE:
                return None, row_id_
            return _moment(moment), row_id_
        urgent, received, row_id_ = payload
        if not isinstance(row_id_, int) or not can_be_row_id(row_id_):
            raise ValueError("out of range")
        return bool(urgent), _moment(received), row_id_
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidCursor(_("Ce lien de page suivante n’est plus valide : revenez à la première page.")) from exc


def _moment(text) -> dt.datetime:
    """A cursor's time: ISO text with its zone, within the days a page can show; ValueError otherwise."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    moment = moment.astimezone(dt.timezone.utc)
    if not in_day_range(moment):
        raise ValueError("out of range")
    return moment


def _confidence_key(payload) -> tuple[float | None, int]:
    """The (confidence or None, id) of a least-sure-first cursor; ValueError when it is not one."""
    confidence, row_id_ = payload
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                                   or not 0.0 <= confidence <= 1.0):
        raise ValueError("out of range")
    if isinstance(row_id_, bool) or not isinstance(row_id_, int) or not can_be_row_id(row_id_):
        raise ValueError("out of range")
    return (None if confidence is None else float(confidence)), row_id_


def _search(staff: dict, f: InboxFilter, new_since: dt.datetime | None = None,
            now: dt.datetime | None = None) -> InboxSearch | None:
    """The store search for this person, filter and view; None when nothing can match.

    `new_since`: the start of "new since my last visit" (None: everything is new).
    """
    scope = service_scope(staff)
    wanted = f.service_ids
    if scope is not None:
        wanted = [s for s in wanted if s in scope] if wanted else scope
        if not wanted:
            return None
    reference = normalise_reference(f.q) if f.q else None
    statuses = OPEN_STATUSES if f.status == "open" else (f.status,) if f.status else ()
    if f.view in OPEN_VIEWS and not statuses:
        statuses = OPEN_STATUSES
    if f.view == OVERDUE:
        statuses = tuple(s for s in statuses if s in OPEN_STATUSES)
        if not statuses:
            return None
    return InboxSearch(
        services=tuple(wanted) if wanted else None,
        statuses=statuses,
        channel=f.channel,
        office=f.office_id,
        sentiment=f.sentiment,
        topic=f.topic,
        urgent=True if f.view == URGENT else f.urgent,
        received_from=local_midnight(f.since, f.time_zone) if f.since else None,
        received_before=local_midnight(f.until + dt.timedelta(days=1), f.time_zone) if f.until else None,
        reference=reference or None,
        # Search reads the redacted text only: searching must not reveal hidden personal data.
        text="" if reference else f.q,
        confidence_below=CHECK_BELOW if f.to_check else None,
        received_after=new_since if f.view == NEW else None,
        assigned_staff=staff["id"] if f.view == MINE else None,
        unassigned=f.view == UNASSIGNED,
        due_before=(now or dt.datetime.now(dt.timezone.utc)) if f.view == OVERDUE else None,
        comment=COMMENTS[f.comment],
        order=f.order if f.order in (OLDEST, NEWEST, DUE) else URGENCY,
        least_sure_first=f.order == LEAST_SURE,
        # A withdrawn entry is left out of every view, but found by its reference.
        include_withdrawn=bool(reference),
    )


async def list_inbox(staff: dict, f: InboxFilter, cursor: str | None = None, page_size: int = PAGE_SIZE,
                     new_since: dt.datetime | None = None) -> InboxPage:
    """One page of the view, in the order asked (by default urgent items first, then the rest, each oldest first);
    resumes after `cursor`.

    Each row says whether its sentiment is `to_check`, who it is assigned to (`assignee`) and whether it is `overdue`.
    """
    search = _search(staff, f, new_since)
    if search is None:
        return InboxPage([], None)
    rows = await feedback_for_inbox(search, decode_cursor(cursor, search.least_sure_first, search.order),
                                    limit=page_size + 1)
    more = len(rows) > page_size
    rows = [{**row, "to_check": to_check(row["sentiment_confidence"])} for row in rows[:page_size]]
    tapped = await chips.tapped_topics([r["id"] for r in rows if r["channel"] == "kiosk"], current_language.get())
    for row in rows:
        row["tapped_topics"] = tapped.get(row["id"], [])
    await assignee_words(rows)
    return InboxPage(rows, encode_cursor(key_of(search, rows[-1])) if more else None)


async def open_inbox(staff: dict, now: dt.datetime | None = None) -> dt.datetime | None:
    """Note this person's inbox visit; returns the start of their "new since my last visit"."""
    return await record_inbox_visit(staff["id"], now or dt.datetime.now(dt.timezone.utc), VISIT_GAP)


async def view_counts(staff: dict, f: InboxFilter, new_since: dt.datetime | None = None) -> dict[str, int]:
    """How many feedback each view holds, within the services and the comment filter chosen (counted up to COUNT_CAP),
    and how many ratings were given alone ("ratings"), in one statement."""
    now = dt.datetime.now(dt.timezone.utc)
    filters = {view: InboxFilter(service_ids=f.service_ids, comment=f.comment, view=view, to_check=view == CHECK)
               for view in VIEWS}
    filters["ratings"] = InboxFilter(service_ids=f.service_ids, comment="none")
    searches = {name: _search(staff, one, new_since, now) for name, one in filters.items()}
    counts = await counts_for_inbox({name: s for name, s in searches.items() if s is not None}, COUNT_CAP)
    return {name: counts.get(name, 0) for name in filters}


class BulkError(ValueError):
    """Nothing can be moved as asked; the message is for the person."""


async def bulk_set_status(staff: dict, feedback_ids: list[int], status: str, client: str = "",
                          settings: Settings | None = None) -> int:
    """Move the chosen items (those this person may act on) to `status`; returns how many moved.

    With `settings` that send e-mail, the people who agreed are told, their notices queued with the moves."""
    if status not in BULK_STATUSES:
        raise BulkError(_("Choisissez un statut dans la liste."))
    if not feedback_ids:
        raise BulkError(_("Cochez au moins un avis à mettre à jour."))
    notify = follow_up.notice(settings) if settings is not None else None
    moved = await set_status_many(feedback_ids, status, staff, services=service_scope(staff), client=client, notify=notify)
    if moved and notify is not None:
        follow_up.mail_queued()
    return moved


EXPORT_LIMIT = 10_000
EXPORT_COLUMNS = ("reference", "received_at", "service_code", "channel", "office_name", "rating", "sentiment",
                  "sentiment_confidence", "sentiment_source", "topics", "urgent", "status", "redacted_text")


def _export_cell(row: dict, column: str):
    value = row[column]
    if column == "received_at":
        return value.isoformat()
    if column == "sentiment_confidence" and value is not None:
        return f"{value:.4f}"
    return value


async def export_inbox(staff: dict, f: InboxFilter, client: str = "") -> str:
    """The filtered inbox as CSV (redacted text only, at most EXPORT_LIMIT rows); the export is audited."""
    search = _search(staff, f, await inbox_new_since(staff["id"]) if f.view == NEW else None)
    rows = await feedback_for_export(search, EXPORT_LIMIT) if search is not None else []
    body = write_csv(EXPORT_COLUMNS, ([_export_cell(row, c) for c in EXPORT_COLUMNS] for row in rows))
    await audit.record("export", staff, client=client, detail={"rows": len(rows), "filters": _describe(f)})
    return body


def _describe(f: InboxFilter) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in f.__dict__.items()
            if v not in (None, "", []) and k not in ("problems", "time_zone") and not (k == "to_check" and v is False)}
