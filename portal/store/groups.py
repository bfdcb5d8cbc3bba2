"""Groups of similar reports in the store: grouping runs and their lock, staff changes, sizes and "me too" counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from portal.store import embeddings
from portal.store.audit import append_audit, audit_row
from portal.store.core.tables import Feedback
from portal.store.engine import current_engine, is_postgres
from portal.store.workspace.tables import ReportGroup, ReportGroupMember

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



GROUP_CONFIRM = "group_confirm"  # audit actions of staff changes to groups
GROUP_SPLIT = "group_split"
GROUP_MERGE = "group_merge"


async def find_group(group_id: int) -> dict | None:
    """One group with its service, who created and confirmed it, and when."""
    return await ReportGroup.select(
        ReportGroup.id, ReportGroup.service, ReportGroup.title, ReportGroup.confirmed, ReportGroup.confirmed_at,
        ReportGroup.created_at, ReportGroup.created_by.name.as_alias("created_by_name"),
        ReportGroup.confirmed_by.name.as_alias("confirmed_by_name"),
        ReportGroup.service.code.as_alias("service_code"), ReportGroup.service.name_fr.as_alias("service_name"),
        ReportGroup.service.name_en.as_alias("service_name_en"),
    ).where(ReportGroup.id == group_id).first()


async def group_exists(group_id: int) -> bool:
    """Whether the group is still there (a split may have dissolved it)."""
    return await ReportGroup.exists().where(ReportGroup.id == group_id)


async def group_members(group_id: int) -> list[dict]:
    """The group's members, oldest first: how and how closely each joined, and its redacted text only."""
    return await ReportGroupMember.select(
        ReportGroupMember.feedback.as_alias("feedback_id"), ReportGroupMember.added_by, ReportGroupMember.similarity,
        ReportGroupMember.feedback.reference.as_alias("reference"), ReportGroupMember.feedback.channel.as_alias("channel"),
        ReportGroupMember.feedback.redacted_text.as_alias("redacted_text"),
        ReportGroupMember.feedback.received_at.as_alias("received_at"),
        ReportGroupMember.feedback.sentiment.as_alias("sentiment"),
    ).where(ReportGroupMember.report_group == group_id).order_by(ReportGroupMember.feedback.received_at)


async def other_groups_of_service(service_id: int, group_id: int, limit: int) -> list[dict]:
    """Id and title of the service's other groups, newest first."""
    return await ReportGroup.select(ReportGroup.id, ReportGroup.title).where(
        (ReportGroup.service == service_id) & (ReportGroup.id != group_id)
    ).order_by(ReportGroup.id, ascending=False).limit(limit)


async def group_of_feedback(feedback_id: int) -> dict | None:
    """Id, title and confirmation of the group the feedback is in; None when in none (or split out)."""
    row = await ReportGroupMember.select(ReportGroupMember.report_group).where(
        ReportGroupMember.feedback == feedback_id
    ).first()
    if row is None or row["report_group"] is None:
        return None
    return await ReportGroup.select(ReportGroup.id, ReportGroup.title, ReportGroup.confirmed).where(
        ReportGroup.id == row["report_group"]
    ).first()


async def confirm_group(group_id: int, service_id: int, title: str, actor: dict, *, client: str = "") -> None:
    """Confirm the group under this title, audited, in one transaction."""
    async with current_engine().transaction():
        await ReportGroup.update({
            ReportGroup.title: title, ReportGroup.confirmed: True, ReportGroup.confirmed_by: actor["id"],
            ReportGroup.confirmed_at: dt.datetime.now(dt.timezone.utc),
        }).where(ReportGroup.id == group_id)
        await append_audit(audit_row(GROUP_CONFIRM, actor, service_id=service_id, client=client,
                                     detail={"group": group_id, "title": title}))


