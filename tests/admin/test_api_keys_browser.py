"""The partners' API keys page in Chromium at 320 px, in French and English: issue, copy once, revoke; axe-core on each step."""

from __future__ import annotations

import pytest

from portal.public.open311_keys import partner_of
from tests.admin.test_journey_browser import assert_accessible
from tests.review.staff import PASSWORD, create_staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_issue_and_revoke_a_key_in_the_browser(browser, live_server, store, lang):
    admin = store.run(lambda: create_staff("admin", email=f"keys.{lang}@townhall.example"))
    words = {
        "fr": {"nav": "Clés d’API", "issue": "Délivrer la clé", "name": "Nom du partenaire", "revoke": "Révoquer"},
        "en": {"nav": "API keys", "issue": "Issue the key", "name": "Partner’s name", "revoke": "Revoke"},
    }[lang]
    context = browser.new_context(locale="en-GB" if lang == "en" else "fr-FR", viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/staff/login?lang={lang}")
        page.fill("#email", admin["email"])
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/staff/admin")
        page.get_by_role("navigation", name="Administration").get_by_role("link", name=words["nav"]).click()
        assert page.evaluate("document.documentElement.lang") == lang
        assert_accessible(page, f"API keys, empty ({lang})")
        page.get_by_role("button", name=words["issue"]).click()  # no name: the form comes back with the message
        assert page.locator("#name-error").is_visible()
        assert_accessible(page, f"API keys, error ({lang})")
        page.get_by_label(words["name"]).fill("Ville de Lyon")
        page.get_by_role("button", name=words["issue"]).click()
        key = page.locator("#new-key").inner_text().strip()
        assert store.run(lambda: partner_of(key))["name"] == "Ville de Lyon"
        assert_accessible(page, f"API keys, new key shown ({lang})")
        page.goto(f"{live_server.url}/staff/admin/api-keys")
        assert key not in page.content()  # shown once
        page.get_by_role("button", name=f"{words['revoke']} – Ville de Lyon").click()
        assert page.get_by_role("status").first.is_visible()
        assert store.run(lambda: partner_of(key)) is None
        assert_accessible(page, f"API keys, revoked ({lang})")
    finally:
        context.close()
