"""Staff accounts: creation, argon2 passwords, roles and the services each person may act on."""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.store import accounts as store
from portal.store import directory
from portal.store.core.tables import ROLES

MIN_PASSWORD = 12
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for constant-time refusals")
# argon2 takes tens of milliseconds of CPU: it runs on these threads, never on the event loop.
# As many as there are cores, so a flood of sign-ins queues here instead of taking every
# thread and core; a waiting job is dropped when its request goes away (the future is cancelled).
HASH_WORKERS = max(1, os.cpu_count() or 1)
_hash_threads = ThreadPoolExecutor(max_workers=HASH_WORKERS, thread_name_prefix="password-hash")


class AccountError(ValueError):
    """The account cannot be created or changed as asked; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends the same argon2 work."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def password_matches(password_hash: str | None, password: str) -> bool:
    """`check_password` on the hashing threads: the event loop keeps serving other requests."""
    return await asyncio.get_running_loop().run_in_executor(_hash_threads, check_password, password_hash, password)


async def new_password_hash(password: str) -> str:
    """`hash_password` on the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_hash_threads, hash_password, password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    email: str,
    name: str,
    role: str,
    password: str | None,
    office_id: int | None = None,
    services: list[str] | tuple[str, ...] = (),
) -> dict:
    """Create a staff account and return its StaffUser row (without the password hash).

    `services` are service codes: the services an owner owns or an agent answers for.
    A clerk must belong to an office; admins need neither. A password of None makes an invited
    account, which cannot sign in until its owner sets a password (portal.admin.staff).
    """
    email = normalise_email(email)
    problems = []
    if not _EMAIL.match(email) or len(email) > 254:
        problems.append(f"not a valid e-mail address: {email!r}")
    if not name.strip():
        problems.append("a name is required")
    if role not in ROLES:
        problems.append(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        problems.append(f"the password must have at least {MIN_PASSWORD} characters")
    if role == "clerk" and office_id is None:
        problems.append("a clerk belongs to an office: give --office")
    if role in ("owner", "agent") and not services:
        problems.append(f"an {role} acts for services: give at least one --service")
    if role in ("admin", "clerk") and services:
        problems.append(f"an {role} is not assigned services")
    if problems:
        raise AccountError("; ".join(problems))
    if office_id is not None and await directory.office_with_id(office_id) is None:
        raise AccountError(f"no office with id {office_id}")
    service_ids = []
    for code in services:
        row = await directory.service_with_code(code)
        if row is None:
            raise AccountError(f"no service with code {code!r}")
        service_ids.append(row["id"])
    if await store.account_exists(email):
        raise AccountError(f"an account already exists for {email}")
    # An empty hash never matches (check_password), so an invited account has no password yet.
    password_hash = await new_password_hash(password) if password is not None else ""
    try:
        user_id = await store.add_staff_user(email, name.strip(), role, password_hash, office_id, service_ids)
    except store.EmailTaken:
        raise AccountError(f"an account already exists for {email}") from None
    return await store.staff_user(user_id)


async def sign_up(email: str, name: str, role: str) -> dict:
    """Make the account of a person the identity provider vouched for; its StaffUser row.

    It has no password (it signs in through the provider only) and no services yet: an
    administrator assigns them, until then an agent or owner sees no feedback.
    """
    email = normalise_email(email)
    if role not in ("agent", "owner") or not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("sign-up needs a valid e-mail address and the role agent or owner")
    try:
        user_id = await store.add_staff_user(email, (name.strip() or email.split("@")[0])[:200], role, "", None, [])
    except store.EmailTaken:
        raise AccountError(f"an account already exists for {email}") from None
    return await store.staff_user(user_id)


async def account_with_email(email: str) -> dict | None:
    """The account with this e-mail address, active or not (without its password hash)."""
    return await store.account_with_email(normalise_email(email))


async def find_login(email: str) -> dict | None:
    """The active account for an e-mail, with its password hash, for signing in."""
    return await store.active_account(normalise_email(email), with_password_hash=True)


async def identity(user: dict) -> dict:
    """The StaffUser dict (no password hash) plus `services`: {service id: "owner" | "agent"}.

    Owners and agents act on their assigned services; clerks on their office (`office`);
    administrators on everything.
    """
    public = {k: user[k] for k in ("id", "email", "name", "role", "office", "active")}
    public["language"] = user.get("language")
    public["services"] = await store.services_of(user["id"]) if user["role"] in ("owner", "agent") else {}
    return public


async def remember_language(staff: dict, language: str) -> None:
    """The person chose a language with the staff pages' switch: their pages use it from now on."""
    await store.set_staff_language(staff["id"], language)
    staff["language"] = language