async def split_from_group(group_id: int, service_id: int, feedback_ids: list[int], dissolve: bool, actor: dict,
                           *, client: str = "") -> None:
    """Take these members out of the group for good (the model will not put them back), audited, in one transaction.

    With `dissolve`, the group goes too, and its remaining members go back to the model.
    """
    async with current_engine().transaction():
        await ReportGroupMember.update({ReportGroupMember.report_group: None, ReportGroupMember.added_by: "staff"}).where(
            (ReportGroupMember.report_group == group_id) & ReportGroupMember.feedback.is_in(feedback_ids)
        )
        if dissolve:
            await ReportGroupMember.delete().where(ReportGroupMember.report_group == group_id)
            await ReportGroup.delete().where(ReportGroup.id == group_id)
        await append_audit(*(
            audit_row(GROUP_SPLIT, actor, feedback_id=feedback_id, service_id=service_id, client=client,
                      detail={"group": group_id, "dissolved": dissolve})
            for feedback_id in feedback_ids
        ))


async def merge_groups(group_id: int, other: dict, service_id: int, confirm: bool, actor: dict, *, client: str = "") -> None:
    """Move every member of the other group (id, title) into this one and remove it, audited, in one transaction.

    With `confirm`, this group becomes confirmed by the actor.
    """
    async with current_engine().transaction():
        await ReportGroupMember.update({ReportGroupMember.report_group: group_id}).where(
            ReportGroupMember.report_group == other["id"]
        )
        if confirm:
            await ReportGroup.update({ReportGroup.confirmed: True, ReportGroup.confirmed_by: actor["id"],
                                      ReportGroup.confirmed_at: dt.datetime.now(dt.timezone.utc)}).where(
                ReportGroup.id == group_id)
        await ReportGroup.delete().where(ReportGroup.id == other["id"])
        await append_audit(audit_row(GROUP_MERGE, actor, service_id=service_id, client=client,
                                     detail={"group": group_id, "merged": other["id"], "merged_title": other["title"]}))


@dataclass(eq=False)  # each one is itself: a run may create two groups of one title
class NewGroup:
    """A group a grouping run creates, with its members."""

    title: str
    members: list[tuple[int, float]] = field(default_factory=list)  # (feedback id, similarity)


@dataclass
class Filing:
    """What a grouping run decided: the groups it creates, and the feedback that join a group."""

    new_groups: list[NewGroup] = field(default_factory=list)
    # (the group: an existing group's id, or one of new_groups; feedback id, similarity)
    joins: list[tuple[int | NewGroup, int, float]] = field(default_factory=list)


async def file_similar_reports(service_id: int, since: dt.datetime, now: dt.datetime,
                               decide: Callable[[list[dict], list[dict]], Filing]) -> Filing:
    """One grouping run of a service, in one transaction under the service's grouping lock.

    `decide` is given the service's ungrouped feedback received since then (`ungrouped_embeddings`)
    and every member of its groups (`group_member_embeddings`), and says what to file; new groups
    are created at `now`. Nothing is read further, nor written, when there is nothing to file.
    """
    async with current_engine().transaction():
        await lock_service_grouping(service_id)
        items = await embeddings.ungrouped_embeddings(service_id, since)
        if not items:
            return Filing()
        filing = decide(items, await embeddings.group_member_embeddings(service_id))
        ids: dict[NewGroup, int] = {}
        for group in filing.new_groups:
            rows = await ReportGroup.insert(
                ReportGroup(service=service_id, title=group.title, created_by=None, confirmed=False, created_at=now)
            ).returning(ReportGroup.id)
            ids[group] = rows[0]["id"]
        added_at = dt.datetime.now(dt.timezone.utc)
        members = [
            ReportGroupMember(report_group=ids[group], feedback=feedback_id, added_by="model",
                              similarity=round(score, 4), added_at=added_at)
            for group in filing.new_groups for feedback_id, score in group.members
        ] + [
            ReportGroupMember(report_group=ids[group] if isinstance(group, NewGroup) else group, feedback=feedback_id,
                              added_by="model", similarity=round(score, 4), added_at=added_at)
            for group, feedback_id, score in filing.joins
        ]
        if members:
            await ReportGroupMember.insert(*members)
    return filing
