"""Similar reports in Chromium: axe on the new pages (FR and EN where citizens see them), "me too" without JavaScript."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from portal.feedback.tracking import private_path
from tests.citizen.store import Store
from tests.citizen.test_accessibility import assert_no_violations
from tests.review.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def grouped(base_settings, live_server) -> dict:
    from portal.review.accounts import create_user
    from portal.review.grouping import group_pending
    from portal.review.publication import publish
    from portal.store.core.tables import Feedback
    from portal.store.workspace.tables import ReportGroupMember
    from tests.factories import create_service
    from tests.review.similar_data import classified, close_vectors

    async def build():
        service = await create_service(code=f"pref-{uuid.uuid4().hex[:6]}", name_fr="Préfecture", name_en="Prefecture")
        agent = await create_user(f"agent-{uuid.uuid4().hex[:6]}@interieur.gouv.fr", "Léa Agent", "agent", PASSWORD,
                                  services=[service["code"]])
        ids = [await classified(service, f"Aucun créneau pour le titre de séjour, essai {k}", v)
               for k, v in enumerate(close_vectors(3, 11))]
        others = [await classified(service, f"Le téléphone ne répond pas, essai {k}", v) for k, v in enumerate(close_vectors(2, 12))]
        await group_pending([service["id"]])
        await publish(agent, {"id": ids[0], "service": service["id"]})
        group = (await ReportGroupMember.select(ReportGroupMember.report_group).where(ReportGroupMember.feedback == ids[0]).first())
        reference = (await Feedback.select(Feedback.reference).where(Feedback.id == ids[1]).first())["reference"]
        return {"service": service["code"], "agent": agent, "group": group["report_group"], "item": ids[0],
                "reference": reference, "others": others}

    store = Store(base_settings)
    store.empty()
    yield store.run(build)
    store.empty()


def test_similar_pages_have_no_axe_violations_and_me_too_works_without_javascript(browser, live_server, grouped):
    base = live_server.url
    context = browser.new_context(locale="fr-FR", java_script_enabled=True)
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#email", grouped["agent"]["email"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")
    for path in (f"/staff/services/{grouped['service']}/similar", f"/staff/similar/{grouped['group']}",
                 f"/staff/items/{grouped['item']}"):
        page.goto(base + path)
        assert_no_violations(page, path)
    page.goto(f"{base}/staff/similar/{grouped['group']}")
    page.click("button:has-text('Confirmer')")  # the model's title, kept as it is
    expect(page.locator(".flash")).to_contain_text("Groupe confirmé")
    page.fill("#group-title", "")
    page.click("button:has-text('Confirmer')")
    assert_no_violations(page, "the group page with an error")
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{base}/staff/similar/{grouped['group']}")
    assert_no_violations(page, "the group page at 320 px")
    for path in (f"/staff/services/{grouped['service']}/similar?lang=en", f"/staff/similar/{grouped['group']}?lang=en"):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
        assert_no_violations(page, f"{path} at 320 px")
    context.close()

    for voters, (locale, lang, words) in enumerate((("fr-FR", "fr", "3 personnes ont signalé"), ("en-GB", "en", "3 people reported")), 1):
        citizen = browser.new_context(locale=locale, java_script_enabled=False)
        page = citizen.new_page()
        private = private_path(live_server.env["PORTAL_SECRET_KEY"], grouped["reference"])
        page.goto(f"{base}{private}?lang={lang}")
        expect(page.locator("#similar-count")).to_contain_text(words)
        page.goto(f"{base}/s/{grouped['service']}/results?lang={lang}")
        page.click("button:has-text('Moi aussi'), button:has-text('Me too')")
        expect(page.locator(".flash")).to_be_visible()
        # Three reports in the group plus one "me too" per browser so far: 4 is fewer than five, 5 is shown.
        people = page.locator(".me-too-count").first
        expect(people).to_contain_text("5" if voters == 2 else ("moins de 5" if lang == "fr" else "fewer than 5"))
        citizen.close()
        # axe needs script: the same pages again with JavaScript on.
        checked = browser.new_context(locale=locale)
        page = checked.new_page()
        for path in (f"{private}?lang={lang}", f"/s/{grouped['service']}/results?lang={lang}"):
            page.goto(base + path)
            assert_no_violations(page, path)
        checked.close()
