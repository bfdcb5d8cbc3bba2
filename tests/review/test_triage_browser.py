"""A morning's triage in headless Chromium: the new since my last visit view, assigning two items to oneself, the overdue view; axe on each page, both languages, 320 and 1280 px."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.citizen.test_accessibility import assert_no_violations
from tests.review.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def queue(store) -> dict:
    from portal.review.accounts import create_user
    from portal.store.core.tables import Feedback, StaffUser
    from tests.factories import create_feedback, create_service

    async def build():
        service = await create_service(code=f"etat-civil-{uuid.uuid4().hex[:6]}", name_fr="État civil", name_en="Civil registry",
                                       answer_days=2)
        agent = await create_user(f"agent-{uuid.uuid4().hex[:6]}@mairie.fr", "Nadia Agent", "agent", PASSWORD,
                                  services=[service["code"]])
        admin = await create_user(f"admin-{uuid.uuid4().hex[:6]}@mairie.fr", "Alex Admin", "admin", PASSWORD)
        now = dt.datetime.now(dt.timezone.utc)
        old = await create_feedback(service, text="Acte de naissance demandé il y a un mois, toujours rien.")
        first = await create_feedback(service, text="Le formulaire en ligne refuse mon adresse.")
        second = await create_feedback(service, text="Pourquoi faut-il venir deux fois au guichet ?")
        press = await create_feedback(service, text="", rating=4)
        await Feedback.update({Feedback.received_at: now - dt.timedelta(days=20)}).where(Feedback.id == old.feedback_id)
        # The agent's last visit ended yesterday, after the old one came: two are new.
        await StaffUser.update({StaffUser.inbox_seen_at: now - dt.timedelta(days=1),
                                StaffUser.inbox_new_since: now - dt.timedelta(days=2)}).where(StaffUser.id == agent["id"])
        return {"service": service, "agent": agent, "admin": admin, "old": old.feedback_id, "first": first.reference,
                "second": second.reference, "press": press.reference, "old_ref": old.reference}

    return store.run(build)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")


WORDS = {
    "fr-FR": {"new": "Nouveaux depuis ma dernière visite", "mine": "Assignés à moi", "overdue": "En retard",
              "assign": "Attribuer", "assigned": "2 avis attribués.", "saved": "Attribution enregistrée."},
    "en-GB": {"new": "New since my last visit", "mine": "Assigned to me", "overdue": "Overdue",
              "assign": "Assign", "assigned": "2 feedback items assigned.", "saved": "Assignment saved."},
}


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
def test_an_agent_opens_whats_new_takes_two_items_and_finds_the_overdue_one(browser, live_server, queue, language):
    base, words = live_server.url, WORDS[language]
    context = browser.new_context(locale=language)
    page = context.new_page()
    sign_in(page, base, queue["agent"]["email"])
    page.goto(f"{base}/staff/inbox")
    expect(page.locator("table.data tbody tr")).to_have_count(3)  # the kiosk press is not in the queue
    page.click(f"nav.views >> text={words['new']}")
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text(queue["old_ref"])
    assert_no_violations(page, f"the new view ({language})")
    for checkbox in page.locator("input[name=item]").all():
        checkbox.check()
    page.select_option("#bulk-assign", "me")
    page.click("button[formaction='/staff/inbox/assign']")
    expect(page.locator(".flash")).to_contain_text(words["assigned"])
    page.click(f"nav.views >> text={words['mine']}")
    expect(page.locator("table.data tbody tr")).to_have_count(2)
    expect(page.locator("table.data")).to_contain_text("Nadia Agent")

    # The old one, given to oneself from its page, is already late: 20 days for a target of 2 working days.
    page.goto(f"{base}/staff/items/{queue['old']}")
    assert_no_violations(page, f"the item page with its assignment form ({language})")
    page.select_option("#assignee", "me")
    page.click(f"form[action$='/assign'] button:has-text('{words['assign']}')")
    expect(page.locator(".flash")).to_contain_text(words["saved"])
    expect(page.locator("#assignment")).to_contain_text(words["overdue"])
    page.click("text=" + ("Avis reçus" if language == "fr-FR" else "Feedback received"))
    page.click(f"nav.views >> text={words['overdue']}")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data")).to_contain_text(queue["old_ref"])
    assert_no_violations(page, f"the overdue view ({language})")
    page.set_viewport_size({"width": 320, "height": 800})
    for path in ("/staff/inbox?view=mine", "/staff/inbox?comment=none", f"/staff/items/{queue['old']}"):
        page.goto(base + path)
        assert_no_violations(page, f"{path} at 320 px ({language})")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"{path} ({language})"
    context.close()


def test_the_admin_service_form_with_its_answer_target_has_no_axe_violations(browser, live_server, queue):
    base = live_server.url
    for language in ("fr-FR", "en-GB"):
        context = browser.new_context(locale=language)
        page = context.new_page()
        sign_in(page, base, queue["admin"]["email"])
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{base}/staff/admin/services/{queue['service']['id']}")
            expect(page.locator("#answer_days")).to_have_value("2")
            assert_no_violations(page, f"the service form at {width} px ({language})")
            page.goto(f"{base}/staff/admin/services/new")
            assert_no_violations(page, f"the new service form at {width} px ({language})")
        context.close()
