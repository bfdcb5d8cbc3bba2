"""The append-only audit log: record what staff did with personal data and permissions, and read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.store.audit import append_audit, audit_row
from portal.store.core.tables import AuditEvent

ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "logout_everywhere",
    "view_original",
    "correct_labels",
    "change_status",
    "answer",
    "publish",
    "withdraw",
    "export",
    "create_user",
    "change_role",
    "edit_template",
    "group_confirm",
    "group_split",
    "group_merge",
)


async def record(
    action: str,
    actor: dict | None,
    *,
    feedback_id: int | None = None,
    service_id: int | None = None,
    client: str = "",
    detail: dict | None = None,
    actor_email: str | None = None,
) -> None:
    """Append one event. Never updated afterwards (a database trigger refuses updates)."""
    await append_audit(audit_row(action, actor, feedback_id=feedback_id, service_id=service_id, client=client,
                                 detail=detail, actor_email=actor_email))


@dataclass
class AuditFilter:
    action: str | None = None
    actor_email: str | None = None
    reference: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    before_id: int | None = None
    limit: int = 100


async def list_events(f: AuditFilter) -> list[dict]:
    """Newest first, keyset-paged by id."""
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.at,
        AuditEvent.actor_email,
        AuditEvent.action,
        AuditEvent.client,
        AuditEvent.detail,
        AuditEvent.feedback.reference.as_alias("reference"),
        AuditEvent.service.code.as_alias("service_code"),
    )
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.actor_email:
        query = query.where(AuditEvent.actor_email == f.actor_email.strip().lower())
    if f.reference:
        query = query.where(AuditEvent.feedback.reference == f.reference)
    if f.since:
        query = query.where(AuditEvent.at >= _start_of(f.since))
    if f.until:
        query = query.where(AuditEvent.at < _start_of(f.until + dt.timedelta(days=1)))
    if f.before_id:
        query = query.where(AuditEvent.id < f.before_id)
    return await query.order_by(AuditEvent.id, ascending=False).limit(f.limit).output(load_json=True)


async def feedback_history(feedback_id: int) -> list[dict]:
    """What happened to one feedback, oldest first (shown on the item page)."""
    return (
        await AuditEvent.select(AuditEvent.at, AuditEvent.actor_email, AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.feedback == feedback_id)
        .order_by(AuditEvent.id)
        .output(load_json=True)
    )


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)
