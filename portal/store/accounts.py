"""Staff accounts in the store: staff users, the services each acts for, their changes, and invitations to set a password."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import StaffUser
from portal.store.engine import current_engine, is_unique_violation
from portal.store.workspace.tables import StaffInvitation, StaffService

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


class EmailTaken(Exception):
    """Another account has this e-mail address (made meanwhile: two first sign-ins at once)."""


async def add_staff_user(
    email: str, name: str, role: str, password_hash: str, office_id: int | None, service_ids: list[int]
) -> int:
    """Store a new account and the services it acts for (each once, in that role), together; its id.

    Raises EmailTaken when another account has the address."""
    try:
        async with current_engine().transaction():
            inserted = await StaffUser.insert(
                StaffUser(email=email, name=name, role=role, password_hash=password_hash, office=office_id)
            ).returning(StaffUser.id)
            user_id = inserted[0]["id"]
            for service_id in dict.fromkeys(service_ids):
                await StaffService.insert(StaffService(user=user_id, service=service_id, role=role))
    except Exception as exc:
        if is_unique_violation(exc):
            raise EmailTaken(email) from exc
        raise
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


async def every_account() -> list[dict]:
    """Every account, active or not, by name, each with `services`: {service id: role there}."""
    users = await StaffUser.select(*_PUBLIC_COLUMNS).order_by(StaffUser.name)
    by_user: dict[int, dict[int, str]] = {}
    for link in await StaffService.select(StaffService.user, StaffService.service, StaffService.role):
        by_user.setdefault(link["user"], {})[link["service"]] = link["role"]
    for user in users:
        user["services"] = by_user.get(user["id"], {})
    return users


async def change_account(user_id: int, *, role: str, office_id: int | None, service_ids: list[int]) -> None:
    """Give the account this role, office and these services (each once, in that role), together."""
    async with current_engine().transaction():
        await StaffUser.update({StaffUser.role: role, StaffUser.office: office_id}).where(StaffUser.id == user_id)
        await StaffService.delete().where(StaffService.user == user_id)
        for service_id in dict.fromkeys(service_ids):
            await StaffService.insert(StaffService(user=user_id, service=service_id, role=role))


async def set_account_active(user_id: int, active: bool) -> bool:
    """Activate or deactivate the account; False when it was already so (or does not exist)."""
    rows = await StaffUser.update({StaffUser.active: active}).where(
        (StaffUser.id == user_id) & (StaffUser.active == (not active))
    ).returning(StaffUser.id)
    return bool(rows)


async def add_invitation(user_id: int, token_hash: str, created_by: int | None, at: dt.datetime, expires_at: dt.datetime) -> None:
    """Store an invitation to set the account's password; the earlier ones of that account stop working."""
    async with current_engine().transaction():
        await StaffInvitation.update({StaffInvitation.expires_at: at}).where(
            (StaffInvitation.user == user_id) & StaffInvitation.used_at.is_null() & (StaffInvitation.expires_at > at)
        )
        await StaffInvitation.insert(StaffInvitation(user=user_id, token_hash=token_hash, created_by=created_by,
                                                     created_at=at, expires_at=expires_at))


async def open_invitation(token_hash: str, now: dt.datetime) -> dict | None:
    """The unused, unexpired invitation with this token hash: id, user, and the account's email and name."""
    return await StaffInvitation.select(
        StaffInvitation.id, StaffInvitation.user, StaffInvitation.expires_at,
        StaffInvitation.user.email.as_alias("email"), StaffInvitation.user.name.as_alias("name"),
    ).where(
        (StaffInvitation.token_hash == token_hash) & StaffInvitation.used_at.is_null() & (StaffInvitation.expires_at > now)
        & (StaffInvitation.user.active == True)  # noqa: E712
    ).first()


async def use_invitation(token_hash: str, password_hash: str, now: dt.datetime) -> int | None:
    """Set the password of the invited account and spend the invitation, once; the account's id, or None."""
    async with current_engine().transaction():
        # One UPDATE both checks and spends the invitation, so the link works once even when sent twice.
        rows = await StaffInvitation.update({StaffInvitation.used_at: now}).where(
            (StaffInvitation.token_hash == token_hash) & StaffInvitation.used_at.is_null() & (StaffInvitation.expires_at > now)
        ).returning(StaffInvitation.user)
        if not rows:
            return None
        user_id = rows[0]["user"]
        await StaffUser.update({StaffUser.password_hash: password_hash}).where(StaffUser.id == user_id)
    return user_id


async def pending_invitations() -> dict[int, dt.datetime]:
    """The accounts with an unused invitation still valid, and when their latest one was sent."""
    rows = await StaffInvitation.select(StaffInvitation.user, StaffInvitation.created_at).where(
        StaffInvitation.used_at.is_null() & (StaffInvitation.expires_at > dt.datetime.now(dt.timezone.utc))
    ).order_by(StaffInvitation.id)
    return {r["user"]: r["created_at"] for r in rows}
