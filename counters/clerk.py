"""Clerk entry: feedback given in person or on a paper card, typed in by a clerk, correctable for 24 hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counters.scope import may_correct, service_in_scope
from portal.feedback.intake import (
    FeedbackInput,
    FieldError,
    Submitted,
    prepare_feedback,
    store_prepared,
)
from portal.feedback.reference import normalise_reference
from portal.store.directory import active_services_of_office
from portal.store.feedback import FeedbackRow, feedback_entered_by, find_correctable
from portal.store.revisions import record_correction, revisions_of
from portal.web.i18n import N_

CORRECTION_WINDOW = dt.timedelta(hours=24)
WAYS = ("spoken", "paper")


@dataclass
class CounterEntry:
    """What the clerk typed: the same fields for a new entry and for a correction."""

    service_code: str
    rating: int | None
    text: str
    given_as: str
    contact_email: str = ""
    contact_consent: bool = False


class NotCorrectable(Exception):
    """Not this clerk's entry (or no longer their office's), or older than 24 hours."""


def _check_way(entry: CounterEntry) -> list[FieldError]:
    if entry.given_as in WAYS:
        return []
    return [FieldError("given_as", "required", N_("Indiquez comment l'avis a été donné : à l'oral ou sur papier."))]


async def _prepare(clerk: dict, entry: CounterEntry, data: FeedbackInput) -> FeedbackRow:
    """The row intake prepares for the entry (its text cleaned like every channel's), for a service of the clerk's office.

    IntakeError lists every problem at once.
    """
    service = await service_in_scope(clerk.get("office"), entry.service_code)
    return prepare_feedback(data, service, dt.datetime.now(dt.timezone.utc), _check_way(entry))


async def record_counter_entry(clerk: dict, entry: CounterEntry, key: str) -> Submitted:
    """Store a clerk's entry, attributed to the clerk and their office; the key makes a double submit harmless."""
    data = FeedbackInput(
        service_code=entry.service_code,
        text=entry.text,
        rating=entry.rating,
        channel="counter",
        source=f"clerk:{clerk['id']}",
        given_as=entry.given_as if entry.given_as in WAYS else "spoken",
        contact_email=entry.contact_email or None,
        contact_consent=entry.contact_consent,
        idempotency_key=key,
        office_id=clerk["office"],
        entered_by=clerk["id"],
    )
    return await store_prepared(data, await _prepare(clerk, entry, data))


async def services_for_office(office_id: int | None) -> list[dict]:
    """The active services of the clerk's office: the only ones an entry may be filed under."""
    if office_id is None:
        return []
    return await active_services_of_office(office_id)


async def recent_entries(clerk: dict, limit: int = 20) -> list[dict]:
    return await feedback_entered_by(clerk["id"], dt.datetime.now(dt.timezone.utc) - CORRECTION_WINDOW, limit)


async def entry_for_correction(clerk: dict, reference: str) -> dict:
    """The clerk's own entry, of their office, still within 24 hours, with its history of changes."""
    reference = normalise_reference(reference)
    if reference is None:
        raise NotCorrectable("not a reference")
    row = await find_correctable(reference)
    if row is None or not may_correct(clerk, row):
        raise NotCorrectable("not your entry")
    if row["received_at"] < dt.datetime.now(dt.timezone.utc) - CORRECTION_WINDOW:
        raise NotCorrectable("older than 24 hours")
    row["revisions"] = await revisions_of(row["id"])
    return row


async def correct_entry(clerk: dict, reference: str, entry: CounterEntry) -> None:
    """Apply a correction with the same checks as a new entry; the previous version is kept."""
    current = await entry_for_correction(clerk, reference)
    data = FeedbackInput(service_code=entry.service_code, text=entry.text, rating=entry.rating, channel="counter",
                         given_as=entry.given_as if entry.given_as in WAYS else "spoken",
                         contact_email=entry.contact_email or None, contact_consent=entry.contact_consent)
    row = await _prepare(clerk, entry, data)
    before = {k: current[k] for k in ("service_code", "rating", "text", "given_as", "contact_email", "contact_consent")}
    after = {"service_code": entry.service_code, "rating": row.rating, "text": row.text, "given_as": row.given_as,
             "contact_email": row.contact_email, "contact_consent": row.contact_consent}
    if before == after:
        return
    # New words are classified again.
    await record_correction(current["id"], row, reclassify=row.text != before["text"], changed_by=clerk["id"],
                            before=before, after=after)
