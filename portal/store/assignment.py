"""Assignment in the store: who may be given a feedback, assigning and unassigning with their audit rows, overdue items and the daily reminder's exactly-once rows."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Callable

from portal.store.audit import append_audit, audit_row
from portal.store.core.tables import Feedback, Service, StaffUser
from portal.store.engine import current_engine, is_postgres
from portal.store.status import OPEN_STATUSES
from portal.store.workspace.tables import OverdueReminder, StaffService

ASSIGN, UNASSIGN = "assign", "unassign"  # audit actions
MAX_MANY = 500  # items assigned by one call


async def assignees(service_ids: list[int]) -> list[dict]:
    """Active owners and agents of these services, by name: id, name, email, language, services (their ids)."""
    if not service_ids:
        return []
    rows = await StaffService.select(
        StaffService.service, StaffService.user.id.as_alias("id"), StaffService.user.name.as_alias("name"),
        StaffService.user.email.as_alias("email"), StaffService.user.language.as_alias("language"),
    ).where(StaffService.service.is_in(list(service_ids)) & (StaffService.user.active == True))  # noqa: E712
    people: dict[int, dict] = {}
    for row in rows:
        person = people.setdefault(row["id"], {k: row[k] for k in ("id", "name", "email", "language")} | {"services": []})
        person["services"].append(row["service"])
    return sorted(people.values(), key=lambda p: (p["name"].lower(), p["id"]))


async def staff_names(staff_ids: list[int]) -> dict[int, str]:
    """{staff id: name (or e-mail when unnamed)} of these accounts."""
    if not staff_ids:
        return {}
    rows = await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.email).where(StaffUser.id.is_in(list(staff_ids)))
    return {r["id"]: r["name"] or r["email"] for r in rows}


async def answer_days(service_ids: list[int]) -> dict[int, int]:
    """{service id: its answer target in working days}."""
    if not service_ids:
        return {}
    rows = await Service.select(Service.id, Service.answer_days).where(Service.id.is_in(list(service_ids)))
    return {r["id"]: r["answer_days"] for r in rows}


async def assignment_of(feedback_id: int) -> dict | None:
    """id, service, status, received_at, assigned_staff, assigned_service, due_at of one feedback."""
    return await Feedback.select(Feedback.id, Feedback.service, Feedback.status, Feedback.received_at, Feedback.assigned_staff,
                                 Feedback.assigned_service, Feedback.due_at).where(Feedback.id == feedback_id).first()


@dataclass(frozen=True)
class Assignee:
    """To whom: a person (staff id), a service's team (True: each feedback's own service), or nobody (both empty)."""

    staff_id: int | None = None
    team: bool = False
    words: str = ""  # the person as the audit log names them (a team is named by its service)


async def assign_many(
    feedback_ids: list[int], to: Assignee, due: Callable[[dict], dt.datetime | None], actor: dict, *,
    services: list[int] | None = None, may_take: Callable[[dict], bool] = lambda row: True, client: str = "",
) -> int:
    """Assign those of the first MAX_MANY ids (in `services`; None: any) that `may_take` accepts to `to`, each with
    the due date `due(row)` gives (row: id, service, received_at, due_at, answer_days), audited, in one transaction;
    returns how many changed. Assigning to nobody clears the due date."""
    ids = list(dict.fromkeys(feedback_ids))[:MAX_MANY]
    if not ids or (services is not None and not services):
        return 0
    now = dt.datetime.now(dt.timezone.utc)
    nobody = to.staff_id is None and not to.team
    async with current_engine().transaction():
        query = Feedback.select(Feedback.id, Feedback.service, Feedback.received_at, Feedback.due_at,
                                Feedback.assigned_staff, Feedback.assigned_service,
                                Feedback.service.answer_days.as_alias("answer_days"),
                                Feedback.service.name_fr.as_alias("service_name")).where(Feedback.id.is_in(ids))
        if services is not None:
            query = query.where(Feedback.service.is_in(list(services)))
        if is_postgres(current_engine()):
            query = query.lock_rows(of=(Feedback,))
        events = []
        for row in await query.order_by(Feedback.id):
            if not may_take(row):
                continue
            staff_id, team = to.staff_id, row["service"] if to.team else None
            if nobody and row["assigned_staff"] is None and row["assigned_service"] is None:
                continue  # nothing to undo
            due_at = None if nobody else due(row)
            if (row["assigned_staff"], row["assigned_service"], row["due_at"]) == (staff_id, team, due_at):
                continue
            await Feedback.update({Feedback.assigned_staff: staff_id, Feedback.assigned_service: team,
                                   Feedback.due_at: due_at}).where(Feedback.id == row["id"])
            who = {"team": row["service_name"]} if to.team else {"person": to.words}
            detail = {} if nobody else {**who, "due": due_at.isoformat() if due_at else None}
            events.append(audit_row(UNASSIGN if nobody else ASSIGN, actor, feedback_id=row["id"], service_id=row["service"],
                                    client=client, at=now, detail={**detail, "bulk": True} if len(ids) > 1 else detail))
        await append_audit(*events)
    return len(events)


async def overdue_counts(now: dt.datetime) -> dict[int, int]:
    """{staff id: how many open feedback past their due date are theirs}: assigned to them, or to the team of a
    service they are an owner or agent of; active accounts only."""
    late = (Feedback.due_at < now) & Feedback.status.is_in(list(OPEN_STATUSES))
    counts: dict[int, int] = {}
    mine = await Feedback.select(Feedback.assigned_staff, Feedback.id).where(late & Feedback.assigned_staff.is_not_null())
    for row in mine:
        counts[row["assigned_staff"]] = counts.get(row["assigned_staff"], 0) + 1
    teams = await Feedback.select(Feedback.assigned_service, Feedback.id).where(late & Feedback.assigned_service.is_not_null())
    per_service: dict[int, int] = {}
    for row in teams:
        per_service[row["assigned_service"]] = per_service.get(row["assigned_service"], 0) + 1
    if per_service:
        for link in await StaffService.select(StaffService.user, StaffService.service).where(
                StaffService.service.is_in(list(per_service))):
            counts[link["user"]] = counts.get(link["user"], 0) + per_service[link["service"]]
    if not counts:
        return {}
    active = await StaffUser.select(StaffUser.id).where(StaffUser.id.is_in(list(counts)) & (StaffUser.active == True))  # noqa: E712
    return {r["id"]: counts[r["id"]] for r in active}


async def reminder_recipients(staff_ids: list[int]) -> list[dict]:
    """id, email, name, language of these accounts."""
    if not staff_ids:
        return []
    return await StaffUser.select(StaffUser.id, StaffUser.email, StaffUser.name, StaffUser.language).where(
        StaffUser.id.is_in(list(staff_ids))).order_by(StaffUser.id)


async def reminders_done(day: str) -> set[int]:
    """The staff ids whose reminder of this day is sent or failed for good."""
    rows = await OverdueReminder.select(OverdueReminder.staff_user).where(
        (OverdueReminder.day == day) & OverdueReminder.state.is_in(["sent", "failed"]))
    return {r["staff_user"] for r in rows}


@dataclass(frozen=True)
class ReminderClaim:
    row_id: int
    token: str
    attempts: int


async def claim_reminder(staff_id: int, day: str, now: dt.datetime, lease: dt.timedelta) -> ReminderClaim | None:
    """Claim the (person, day) reminder, or take over a dead or retry-due claim; None if it is someone else's or done.

    The unique index on (staff_user, day) arbitrates between processes; the takeover is a conditional update.
    """
    token = secrets.token_hex(16)
    inserted = await OverdueReminder.insert(OverdueReminder(
        staff_user=staff_id, day=day, state="claimed", claim_token=token, retry_at=now + lease, attempts=1, last_error="",
    )).on_conflict(target=(OverdueReminder.staff_user, OverdueReminder.day), action="DO NOTHING").returning(OverdueReminder.id)
    if inserted:
        return ReminderClaim(inserted[0]["id"], token, 1)
    taken = await OverdueReminder.update({
        OverdueReminder.claim_token: token, OverdueReminder.retry_at: now + lease,
        OverdueReminder.attempts: OverdueReminder.attempts + 1,
    }).where((OverdueReminder.staff_user == staff_id) & (OverdueReminder.day == day)
             & (OverdueReminder.state == "claimed") & (OverdueReminder.retry_at <= now)
             ).returning(OverdueReminder.id, OverdueReminder.attempts)
    return ReminderClaim(taken[0]["id"], token, int(taken[0]["attempts"])) if taken else None


async def finish_reminder(claim: ReminderClaim, *, state: str, items: int = 0, error: str = "",
                          retry_at: dt.datetime | None = None, now: dt.datetime | None = None) -> bool:
    """Close the claim: "sent" (with how many items), "failed" for good, or "claimed" again from `retry_at`."""
    values = {OverdueReminder.state: state, OverdueReminder.claim_token: "", OverdueReminder.last_error: error[:2000],
              OverdueReminder.retry_at: retry_at, OverdueReminder.items: items}
    if state == "sent":
        values[OverdueReminder.sent_at] = now or dt.datetime.now(dt.timezone.utc)
    rows = await OverdueReminder.update(values).where(
        (OverdueReminder.id == claim.row_id) & (OverdueReminder.claim_token == claim.token)).returning(OverdueReminder.id)
    return bool(rows)
