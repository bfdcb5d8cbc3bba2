"""Offices: where counters are, what they serve and when they are open; managed by administrators."""

from __future__ import annotations

import re

from counters.devices import DeviceError, find_office
from portal.store.directory import (
    change_office,
    create_office,
    office_with_code,
    offices_with_services,
    services_with_codes,
)

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


async def add_office(code: str, name: str, address: str = "", opening_hours: str = "", services: list[str] = ()) -> dict:
    """Create an office serving the given services (by code)."""
    if not _CODE.match(code):
        raise DeviceError("an office code is lower-case letters, digits and dashes, like mairie-lyon-3")
    if not name.strip():
        raise DeviceError("an office needs a name")
    if await office_with_code(code) is not None:
        raise DeviceError(f"office {code} already exists")
    service_ids = await _service_ids(services)
    return await create_office(code, name.strip(), address.strip(), opening_hours.strip(), service_ids)


async def update_office(office: str, name: str | None = None, address: str | None = None, opening_hours: str | None = None,
                        add_services: list[str] = (), remove_services: list[str] = ()) -> dict:
    """Change an office's details and the services it offers; nothing changes when a service code is unknown."""
    row = await find_office(office)
    if row is None:
        raise DeviceError(f"no office {office!r}")
    added, removed = await _service_ids(add_services), await _service_ids(remove_services)
    return await change_office(
        row["id"],
        name=name.strip() if name is not None else None,
        address=address.strip() if address is not None else None,
        opening_hours=opening_hours.strip() if opening_hours is not None else None,
        add_service_ids=added,
        remove_service_ids=removed,
    )


async def list_offices() -> list[dict]:
    """Every office by code, with the codes of the services it offers."""
    return await offices_with_services()


async def _service_ids(codes) -> list[int]:
    codes = [c for c in codes if c]
    if not codes:
        return []
    rows = await services_with_codes(codes)
    missing = sorted(set(codes) - {r["code"] for r in rows})
    if missing:
        raise DeviceError(f"unknown service(s): {', '.join(missing)}")
    return [r["id"] for r in rows]
