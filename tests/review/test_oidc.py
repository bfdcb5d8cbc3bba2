"""Staff sign-in with OpenID Connect, driven through the portal's routes against a real provider on 127.0.0.1."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from portal.review.sessions import COOKIE
from portal.store.core.tables import AuditEvent, StaffUser
from portal.store.workspace.tables import StaffSession
from tests.conftest import clean_tables, free_port
from tests.review.oidc_provider import CLIENT_ID, CLIENT_SECRET, start_provider, stop_provider
from tests.review.staff import create_staff, sign_in


@pytest.fixture(scope="module")
def running_provider():
    provider = start_provider()
    yield provider
    stop_provider(provider)


@pytest.fixture
def provider(running_provider):
    running_provider.reset()
    return running_provider


def oidc_settings(provider, **extra) -> dict:
    return {
        "oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": CLIENT_SECRET,
        "base_url": "http://testserver", **extra,
    }


@pytest.fixture
async def portal(make_app, provider):
    """Opens a portal configured for the provider (settings overridable per test); an HTTP client talking to it."""
    opened = []

    async def open_portal(**extra) -> httpx.AsyncClient:
        app = make_app(**oidc_settings(provider, **extra))
        lifespan = app.lifespan()
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        opened.append((lifespan, client))
        return client

    yield open_portal
    for lifespan, client in opened:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)
    await clean_tables()


async def go_to_provider(client, next_path: str = "/staff") -> httpx.Response:
    """Click the provider's button and follow the browser to the provider; its answer (a redirect back)."""
    start = await client.get("/staff/oidc/login", params={"next": next_path})
    assert start.status_code == 303, start.text
    async with httpx.AsyncClient() as browser:
        return await browser.get(start.headers["location"])


async def sign_in_with_provider(client, next_path: str = "/staff") -> httpx.Response:
    back = await go_to_provider(client, next_path)
    assert back.status_code == 302, back.text
    return await client.get(back.headers["location"])


async def test_success_opens_a_session_and_the_staff_home(portal, provider):
    agent = await create_staff("admin", email="agent.un@example.gouv.fr", name="Agnès Dupont")
    client = await portal()
    back = await go_to_provider(client, "/staff/audit")
    asked = provider.authorization_requests[-1]
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    assert asked["scope"] == "openid email given_name usual_name" and asked["redirect_uri"] == "http://testserver/staff/oidc/callback"
    done = await client.get(back.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/staff/audit"
    assert COOKIE in client.cookies
    home = await client.get("/staff")
    assert home.status_code == 200 and agent["name"] in home.text
    # The PKCE verifier went to the token endpoint, the ID token is kept with the session only.
    assert provider.token_requests[-1]["code_verifier"]
    stored = await StaffSession.select(StaffSession.id_token).first()
    assert stored["id_token"].count(".") == 2
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail)
    assert [(e["action"], e["actor"]) for e in events] == [("login", agent["id"])]
