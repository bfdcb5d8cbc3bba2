"""The audit log's table and its one write: rows are appended, never changed."""

from __future__ import annotations

import datetime as dt

from piccolo.columns import JSON, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.store.tables import Feedback, Service, StaffUser


class AuditEvent(Table, tablename="audit_event"):
    """Append-only record of who did what with personal data and permissions."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    # Restrict: deleting a person or a feedback must not silently erase its trail.
    actor = ForeignKey(references=StaffUser, null=True, index=True, on_delete=OnDelete.restrict)
    actor_email = Varchar(length=254)
    action = Varchar(length=32, index=True)
    feedback = ForeignKey(references=Feedback, null=True, index=True, on_delete=OnDelete.restrict)
    service = ForeignKey(references=Service, null=True, on_delete=OnDelete.restrict)
    client = Varchar(length=64)
    detail = JSON()


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
