"""Keyword factories for test data, written straight to the store."""

from __future__ import annotations

import datetime as dt
import itertools

from zoneinfo import ZoneInfo

from portal.feedback.intake import FeedbackInput, submit_feedback
from portal.public.open311_keys import issue_key
from portal.public.results import today_in
from portal.settings import SETTINGS_TABLE
from portal.store.core.tables import Office, OfficeService, Service
from portal.store.publications import publish_feedback

_counter = itertools.count(1)


# The tests' settings keep PORTAL_TIME_ZONE's default (Europe/Paris), read where the default is stated.
TEST_ZONE = ZoneInfo(next(s.default for s in SETTINGS_TABLE if s.name == "time_zone"))


def portal_today() -> dt.date:
    """Today in the tests' portal time zone, which the machine's UTC date is not between 23:00 and
    midnight UTC in winter (22:00 in summer)."""
    return today_in(TEST_ZONE)


async def create_service(code: str | None = None, name_fr: str = "Service de test", name_en: str = "Test service", **kw) -> dict:
    code = code or f"service-{next(_counter)}"
    row = Service(code=code, name_fr=name_fr, name_en=name_en, description_fr=kw.pop("description_fr", ""),
                  description_en=kw.pop("description_en", ""), owner_emails=kw.pop("owner_emails", ""),
                  active=kw.pop("active", True), **kw)
    await row.save()
    return await Service.select().where(Service.id == row.id).first()


async def create_office(name: str = "Bureau de test", services: list[dict] = (), **kw) -> dict:
    code = kw.pop("code", f"office-{next(_counter)}")
    row = Office(code=code, name=name, address=kw.pop("address", "1 rue de la Paix"), opening_hours=kw.pop("opening_hours", ""), **kw)
    await row.save()
    for service in services:
        await OfficeService(office=row.id, service=service["id"]).save()
    return await Office.select().where(Office.id == row.id).first()


async def create_feedback(service: dict, text: str = "Très bon accueil, merci.", **kw):
    return await submit_feedback(FeedbackInput(service_code=service["code"], text=text, **kw))


async def create_publication(feedback_id: int, text: str = "Texte publié.", answer: str = "Réponse publiée.", **kw) -> None:
    """Publish the feedback with this text and answer (by nobody in particular)."""
    await publish_feedback(feedback_id, text, answer, kw.pop("staff_id", None), kw.pop("at", dt.datetime.now(dt.timezone.utc)))


async def create_api_key(name: str = "Partenaire de test") -> tuple[dict, str]:
    """A partner's key in use: (its row, the key in clear)."""
    issued = await issue_key(name, None)
    return issued.row, issued.key


async def create_dated_feedback(service: dict, *, received_at, sentiment: str | None = "positive",
                                text: str = "Très bon accueil, merci.", **kw):
    """A feedback received at `received_at` (a UTC moment) with this effective sentiment (None: not labelled yet)."""
    from portal.store.core.tables import Feedback

    receipt = await create_feedback(service, text=text, **kw)
    await Feedback.update({Feedback.received_at: received_at, Feedback.sentiment: sentiment}).where(
        Feedback.id == receipt.feedback_id)
    return receipt
