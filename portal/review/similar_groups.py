"""What staff do with groups of similar reports: list, read, confirm, split, merge, answer; and the counts citizens see."""

from __future__ import annotations

from litestar.exceptions import NotFoundException

from portal.review import answers
from portal.review.access import can_triage, visible_services
from portal.settings import Settings
from portal.store.status import CLOSED
from portal.store import groups as groups_store
from portal.web.i18n import _
from portal.web.params import can_be_row_id

MAX_TITLE = 200
MAX_OTHERS = 200  # groups offered for a merge


class GroupError(ValueError):
    """The change is not possible; the message is for the person."""


async def group_for(staff: dict, group_id: int) -> dict:
    """The group if this person triages its service; 404 otherwise, so existence does not leak."""
    if not can_be_row_id(group_id):
        raise NotFoundException()
    row = await groups_store.find_group(group_id)
    if row is None or not can_triage(staff, row["service"]):
        raise NotFoundException()
    return row


async def members(group_id: int) -> list[dict]:
    """Members as staff see them in a group: redacted text only, never the original."""
    return await groups_store.group_members(group_id)


async def me_too_counts(group_ids: list[int]) -> dict[int, int]:
    """"Me too" votes on the published members of each group."""
    return await groups_store.me_too_counts(group_ids)


async def group_page(group: dict) -> dict:
    """What the group page shows: members, "me too" votes, weight, and the groups it may be merged with."""
    listed = await members(group["id"])
    votes = (await me_too_counts([group["id"]])).get(group["id"], 0)
    others = await groups_store.other_groups_of_service(group["service"], group["id"], limit=MAX_OTHERS)
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


async def groups_by_service(staff: dict, per_service: int = 20) -> list[dict]:
    """Each service this person sees, with its heaviest groups (a list page reached from the navigation)."""
    listed = []
    for service in await visible_services(staff):
        groups = await service_groups(service["id"])
        listed.append({"service": service, "groups": groups[:per_service], "more": max(0, len(groups) - per_service)})
    return listed


async def group_of_item(feedback_id: int) -> dict | None:
    """The group an item is in, with its members, for the item page."""
    group = await groups_store.group_of_feedback(feedback_id)
    if group is None:
        return None
    return {**group, "members": await members(group["id"])}


async def confirm(staff: dict, group: dict, title: str, client: str = "") -> None:
    """Confirm the group under the title staff gave it (spaces tidied)."""
    title = " ".join(title.split())
    if not title:
        raise GroupError(_("Donnez un titre au groupe (le problème en quelques mots)."))
    if len(title) > MAX_TITLE:
        raise GroupError(_("Le titre dépasse %(max)s caractères.") % {"max": MAX_TITLE})
    await groups_store.confirm_group(group["id"], group["service"], title, staff, client=client)


async def split(staff: dict, group: dict, feedback_ids: list[int], client: str = "") -> int:
    """Take items out of the group for good (the model will not put them back); returns how many."""
    current = {m["feedback_id"] for m in await members(group["id"])}
    chosen = sorted(current & set(feedback_ids))
    if not chosen:
        raise GroupError(_("Cochez au moins un avis à sortir du groupe."))
    # A group of one is no group: the last item goes back to the model, the group goes.
    dissolve = len(current - set(chosen)) < 2
    await groups_store.split_from_group(group["id"], group["service"], chosen, dissolve, staff, client=client)
    return len(chosen)


async def merge(staff: dict, group: dict, other_id: int, client: str = "") -> None:
    """Move every member of the other group into this one and remove the other group."""
    other = await group_for(staff, other_id)
    if other["id"] == group["id"]:
        raise GroupError(_("Choisissez un autre groupe que celui-ci."))
    if other["service"] != group["service"]:
        raise GroupError(_("Seuls les groupes d’un même service peuvent être fusionnés."))
    # A confirmed group stays confirmed when merged into one that was not.
    also_confirm = other["confirmed"] and not group["confirmed"]
    await groups_store.merge_groups(group["id"], other, group["service"], also_confirm, staff, client=client)


async def group_exists(group_id: int) -> bool:
    """Whether the group is still there (a split may have dissolved it)."""
    return await groups_store.group_exists(group_id)


async def answer_group(staff: dict, group: dict, text: str, settings: Settings, close: bool = False,
                       client: str = "") -> dict[str, int]:
    """One answer for every member: on each tracking page, e-mailed to each who agreed, audited per item.

    With `close`, each answered member is then closed. Returns how many members ended in each e-mail
    state, plus "closed"; the text is checked once, before any member is touched.
    """
    text = text.strip()
    if not text:
        raise GroupError(_("Écrivez une réponse."))
    if len(text) > answers.MAX_ANSWER:
        raise GroupError(_("La réponse dépasse %(max)s caractères.") % {"max": answers.MAX_ANSWER})
    counts: dict[str, int] = {"closed": 0}
    for member in await members(group["id"]):
        item = {"id": member["feedback_id"], "service": group["service"]}
        state = await answers.answer(staff, item, text, settings, client, detail={"group": group["id"]})
        counts[state] = counts.get(state, 0) + 1
        if close:  # answered -> closed is always a move
            await answers.change_status(staff, item, CLOSED, client)
            counts["closed"] += 1
    return counts


ANSWER_COUNTS = ("sent", "not_asked", "no_smtp", "failed", "queued", "closed")


def answer_counts(query) -> dict[str, int]:
    """The outcome of a group answer as its redirect wrote it: counts of known states only."""
    counts = {}
    for key in ANSWER_COUNTS:
        value = query.get(key)
        if value and value.isdigit() and len(value) < 7:
            counts[key] = int(value)
    return counts
