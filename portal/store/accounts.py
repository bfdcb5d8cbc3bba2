"""Staff accounts in the store: staff users, the services each acts for, and the services and offices they reach."""

from __future__ import annotations

from portal.store.core.tables import StaffUser
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
    StaffUser.language,
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


async def account_with_email(email: str) -> dict | None:
    """The account, active or not, with this (normalised) e-mail address, without its password hash."""
    return await StaffUser.select(*_PUBLIC_COLUMNS).where(StaffUser.email == email).first()


async def staff_user(user_id: int) -> dict | None:
    """The account with this id, without its password hash."""
    return await StaffUser.select(*_PUBLIC_COLUMNS).where(StaffUser.id == user_id).first()


async def active_account(email: str, *, with_password_hash: bool = False) -> dict | None:
    """The active account with this (normalised) e-mail address; its password hash only for signing in."""
    columns = () if with_password_hash else _PUBLIC_COLUMNS
    return await StaffUser.select(*columns).where(
        (StaffUser.email == email) & (StaffUser.active == True)  # noqa: E712
    ).first()


async def set_staff_language(user_id: int, language: str) -> None:
    """Remember the language this person chose for the staff pages."""
    await StaffUser.update({StaffUser.language: language}).where(StaffUser.id == user_id)


async def services_of(user_id: int) -> dict[int, str]:
    """The services the person is assigned to: {service id: role there}."""
    rows = await StaffService.select(StaffService.service, StaffService.role).where(StaffService.user == user_id)
    return {r["service"]: r["role"] for r in rows}




