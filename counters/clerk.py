"""Clerk entry: feedback given in person or on a paper card, typed in by a clerk, correctable for 24 hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from counters.scope import may_correct, service_in_scope
from counters.tables import CounterEntryRevision
from portal.web.cleaning import has_control_characters, strip_control_characters
from portal.feedback.intake import FeedbackInput, FieldError, IntakeError, Submitted, submit_feedback, validate
from portal.feedback.language import detect_language
from portal.feedback.redact import redact
from portal.feedback.reference import normalise_reference
from portal.store.engine import current_engine
from portal.store.tables import Feedback, OfficeService, Service

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


def _cleaned(entry: CounterEntry) -> CounterEntry:
    # What the clerk typed loses the invisible control characters PostgreSQL cannot store.
    return replace(entry, text=strip_control_characters(entry.text))


def _check_way(entry: CounterEntry) -> list[FieldError]:
    if entry.given_as in WAYS:
        return []
    return [FieldError("given_as", "required", "Indiquez comment l'avis a été donné : à l'oral ou sur papier.",
                       "Say how the feedback was given: spoken or on paper.")]


def _check_email(entry: CounterEntry) -> list[FieldError]:
    if not has_control_characters(entry.contact_email):
        return []
    return [FieldError("contact_email", "invalid", "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
                       "Enter a valid e-mail address, like name@example.com.")]


async def _check(clerk: dict, entry: CounterEntry, data: FeedbackInput) -> dict:
    """The service the entry may be filed under, or IntakeError with every problem at once."""
    service = await service_in_scope(clerk.get("office"), entry.service_code)
    errors = _check_way(entry) + _check_email(entry) + validate(data)
    if isinstance(service, FieldError):
        errors.insert(0, service)
    if errors:
        # Intake may find a problem this module also checks: say it once.
        raise IntakeError(list({(e.field, e.code): e for e in errors}.values()))
    return service


async def record_counter_entry(clerk: dict, entry: CounterEntry, key: str) -> Submitted:
    """Store a clerk's entry, attributed to the clerk and their office; the key makes a double submit harmless."""
    entry = _cleaned(entry)
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
    await _check(clerk, entry, data)
    return await submit_feedback(data)


async def services_for_office(office_id: int | None) -> list[dict]:
    """The active services of the clerk's office: the only ones an entry may be filed under."""
    if office_id is None:
        return []
    rows = await Service.select(Service.id, Service.code, Service.name_fr, Service.name_en).where(Service.active == True).order_by(Service.name_fr)  # noqa: E712
    served = {r["service"] for r in await OfficeService.select(OfficeService.service).where(OfficeService.office == office_id)}
    return [r for r in rows if r["id"] in served]


async def recent_entries(clerk: dict, limit: int = 20) -> list[dict]:
    since = dt.datetime.now(dt.timezone.utc) - CORRECTION_WINDOW
    return await (
        Feedback.select(
            Feedback.reference, Feedback.rating, Feedback.redacted_text, Feedback.given_as, Feedback.received_at,
            Feedback.service.name_fr.as_alias("service_name"),
        )
        .where((Feedback.entered_by == clerk["id"]) & (Feedback.received_at > since))
        .order_by(Feedback.received_at, ascending=False)
        .limit(limit)
    )


async def entry_for_correction(clerk: dict, reference: str) -> dict:
    """The clerk's own entry, of their office, still within 24 hours, with its history of changes."""
    reference = normalise_reference(reference)
    if reference is None:
        raise NotCorrectable("not a reference")
    row = await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.rating, Feedback.text, Feedback.given_as, Feedback.contact_email,
        Feedback.contact_consent, Feedback.received_at, Feedback.entered_by, Feedback.office, Feedback.service.code.as_alias("service_code"),
    ).where(Feedback.reference == reference).first()
    if row is None or not may_correct(clerk, row):
        raise NotCorrectable("not your entry")
    if row["received_at"] < dt.datetime.now(dt.timezone.utc) - CORRECTION_WINDOW:
        raise NotCorrectable("older than 24 hours")
    row["revisions"] = await CounterEntryRevision.select(
        CounterEntryRevision.changed_at, CounterEntryRevision.before, CounterEntryRevision.after
    ).where(CounterEntryRevision.feedback == row["id"]).order_by(CounterEntryRevision.changed_at, ascending=False)
    return row


async def correct_entry(clerk: dict, reference: str, entry: CounterEntry) -> None:
    """Apply a correction with the same checks as a new entry; the previous version is kept."""
    current = await entry_for_correction(clerk, reference)
    entry = _cleaned(entry)
    data = FeedbackInput(service_code=entry.service_code, text=entry.text, rating=entry.rating, channel="counter",
                         given_as=entry.given_as if entry.given_as in WAYS else "spoken",
                         contact_email=entry.contact_email or None, contact_consent=entry.contact_consent)
    service = await _check(clerk, entry, data)
    before = {k: current[k] for k in ("service_code", "rating", "text", "given_as", "contact_email", "contact_consent")}
    after = {"service_code": entry.service_code, "rating": entry.rating, "text": entry.text.strip(), "given_as": entry.given_as,
             "contact_email": entry.contact_email.strip() or None, "contact_consent": bool(entry.contact_email and entry.contact_consent)}
    if before == after:
        return
    text = after["text"]
    changes = {
        Feedback.service: service["id"],
        Feedback.rating: entry.rating,
        Feedback.text: text,
        Feedback.redacted_text: redact(text).text if text else "",
        Feedback.language: detect_language(text) if text else "other",
        Feedback.given_as: entry.given_as,
        Feedback.contact_email: after["contact_email"],
        Feedback.contact_consent: after["contact_consent"],
    }
    if text != before["text"]:
        changes[Feedback.classify_state] = "pending" if text else "done"  # new words: classify again
    async with current_engine().transaction():
        await Feedback.update(changes).where(Feedback.id == current["id"])
        await CounterEntryRevision.insert(
            CounterEntryRevision(feedback=current["id"], changed_by=clerk["id"], before=before, after=after)
        )
