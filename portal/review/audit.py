"""The append-only audit log: record what staff did with personal data and permissions, and read it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.store.audit import append_audit, audit_events, audit_row, feedback_events
from portal.web.formats import local_midnight

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
    # Administration pages (portal.admin).
    "create_service",
    "change_service",
    "deactivate_service",
    "create_office",
    "change_office",
    "create_device",
    "new_device_code",
    "change_device",
    "revoke_device",
    "invite_user",
    "set_password",
    "deactivate_user",
    "reset_sessions",
    "subscribe_digest",
    "change_subscription",
    "add_topic",
    "rename_topic",
    "retire_topic",
    "create_api_key",
    "revoke_api_key",
    # Commitments ("you said, we did"), portal.review.commitments.
    "create_commitment",
    "update_commitment",
    # Clerk counter (counters.clerk).
    "withdraw_entry",
    # The citizen's own answer to "is the problem resolved?" (portal.feedback.follow_up).
    "resolved_answer",
    "clear_flag",
    "retry_answer_mail",
    # Personal data over time (portal.admin.privacy, portal.admin.retention).
    "find_personal_data",
    "export_personal_data",
    "erase_personal_data",
    "retention_run",
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
    time_zone: str = "UTC"  # whose midnight `since` and `until` cut at: the portal's (PORTAL_TIME_ZONE)


async def list_events(f: AuditFilter) -> list[dict]:
    """Newest first, keyset-paged by id."""
    return await audit_events(
        action=f.action or None,
        actor_email=f.actor_email.strip().lower() if f.actor_email else None,
        reference=f.reference or None,
        since=local_midnight(f.since, f.time_zone) if f.since else None,
        before=local_midnight(f.until + dt.timedelta(days=1), f.time_zone) if f.until else None,
        before_id=f.before_id or None,
        limit=f.limit,
    )


async def feedback_history(feedback_id: int) -> list[dict]:
    """What happened to one feedback, oldest first (shown on the item page)."""
    return await feedback_events(feedback_id)
