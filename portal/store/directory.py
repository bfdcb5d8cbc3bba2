"""Services and offices in the store: which services exist, where the offices are and what each offers."""

from __future__ import annotations

from portal.store.core.tables import Office, OfficeService, Service
from portal.store.engine import current_engine


async def active_service(code: str) -> dict | None:
    """The active service with this code, all its columns."""
    return await Service.select().where((Service.code == code) & (Service.active == True)).first()  # noqa: E712


async def listed_services(active_only: bool = True) -> list[dict]:
    """Services as citizens choose among them (code, names, descriptions), by French name."""
    query = Service.select(
        Service.code, Service.name_fr, Service.name_en, Service.description_fr, Service.description_en
    ).order_by(Service.name_fr)
    if active_only:
        query = query.where(Service.active == True)  # noqa: E712
    return await query


async def services_with_codes(codes: list[str], active_only: bool = False) -> list[dict]:
    """The id and code of the services with these codes (only the active ones if asked)."""
    if not codes:
        return []
    where = Service.code.is_in(list(codes))
    if active_only:
        where = where & (Service.active == True)  # noqa: E712
    return await Service.select(Service.id, Service.code).where(where)


async def any_service_has_code(codes: list[str]) -> bool:
    """Whether a service (active or not) has one of these codes."""
    return bool(codes) and await Service.exists().where(Service.code.is_in(list(codes)))


async def service_names(code: str) -> dict | None:
    """The French and English names of the service with this code, active or not."""
    return await Service.select(Service.name_fr, Service.name_en).where(Service.code == code).first()


async def office_with_id(office_id: int) -> dict | None:
    """The office with this id, all its columns."""
    return await Office.select().where(Office.id == office_id).first()


async def office_with_code(code: str) -> dict | None:
    """The office with this code, all its columns."""
    return await Office.select().where(Office.code == code).first()


async def office_offers(office_id: int, service_id: int) -> bool:
    """Whether the office offers this service."""
    return await OfficeService.exists().where((OfficeService.office == office_id) & (OfficeService.service == service_id))


async def services_offered_at(office_id: int, service_ids: list[int]) -> set[int]:
    """Those of these services that the office offers."""
    if not service_ids:
        return set()
    links = await OfficeService.select(OfficeService.service).where(
        (OfficeService.office == office_id) & OfficeService.service.is_in(list(service_ids))
    )
    return {link["service"] for link in links}


async def active_services_of_office(office_id: int) -> list[dict]:
    """The active services the office offers (id, code, names), by French name."""
    return await (
        OfficeService.select(
            OfficeService.service.id.as_alias("id"),
            OfficeService.service.code.as_alias("code"),
            OfficeService.service.name_fr.as_alias("name_fr"),
            OfficeService.service.name_en.as_alias("name_en"),
        )
        .where((OfficeService.office == office_id) & (OfficeService.service.active == True))  # noqa: E712
        .order_by(OfficeService.service.name_fr)
    )


async def create_office(code: str, name: str, address: str, opening_hours: str, service_ids: list[int]) -> dict:
    """A new office offering these services, written in one transaction; the office's row."""
    async with current_engine().transaction():
        rows = await Office.insert(Office(code=code, name=name, address=address, opening_hours=opening_hours)).returning(Office.id)
        office_id = rows[0]["id"]
        if service_ids:
            await OfficeService.insert(*(OfficeService(office=office_id, service=s) for s in service_ids))
    return await office_with_id(office_id)


async def change_office(
    office_id: int, *, name: str | None = None, address: str | None = None, opening_hours: str | None = None,
    add_service_ids: list[int] = (), remove_service_ids: list[int] = (),
) -> dict:
    """Change the office's details given (not None) and the services it offers, in one transaction; the office's row."""
    details = {Office.name: name, Office.address: address, Office.opening_hours: opening_hours}
    changes = {column: value for column, value in details.items() if value is not None}
    async with current_engine().transaction():
        if changes:
            await Office.update(changes).where(Office.id == office_id)
        present = {r["service"] for r in await OfficeService.select(OfficeService.service).where(OfficeService.office == office_id)}
        added = [s for s in dict.fromkeys(add_service_ids) if s not in present]
        if added:
            await OfficeService.insert(*(OfficeService(office=office_id, service=s) for s in added))
        if remove_service_ids:
            await OfficeService.delete().where(
                (OfficeService.office == office_id) & OfficeService.service.is_in(list(remove_service_ids))
            )
    return await office_with_id(office_id)


