"""Staff accounts pages: invitations by real e-mail, the set-password page, role changes with before and after."""

import datetime as dt
import re

import httpx

from portal.admin.staff import token_hash
from portal.review.sessions import open_session, session_user
from portal.store.accounts import add_invitation
from portal.store.core.tables import StaffUser
from portal.store.workspace.tables import StaffInvitation, StaffSession
from tests.admin.helpers import audit_of, post_form, signed_in_admin
from tests.conftest import clean_tables
from tests.factories import create_office, create_service
from tests.review.staff import create_staff, csrf_of, sign_in, signed_in


def _link(message) -> str:
    return re.search(r"http://\S+/staff/invitation/[0-9a-f]{64}", message.get_content()).group(0)


async def test_invite_a_clerk_who_sets_a_password_and_is_signed_in(mail_client, smtp_server):
    client = mail_client
    office = await create_office(name="Mairie Sud")
    admin = await signed_in_admin(client)
    fields = {"email": "Claire.Martin@Mairie.fr", "name": "Claire Martin", "role": "clerk", "office": str(office["id"])}
    response = await post_form(client, "/staff/admin/staff/invite", "/staff/admin/staff/invite", fields)
    assert response.status_code == 303, response.text
    [message] = smtp_server.messages
    assert message["To"] == "claire.martin@mairie.fr" and "mot de passe" in message["Subject"]
    link = _link(message)
    token = link.rsplit("/", 1)[1]
    stored = await StaffInvitation.select().first()
    assert stored["token_hash"] != token and token not in str(await audit_of("invite_user"))
    assert (stored["expires_at"] - stored["created_at"]).total_seconds() == 48 * 3600
    listing = await client.get("/staff/admin/staff")
    assert "mot de passe pas encore choisi" in listing.text
    await client.post("/staff/logout", data={"csrf_token": csrf_of((await client.get("/staff/logout")).text)})
    # The invited account cannot sign in before choosing a password, not even with an empty one.
    assert (await sign_in(client, "claire.martin@mairie.fr", "")).status_code == 400
    assert (await sign_in(client, "claire.martin@mairie.fr", "une phrase assez longue")).status_code == 400
    path = link.removeprefix("http://127.0.0.1:8000")
    page = await client.get(path)
    assert page.status_code == 200 and "claire.martin@mairie.fr" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    # A session the account already had elsewhere (say, through single sign-on) ends with the new password.
    elsewhere = await open_session(stored["user"], "192.0.2.7", "another browser")
    short = await client.post(path, data={"csrf_token": csrf_of(page.text), "password": "court", "confirmation": "court"})
    assert short.status_code == 422 and "au moins 12 caractères" in short.text
    # Kept as typed, spaces included: the sign-in page compares what is typed there.
    done = await client.post(path, data={"csrf_token": csrf_of(page.text), "password": " une phrase assez longue ",
                                         "confirmation": " une phrase assez longue "})
    assert done.status_code == 303 and done.headers["location"] == "/staff"
    home = await client.get("/staff")
    assert "Claire Martin" in home.text
    assert (await client.get(path)).status_code == 410  # once only
    assert len(await audit_of("set_password")) == 1
    [login] = [e for e in await audit_of("login") if e["actor_email"] == "claire.martin@mairie.fr"]
    assert login["detail"] == {"method": "invitation"}
    assert await session_user(elsewhere) is None
    [invited] = await audit_of("invite_user")
    assert invited["actor_email"] == admin["email"] and invited["detail"]["role"] == "clerk"
    client.cookies.clear()
    assert (await sign_in(client, "claire.martin@mairie.fr", " une phrase assez longue ")).status_code == 303


async def test_with_password_sign_in_off_an_invitation_link_sets_no_password(make_app):
    app = make_app(password_signin=False, oidc_issuer="https://idp.example", oidc_client_id="guichet",
                   oidc_client_secret="secret")
    async with app.lifespan():
        account = await create_staff("agent", email="agent@example.org", services=[await create_service()])
        before = await StaffUser.select(StaffUser.password_hash).where(StaffUser.id == account["id"]).first()
        token = "ab" * 32
        now = dt.datetime.now(dt.timezone.utc)
        await add_invitation(account["id"], token_hash(token), None, now, now + dt.timedelta(hours=48))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            page = await client.get(f"/staff/invitation/{token}")
            assert page.status_code == 403 and "connectez-vous avec ProConnect" in page.text
            refused = await client.post(f"/staff/invitation/{token}", data={"password": "une phrase assez longue",
                                                                           "confirmation": "une phrase assez longue"})
            assert refused.status_code == 403 and "guichet_session" not in refused.headers.get("set-cookie", "")
        assert await StaffUser.select(StaffUser.password_hash).where(StaffUser.id == account["id"]).first() == before
        await clean_tables()


