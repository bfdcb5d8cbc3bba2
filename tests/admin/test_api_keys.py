"""Partners' API keys page: an administrator issues a key (shown once), sees it listed without it, revokes it."""

from __future__ import annotations

import html
import re

from portal.public.open311_keys import partner_of
from portal.store.core.tables import ApiKey
from tests.admin.helpers import audit_of, post_form, signed_in_admin
from tests.factories import create_service
from tests.review.staff import create_staff, csrf_of, signed_in

PAGE = "/staff/admin/api-keys"


async def test_admin_issues_a_key_shown_once_then_revokes_it(client):
    admin = await signed_in_admin(client)
    empty = await client.get(PAGE)
    assert empty.status_code == 200 and "Aucune clé" in empty.text
    issued = await post_form(client, PAGE, PAGE, {"name": "Ville de Lyon – appli"})
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    key = html.unescape(re.search(r'<code class="secret-code" id="new-key">([^<]+)</code>', issued.text).group(1))
    assert (await partner_of(key))["name"] == "Ville de Lyon – appli"
    listed = await client.get(PAGE)
    assert "Ville de Lyon – appli" in listed.text and key not in listed.text and key[:13] in listed.text
    assert "dernier usage le" in listed.text  # partner_of used it; the time in the portal's zone, named
    row = await ApiKey.select().first()
    assert key not in str(row)
    [created] = await audit_of("create_api_key")
    assert created["actor_email"] == admin["email"] and key not in str(created["detail"])
    revoked = await post_form(client, PAGE, f"{PAGE}/{row['id']}/revoke", {})
    assert revoked.status_code == 303 and revoked.headers["location"].endswith("done=revoked")
    assert await partner_of(key) is None
    after = await client.get(revoked.headers["location"])
    assert "révoquée le" in after.text and "Révoquer" not in after.text
    assert len(await audit_of("revoke_api_key")) == 1


async def test_a_bad_name_or_an_expired_form_is_reshown_with_what_was_typed(client):
    await signed_in_admin(client)
    long_name = "x" * 101
    bad = await post_form(client, PAGE, PAGE, {"name": long_name})
    assert bad.status_code == 422 and "100 caractères" in bad.text and long_name in bad.text
    expired = await client.post(PAGE, data={"csrf_token": "nope", "name": "Partenaire"})
    assert expired.status_code == 400 and 'value="Partenaire"' in expired.text
    assert await ApiKey.count() == 0


async def test_english_page(client):
    await signed_in_admin(client)
    page = await client.get(f"{PAGE}?lang=en")
    assert page.status_code == 200 and "Partners’ API keys" in page.text and 'lang="en"' in page.text


async def test_only_administrators(client):
    service = await create_service()
    owner = await create_staff("owner", services=[service])
    await signed_in(client, owner)
    assert (await client.get(PAGE)).status_code == 403
    token = csrf_of((await client.get("/staff/admin/subscriptions/new")).text)
    assert (await client.post(PAGE, data={"csrf_token": token, "name": "X"})).status_code == 403
    assert await ApiKey.count() == 0
