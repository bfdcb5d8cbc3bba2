"""The inbox's views as links with their words, and whom the ticked items can be assigned to."""

from __future__ import annotations

from portal.review.access import service_scope
from portal.review.inbox import CHECK, MINE, NEW, OVERDUE, UNASSIGNED, URGENT, VIEWS
from portal.store.assignment import assignees
from portal.store.directory import services_by_name
from portal.web.i18n import N_, _

VIEW_WORDS = {
    "": N_("Tous les avis"),
    NEW: N_("Nouveaux depuis ma dernière visite"),
    MINE: N_("Assignés à moi"),
    UNASSIGNED: N_("Non assignés"),
    OVERDUE: N_("En retard"),
    CHECK: N_("À vérifier"),
    URGENT: N_("Urgents"),
}
# What a view keeps of the filters when one goes to another: the services chosen and which feedback by their text.
KEPT = ("service", "comment")


def view_links(params: dict[str, list[str]]) -> list[dict]:
    """One link per view: {view, words, query (pairs)}; "" is every feedback."""
    kept = [(k, v) for k in KEPT for v in params.get(k, []) if v]
    return [{"view": view, "words": _(VIEW_WORDS[view]), "query": [*kept, *([("view", view)] if view else [])]}
            for view in ("", *VIEWS)]


async def bulk_assignees(staff: dict) -> list[dict]:
    """The other people who answer for this person's services, by name (the bulk form also offers "me" and "the team")."""
    scope = service_scope(staff)
    services = scope if scope is not None else [s["id"] for s in await services_by_name(None)]
    return [p for p in await assignees(services) if p["id"] != staff["id"]]
