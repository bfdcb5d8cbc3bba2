"""What staff do with groups of similar reports: list, read, confirm, split, merge; and the counts citizens see."""

from __future__ import annotations

import datetime as dt

from litestar.exceptions import NotFoundException

from portal.review import audit
from portal.review.access import can_triage
from portal.store import groups as groups_store
from portal.store.engine import current_engine
from portal.store.workspace.tables import ReportGroup, ReportGroupMember
from portal.web.i18n import _
from portal.web.params import can_be_row_id

MAX_TITLE = 200


class GroupError(ValueError):
    """The change is not possible; the message is for the person."""


async def group_for(staff: dict, group_id: int) -> dict:
    """The group if this person triages its service; 404 otherwise, so existence does not leak."""
    if not can_be_row_id(group_id):
        raise NotFoundException()
    row = await ReportGroup.select(
        ReportGroup.id, ReportGroup.service, ReportGroup.title, ReportGroup.confirmed, ReportGroup.confirmed_at,
        ReportGroup.created_at, ReportGroup.created_by.name.as_alias("created_by_name"),
        ReportGroup.confirmed_by.name.as_alias("confirmed_by_name"),
        ReportGroup.service.code.as_alias("service_code"), ReportGroup.service.name_fr.as_alias("service_name"),
    ).where(ReportGroup.id == group_id).first()
    if row is None or not can_triage(staff, row["service"]):
        raise NotFoundException()
    return row


async def members(group_id: int) -> list[dict]:
    """Members as staff see them in a group: redacted text only, never the original."""
    return await ReportGroupMember.select(
        ReportGroupMember.feedback.as_alias("feedback_id"), ReportGroupMember.added_by, ReportGroupMember.similarity,
        ReportGroupMember.feedback.reference.as_alias("reference"), ReportGroupMember.feedback.channel.as_alias("channel"),
        ReportGroupMember.feedback.redacted_text.as_alias("redacted_text"),
        ReportGroupMember.feedback.received_at.as_alias("received_at"),
        ReportGroupMember.feedback.sentiment.as_alias("sentiment"),
    ).where(ReportGroupMember.report_group == group_id).order_by(ReportGroupMember.feedback.received_at)


async def me_too_counts(group_ids: list[int]) -> dict[int, int]:
    """"Me too" votes on the published members of each group."""
    return await groups_store.me_too_counts(group_ids)


async def group_page(group: dict) -> dict:
    listed = await members(group["id"])
    votes = (await me_too_counts([group["id"]])).get(group["id"], 0)
    others = await ReportGroup.select(ReportGroup.id, ReportGroup.title).where(
        (ReportGroup.service == group["service"]) & (ReportGroup.id != group["id"])
    ).order_by(ReportGroup.id, ascending=False).limit(200)
    return {"group": group, "members": listed, "reports": len(listed), "votes": votes,
            "weight": len(listed) + votes, "others": others}


async def service_groups(service_id: int) -> list[dict]:
    """A service's groups, heaviest first: reports plus "me too" votes."""
    rows = await groups_store.service_group_sizes(service_id)
    votes = await me_too_counts([r["id"] for r in rows])
    for r in rows:
        r["votes"] = votes.get(r["id"], 0)
        r["weight"] = r["reports"] + r["votes"]
    return sorted(rows, key=lambda r: (-r["weight"], -r["id"]))


async def group_of_item(feedback_id: int) -> dict | None:
    """The group an item is in, with its members, for the item page."""
    row = await ReportGroupMember.select(ReportGroupMember.report_group).where(
        ReportGroupMember.feedback == feedback_id
    ).first()
    if row is None or row["report_group"] is None:
        return None
    group = await ReportGroup.select(ReportGroup.id, ReportGroup.title, ReportGroup.confirmed).where(
        ReportGroup.id == row["report_group"]
    ).first()
    return {**group, "members": await members(group["id"])}


async def confirm(staff: dict, group: dict, title: str, client: str = "") -> None:
    title = " ".join(title.split())
    if not title:
        raise GroupError(_("Donnez un titre au groupe (le problème en quelques mots)."))
    if len(title) > MAX_TITLE:
        raise GroupError(_("Le titre dépasse %(max)s caractères.") % {"max": MAX_TITLE})
    await ReportGroup.update({
        ReportGroup.title: title, ReportGroup.confirmed: True, ReportGroup.confirmed_by: staff["id"],
        ReportGroup.confirmed_at: dt.datetime.now(dt.timezone.utc),
    }).where(ReportGroup.id == group["id"])
    await audit.record("group_confirm", staff, service_id=group["service"], client=client,
                       detail={"group": group["id"], "title": title})


async def split(staff: dict, group: dict, feedback_ids: list[int], client: str = "") -> int:
    """Take items out of the group for good (the model will not put them back); returns how many."""
    current = {m["feedback_id"] for m in await members(group["id"])}
    chosen = sorted(current & set(feedback_ids))
    if not chosen:
        raise GroupError(_("Cochez au moins un avis à sortir du groupe."))
    async with current_engine().transaction():
        await ReportGroupMember.update({ReportGroupMember.report_group: None, ReportGroupMember.added_by: "staff"}).where(
            (ReportGroupMember.report_group == group["id"]) & ReportGroupMember.feedback.is_in(chosen)
        )
        left = current - set(chosen)
        if len(left) < 2:
            # A group of one is no group: the last item goes back to the model, the group goes.
            await ReportGroupMember.delete().where(ReportGroupMember.report_group == group["id"])
            await ReportGroup.delete().where(ReportGroup.id == group["id"])
        for feedback_id in chosen:
            await audit.record("group_split", staff, feedback_id=feedback_id, service_id=group["service"], client=client,
                               detail={"group": group["id"], "dissolved": len(left) < 2})
    return len(chosen)


async def merge(staff: dict, group: dict, other_id: int, client: str = "") -> None:
    """Move every member of the other group into this one and remove the other group."""
    other = await group_for(staff, other_id)
    if other["id"] == group["id"]:
        raise GroupError(_("Choisissez un autre groupe que celui-ci."))
    if other["service"] != group["service"]:
        raise GroupError(_("Seuls les groupes d’un même service peuvent être fusionnés."))
    async with current_engine().transaction():
        await ReportGroupMember.update({ReportGroupMember.report_group: group["id"]}).where(
            ReportGroupMember.report_group == other["id"]
        )
        if other["confirmed"] and not group["confirmed"]:
            await ReportGroup.update({ReportGroup.confirmed: True, ReportGroup.confirmed_by: staff["id"],
                                      ReportGroup.confirmed_at: dt.datetime.now(dt.timezone.utc)}).where(
                ReportGroup.id == group["id"])
        await ReportGroup.delete().where(ReportGroup.id == other["id"])
        await audit.record("group_merge", staff, service_id=group["service"], client=client,
                           detail={"group": group["id"], "merged": other["id"], "merged_title": other["title"]})


async def group_exists(group_id: int) -> bool:
    return await ReportGroup.exists().where(ReportGroup.id == group_id)
