"""Staff accounts: validation, argon2 hashes, service assignments."""

import pytest

from portal.review.accounts import (
    AccountError,
    check_password,
    create_user,
    find_login,
    identity,
)
from portal.store.core.tables import StaffUser
from tests.factories import create_office, create_service
from tests.review.staff import PASSWORD, create_staff


async def test_password_is_stored_as_an_argon2id_hash(db):
    user = await create_staff("admin", email="Admin@Example.gouv.fr")
    assert user["email"] == "admin@example.gouv.fr" and "password_hash" not in user
    stored = await StaffUser.select(StaffUser.password_hash).where(StaffUser.id == user["id"]).first()
    assert stored["password_hash"].startswith("$argon2id$") and PASSWORD not in stored["password_hash"]
    assert check_password(stored["password_hash"], PASSWORD)
    assert not check_password(stored["password_hash"], PASSWORD + "!")
    assert not check_password(None, PASSWORD)


async def test_owner_and_agent_get_their_services_and_clerk_an_office(db):
    caf, impots = await create_service(code="caf"), await create_service(code="impots")
    office = await create_office(services=[caf])
    owner = await create_staff("owner", services=[caf, impots])
    clerk = await create_staff("clerk", office=office)
    owner_identity = await identity(await find_login(owner["email"]))
    assert owner_identity["services"] == {caf["id"]: "owner", impots["id"]: "owner"}
    clerk_identity = await identity(await find_login(clerk["email"]))
    assert clerk_identity["office"] == office["id"] and clerk_identity["services"] == {}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"role": "boss"}, "unknown role"),
        ({"password": "short"}, "at least 12"),
        ({"email": "not-an-email"}, "not a valid e-mail"),
        ({"role": "clerk"}, "give --office"),
        ({"role": "agent"}, "at least one --service"),
    ],
)
async def test_invalid_accounts_are_refused_with_a_reason(db, kwargs, message):
    args = {"email": "x@example.gouv.fr", "name": "X", "role": "admin", "password": PASSWORD, **kwargs}
    with pytest.raises(AccountError, match=message):
        await create_user(**args)
    assert await StaffUser.count() == 0


async def test_duplicate_email_and_unknown_service_are_refused(db):
    await create_staff("admin", email="a@example.gouv.fr")
    with pytest.raises(AccountError, match="already exists"):
        await create_user("A@example.gouv.fr", "A", "admin", PASSWORD)
    with pytest.raises(AccountError, match="no service"):
        await create_user("b@example.gouv.fr", "B", "agent", PASSWORD, services=["nope"])
