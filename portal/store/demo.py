"""The demo's writes: its services, offices and clerks, and the feedback prepared for them, all in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.store.core.tables import Feedback, Office, OfficeService, Service, StaffUser
from portal.store.engine import current_engine
from portal.store.feedback import DuplicateFeedback, FeedbackRow, insert_new_feedback

NO_PASSWORD = "!"  # matches no password: an account with it cannot sign in


@dataclass
class DemoPlaces:
    """What the demo created, by code: service ids, office ids, and each office's clerk's id."""

    services: dict[str, int]
    offices: dict[str, int]
    clerks: dict[str, int]


async def create_demo(
    services: list[dict], offices: list[dict], feedback_for: Callable[[DemoPlaces], list[FeedbackRow]]
) -> DemoPlaces:
    """Write the demo all or nothing: the services, the offices with the services they offer, a clerk each,
    then the feedback rows `feedback_for` prepares once their ids are known.

    A service is code, names, descriptions and owner_emails; an office is code, name, address,
    opening_hours, `services` (codes) and `clerk` (email and name of its clerk, who cannot sign in).
    DuplicateFeedback when a prepared reference is already taken (nothing is then written).
    """
    async with current_engine().transaction():
        service_ids: dict[str, int] = {}
        for s in services:
            fields = {k: s[k] for k in ("code", "name_fr", "name_en", "description_fr", "description_en", "owner_emails")}
            rows = await Service.insert(Service(**fields, active=True)).returning(Service.id)
            service_ids[s["code"]] = rows[0]["id"]
        office_ids: dict[str, int] = {}
        clerks: dict[str, int] = {}
        for o in offices:
            fields = {k: o[k] for k in ("code", "name", "address", "opening_hours")}
            office_id = (await Office.insert(Office(**fields, active=True)).returning(Office.id))[0]["id"]
            office_ids[o["code"]] = office_id
            if o["services"]:
                await OfficeService.insert(*(OfficeService(office=office_id, service=service_ids[c]) for c in o["services"]))
            clerk = StaffUser(email=o["clerk"]["email"], name=o["clerk"]["name"], role="clerk", password_hash=NO_PASSWORD,
                              office=office_id, active=True)
            clerks[o["code"]] = (await StaffUser.insert(clerk).returning(StaffUser.id))[0]["id"]
        places = DemoPlaces(service_ids, office_ids, clerks)
        rows = feedback_for(places)
        if len(await insert_new_feedback(rows)) < len(rows):
            raise DuplicateFeedback()
    return places


async def channels_and_languages(service_ids: list[int]) -> list[dict]:
    """The channel and language of each stored feedback about these services."""
    if not service_ids:
        return []
    return await Feedback.select(Feedback.channel, Feedback.language).where(Feedback.service.is_in(list(service_ids)))
