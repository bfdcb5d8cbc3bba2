"""Publications in the store: services' answer templates, published feedback, and the public's "me too" votes."""

from __future__ import annotations

import datetime as dt

from portal.store.replica import replica_read
from portal.store.workspace.tables import AnswerTemplate, MeTooVote, Publication, ReportGroupMember


async def templates_of(service_id: int) -> list[dict]:
    """The service's answer templates (id, title, body) in title order."""
    return await AnswerTemplate.select(AnswerTemplate.id, AnswerTemplate.title, AnswerTemplate.body).where(
        AnswerTemplate.service == service_id
    ).order_by(AnswerTemplate.title)


async def add_template(service_id: int, title: str, body: str, staff_id: int, at: dt.datetime) -> int:
    """Store a new answer template of the service; its id."""
    rows = await AnswerTemplate.insert(
        AnswerTemplate(service=service_id, title=title, body=body, updated_by=staff_id, updated_at=at)
    ).returning(AnswerTemplate.id)
    return rows[0]["id"]


async def update_template(template_id: int, service_id: int, title: str, body: str, staff_id: int, at: dt.datetime) -> bool:
    """Rewrite the template if it is this service's; False (nothing changed) when the service has no such template."""
    rows = await AnswerTemplate.update(
        {AnswerTemplate.title: title, AnswerTemplate.body: body, AnswerTemplate.updated_by: staff_id,
         AnswerTemplate.updated_at: at}
    ).where((AnswerTemplate.id == template_id) & (AnswerTemplate.service == service_id)).returning(AnswerTemplate.id)
    return bool(rows)


async def publish_feedback(feedback_id: int, text: str, answer: str, staff_id: int, at: dt.datetime) -> None:
    """Publish the feedback with this text and answer, or replace its publication (published again if withdrawn)."""
    # One statement: two moderators publishing the same feedback at once both succeed, the last one wins.
    await Publication.insert(
        Publication(feedback=feedback_id, text=text, answer=answer, withdrawn=False, published_by=staff_id, published_at=at)
    ).on_conflict(
        target=Publication.feedback,
        action="DO UPDATE",
        values=[Publication.text, Publication.answer, Publication.withdrawn, Publication.published_by,
                Publication.published_at],
    )


async def withdraw_publication(feedback_id: int) -> None:
    """Take the feedback's publication off the public page (kept, so it can be published again)."""
    await Publication.update({Publication.withdrawn: True}).where(Publication.feedback == feedback_id)


@replica_read
async def published_feedback(limit: int, service_code: str | None = None) -> list[dict]:
    """Publications not withdrawn, newest first (of one service when given), with their feedback's rating and service."""
    query = Publication.select(
        Publication.id.as_alias("publication_id"), Publication.feedback.as_alias("feedback_id"),
        Publication.text, Publication.answer, Publication.published_at,
        Publication.feedback.rating.as_alias("rating"),
        Publication.feedback.service.code.as_alias("service_code"),
        Publication.feedback.service.name_fr.as_alias("service_name_fr"),
        Publication.feedback.service.name_en.as_alias("service_name_en"),
    ).where(Publication.withdrawn == False)  # noqa: E712
    if service_code:
        query = query.where(Publication.feedback.service.code == service_code)
    return await query.order_by(Publication.published_at, ascending=False).limit(limit)


async def is_published(publication_id: int) -> bool:
    """Whether this publication exists and is not withdrawn."""
    return await Publication.exists().where((Publication.id == publication_id) & (Publication.withdrawn == False))  # noqa: E712


async def add_me_too(publication_id: int, voter: str, at: dt.datetime) -> bool:
    """Count this voter's "me too" on the publication; False when they already had (the unique index decides)."""
    rows = await MeTooVote.raw(
        "INSERT INTO me_too_vote (publication, voter, at) VALUES ({}, {}, {}) "
        "ON CONFLICT (publication, voter) DO NOTHING RETURNING id",
        publication_id, voter, at,
    )
    return bool(rows)


async def me_too_votes(publication_ids: list[int]) -> dict[int, int]:
    """"Me too" votes per publication (publications without votes are absent)."""
    if not publication_ids:
        return {}
    rows = await MeTooVote.raw(
        "SELECT publication, COUNT(*) AS n FROM me_too_vote WHERE publication IN ("
        + ", ".join("{}" for _ in publication_ids) + ") GROUP BY publication",
        *publication_ids,
    )
    return {r["publication"]: int(r["n"]) for r in rows}


async def voted_by(voter: str, publication_ids: list[int]) -> set[int]:
    """Those of these publications this voter said "me too" to."""
    if not publication_ids:
        return set()
    rows = await MeTooVote.select(MeTooVote.publication).where(
        (MeTooVote.voter == voter) & MeTooVote.publication.is_in(list(publication_ids))
    )
    return {r["publication"] for r in rows}


async def groups_with_sizes(feedback_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each of these feedback that is in a group: (its group, the group's number of reports)."""
    if not feedback_ids:
        return {}
    members = await ReportGroupMember.select(ReportGroupMember.feedback, ReportGroupMember.report_group).where(
        ReportGroupMember.feedback.is_in(list(feedback_ids)) & ReportGroupMember.report_group.is_not_null()
    )
    group_of = {m["feedback"]: m["report_group"] for m in members}
    group_ids = sorted(set(group_of.values()))
    if not group_ids:
        return {}
    rows = await ReportGroupMember.raw(
        "SELECT report_group AS gid, COUNT(*) AS n FROM report_group_member WHERE report_group IN ("
        + ", ".join("{}" for _ in group_ids) + ") GROUP BY report_group",
        *group_ids,
    )
    sizes = {r["gid"]: int(r["n"]) for r in rows}
    return {feedback_id: (group, sizes[group]) for feedback_id, group in group_of.items()}


async def published_service_code(publication_id: int) -> str | None:
    """The code of the service of this publication when it is published (not withdrawn); None otherwise."""
    row = await Publication.select(Publication.feedback.service.code.as_alias("code")).where(
        (Publication.id == publication_id) & (Publication.withdrawn == False)  # noqa: E712
    ).first()
    return row["code"] if row else None
