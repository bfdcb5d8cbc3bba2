"""Clerk entry: feedback given in person or on a paper card, typed in by a clerk, correctable for 24 hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counters.entry_versions import changes_of
from counters.scope import may_correct, service_in_scope
from portal.feedback.intake import (
    FeedbackInput,
    FieldError,
    Submitted,
    prepare_feedback,
    store_prepared,
)
from portal.feedback.reference import normalise_reference
from portal.store.audit import audit_row
from portal.store.counters.entries import entries_of_clerk, find_correctable, last_service_of_clerk, withdraw_entry
from portal.store.directory import active_services_of_office
from portal.store.feedback import FeedbackRow
from portal.store.revisions import record_correction, revisions_of
from portal.web.i18n import N_

CORRECTION_WINDOW = dt.timedelta(hours=24)
WAYS = ("paper", "spoken")
WITHDRAW_ENTRY = "withdraw_entry"  # the audit action of a withdrawal
# Why a clerk withdraws an entry: the words are in portal.web.labels ("withdraw_reason").
WITHDRAW_REASONS = ("duplicate", "wrong_service", "not_feedback", "test")


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


async def preselected_service(clerk: dict, services: list[dict], asked: str = "") -> str:
    """The service the form starts on: the one asked for (the card before's), else the office's only one,
    else the one of the clerk's latest entry; "" when none of these is a service of the office."""
    codes = [s["code"] for s in services]
    if asked in codes:
        return asked
    if len(codes) == 1:
        return codes[0]
    last = await last_service_of_clerk(clerk["id"])
    return last if last in codes else ""


async def recent_entries(clerk: dict, limit: int = 50) -> list[dict]:
    """The clerk's entries of the last 24 hours, newest first; each says whether it is withdrawn."""
    return await entries_of_clerk(clerk["id"], dt.datetime.now(dt.timezone.utc) - CORRECTION_WINDOW, limit)


async def _own_recent_entry(clerk: dict, reference: str) -> dict:
    """The clerk's own entry, of their office, still within 24 hours (withdrawn or not)."""
    reference = normalise_reference(reference)
    if reference is None:
        raise NotCorrectable("not a reference")
    row = await find_correctable(reference)
    if row is None or not may_correct(clerk, row):
        raise NotCorrectable("not your entry")
    if row["received_at"] < dt.datetime.now(dt.timezone.utc) - CORRECTION_WINDOW:
        raise NotCorrectable("older than 24 hours")
    return row


async def entry_for_correction(clerk: dict, reference: str, service_names: dict[str, str] | None = None) -> dict:
    """The clerk's own entry, of their office, still within 24 hours and not withdrawn, with its versions:
    each correction with when it was made and what it changed, in words."""
    row = await _own_recent_entry(clerk, reference)
    if row["withdrawn_at"] is not None:
        raise NotCorrectable("withdrawn")
    names = service_names or {}
    row["revisions"] = [{**r, "changes": changes_of(r, names)} for r in await revisions_of(row["id"])]
    return row


async def entry_for_receipt(clerk: dict, reference: str) -> dict:
    """The entry a receipt is printed for: the clerk's own, within 24 hours, not withdrawn."""
    row = await _own_recent_entry(clerk, reference)
    if row["withdrawn_at"] is not None:
        raise NotCorrectable("withdrawn")
    return row


class WithdrawError(ValueError):
    """The withdrawal was not asked properly (no reason given); the message is for the person."""


async def withdraw_counter_entry(clerk: dict, reference: str, reason: str, client: str = "") -> dict:
    """Withdraw the clerk's own entry made by mistake within 24 hours: the row is kept, marked withdrawn and
    audited with the reason, and no statistic counts it any more. Returns the entry."""
    row = await _own_recent_entry(clerk, reference)
    if row["withdrawn_at"] is not None:
        raise NotCorrectable("already withdrawn")
    if reason not in WITHDRAW_REASONS:
        raise WithdrawError(N_("Indiquez pourquoi cette saisie est retirée."))
    now = dt.datetime.now(dt.timezone.utc)
    event = audit_row(WITHDRAW_ENTRY, clerk, feedback_id=row["id"], service_id=row["service"], client=client,
                      detail={"reason": reason}, at=now)
    if not await withdraw_entry(row["id"], event, now):
        raise NotCorrectable("already withdrawn")
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
