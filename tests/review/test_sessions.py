"""Signing in and out over HTTP: cookies, hashed sessions, CSRF, throttling, guards, audit."""

import datetime as dt

import httpx
from litestar import Request, get

from portal.review.sessions import COOKIE, current_staff, requires_role, token_hash
from portal.store.core.tables import AuditEvent
from portal.store.workspace.tables import StaffSession
from tests.factories import create_office, create_service
from tests.review.staff import PASSWORD, create_staff, csrf_of, sign_in, signed_in


async def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(client):
    admin = await create_staff("admin")
    response = await sign_in(client, admin["email"], next_path="/staff")
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = client.cookies.get(COOKIE)
    stored = await StaffSession.select().first()
    assert stored["token_hash"] == token_hash(token) and token not in stored["token_hash"]
    home = await client.get("/staff")
    assert home.status_code == 200 and admin["name"] in home.text
    assert [e["action"] for e in await AuditEvent.select(AuditEvent.action)] == ["login"]


async def test_secure_cookie_when_configured(make_app):
    from tests.conftest import clean_tables

    app = make_app(secure_cookies=True)
    async with app.lifespan():
        try:
            admin = await create_staff("admin")
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as c:
                response = await sign_in(c, admin["email"])
        finally:
            await clean_tables()
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    assert "Secure" in cookie


async def test_wrong_password_and_missing_csrf_reshow_the_form_with_the_email_kept(client):
    admin = await create_staff("admin")
    wrong = await sign_in(client, admin["email"], "wrong password!!")
    assert wrong.status_code == 400 and "incorrect" in wrong.text and f'value="{admin["email"]}"' in wrong.text
    await client.get("/staff/login")
    forged = await client.post("/staff/login", data={"email": admin["email"], "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 400 and "expiré" in forged.text and COOKIE not in client.cookies
    events = [e["action"] for e in await AuditEvent.select(AuditEvent.action)]
    assert events == ["login_failed"]


async def test_five_failures_lock_the_account_even_with_the_right_password(client):
    admin = await create_staff("admin")
    for _ in range(5):
        assert (await sign_in(client, admin["email"], "wrong password!!")).status_code == 400
    locked = await sign_in(client, admin["email"], PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60
    assert "Trop de tentatives" in locked.text and COOKIE not in client.cookies


async def test_one_client_guessing_many_accounts_is_throttled(client):
    target = await create_staff("admin")
    for n in range(20):
        await sign_in(client, f"nobody{n}@example.gouv.fr", "whatever password")
    assert (await sign_in(client, target["email"], PASSWORD)).status_code == 429


async def test_pages_need_a_session_and_send_people_to_sign_in_and_back(client):
    response = await client.get("/staff", params={"x": "1"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=")
    admin = await create_staff("admin")
    back = await sign_in(client, admin["email"], next_path="/staff?x=1")
    assert back.headers["location"] == "/staff?x=1"


async def test_next_never_leaves_the_site(client):
    admin = await create_staff("admin")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = await sign_in(client, admin["email"], next_path=target)
        assert response.headers["location"] == "/staff"


async def test_expired_session_is_refused(client):
    admin = await create_staff("admin")
    await signed_in(client, admin)
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    await StaffSession.update({StaffSession.expires_at: past}, force=True)
    assert (await client.get("/staff")).status_code == 303


async def test_deactivated_account_is_signed_out(client):
    from portal.store.core.tables import StaffUser

    admin = await create_staff("admin")
    await signed_in(client, admin)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == admin["id"])
    assert (await client.get("/staff")).status_code == 303


async def test_logout_and_logout_everywhere(client):
    admin = await create_staff("admin")
    await signed_in(client, admin)
    other_app = client.app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url="http://testserver") as other:
        await signed_in(other, admin)
        assert await StaffSession.count() == 2
        page = await client.get("/staff/logout")
        out = await client.post("/staff/logout", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303 and await StaffSession.count() == 1
        assert (await client.get("/staff")).status_code == 303
        await signed_in(client, admin)
        page = await client.get("/staff/logout")
        await client.post("/staff/logout", data={"csrf_token": csrf_of(page.text), "everywhere": "yes"})
        assert await StaffSession.count() == 0
        assert (await other.get("/staff")).status_code == 303
    actions = [e["action"] for e in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions == ["login", "login", "logout", "login", "logout_everywhere"]


async def test_logout_needs_csrf(client):
    admin = await create_staff("admin")
    await signed_in(client, admin)
    assert (await client.post("/staff/logout", data={"csrf_token": "forged"})).status_code == 400
    assert await StaffSession.count() == 1


@get("/staff/test-counter", guards=[requires_role("clerk", "admin")])
async def counter_probe(request: Request) -> dict:
    staff = await current_staff(request)
    return {"role": staff["role"], "office": staff["office"]}


async def test_requires_role_lets_the_named_roles_through_and_refuses_others(client):
    client.app.register(counter_probe)
    service = await create_service()
    office = await create_office(services=[service])
    clerk = await create_staff("clerk", office=office)
    agent = await create_staff("agent", services=[service])
    await signed_in(client, clerk)
    ok = await client.get("/staff/test-counter")
    assert ok.status_code == 200 and ok.json() == {"role": "clerk", "office": office["id"]}
    client.cookies.clear()
    await signed_in(client, agent)
    assert (await client.get("/staff/test-counter")).status_code == 403


async def test_the_sign_in_page_follows_the_visitors_language_and_offers_the_other(client):
    page = await client.get("/staff/login", headers={"accept-language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text and "Connexion à l’espace agents" not in page.text and 'href="?lang=fr"' in page.text
    page = await client.get("/staff/login", headers={"accept-language": "fr"})
    assert '<html lang="fr">' in page.text and "Connexion à l’espace agents" in page.text and 'href="?lang=en"' in page.text


async def test_signing_in_again_replaces_this_browsers_session_but_not_other_devices(client):
    admin = await create_staff("admin")
    agent = await create_staff("agent", services=[await create_service()])
    await signed_in(client, admin)
    first = client.cookies.get(COOKIE)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url="http://testserver") as laptop:
        await signed_in(laptop, admin)
        # Same browser, same person: the old token is no longer a session.
        await signed_in(client, admin)
        second = client.cookies.get(COOKIE)
        assert second != first
        assert not await StaffSession.exists().where(StaffSession.token_hash == token_hash(first))
        stale = httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url="http://testserver",
                                  cookies={COOKIE: first})
        async with stale:
            assert (await stale.get("/staff")).status_code == 303
        # Same browser, another person (a shared desk): the first person's session ends too.
        await signed_in(client, agent)
        assert not await StaffSession.exists().where(StaffSession.token_hash == token_hash(second))
        # The other device was never touched.
        assert (await laptop.get("/staff")).status_code == 200
        assert await StaffSession.count() == 2
    actions = [e["action"] for e in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions == ["login", "login", "logout", "login", "logout", "login"]


async def test_a_failed_sign_in_leaves_the_current_session_alone(client):
    admin = await create_staff("admin")
    await signed_in(client, admin)
    assert (await sign_in(client, admin["email"], "wrong password!!")).status_code == 400
    assert (await client.get("/staff")).status_code == 200
