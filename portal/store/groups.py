"""Groups of similar reports in the store: the grouping lock, group sizes and "me too" counts."""

from __future__ import annotations

from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres

_LOCK_KEY = 61_006  # advisory lock namespace of grouping runs (PostgreSQL)


async def lock_service_grouping(service_id: int) -> None:
    """Inside a transaction: two grouping runs for one service queue up (SQLite: the transaction already holds the write lock)."""
    if is_postgres(current_engine()):
        await Feedback.raw("SELECT pg_advisory_xact_lock({}, {})", _LOCK_KEY, service_id)


async def me_too_counts(group_ids: list[int]) -> dict[int, int]:
    """"Me too" votes on the published members of each group (groups without votes are absent)."""
    if not group_ids:
        return {}
    rows = await Feedback.raw(
        "SELECT m.report_group AS gid, COUNT(*) AS n FROM me_too_vote v JOIN publication p ON p.id = v.publication "
        f"JOIN report_group_member m ON m.feedback = p.feedback WHERE m.report_group IN ({', '.join('{}' for _ in group_ids)}) "
        "GROUP BY m.report_group",
        *group_ids,
    )
    return {r["gid"]: int(r["n"]) for r in rows}


async def service_group_sizes(service_id: int) -> list[dict]:
    """The service's groups with their member count (reports) and latest member's reception time (latest)."""
    rows = await Feedback.raw(
        "SELECT g.id AS id, g.title AS title, g.confirmed AS confirmed, g.created_at AS created_at, "
        "COUNT(m.id) AS reports, MAX(f.received_at) AS latest FROM report_group g "
        "JOIN report_group_member m ON m.report_group = g.id JOIN feedback f ON f.id = m.feedback "
        "WHERE g.service = {} GROUP BY g.id, g.title, g.confirmed, g.created_at",
        service_id,
    )
    return [{**r, "confirmed": bool(r["confirmed"]), "reports": int(r["reports"])} for r in rows]


async def reports_in_group_of(reference: str) -> int:
    """Distinct reports in the group of the feedback with this reference, itself included (0: in no group)."""
    rows = await Feedback.raw(
        "SELECT COUNT(DISTINCT other.feedback) AS n FROM report_group_member mine "
        "JOIN feedback f ON f.id = mine.feedback "
        "JOIN report_group_member other ON other.report_group = mine.report_group "
        "WHERE f.reference = {} AND mine.report_group IS NOT NULL",
        reference,
    )
    return int(rows[0]["n"]) if rows else 0

