"""The audit log's one write (rows are appended, never changed) and its reads; the table is in core/tables.py."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import AuditEvent


def audit_row(
    action: str,
    actor: dict | None,
    *,
    feedback_id: int | None = None,
    service_id: int | None = None,
    client: str = "",
    detail: dict | None = None,
    actor_email: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """One audit event, not yet written (append it with `append_audit`)."""
    return AuditEvent(
        at=at or dt.datetime.now(dt.timezone.utc),
        actor=actor["id"] if actor else None,
        actor_email=(actor["email"] if actor else actor_email or "")[:254],
        action=action,
        feedback=feedback_id,
        service=service_id,
        client=client[:64],
        detail=detail or {},
    )


async def append_audit(*rows: AuditEvent) -> None:
    """Append events in one statement, inside the caller's transaction when there is one."""
    if rows:
        await AuditEvent.insert(*rows)


async def audit_events(
    *,
    action: str | None = None,
    actor_email: str | None = None,
    reference: str | None = None,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict]:
    """Events matching every filter that is not None (at in [since, before), id below before_id), newest first."""
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.at,
        AuditEvent.actor_email,
        AuditEvent.action,
        AuditEvent.client,
        AuditEvent.detail,
        AuditEvent.feedback.reference.as_alias("reference"),
        AuditEvent.service.code.as_alias("service_code"),
        AuditEvent.service.name_fr.as_alias("service_name_fr"),
        AuditEvent.service.name_en.as_alias("service_name_en"),
    )
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if actor_email is not None:
        query = query.where(AuditEvent.actor_email == actor_email)
    if reference is not None:
        query = query.where(AuditEvent.feedback.reference == reference)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if before is not None:
        query = query.where(AuditEvent.at < before)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return await query.order_by(AuditEvent.id, ascending=False).limit(limit).output(load_json=True)


async def feedback_events(feedback_id: int) -> list[dict]:
    """The events of one feedback, oldest first: when, who, what, and the detail."""
    return (
        await AuditEvent.select(AuditEvent.at, AuditEvent.actor_email, AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.feedback == feedback_id)
        .order_by(AuditEvent.id)
        .output(load_json=True)
    )
