"""Test helpers for the staff workspace: accounts by keyword, signing in through the real form."""

from __future__ import annotations

import itertools
import re

from portal.review.accounts import create_user

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


async def create_staff(role: str = "agent", services: list[dict] = (), office: dict | None = None, **kw) -> dict:
    email = kw.pop("email", f"{role}{next(_counter)}@example.gouv.fr")
    return await create_user(
        email, kw.pop("name", f"{role.title()} Test"), role, kw.pop("password", PASSWORD),
        office_id=office["id"] if office else None, services=[s["code"] for s in services],
    )


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def sign_in(client, email: str, password: str = PASSWORD, next_path: str = "/staff"):
    form = await client.get("/staff/login")
    return await client.post(
        "/staff/login", data={"csrf_token": csrf_of(form.text), "email": email, "password": password, "next": next_path}
    )


async def signed_in(client, user: dict) -> None:
    response = await sign_in(client, user["email"])
    assert response.status_code == 303, response.text
