"""Portal pages: the signed one-click unsubscribe, and the archive of a sent digest."""

from __future__ import annotations

import re

from portal.store.digests.tables import DigestRun
from portal.store.subscriptions import get_subscription
from portal.web.signing import sign
from tests.digests.conftest import running_app
from tests.digests.test_email import send_week
from tests.factories import create_service


async def sent_digest(settings, smtp_server) -> tuple[dict, str]:
    await create_service("cartes", name_fr="Cartes grises", name_en="Vehicle registration")
    sub = await send_week(settings, ("cartes",))
    [message] = smtp_server.messages
    url = re.search(r"<([^>]+)>", message["List-Unsubscribe"])[1]
    return sub, url.removeprefix(settings.base_url)


async def test_one_click_unsubscribe_is_signed_and_works(mail_settings, smtp_server, make_app):
    sub, path = await sent_digest(mail_settings, smtp_server)
    async with running_app(make_app) as client:
        page = await client.get(path)
        assert page.status_code == 200 and "owner@example.fr" in page.text and "<form method=\"post\"" in page.text
        assert (await get_subscription(sub["id"]))["active"]  # looking is not unsubscribing

        forged = path.rsplit("/", 1)[0] + "/" + sign("another-secret", "unsubscribe", sub["id"])
        refused = await client.post(forged, data={"List-Unsubscribe": "One-Click"})
        assert refused.status_code == 404 and "pas valide" in refused.text
        other = await client.post(f"/digests/unsubscribe/{sub['id'] + 1}/{path.rsplit('/', 1)[1]}")
        assert other.status_code == 404
        assert (await get_subscription(sub["id"]))["active"]

        # What a mail client sends for List-Unsubscribe-Post: no cookie, no CSRF token.
        done = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "vous ne recevrez plus" in done.text
        row = await get_subscription(sub["id"])
        assert not row["active"] and row["unsubscribed_at"] is not None
        again = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200 and "déjà arrêté" in again.text


async def test_archive_shows_the_sent_digest_to_signed_links_only(mail_settings, smtp_server, make_app):
    await sent_digest(mail_settings, smtp_server)
    [run] = await DigestRun.select(DigestRun.id)
    signature = sign(mail_settings.secret_key, "archive", run["id"])
    async with running_app(make_app) as client:
        page = await client.get(f"/digests/{run['id']}?sig={signature}")
        assert page.status_code == 200 and "Synthèse envoyée" in page.text and "envoyée" in page.text
        assert f'src="/digests/{run["id"]}/email?sig={signature}"' in page.text
        email = await client.get(f"/digests/{run['id']}/email?sig={signature}")
        assert email.status_code == 200 and "Cartes grises" in email.text
        assert f"/digests/{run['id']}/chart.png?sig={signature}" in email.text and "cid:" not in email.text
        assert "unsafe-inline" in email.headers["content-security-policy"]
        chart = await client.get(f"/digests/{run['id']}/chart.png?sig={signature}")
        assert chart.status_code == 200 and chart.content[:4] == b"\x89PNG"
        for url in (f"/digests/{run['id']}", f"/digests/{run['id']}?sig=0000", f"/digests/{run['id']}/email?sig=bad"):
            denied = await client.get(url)
            assert denied.status_code == 303 and denied.headers["location"].startswith("/staff/login"), url
        missing = await client.get(f"/digests/{run['id'] + 99}?sig={sign(mail_settings.secret_key, 'archive', run['id'] + 99)}")
        assert missing.status_code == 404


async def signed_in(client, email: str, role: str, services=()) -> None:
    from portal.review.accounts import create_user
    from portal.review.sessions import COOKIE, open_session

    user = await create_user(email, "Test", role, "a long enough passphrase 42", services=services)
    client.cookies.set(COOKIE, await open_session(user["id"], "127.0.0.1", "test"))


async def test_archive_for_signed_in_staff_by_role(mail_settings, smtp_server, make_app):
    await sent_digest(mail_settings, smtp_server)
    [run] = await DigestRun.select(DigestRun.id)
    for email, role, services, status in (
        ("admin@example.fr", "admin", (), 200),
        ("owner@example.fr", "owner", ("cartes",), 200),  # the digest was sent to this owner
        ("other.owner@example.fr", "owner", ("cartes",), 404),  # the same answer as for no digest at all
        ("agent@example.fr", "agent", ("cartes",), 404),
    ):
        async with running_app(make_app) as client:
            await signed_in(client, email, role, services)
            page = await client.get(f"/digests/{run['id']}")
            assert page.status_code == status, (email, page.status_code)


async def test_an_agent_who_received_a_digest_reads_its_archive(mail_settings, smtp_server, make_app):
    # Digests also go to agents for their assigned services; the archive opens for the account they went to.
    await sent_digest(mail_settings, smtp_server)
    [run] = await DigestRun.select(DigestRun.id)
    async with running_app(make_app) as client:
        await signed_in(client, "owner@example.fr", "agent", ("cartes",))
        page = await client.get(f"/digests/{run['id']}")
        assert page.status_code == 200, page.status_code
