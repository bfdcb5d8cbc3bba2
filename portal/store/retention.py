"""The retention job's reads and writes: items whose personal data is past its period, idle staff accounts, old
sign-in traces, and the daily run's exactly-once claim (the unique day in `retention_run`)."""

from __future__ import annotations

import datetime as dt
import json

from portal.store.core.tables import AuditEvent, Feedback, StaffUser
from portal.store.privacy import FAILED_SIGN_IN, HOLDS_PERSONAL_DATA
from portal.store.status import CLOSED
from portal.store.workspace.tables import LoginAttempt, RetentionRun, StaffSession

# Closed (or withdrawn by the clerk who typed it) before the cut-off, and nothing has happened to it since: no answer,
# no "is it resolved?" answer, no audited action (a status move, a reading of the original, a correction...).
_PAST_ITS_PERIOD = (
    "FROM feedback f WHERE (f.status = {} OR f.withdrawn_at IS NOT NULL) AND f.received_at < {} "
    "AND (f.answered_at IS NULL OR f.answered_at < {}) AND (f.resolved_at IS NULL OR f.resolved_at < {}) "
    "AND NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.feedback = f.id AND a.at >= {}) "
    f"AND {HOLDS_PERSONAL_DATA}"
)
# No sign-in, no page seen, no session used and nothing audited since the cut-off, and created before it.
_IDLE = (
    "FROM staff_user u WHERE u.active = {} AND u.created_at < {} "
    "AND (u.inbox_seen_at IS NULL OR u.inbox_seen_at < {}) "
    "AND NOT EXISTS (SELECT 1 FROM staff_session s WHERE s.\"user\" = u.id AND s.last_seen_at >= {}) "
    "AND NOT EXISTS (SELECT 1 FROM login_attempt l WHERE l.email = u.email AND l.succeeded = {} AND l.at >= {}) "
    "AND NOT EXISTS (SELECT 1 FROM audit_event a WHERE a.actor = u.id AND a.at >= {})"
)


async def items_past_retention(cutoff: dt.datetime, limit: int, after_id: int = 0) -> list[int]:
    """The next `limit` ids above `after_id` to erase (keyset: a run over millions of rows reads each row once)."""
    rows = await Feedback.raw(f"SELECT f.id {_PAST_ITS_PERIOD} AND f.id > {{}} ORDER BY f.id LIMIT {{}}",
                              CLOSED, *[cutoff] * 4, after_id, limit)
    return [int(r["id"]) for r in rows]


async def count_items_past_retention(cutoff: dt.datetime) -> int:
    rows = await Feedback.raw(f"SELECT COUNT(*) AS n {_PAST_ITS_PERIOD}", CLOSED, *[cutoff] * 4)
    return int(rows[0]["n"])


async def idle_accounts(cutoff: dt.datetime) -> list[dict]:
    """Active accounts unused since the cut-off: id, email, role, created_at; oldest first."""
    return await StaffUser.raw(
        f"SELECT u.id, u.email, u.role, u.created_at {_IDLE} ORDER BY u.id", True, cutoff, cutoff, cutoff, True, cutoff,
        cutoff,
    )


async def active_admin_ids() -> list[int]:
    rows = await StaffUser.select(StaffUser.id).where((StaffUser.active == True) & (StaffUser.role == "admin"))  # noqa: E712
    return [r["id"] for r in rows]


async def old_sign_in_traces(cutoff: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """How many sign-in attempts older than the cut-off and sessions expired there are (each keeps a client)."""
    return {
        "sign_in_attempts": await LoginAttempt.count().where(LoginAttempt.at < cutoff),
        "sessions": await StaffSession.count().where(StaffSession.expires_at < now),
    }


async def forget_old_sign_in_traces(cutoff: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """Delete old sign-in attempts and expired sessions; blank the address and client of old failed sign-ins' audit
    rows (the rows stay: a failed sign-in happened then)."""
    attempts = await LoginAttempt.delete().where(LoginAttempt.at < cutoff).returning(LoginAttempt.id)
    sessions = await StaffSession.delete().where(StaffSession.expires_at < now).returning(StaffSession.id)
    await AuditEvent.update({AuditEvent.actor_email: "", AuditEvent.client: ""}).where(
        (AuditEvent.action == FAILED_SIGN_IN) & AuditEvent.actor.is_null() & (AuditEvent.at < cutoff)
        & ((AuditEvent.actor_email != "") | (AuditEvent.client != "")))
    return {"sign_in_attempts": len(attempts), "sessions": len(sessions)}


async def claim_retention_day(day: str, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """Claim the run of this day: True for exactly one caller, or for a taker-over of an unfinished claim whose runner
    has not written for `stale_after` (a working runner refreshes claimed_at after each batch)."""
    rows = await RetentionRun.raw(
        "INSERT INTO retention_run (day, claimed_at, finished_at, summary) VALUES ({}, {}, NULL, '') "
        "ON CONFLICT (day) DO NOTHING RETURNING id", day, now,
    )
    if rows:
        return True
    taken = await RetentionRun.update({RetentionRun.claimed_at: now}).where(
        (RetentionRun.day == day) & RetentionRun.finished_at.is_null() & (RetentionRun.claimed_at < now - stale_after)
    ).returning(RetentionRun.id)
    return bool(taken)


async def heartbeat_retention_day(day: str, held_since: dt.datetime, now: dt.datetime) -> bool:
    """The run still works: move its claim's time from `held_since` (the time this runner last wrote) to `now`.
    False when the claim is no longer this runner's (taken over after a silence, or finished)."""
    rows = await RetentionRun.update({RetentionRun.claimed_at: now}).where(
        (RetentionRun.day == day) & RetentionRun.finished_at.is_null() & (RetentionRun.claimed_at == held_since)
    ).returning(RetentionRun.id)
    return bool(rows)


async def finish_retention_day(day: str, now: dt.datetime, summary: dict) -> None:
    await RetentionRun.update({RetentionRun.finished_at: now, RetentionRun.summary: json.dumps(summary)}).where(
        RetentionRun.day == day)


async def release_retention_day(day: str, held_since: dt.datetime) -> None:
    """Give back a claim this runner still holds (a failed run), so the next look tries again."""
    await RetentionRun.delete().where(
        (RetentionRun.day == day) & RetentionRun.finished_at.is_null() & (RetentionRun.claimed_at == held_since))


async def retention_runs(limit: int = 10) -> list[dict]:
    """The latest runs, newest first: day, claimed_at, finished_at, summary (a dict)."""
    rows = await RetentionRun.select(RetentionRun.day, RetentionRun.claimed_at, RetentionRun.finished_at,
                                     RetentionRun.summary).order_by(RetentionRun.day, ascending=False).limit(limit)
    for row in rows:
        row["summary"] = json.loads(row["summary"]) if row["summary"] else {}
    return rows
