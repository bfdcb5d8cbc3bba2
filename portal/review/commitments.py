"""Commitments staff publish for a service ("you said, we did"): checked, stored with their audit rows."""

from __future__ import annotations

from portal.review.items import topic_choices
from portal.review.request_values import BadValue, day, row_id
from portal.store import commitments as store
from portal.store.commitments import COMMITMENT_STATUSES, DROPPED
from portal.web.i18n import _

MAX_TEXT = 2000


class CommitmentError(ValueError):
    """The commitment is refused; the message is for the person."""


async def choices_for(service: dict) -> dict:
    """What the form offers: the service's groups of similar reports, the topics, the statuses."""
    return {"groups": await store.groups_for_commitments(service["id"]), "topics": await topic_choices(),
            "statuses": COMMITMENT_STATUSES}


async def read_form(service: dict, data: dict[str, str], *, new: bool) -> dict:
    """The typed values, checked: raised, action, group, topic (new only), due date, status, note, reason."""
    problems = []
    values = {key: (data.get(key) or "").strip() for key in ("raised", "action", "report_group", "topic", "due_on",
                                                            "status", "note", "reason")}
    if new:
        if not values["raised"]:
            problems.append(_("Dites ce que les usagers ont signalé."))
        if not values["action"]:
            problems.append(_("Dites ce que le service va faire."))
    for key in ("raised", "action", "note", "reason"):
        if len(values[key]) > MAX_TEXT:
            problems.append(_("Un texte dépasse %(max)s caractères.") % {"max": MAX_TEXT})
            break
    try:
        due_on = day(values["due_on"], _("Échéance"))
    except BadValue as exc:
        problems.append(str(exc))
        due_on = None
    else:
        if due_on is None:
            problems.append(_("Donnez une échéance."))
    status = values["status"] or store.PLANNED
    if status not in COMMITMENT_STATUSES:
        problems.append(_("Choisissez un statut de la liste."))
    if status == DROPPED and not values["reason"]:
        problems.append(_("Dites pourquoi l’engagement est abandonné."))
    group = None
    if new and values["report_group"]:
        group = row_id(values["report_group"])
        if group is None or not await store.group_of_service(group, service["id"]):
            problems.append(_("Ce groupe d’avis semblables n’est pas un groupe de ce service."))
    topic = values["topic"] or None
    if new and topic and topic not in await topic_choices():
        problems.append(_("Choisissez un thème de la liste."))
    if problems:
        raise CommitmentError(" ".join(problems))
    return {**values, "report_group": group, "topic": topic, "due_on": due_on, "status": status,
            "reason": values["reason"] if status == DROPPED else ""}


async def publish_commitment(staff: dict, service: dict, data: dict[str, str], client: str = "") -> int:
    values = await read_form(service, data, new=True)
    return await store.add_commitment(service["id"], values, staff, client=client)


async def update_commitment(staff: dict, service: dict, commitment_id: int, data: dict[str, str], client: str = "") -> None:
    values = await read_form(service, data, new=False)
    if not await store.update_commitment(commitment_id, service["id"], values["status"], values["note"], values["reason"],
                                         values["due_on"], staff, client=client):
        raise CommitmentError(_("Cet engagement n’existe pas pour ce service."))


async def commitments_for(service: dict) -> list[dict]:
    return await store.commitments_of(service["id"])


async def commitment_of(service: dict, commitment_id: int) -> dict | None:
    row = await store.commitment(commitment_id)
    return row if row and row["service"] == service["id"] else None
