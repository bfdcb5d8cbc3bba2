"""Staff accounts in the store: staff users, the services each acts for, and the services and offices they reach."""

from __future__ import annotations

from portal.store.core.tables import Office, Service, StaffUser
from portal.store.engine import current_engine
from portal.store.workspace.tables import StaffService

# What an account shows of itself: everything but its password hash.
_PUBLIC_COLUMNS = (
    StaffUser.id,
    StaffUser.email,
    StaffUser.name,
    StaffUser.role,
    StaffUser.office,
    StaffUser.active,
    StaffUser.created_at,
)


async def add_staff_user(
    email: str, name: str, role: str, password_hash: str, office_id: int | None, service_ids: list[int]
) -> int:
    """Store a new account and the services it acts for (each once, in that role), together; its id."""
    async with current_engine().transaction():
        inserted = await StaffUser.insert(
            StaffUser(email=email, name=name, role=role, password_hash=password_hash, office=office_id)
        ).returning(StaffUser.id)
        user_id = inserted[0]["id"]
        for service_id in dict.fromkeys(service_ids):
            await StaffService.insert(StaffService(user=user_id, service=service_id, role=role))
    return user_id


async def account_exists(email: str) -> bool:
    """Whether an account, active or not, has this (normalised) e-mail address."""
    return await StaffUser.exists().where(StaffUser.email == email)


async def staff_user(user_id: int) -> dict | None:
    """The account with this id, without its password hash."""
    return await StaffUser.select(*_PUBLIC_COLUMNS).where(StaffUser.id == user_id).first()


async def active_account(email: str) -> dict | None:
    """The active account with this (normalised) e-mail address, password hash included, for signing in."""
    return await StaffUser.select().where(
        (StaffUser.email == email) & (StaffUser.active == True)  # noqa: E712
    ).first()


async def services_of(user_id: int) -> dict[int, str]:
    """The services the person is assigned to: {service id: role there}."""
    rows = await StaffService.select(StaffService.service, StaffService.role).where(StaffService.user == user_id)
    return {r["service"]: r["role"] for r in rows}


# Services and offices as staff pages and accounts look them up.

async def service_by_code(code: str) -> dict | None:
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


async def office_by_id(office_id: int) -> dict | None:
    """The office with this id: id, code and name."""
    return await Office.select(Office.id, Office.code, Office.name).where(Office.id == office_id).first()


async def office_by_code(code: str) -> dict | None:
    """The office with this code: id, code and name."""
    return await Office.select(Office.id, Office.code, Office.name).where(Office.code == code).first()


async def offices_by_name(office_id: int | None = None) -> list[dict]:
    """Offices (id, code, name) in order of their name; only the one with this id when given."""
    query = Office.select(Office.id, Office.code, Office.name).order_by(Office.name)
    if office_id is not None:
        query = query.where(Office.id == office_id)
    return await query
