"""Offices: where counters are, what they serve and when they are open; managed by administrators."""

from __future__ import annotations

import re

from counters.devices import DeviceError, find_office
from portal.store.core.tables import Office, OfficeService, Service

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


async def add_office(code: str, name: str, address: str = "", opening_hours: str = "", services: list[str] = ()) -> dict:
    """Create an office serving the given services (by code)."""
    if not _CODE.match(code):
        raise DeviceError("an office code is lower-case letters, digits and dashes, like mairie-lyon-3")
    if not name.strip():
        raise DeviceError("an office needs a name")
    if await Office.exists().where(Office.code == code):
        raise DeviceError(f"office {code} already exists")
    service_ids = await _service_ids(services)
    office = Office(code=code, name=name.strip(), address=address.strip(), opening_hours=opening_hours.strip())
    await office.save()
    for service_id in service_ids:
        await OfficeService(office=office.id, service=service_id).save()
    return await Office.select().where(Office.id == office.id).first()


async def update_office(office: str, name: str | None = None, address: str | None = None, opening_hours: str | None = None,
                        add_services: list[str] = (), remove_services: list[str] = ()) -> dict:
    row = await find_office(office)
    if row is None:
        raise DeviceError(f"no office {office!r}")
    changes = {col: value.strip() for col, value in ((Office.name, name), (Office.address, address), (Office.opening_hours, opening_hours)) if value is not None}
    if changes:
        await Office.update(changes).where(Office.id == row["id"])
    present = {r["service"] for r in await OfficeService.select(OfficeService.service).where(OfficeService.office == row["id"])}
    for service_id in await _service_ids(add_services):
        if service_id not in present:
            await OfficeService(office=row["id"], service=service_id).save()
    removed = await _service_ids(remove_services)
    if removed:
        await OfficeService.delete().where((OfficeService.office == row["id"]) & OfficeService.service.is_in(removed))
    return await Office.select().where(Office.id == row["id"]).first()


async def list_offices() -> list[dict]:
    offices = await Office.select().order_by(Office.code)
    links = await OfficeService.select(OfficeService.office, OfficeService.service.code.as_alias("code")).order_by(OfficeService.service.code)
    by_office: dict[int, list[str]] = {}
    for link in links:
        by_office.setdefault(link["office"], []).append(link["code"])
    for office in offices:
        office["services"] = by_office.get(office["id"], [])
    return offices


async def _service_ids(codes) -> list[int]:
    codes = [c for c in codes if c]
    if not codes:
        return []
    rows = await Service.select(Service.id, Service.code).where(Service.code.is_in(codes))
    missing = sorted(set(codes) - {r["code"] for r in rows})
    if missing:
        raise DeviceError(f"unknown service(s): {', '.join(missing)}")
    return [r["id"] for r in rows]
