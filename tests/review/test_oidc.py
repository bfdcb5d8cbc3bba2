"""Staff sign-in with OpenID Connect, driven through the portal's routes against a real provider on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from portal.review import oidc
from portal.review.oidc import Identity
from portal.review.oidc_signin import sign_in_with_provider as sign_in_identity
from portal.review.sessions import COOKIE
from portal.store.core.tables import AuditEvent, StaffUser
from portal.store.workspace.tables import StaffSession
from tests.conftest import clean_tables, free_port
from tests.review.oidc_provider import CLIENT_ID, CLIENT_SECRET, start_provider, stop_provider
from tests.review.staff import PASSWORD, create_staff, sign_in


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
def portal(make_app, provider):
    """`async with portal(**settings) as client`: a portal configured for the provider, and a client talking to it.

    The lifespan is entered and left in the test's own task; the tables are emptied on the way out.
    """

    @contextlib.asynccontextmanager
    async def open_portal(**extra):
        app = make_app(**oidc_settings(provider, **extra))
        async with app.lifespan():
            try:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
                    yield client
            finally:
                await clean_tables()

    return open_portal


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
    async with portal() as client:
        agent = await create_staff("admin", email="agent.un@example.gouv.fr", name="Agnès Dupont")
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


async def refused(client, back: httpx.Response) -> httpx.Response:
    """The portal's answer to the provider's redirect back; no session was opened."""
    assert back.status_code == 302, back.text
    page = await client.get(back.headers["location"])
    assert COOKIE not in client.cookies and await StaffSession.count() == 0
    return page


async def failure_reasons() -> list:
    rows = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action == "login_failed")
    return [(json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"])["reason"] for r in rows]


@pytest.mark.parametrize(
    ("misbehaviour", "status", "words", "reason"),
    [
        ({"sign_with_forger": True}, 400, "La signature de la réponse du service d’identité n’est pas valable", "signature"),
        ({"forge_userinfo": True}, 400, "La signature de la réponse du service d’identité n’est pas valable", "signature"),
        ({"id_token_overrides": {"nonce": "not-the-one-sent"}}, 400, "ne correspond pas à cette demande de connexion", "nonce"),
        ({"id_token_overrides": {"aud": ["another-application"]}}, 400, "destinée à une autre application", "audience"),
        ({"id_token_overrides": {"iss": "http://127.0.0.1:1/elsewhere"}}, 400, "ne vient pas du service d’identité attendu", "issuer"),
        (
            {"id_token_overrides": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
            400, "La réponse du service d’identité a expiré", "expired",
        ),
    ],
    ids=["forged-id-token", "forged-userinfo", "wrong-nonce", "wrong-audience", "wrong-issuer", "expired"],
)
async def test_an_answer_that_fails_a_check_is_refused_with_a_clear_page(portal, provider, misbehaviour, status, words, reason):
    for name, value in misbehaviour.items():
        setattr(provider, name, value)
    async with portal() as client:
        await create_staff("admin", email="agent.un@example.gouv.fr")
        page = await refused(client, await go_to_provider(client))
        assert page.status_code == status and words in page.text
        assert "Demande incorrecte" in page.text and 'href="/staff/login"' in page.text
        assert await failure_reasons() == [reason]


async def test_a_state_that_is_not_this_browsers_is_refused(portal, provider):
    async with portal() as client:
        await create_staff("admin", email="agent.un@example.gouv.fr")
        back = await go_to_provider(client)
        url = urlsplit(back.headers["location"])
        code = parse_qs(url.query)["code"][0]
        page = await client.get("/staff/oidc/callback", params={"code": code, "state": "forged-state"})
        assert page.status_code == 400 and "n’a pas été commencée dans ce navigateur" in page.text
        # Nor does the right state help a browser that never started this sign-in (no pending cookie).
        async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other_browser:
            other = await other_browser.get(back.headers["location"])
        assert other.status_code == 400 and await StaffSession.count() == 0
        assert provider.token_requests == []  # the code was never even exchanged


async def test_an_unknown_email_is_refused_and_audited_without_logging_it(portal, provider, caplog):
    caplog.set_level("DEBUG")
    async with portal() as client:
        page = await refused(client, await go_to_provider(client))
        assert page.status_code == 403 and "Accès refusé" in page.text and "Demandez à un administrateur de vous inviter" in page.text
        rows = await AuditEvent.select(AuditEvent.action, AuditEvent.actor_email)
        assert rows == [{"action": "login_failed", "actor_email": "agent.un@example.gouv.fr"}]
    issued = provider.token_responses[-1]
    assert issued["id_token"] and "agent.un" not in caplog.text.lower()
    assert issued["id_token"] not in caplog.text and issued["access_token"] not in caplog.text


async def test_a_deactivated_account_is_refused(portal, provider):
    async with portal() as client:
        agent = await create_staff("admin", email="agent.un@example.gouv.fr")
        await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == agent["id"])
        page = await refused(client, await go_to_provider(client))
        assert page.status_code == 403 and "désactivé" in page.text


async def test_a_domain_not_allowed_is_refused_even_with_an_account(portal, provider):
    async with portal(oidc_allowed_domains=("interieur.gouv.fr",)) as client:
        await create_staff("admin", email="agent.un@example.gouv.fr")
        page = await refused(client, await go_to_provider(client))
        assert page.status_code == 403 and "ce domaine ne sont pas admises" in page.text
        assert await failure_reasons() == ["domain"]


async def test_sign_up_makes_the_account_with_the_domains_role(portal, provider):
    async with portal(oidc_allowed_domains=("interieur.gouv.fr",), oidc_signup_domains=("example.gouv.fr:agent",)) as client:
        done = await sign_in_with_provider(client)
        assert done.status_code == 303 and done.headers["location"] == "/staff"
        account = await StaffUser.select(StaffUser.email, StaffUser.name, StaffUser.role, StaffUser.password_hash).first()
        assert account == {"email": "agent.un@example.gouv.fr", "name": "Agnès Dupont", "role": "agent", "password_hash": ""}
        assert (await client.get("/staff")).status_code == 200
        assert [e["action"] for e in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)] == ["create_user", "login"]
        # The account has no password: the password form cannot open it.
        async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other_browser:
            assert (await sign_in(other_browser, "agent.un@example.gouv.fr", "")).status_code == 400
        # A second sign-in finds the account made the first time.
        provider.reset()
        again = await sign_in_with_provider(client)
        assert again.status_code == 303 and await StaffUser.count() == 1


async def test_sign_up_refuses_an_address_no_account_may_have_with_a_page_not_an_error(portal, provider):
    provider.person["email"] = "agent un@example.gouv.fr"
    async with portal(oidc_signup_domains=("example.gouv.fr:agent",)) as client:
        page = await refused(client, await go_to_provider(client))
        assert page.status_code == 403 and "Demandez à un administrateur de vous inviter" in page.text
        assert await StaffUser.count() == 0 and await failure_reasons() == ["unknown"]


async def test_two_first_sign_ins_at_once_make_one_account_and_both_open_a_session(portal, provider, base_settings):
    async with portal(oidc_signup_domains=("example.gouv.fr:agent",)):
        settings = dataclasses.replace(base_settings, oidc_signup_domains=("example.gouv.fr:agent",))
        identity = Identity(subject="agent-1", email="agent.un@example.gouv.fr", name="Agnès Dupont", id_token="t")
        tokens = await asyncio.gather(*(sign_in_identity(settings, identity, "127.0.0.1", "test", None) for _ in range(2)))
        assert all(tokens) and tokens[0] != tokens[1]
        assert await StaffUser.count() == 1 and await StaffSession.count() == 2
        actions = [e["action"] for e in await AuditEvent.select(AuditEvent.action)]
        assert actions.count("create_user") == 1 and actions.count("login") == 2


async def test_userinfo_as_plain_json_is_accepted(portal, provider):
    provider.userinfo_as_jwt = False
    async with portal() as client:
        await create_staff("admin", email="agent.un@example.gouv.fr")
        assert (await sign_in_with_provider(client)).status_code == 303


async def test_the_login_page_offers_the_provider_and_can_hide_the_password_form(portal, provider):
    async with portal() as client:
        with_both = await client.get("/staff/login", params={"next": "/staff/audit"})
    assert "Se connecter avec ProConnect" in with_both.text and 'href="/staff/oidc/login?next=/staff/audit"' in with_both.text
    assert 'type="password"' in with_both.text
    async with portal(password_signin=False) as client:
        admin = await create_staff("admin")
        only_provider = await client.get("/staff/login")
        assert "Se connecter avec ProConnect" in only_provider.text and 'type="password"' not in only_provider.text
        refused_password = await client.post("/staff/login", data={"email": admin["email"], "password": PASSWORD})
        assert refused_password.status_code == 403 and "mot de passe est désactivée" in refused_password.text
        assert COOKIE not in client.cookies


async def test_logout_ends_the_providers_session_with_the_id_token_hint(portal, provider):
    async with portal() as client:
        await create_staff("admin", email="agent.un@example.gouv.fr")
        assert (await sign_in_with_provider(client)).status_code == 303
        id_token = (await StaffSession.select(StaffSession.id_token).first())["id_token"]
        form = await client.get("/staff/logout")
        # The sign-out form leads on to the provider: the page's policy lets it.
        assert f"form-action 'self' {provider.issuer.rsplit('/api', 1)[0]}" in form.headers["content-security-policy"]
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        out = await client.post("/staff/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and await StaffSession.count() == 0
        target = urlsplit(out.headers["location"])
        params = parse_qs(target.query)
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/session/end"
        assert params["id_token_hint"] == [id_token] and params["post_logout_redirect_uri"] == ["http://testserver/staff/login"]
        async with httpx.AsyncClient() as browser:
            at_provider = await browser.get(out.headers["location"])
        # The provider checked the hint it signed and sends the browser back to the portal's sign-in page.
        assert at_provider.status_code == 302 and at_provider.headers["location"].startswith("http://testserver/staff/login?state=")
        assert [claims["sub"] for claims in provider.logouts] == ["agent-1"]


async def test_a_password_session_signs_out_without_the_provider(portal, provider):
    async with portal() as client:
        admin = await create_staff("admin")
        assert (await sign_in(client, admin["email"])).status_code == 303
        form = await client.get("/staff/logout")
        assert "form-action 'self';" in form.headers["content-security-policy"]
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        out = await client.post("/staff/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/staff/login" and provider.logouts == []


async def test_an_unreachable_provider_gives_a_clear_page(portal):
    async with portal(oidc_issuer=f"http://127.0.0.1:{free_port()}/api/v2") as client:
        page = await client.get("/staff/oidc/login")
        assert page.status_code == 503 and "Le service d’identité ne répond pas" in page.text
        assert "Service momentanément indisponible" in page.text and page.headers["retry-after"] == "60"


async def test_a_failing_provider_is_asked_once_then_not_again_for_a_while(portal, provider):
    provider.metadata_status = 500
    async with portal() as client:
        for _ in range(3):
            assert (await client.get("/staff/oidc/login")).status_code == 503
        assert provider.metadata_requests == 1


async def test_a_failed_refresh_keeps_the_metadata_read_before(portal, provider, monkeypatch):
    async with portal() as client:
        assert (await client.get("/staff/oidc/login")).status_code == 303
        monkeypatch.setattr(oidc, "CACHE_SECONDS", 0)
        provider.metadata_status = 500
        assert (await client.get("/staff/oidc/login")).status_code == 303
        assert provider.metadata_requests == 2
        provider.metadata_status = 200
        await create_staff("admin", email="agent.un@example.gouv.fr")
        done = await sign_in_with_provider(client)
        assert done.status_code == 303 and done.headers["location"] == "/staff"


async def test_without_settings_there_is_no_single_sign_on(client):

    assert "ProConnect" not in (await client.get("/staff/login")).text
    assert (await client.get("/staff/oidc/login")).status_code == 404
    assert (await client.get("/staff/oidc/callback?code=x&state=y")).status_code == 404

async def test_an_address_the_provider_has_not_verified_is_refused_even_for_an_admin(portal, provider):
    provider.person = {**provider.person, "email_verified": False}
    async with portal() as client:
        await create_staff("admin", email="agent.un@example.gouv.fr")
        page = await refused(client, await go_to_provider(client))
        assert page.status_code == 403 and "pas vérifié votre adresse" in page.text
