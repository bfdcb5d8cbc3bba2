"""The personal-data page in Chromium with what was found, and with its confirmation missing: axe-core in French and
English at 320 and 1280 px; then the erasure, confirmed with the keyboard."""

from __future__ import annotations

import pytest

from tests.admin.privacy_data import create_item
from tests.admin.test_admin_pages_browser import WIDTHS, assert_accessible, sign_in
from tests.factories import create_service
from tests.review.staff import create_staff

pytestmark = pytest.mark.browser
EMAIL = "marie.dupont@example.fr"


@pytest.fixture
def person(store):
    async def work():
        admin = await create_staff("admin", email="ada.privacy@mairie.example")
        service = await create_service(code="etat-civil-p", name_fr="État civil", name_en="Civil registry")
        return {"admin": admin, "items": [await create_item(service), await create_item(service, closed_days_ago=None)]}

    return store.run(work)


def find(page, base: str) -> None:
    page.goto(f"{base}/staff/admin/privacy")
    page.fill("#who", EMAIL)
    page.click("main form.narrow-form button[type=submit]")
    page.wait_for_selector("#found-title")


def test_what_was_found_and_the_missing_confirmation_pass_axe(browser, live_server, person):
    base = live_server.url
    for lang, locale in (("fr", "fr-FR"), ("en", "en-GB")):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            sign_in(page, base, person["admin"]["email"], lang)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                find(page, base)
                assert person["items"][0]["reference"] not in page.content()
                assert_accessible(page, "personal data found", lang, width)
                page.click("form[action='/staff/admin/privacy/erase'] button[type=submit]")
                page.wait_for_selector("#error-summary")
                assert_accessible(page, "erasure not confirmed", lang, width)
        finally:
            context.close()


def test_the_erasure_confirmed_with_the_keyboard(browser, live_server, person):
    base = live_server.url
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base, person["admin"]["email"], "fr")
        find(page, base)
        page.focus("#confirm")
        page.keyboard.press("Space")
        page.focus("form[action='/staff/admin/privacy/erase'] button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=2 avis ont été effacés")
        find(page, base)
        assert "Aucun avis ni aucune tentative" in page.inner_text("main")
    finally:
        context.close()
