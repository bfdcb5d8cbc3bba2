"""The inbox: filtered feedback of a person's services, urgent and oldest first (or least sure first), keyset-paged."""

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
from portal.review.request_values import BadValue, day, in_day_range, row_id
from portal.settings import Settings
from portal.store.core.tables import CHANNELS, SENTIMENTS
from portal.store.inbox import InboxKey, InboxSearch, feedback_for_export, feedback_for_inbox, key_of
from portal.store.status import BULK_STATUSES, OPEN_STATUSES, STATUSES, set_status_many
from portal.web.csv_export import write_csv
from portal.web.formats import local_midnight
from portal.web.i18n import _, current_language
from portal.web.params import can_be_row_id

PAGE_SIZE = 50
# The orders staff can choose, by the value the query string names them with ("" is the usual one).
LEAST_SURE = "least_sure"  # the sentiments the model is least sure of first: corrections that teach it most
ORDERS = ("", LEAST_SURE)


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
            to_check=one("check") == "yes",
            order=one("order") if one("order") in ORDERS else "",
            time_zone=time_zone,
            problems=problems,
        )


class InvalidCursor(ValueError):
    """A "next page" link that was altered or comes from elsewhere; the message is for the person."""


@dataclass
class InboxPage:
    rows: list[dict]
    next_cursor: str | None


def encode_cursor(key: InboxKey) -> str:
    """The "next page" value of a page ending at this key: [urgent, received, id], or [confidence, id] least sure first."""
    payload = [key[0], key[1].isoformat(), key[2]] if len(key) == 3 else list(key)
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, least_sure_first: bool = False) -> InboxKey | None:
    """None without a cursor; InvalidCursor when it is not one this page, in this order, wrote."""
    if not cursor:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if least_sure_first:
            return _confidence_key(payload)
        urgent, received, row_id_ = payload
        received = dt.datetime.fromisoformat(received)
        if not isinstance(row_id_, int) or not can_be_row_id(row_id_) or received.tzinfo is None:
            raise ValueError("out of range")
        received = received.astimezone(dt.timezone.utc)
        if not in_day_range(received):
            raise ValueError("out of range")
        return bool(urgent), received, row_id_
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidCursor(_("Ce lien de page suivante n’est plus valide : revenez à la première page.")) from exc


def _confidence_key(payload) -> tuple[float | None, int]:
    """The (confidence or None, id) of a least-sure-first cursor; ValueError when it is not one."""
    confidence, row_id_ = payload
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                                   or not 0.0 <= confidence <= 1.0):
        raise ValueError("out of range")
    if isinstance(row_id_, bool) or not isinstance(row_id_, int) or not can_be_row_id(row_id_):
        raise ValueError("out of range")
    return (None if confidence is None else float(confidence)), row_id_


def _search(staff: dict, f: InboxFilter) -> InboxSearch | None:
    """The store search for this person and filter; None when nothing can match."""
    scope = service_scope(staff)
    wanted = f.service_ids
    if scope is not None:
        wanted = [s for s in wanted if s in scope] if wanted else scope
        if not wanted:
            return None
    reference = normalise_reference(f.q) if f.q else None
    return InboxSearch(
        services=tuple(wanted) if wanted else None,
        statuses=OPEN_STATUSES if f.status == "open" else (f.status,) if f.status else (),
        channel=f.channel,
        office=f.office_id,
        sentiment=f.sentiment,
        topic=f.topic,
        urgent=f.urgent,
        received_from=local_midnight(f.since, f.time_zone) if f.since else None,
        received_before=local_midnight(f.until + dt.timedelta(days=1), f.time_zone) if f.until else None,
        reference=reference or None,
        # Search reads the redacted text only: searching must not reveal hidden personal data.
        text="" if reference else f.q,
        confidence_below=CHECK_BELOW if f.to_check else None,
        least_sure_first=f.order == LEAST_SURE,
        # A withdrawn entry is left out of every view, but found by its reference.
        include_withdrawn=bool(reference),
    )


async def list_inbox(staff: dict, f: InboxFilter, cursor: str | None = None, page_size: int = PAGE_SIZE) -> InboxPage:
    """One page: urgent items first, then the rest, each oldest first (or the least sure first); resumes after `cursor`.

    Each row says whether its sentiment is `to_check`.
    """
    search = _search(staff, f)
    if search is None:
        return InboxPage([], None)
    rows = await feedback_for_inbox(search, decode_cursor(cursor, search.least_sure_first), limit=page_size + 1)
    more = len(rows) > page_size
    rows = [{**row, "to_check": to_check(row["sentiment_confidence"])} for row in rows[:page_size]]
    tapped = await chips.tapped_topics([r["id"] for r in rows if r["channel"] == "kiosk"], current_language.get())
    for row in rows:
        row["tapped_topics"] = tapped.get(row["id"], [])
    return InboxPage(rows, encode_cursor(key_of(search, rows[-1])) if more else None)


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
    search = _search(staff, f)
    rows = await feedback_for_export(search, EXPORT_LIMIT) if search is not None else []
    body = write_csv(EXPORT_COLUMNS, ([_export_cell(row, c) for c in EXPORT_COLUMNS] for row in rows))
    await audit.record("export", staff, client=client, detail={"rows": len(rows), "filters": _describe(f)})
    return body


def _describe(f: InboxFilter) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in f.__dict__.items()
            if v not in (None, "", []) and k not in ("problems", "time_zone") and not (k == "to_check" and v is False)}
