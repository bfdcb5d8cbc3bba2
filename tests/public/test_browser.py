"""The public results and open-data pages in Chromium: no axe violation in French and English, at 320 px, printable, no script needed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect

from portal.public.open_data import export, folder_of
from portal.public.satisfaction import period_starts
from portal.review.accounts import create_user
from portal.review.publication import publish
from portal.store.core.tables import Feedback
from portal.store.workspace.tables import Commitment
from tests.citizen.test_accessibility import assert_no_violations
from tests.factories import create_feedback, create_service, portal_today

pytestmark = pytest.mark.browser


@pytest.fixture
def results(store, base_settings):
    async def build():
        service = await create_service(code=f"pref-{uuid.uuid4().hex[:6]}", name_fr="Préfecture du Rhône",
                                       name_en="Rhône prefecture")
        agent = await create_user(f"agent-{uuid.uuid4().hex[:6]}@interieur.gouv.fr", "Léa Agent", "agent",
                                  "correct horse battery staple", services=[service["code"]])
        start = period_starts(portal_today())[-1]
        received = dt.datetime.combine(start + dt.timedelta(days=1), dt.time(9), tzinfo=dt.timezone.utc)
        ids = []
        for k, (rating, channel) in enumerate([(5, "web")] * 8 + [(2, "counter")] * 3):
            item = await create_feedback(service, text=f"Rendez-vous introuvable en ligne ({k})", rating=rating,
                                         channel=channel, given_as="online" if channel == "web" else "spoken")
            await Feedback.update({Feedback.received_at: received}).where(Feedback.id == item.feedback_id)
            ids.append(item.feedback_id)
        await publish(agent, {"id": ids[0], "service": service["id"]})
        await Commitment.insert(Commitment(service=service["id"], raised="Pas de rendez-vous en ligne",
                                           action="Ouvrir des créneaux le samedi", due_on=portal_today() - dt.timedelta(days=2),
                                           status="planned", reason=""))
        await export(base_settings, folder_of(base_settings))
        return service["code"]

    return store.run(build)


def test_results_and_open_data_pages_have_no_axe_violations_fr_en_320px(browser, live_server, results):
    base = live_server.url
    for locale, lang, few in (("fr-FR", "fr", "moins de 5"), ("en-GB", "en", "fewer than 5")):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        for path in (f"/s/{results}/results?lang={lang}", f"/open-data/?lang={lang}", f"/?lang={lang}"):
            page.goto(base + path)
            assert_no_violations(page, path)
        page.goto(f"{base}/s/{results}/results?lang={lang}")
        expect(page.locator("main")).to_contain_text(few)
        expect(page.locator(".commitment").first).to_contain_text("Ouvrir des créneaux le samedi")
        page.set_viewport_size({"width": 320, "height": 800})
        for path in (f"/s/{results}/results?lang={lang}", f"/open-data/?lang={lang}"):
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
            assert_no_violations(page, f"{path} at 320 px")
        page.emulate_media(media="print")
        page.goto(f"{base}/s/{results}/results?lang={lang}")
        expect(page.locator("button:has-text('Moi aussi'), button:has-text('Me too')")).to_be_hidden()
        expect(page.locator("table.figures").first).to_be_visible()
        context.close()


def test_me_too_works_without_javascript_from_the_home_page(browser, live_server, results):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.click(f"a[href='/s/{results}/results']")
    expect(page.locator("h1")).to_contain_text("Préfecture du Rhône")
    page.click("button:has-text('Moi aussi')")
    expect(page.locator(".flash")).to_contain_text("votre « moi aussi » est compté")
    expect(page.locator(".late").first).to_contain_text("en retard")
    context.close()
