"""The audit log's one write: rows are appended, never changed (the table is in core/tables.py)."""

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
