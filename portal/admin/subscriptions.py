"""Digest subscriptions from the staff side: an owner manages their own, an administrator anyone's; previews before subscribing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.admin.forms import FormErrors, problem
from portal.admin.services import EMAIL
from portal.digests.periods import WEEKDAYS
from portal.digests.preview import PreviewError, preview
from portal.digests.render import RenderedDigest
from portal.digests.subscriptions import SubscriptionError, SubscriptionRequest, change, owned_services, subscribe
from portal.review import audit
from portal.settings import Settings
from portal.store import subscriptions as store
from portal.store.digests.tables import FREQUENCIES
from portal.store.directory import services_by_name
from portal.web.i18n import N_

FREQUENCY_NAMES = {"weekly": N_("Chaque semaine"), "daily": N_("Chaque jour"), "monthly": N_("Chaque mois, le 1er")}
WEEKDAY_NAMES = dict(zip(WEEKDAYS, (N_("lundi"), N_("mardi"), N_("mercredi"), N_("jeudi"), N_("vendredi"), N_("samedi"),
                                    N_("dimanche"))))
LANGUAGE_NAMES = {"fr": N_("Français"), "en": N_("Anglais")}


@dataclass
class SubscriptionForm:
    owner_email: str = ""
    services: list[str] = field(default_factory=list)  # codes; none: every service the recipient owns
    frequency: str = "weekly"
    weekday: str = "mon"
    send_time: str = "08:00"
    time_zone: str = "Europe/Paris"
    language: str = "fr"
    active: bool = True

    @classmethod
    def of(cls, row: dict) -> "SubscriptionForm":
        return cls(owner_email=row["owner_email"], services=[c for c in (row["services"] or "").split(",") if c],
                   frequency=row["frequency"], weekday=WEEKDAYS[row["weekday"]], send_time=row["send_time"],
                   time_zone=row["time_zone"], language=row["language"], active=row["active"])


def may_manage(staff: dict, subscription: dict) -> bool:
    """Administrators manage every subscription; an owner those sent to their own address."""
    return staff["role"] == "admin" or subscription["owner_email"] == staff["email"]


def recipient(staff: dict, form: SubscriptionForm) -> str:
    """Whom the digest goes to: anyone an administrator names, an owner themself."""
    return form.owner_email.strip().lower() if staff["role"] == "admin" else staff["email"]


async def service_choices(staff: dict, owner_email: str | None = None) -> list[dict]:
    """The services a form offers (id, code, names): an owner's own, or every service for an administrator."""
    owned = await owned_services(owner_email or staff["email"]) if staff["role"] != "admin" else None
    services = await services_by_name()
    if owned is None:
        return services
    mine = {o["code"] for o in owned}
    return [s for s in services if s["code"] in mine]


async def _request(staff: dict, form: SubscriptionForm) -> SubscriptionRequest:
    """The form as a subscription request, each field checked with a message for the person; raises FormErrors."""
    errors = []
    email = recipient(staff, form)
    if not EMAIL.match(email):
        errors.append(problem("owner_email", N_("Saisissez l’adresse e-mail du destinataire, par exemple prenom.nom@mairie.fr.")))
    if form.frequency not in FREQUENCIES:
        errors.append(problem("frequency", N_("Choisissez une fréquence de la liste.")))
    if form.weekday not in WEEKDAYS:
        errors.append(problem("weekday", N_("Choisissez un jour de la semaine.")))
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", form.send_time):
        errors.append(problem("send_time", N_("Donnez une heure sous la forme HH:MM, par exemple 08:00.")))
    try:
        ZoneInfo(form.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(problem("time_zone", N_("Ce fuseau horaire est inconnu : écrivez-le comme Europe/Paris ou America/Cayenne.")))
    if form.language not in LANGUAGE_NAMES:
        errors.append(problem("language", N_("Choisissez le français ou l’anglais.")))
    if EMAIL.match(email):
        owned = await owned_services(email)
        if owned is not None:
            mine = {o["code"] for o in owned}
            if not any(o["active"] for o in owned) and not form.services:
                errors.append(problem("services", N_("%(email)s n’est responsable d’aucun service actif : ajoutez l’adresse "
                                                     "aux responsables d’un service, ou donnez-lui un compte de responsable."),
                                      email=email))
            elif foreign := [c for c in form.services if c not in mine]:
                errors.append(problem("services", N_("%(email)s n’est pas responsable de : %(codes)s. Une synthèse ne montre que "
                                                     "les services de son destinataire."), email=email, codes=", ".join(foreign)))
    if errors:
        raise FormErrors(errors)
    return SubscriptionRequest(email, tuple(form.services), form.frequency, form.weekday, form.send_time, form.time_zone,
                               form.language)


async def create(staff: dict, form: SubscriptionForm, client: str = "") -> dict:
    """Subscribe (through the digests' own function, as `portal digests subscribe` does); audited."""
    request = await _request(staff, form)
    try:
        row = await subscribe(request)
    except SubscriptionError:  # what _request checks changed meanwhile (a service deactivated, an owner removed)
        raise FormErrors([problem("services", N_("Cette synthèse ne montrerait aucun service de son destinataire : "
                                                 "vérifiez les services choisis."))]) from None
    await audit.record("subscribe_digest", staff, client=client, detail={"subscription": row["id"], "after": _kept(row)})
    return row


async def update(staff: dict, subscription: dict, form: SubscriptionForm, client: str = "") -> dict:
    """Change a subscription (its recipient stays); audited with before and after."""
    form.owner_email = subscription["owner_email"]
    request = await _request(staff, form)
    try:
        row = await change(subscription["id"], request, active=form.active)
    except SubscriptionError:
        raise FormErrors([problem("services", N_("Cette synthèse ne montrerait aucun service de son destinataire : "
                                                 "vérifiez les services choisis."))]) from None
    await audit.record("change_subscription", staff, client=client, detail={
        "subscription": row["id"], "before": _kept(subscription), "after": _kept(row)})
    return row


async def preview_of(settings: Settings, staff: dict, form: SubscriptionForm) -> RenderedDigest:
    """The digest these choices would send for the latest finished period; works before any subscription exists."""
    request = await _request(staff, form)
    try:
        return await preview(settings, request.owner_email, "last", choices=request)
    except PreviewError:
        raise FormErrors([problem("services", N_("Cette synthèse ne montrerait aucun service de son destinataire : "
                                                 "vérifiez les services choisis."))]) from None


async def visible(staff: dict) -> list[dict]:
    """Every subscription for an administrator; an owner's own otherwise."""
    return await store.list_subscriptions(None if staff["role"] == "admin" else staff["email"])


async def subscription(staff: dict, subscription_id: int) -> dict | None:
    row = await store.get_subscription(subscription_id)
    return row if row is not None and may_manage(staff, row) else None


def _kept(row: dict) -> dict:
    return {name: row[name] for name in ("owner_email", "services", "frequency", "weekday", "send_time", "time_zone",
                                         "language", "active")}
