"""Offices as administrators manage them: create and change (through counters' own functions), list with kiosks and clerks."""

from __future__ import annotations

from dataclasses import dataclass, field

from counters.devices import device_state
from counters.offices import add_office, list_offices, update_office
from portal.admin.forms import FormErrors, problem
from portal.admin.services import CODE
from portal.review import audit
from portal.store import accounts, devices, directory
from portal.web.i18n import N_

MAX_NAME, MAX_TEXT = 200, 1000


@dataclass
class OfficeForm:
    code: str = ""
    name: str = ""
    address: str = ""
    opening_hours: str = ""
    services: list[str] = field(default_factory=list)  # service codes


async def _check(form: OfficeForm, creating: bool) -> None:
    errors = []
    if creating:
        if not CODE.match(form.code):
            errors.append(problem("code", N_("Le code est fait de lettres minuscules sans accent, de chiffres et de tirets, "
                                             "par exemple mairie-lyon-3.")))
        elif await directory.office_with_code(form.code) is not None:
            errors.append(problem("code", N_("Un autre lieu a déjà le code %(code)s."), code=form.code))
    if not form.name.strip():
        errors.append(problem("name", N_("Donnez le nom du lieu.")))
    elif len(form.name.strip()) > MAX_NAME:
        errors.append(problem("name", N_("Le nom dépasse %(max)s caractères."), max=MAX_NAME))
    for name in ("address", "opening_hours"):
        if len(getattr(form, name)) > MAX_TEXT:
            errors.append(problem(name, N_("Ce texte dépasse %(max)s caractères."), max=MAX_TEXT))
    if form.services and len(await directory.known_service_codes(form.services)) != len(set(form.services)):
        errors.append(problem("services", N_("Un des services choisis n’existe plus : choisissez à nouveau.")))
    if errors:
        raise FormErrors(errors)


async def create_office(form: OfficeForm, actor: dict, client: str = "") -> dict:
    """A new office offering the ticked services (raises FormErrors); audited."""
    await _check(form, creating=True)
    row = await add_office(form.code, form.name, form.address, form.opening_hours, form.services)
    await audit.record("create_office", actor, client=client, detail={
        "office": row["code"], "after": {"name": row["name"], "address": row["address"],
                                         "opening_hours": row["opening_hours"], "services": sorted(form.services)}})
    return row


async def change_office(office: dict, form: OfficeForm, actor: dict, client: str = "") -> dict:
    """The office's details and exactly the ticked services (raises FormErrors); audited with before and after."""
    await _check(form, creating=False)
    before = await office_details(office["id"])
    present = set(before["services"])
    ticked = set(form.services)
    row = await update_office(office["code"], form.name, form.address, form.opening_hours,
                              sorted(ticked - present), sorted(present - ticked))
    after = await office_details(row["id"])
    await audit.record("change_office", actor, client=client, detail={"office": row["code"], "before": _kept(before),
                                                                         "after": _kept(after)})
    return row


async def office_details(office_id: int) -> dict | None:
    """The office's row with `services`: the codes of the services it offers."""
    for office in await list_offices():
        if office["id"] == office_id:
            return office
    return None


async def offices_overview() -> list[dict]:
    """Every office by code, with its services (codes), its devices (each with its state) and its clerks."""
    offices = await list_offices()
    all_devices = await devices.devices_with_options()
    clerks = [a for a in await accounts.every_account() if a["role"] == "clerk"]
    for office in offices:
        office["devices"] = [{**d, "state": device_state(d)} for d in all_devices if d["office"] == office["id"]]
        office["clerks"] = [c for c in clerks if c["office"] == office["id"]]
    return offices


def _kept(office: dict) -> dict:
    return {name: office[name] for name in ("name", "address", "opening_hours", "services")}