async def offices_with_services() -> list[dict]:
    """Every office by code, each with the codes of the services it offers (`services`, in code order)."""
    offices = await Office.select().order_by(Office.code)
    links = await OfficeService.select(OfficeService.office, OfficeService.service.code.as_alias("code")).order_by(
        OfficeService.service.code
    )
    by_office: dict[int, list[str]] = {}
    for link in links:
        by_office.setdefault(link["office"], []).append(link["code"])
    for office in offices:
        office["services"] = by_office.get(office["id"], [])
    return offices


async def service_with_code(code: str) -> dict | None:
    """The service with this code: id, code and its two names."""
    return await Service.select(Service.id, Service.code, Service.name_fr, Service.name_en).where(
        Service.code == code
    ).first()


async def services_by_name(service_ids: list[int] | None = None) -> list[dict]:
    """Services (id, code, names) in order of their French name; only those with these ids when given."""
    query = Service.select(Service.id, Service.code, Service.name_fr, Service.name_en).order_by(Service.name_fr)
    if service_ids is not None:
        if not service_ids:
            return []
        query = query.where(Service.id.is_in(list(service_ids)))
    return await query


async def offices_by_name(office_id: int | None = None) -> list[dict]:
    """Offices (id, code, name) in order of their name; only the one with this id when given."""
    query = Office.select(Office.id, Office.code, Office.name).order_by(Office.name)
    if office_id is not None:
        query = query.where(Office.id == office_id)
    return await query


async def known_service_codes(codes: list[str] | tuple[str, ...]) -> set[str]:
    """Those of these service codes that a service has."""
    if not codes:
        return set()
    return {r["code"] for r in await Service.select(Service.code).where(Service.code.is_in(list(codes)))}


async def services_and_owners() -> list[dict]:
    """Every service in id order: id, code, active, owner_emails (comma-separated, as stored)."""
    return await Service.select(Service.id, Service.code, Service.active, Service.owner_emails).order_by(Service.id)


async def service_codes() -> dict[int, str]:
    """Every service's code, by id."""
    return {r["id"]: r["code"] for r in await Service.select(Service.id, Service.code)}


async def services_for_digest(codes: list[str]) -> list[dict]:
    """The services with these codes (every active one when none is given): id, code, name_fr, name_en, in id order."""
    query = Service.select(Service.id, Service.code, Service.name_fr, Service.name_en).order_by(Service.id)
    query = query.where(Service.code.is_in(codes)) if codes else query.where(Service.active == True)  # noqa: E712
    return await query


async def every_service() -> list[dict]:
    """Every service, active or not, all its columns, by French name: what administrators manage."""
    return await Service.select().order_by(Service.name_fr)


async def service_with_id(service_id: int) -> dict | None:
    """The service with this id, all its columns."""
    return await Service.select().where(Service.id == service_id).first()


async def create_service(*, code: str, name_fr: str, name_en: str, description_fr: str, description_en: str,
                         owner_emails: str, active: bool = True, resolved_after_days: int = 14,
                         answer_days: int = 10) -> dict:
    """A new service (already checked); its row."""
    rows = await Service.insert(Service(
        code=code, name_fr=name_fr, name_en=name_en, description_fr=description_fr, description_en=description_en,
        owner_emails=owner_emails, active=active, resolved_after_days=resolved_after_days, answer_days=answer_days,
    )).returning(Service.id)
    return await service_with_id(rows[0]["id"])


async def change_service(service_id: int, **fields) -> dict | None:
    """Change these columns of the service (code, names, descriptions, owner_emails, active, resolved_after_days,
    answer_days); its row."""
    columns = {getattr(Service, name): value for name, value in fields.items()}
    if columns:
        await Service.update(columns).where(Service.id == service_id)
    return await service_with_id(service_id)