async def test_invite_errors_keep_input(client):
    service = await create_service()
    await create_staff("agent", services=[service], email="deja@mairie.fr")
    await signed_in_admin(client)
    fields = {"email": "deja@mairie.fr", "name": "", "role": "owner", "office": ""}
    response = await post_form(client, "/staff/admin/staff/invite", "/staff/admin/staff/invite", fields)
    assert response.status_code == 422
    assert "Un compte existe déjà pour deja@mairie.fr." in response.text and "Choisissez au moins un service" in response.text
    assert 'value="deja@mairie.fr"' in response.text and await StaffUser.count() == 2


async def test_invitation_without_mail_keeps_the_account_and_says_so(client):
    await signed_in_admin(client)
    fields = {"email": "x@mairie.fr", "name": "X", "role": "admin"}
    response = await post_form(client, "/staff/admin/staff/invite", "/staff/admin/staff/invite", fields)
    assert response.status_code == 200 and "n’est pas parti" in response.text
    assert await StaffUser.exists().where(StaffUser.email == "x@mairie.fr")


async def test_role_change_is_audited_with_before_and_after(client):
    a = await create_service(code="svc-a")
    await create_service(code="svc-b")
    agent = await create_staff("agent", services=[a])
    await signed_in_admin(client)
    path = f"/staff/admin/staff/{agent['id']}"
    fields = [("role", "owner"), ("office", ""), ("services", "svc-b")]
    assert (await post_form(client, path, path, fields)).status_code == 303
    [event] = await audit_of("change_role")
    assert event["detail"]["before"] == {"role": "agent", "office": None, "services": ["svc-a"]}
    assert event["detail"]["after"] == {"role": "owner", "office": None, "services": ["svc-b"]}


async def test_an_admin_cannot_demote_or_deactivate_themselves(client):
    admin = await signed_in_admin(client)
    path = f"/staff/admin/staff/{admin['id']}"
    response = await post_form(client, path, path, {"role": "agent", "office": ""})
    assert response.status_code == 422 and "votre propre rôle" in response.text
    response = await post_form(client, path, f"{path}/deactivate", {})
    assert response.headers["location"].endswith("done=refused")
    assert (await StaffUser.select(StaffUser.active, StaffUser.role).where(StaffUser.id == admin["id"]).first()) == {
        "active": True, "role": "admin"}


async def test_deactivate_and_reset_sessions_end_sessions(client):
    agent = await create_staff("agent", services=[await create_service()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url="http://testserver") as theirs:
        await signed_in(theirs, agent)
        await signed_in_admin(client)
        path = f"/staff/admin/staff/{agent['id']}"
        assert (await post_form(client, path, f"{path}/sessions", {})).status_code == 303
        assert await StaffSession.count().where(StaffSession.user == agent["id"]) == 0
        assert (await theirs.get("/staff")).status_code == 303
        await signed_in(theirs, agent)
        assert (await post_form(client, path, f"{path}/deactivate", {})).status_code == 303
        assert (await theirs.get("/staff")).status_code == 303
        assert (await sign_in(theirs, agent["email"])).status_code == 400
    assert len(await audit_of("reset_sessions")) == 1 and len(await audit_of("deactivate_user")) == 1


async def test_agents_are_refused_and_unknown_links_say_so(client):
    service = await create_service()
    target = await create_staff("clerk", office=await create_office())
    await signed_in(client, await create_staff("agent", services=[service]))
    assert (await client.get("/staff/admin/staff")).status_code == 403
    assert (await client.post(f"/staff/admin/staff/{target['id']}/deactivate", data={})).status_code == 403
    assert (await client.get("/staff/invitation/" + "0" * 64)).status_code == 410


async def test_an_expired_invitation_no_longer_reads_as_waiting_for_a_password(client):
    await signed_in_admin(client)
    service = await create_service(name_fr="Cartes grises")
    account = await create_staff("agent", email="agent@example.org", services=[service])
    now = dt.datetime.now(dt.timezone.utc)
    await add_invitation(account["id"], token_hash("cd" * 32), None, now - dt.timedelta(hours=50), now - dt.timedelta(hours=2))
    listing = await client.get("/staff/admin/staff")
    assert listing.status_code == 200 and "Cartes grises" in listing.text  # an agent's services, by name
    assert "mot de passe pas encore choisi" not in listing.text
    await add_invitation(account["id"], token_hash("ef" * 32), None, now, now + dt.timedelta(hours=48))
    assert "mot de passe pas encore choisi" in (await client.get("/staff/admin/staff")).text
