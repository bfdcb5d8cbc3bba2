"""Clerks' entries in the store: a clerk's recent entries, the service they last used, withdrawal of a mistaken one."""

from __future__ import annotations

import datetime as dt

from portal.store.audit import append_audit
from portal.store.core.tables import AuditEvent, Feedback
from portal.store.engine import current_engine


async def entries_of_clerk(staff_id: int, since: dt.datetime, limit: int) -> list[dict]:
    """The feedback a clerk typed in since then, newest first, withdrawn ones included (and marked)."""
    return await (
        Feedback.select(
            Feedback.id, Feedback.reference, Feedback.rating, Feedback.redacted_text, Feedback.given_as,
            Feedback.received_at, Feedback.withdrawn_at, Feedback.service.code.as_alias("service_code"),
            Feedback.service.name_fr.as_alias("service_name"), Feedback.service.name_en.as_alias("service_name_en"),
        )
        .where((Feedback.entered_by == staff_id) & (Feedback.received_at > since))
        .order_by(Feedback.received_at, ascending=False)
        .limit(limit)
    )


async def find_correctable(reference: str) -> dict | None:
    """The fields of a feedback a clerk may correct or withdraw, with who entered it, where, when, and if withdrawn."""
    return await Feedback.select(
        Feedback.id, Feedback.reference, Feedback.rating, Feedback.text, Feedback.given_as, Feedback.contact_email,
        Feedback.contact_consent, Feedback.received_at, Feedback.entered_by, Feedback.office, Feedback.service,
        Feedback.withdrawn_at, Feedback.service.code.as_alias("service_code"),
        Feedback.service.name_fr.as_alias("service_name"), Feedback.service.name_en.as_alias("service_name_en"),
    ).where(Feedback.reference == reference).first()


async def last_service_of_clerk(staff_id: int) -> str | None:
    """The code of the service of the clerk's latest entry (None before their first)."""
    row = await (
        Feedback.select(Feedback.service.code.as_alias("code"))
        .where(Feedback.entered_by == staff_id)
        .order_by(Feedback.received_at, ascending=False)
        .first()
    )
    return row["code"] if row else None


async def withdraw_entry(feedback_id: int, event: AuditEvent, at: dt.datetime) -> bool:
    """Mark the entry withdrawn at `at` and append its audit event, in one transaction; False if it already was."""
    async with current_engine().transaction():
        # One statement decides: of two withdrawals at once, only one marks the row and is audited.
        changed = await Feedback.update({Feedback.withdrawn_at: at}).where(
            (Feedback.id == feedback_id) & Feedback.withdrawn_at.is_null()
        ).returning(Feedback.id)
        if not changed:
            return False
        await append_audit(event)
    return True
