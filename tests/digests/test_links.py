"""Links into the digest archive: a lifetime for signed links, no probing of ids, no id beyond what the store holds."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.digests.render import ARCHIVE_LINK_DAYS
from portal.store.digests.tables import DigestRun
from portal.store.subscriptions import get_subscription
from portal.web.signing import sign
from tests.digests.conftest import running_app
from tests.digests.test_pages import sent_digest, signed_in

PAGES = ("", "/email", "/chart.png")


async def sent_days_ago(days: int) -> int:
    """The one sent digest, as if it had been sent `days` days ago."""
    [run] = await DigestRun.select(DigestRun.id)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    await DigestRun.update({DigestRun.sent_at: when, DigestRun.claimed_at: when}).where(DigestRun.id == run["id"])
    return run["id"]


async def test_a_fresh_signed_link_opens_the_digest(mail_settings, smtp_server, make_app):
    await sent_digest(mail_settings, smtp_server)
    run_id = await sent_days_ago(ARCHIVE_LINK_DAYS - 1)
    signature = sign(mail_settings.secret_key, "archive", run_id)
    async with running_app(make_app) as client:
        for page in PAGES:
            response = await client.get(f"/digests/{run_id}{page}?sig={signature}")
            assert response.status_code == 200, page
    # The e-mail says how long its link works.
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert f"(lien valable {ARCHIVE_LINK_DAYS} jours) : https://guichet.example.fr/digests/{run_id}?sig=" in text


async def test_an_expired_link_is_refused_with_a_page_that_says_how_to_see_the_digest(mail_settings, smtp_server, make_app):
    await sent_digest(mail_settings, smtp_server)
    run_id = await sent_days_ago(ARCHIVE_LINK_DAYS + 1)
    signature = sign(mail_settings.secret_key, "archive", run_id)
    async with running_app(make_app) as client:
        for page in PAGES:
            response = await client.get(f"/digests/{run_id}{page}?sig={signature}")
            assert response.status_code == 410, page
            assert "Cartes grises" not in response.text and "owner@example.fr" not in response.text
        french = await client.get(f"/digests/{run_id}?sig={signature}")
        assert "Lien expiré" in french.text and f"valables {ARCHIVE_LINK_DAYS} jours" in french.text
        assert "connectez-vous à l'espace agents" in french.text
        assert f'href="/staff/login?next=%2Fdigests%2F{run_id}"' in french.text
        english = await client.get(f"/digests/{run_id}?sig={signature}&lang=en")
        assert english.status_code == 410 and "This link to a sent digest has expired" in english.text
        assert "sign in to the staff workspace" in english.text
        # Tampered with, an expired link is not even recognised as one: the staff sign-in, as for any other.
        tampered = await client.get(f"/digests/{run_id}?sig={signature[:-1]}{'0' if signature[-1] != '0' else '1'}")
        assert tampered.status_code == 303 and tampered.headers["location"].startswith("/staff/login")
        other_run = await client.get(f"/digests/{run_id + 1}?sig={signature}")
        assert other_run.status_code == 303


async def test_an_expired_link_still_opens_for_its_signed_in_recipient(mail_settings, smtp_server, make_app):
    await sent_digest(mail_settings, smtp_server)
    run_id = await sent_days_ago(ARCHIVE_LINK_DAYS + 30)
    signature = sign(mail_settings.secret_key, "archive", run_id)
    async with running_app(make_app) as client:
        await signed_in(client, "owner@example.fr", "owner", ("cartes",))
        assert (await client.get(f"/digests/{run_id}?sig={signature}")).status_code == 200
    async with running_app(make_app) as client:
        await signed_in(client, "other.owner@example.fr", "owner", ("cartes",))
        assert (await client.get(f"/digests/{run_id}?sig={signature}")).status_code == 410


async def test_the_unsubscribe_link_of_an_old_digest_still_works(mail_settings, smtp_server, make_app):
    sub, path = await sent_digest(mail_settings, smtp_server)
    await sent_days_ago(3 * 365)
    async with running_app(make_app) as client:
        done = await client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "vous ne recevrez plus" in done.text
    assert not (await get_subscription(sub["id"]))["active"]


async def test_someone_elses_digest_answers_as_a_missing_one(mail_settings, smtp_server, make_app):
    await sent_digest(mail_settings, smtp_server)
    [run] = await DigestRun.select(DigestRun.id)
    async with running_app(make_app) as client:
        await signed_in(client, "other.owner@example.fr", "owner", ("cartes",))
        for page in PAGES:
            elses = await client.get(f"/digests/{run['id']}{page}")
            missing = await client.get(f"/digests/{run['id'] + 1000}{page}")
            assert elses.status_code == missing.status_code == 404, page
            # The same page but for its own request id ("Error reference: ...").
            assert elses.text.replace(elses.headers["x-request-id"], "ID") == \
                missing.text.replace(missing.headers["x-request-id"], "ID")
            assert "Cartes grises" not in elses.text


@pytest.mark.parametrize("number", [0, -1, 2**31, 2**63, 10**30])
async def test_ids_no_row_can_have_answer_404(mail_settings, smtp_server, make_app, number):
    await sent_digest(mail_settings, smtp_server)
    async with running_app(make_app) as client:
        for page in PAGES:  # a link signed for that number reaches the store
            signed = await client.get(f"/digests/{number}{page}?sig={sign(mail_settings.secret_key, 'archive', number)}")
            assert signed.status_code == 404, (number, page)
        unsubscribe = await client.post(f"/digests/unsubscribe/{number}/{sign(mail_settings.secret_key, 'unsubscribe', number)}")
        # Out of the row range, the request guard answers before the page: the same "not found" page.
        assert unsubscribe.status_code == 404 and "Page introuvable" in unsubscribe.text
        await signed_in(client, "admin@example.fr", "admin")
        for page in PAGES:
            assert (await client.get(f"/digests/{number}{page}")).status_code == 404, (number, page)
