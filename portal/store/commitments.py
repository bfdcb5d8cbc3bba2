"""Commitments ("you said, we did"): their status vocabulary, writes with their audit rows, reads; open-data runs."""

from __future__ import annotations

import datetime as dt

from portal.store.audit import append_audit, audit_row
from portal.store.engine import current_engine
from portal.store.replica import replica_read
from portal.store.workspace.tables import Commitment, CommitmentUpdate, OpenDataRun, ReportGroup

PLANNED, IN_PROGRESS, DONE, DROPPED = COMMITMENT_STATUSES = ("planned", "in_progress", "done", "dropped")
# Finished: never late, whatever the date.
FINISHED = (DONE, DROPPED)
CREATE, UPDATE = "create_commitment", "update_commitment"  # their audit actions

_COLUMNS = (
    Commitment.id, Commitment.service, Commitment.raised, Commitment.action, Commitment.report_group,
    Commitment.topic, Commitment.due_on, Commitment.status, Commitment.reason, Commitment.created_at,
    Commitment.updated_at, Commitment.report_group.title.as_alias("group_title"),
    Commitment.service.code.as_alias("service_code"),
)


async def add_commitment(service_id: int, values: dict, actor: dict, *, client: str = "") -> int:
    """Store a new commitment of the service and its audit row in one transaction; its id."""
    now = dt.datetime.now(dt.timezone.utc)
    async with current_engine().transaction():
        rows = await Commitment.insert(Commitment(
            service=service_id, raised=values["raised"], action=values["action"], report_group=values.get("report_group"),
            topic=values.get("topic"), due_on=values["due_on"], status=values.get("status", PLANNED),
            reason=values.get("reason", ""), created_by=actor["id"], created_at=now, updated_at=now,
        )).returning(Commitment.id)
        commitment_id = rows[0]["id"]
        await append_audit(audit_row(CREATE, actor, service_id=service_id, client=client,
                                     detail={"commitment": commitment_id, "commitment_status": values.get("status", PLANNED)}))
    return commitment_id


async def update_commitment(commitment_id: int, service_id: int, status: str, note: str, reason: str,
                            due_on: dt.date, actor: dict, *, client: str = "") -> bool:
    """A dated update (status, note), the new due date and reason, and the audit row, together; False if not this service's."""
    now = dt.datetime.now(dt.timezone.utc)
    async with current_engine().transaction():
        row = await Commitment.select(Commitment.status).where(
            (Commitment.id == commitment_id) & (Commitment.service == service_id)
        ).first()
        if row is None:
            return False
        await Commitment.update({Commitment.status: status, Commitment.reason: reason, Commitment.due_on: due_on,
                                 Commitment.updated_at: now}).where(Commitment.id == commitment_id)
        await CommitmentUpdate.insert(CommitmentUpdate(commitment=commitment_id, at=now, status=status, note=note,
                                                       staff=actor["id"]))
        await append_audit(audit_row(UPDATE, actor, service_id=service_id, client=client,
                                     detail={"commitment": commitment_id, "commitment_status": status}))
    return True


async def commitment(commitment_id: int) -> dict | None:
    return await Commitment.select(*_COLUMNS).where(Commitment.id == commitment_id).first()


async def commitments_of(service_id: int | None = None) -> list[dict]:
    """The service's commitments (every service's: None), soonest due first, each with its updates oldest first.

    Read on the primary: the staff page shows it right after a change. Public pages read
    `published_commitments`, which a replica may serve.
    """
    query = Commitment.select(*_COLUMNS)
    if service_id is not None:
        query = query.where(Commitment.service == service_id)
    rows = await query.order_by(Commitment.due_on).order_by(Commitment.id)
    updates = await CommitmentUpdate.select(
        CommitmentUpdate.commitment, CommitmentUpdate.at, CommitmentUpdate.status, CommitmentUpdate.note
    ).where(CommitmentUpdate.commitment.is_in([r["id"] for r in rows] or [0])).order_by(CommitmentUpdate.at)
    by_commitment: dict[int, list[dict]] = {}
    for update in updates:
        by_commitment.setdefault(update["commitment"], []).append(update)
    for row in rows:
        row["updates"] = by_commitment.get(row["id"], [])
    return rows


@replica_read
async def published_commitments(service_id: int | None = None) -> list[dict]:
    """`commitments_of` for the public results and open data, which tolerate a replica's lag."""
    return await commitments_of(service_id)


async def groups_for_commitments(service_id: int) -> list[dict]:
    """The service's groups of similar reports a commitment may answer (id, title), newest first."""
    return await ReportGroup.select(ReportGroup.id, ReportGroup.title).where(ReportGroup.service == service_id).order_by(
        ReportGroup.created_at, ascending=False
    ).limit(200)


async def group_of_service(group_id: int, service_id: int) -> bool:
    return await ReportGroup.exists().where((ReportGroup.id == group_id) & (ReportGroup.service == service_id))


async def claim_open_data_day(day: str, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """Claim the export of this day: True for exactly one caller (or for a taker-over of a claim left unfinished)."""
    rows = await OpenDataRun.raw(
        "INSERT INTO open_data_run (day, claimed_at, finished_at) VALUES ({}, {}, NULL) "
        "ON CONFLICT (day) DO NOTHING RETURNING id", day, now,
    )
    if rows:
        return True
    # A process that died mid-export leaves a claim without a finish: taken over once it is stale.
    taken = await OpenDataRun.update({OpenDataRun.claimed_at: now}).where(
        (OpenDataRun.day == day) & OpenDataRun.finished_at.is_null() & (OpenDataRun.claimed_at < now - stale_after)
    ).returning(OpenDataRun.id)
    return bool(taken)


async def finish_open_data_day(day: str, now: dt.datetime) -> None:
    await OpenDataRun.update({OpenDataRun.finished_at: now}).where(OpenDataRun.day == day)


async def release_open_data_day(day: str) -> None:
    """Give a failed day back, so the next sweep tries again."""
    await OpenDataRun.delete().where((OpenDataRun.day == day) & OpenDataRun.finished_at.is_null())


async def open_data_days() -> list[dict]:
    """Finished exports, newest first (day, finished_at)."""
    return await OpenDataRun.select(OpenDataRun.day, OpenDataRun.finished_at).where(
        OpenDataRun.finished_at.is_not_null()
    ).order_by(OpenDataRun.day, ascending=False).limit(30)
