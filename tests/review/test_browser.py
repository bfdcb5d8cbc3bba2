"""The agent's day in headless Chromium (sign in, filter, open, correct, answer, publish) and axe on every staff page."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from portal.feedback.tracking import private_path
from tests.citizen.test_accessibility import assert_no_violations
from tests.review.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def workspace(store) -> dict:
    from portal.review.accounts import create_user
    from portal.store.core.tables import Classification, Feedback
    from tests.factories import create_feedback, create_office, create_service

    async def build():
        service = await create_service(code=f"caf-{uuid.uuid4().hex[:6]}", name_fr="Allocations familiales")
        office = await create_office(name="Maison France services", services=[service])
        agent = await create_user(f"agent-{uuid.uuid4().hex[:6]}@caf.gouv.fr", "Nadia Agent", "agent", PASSWORD, services=[service["code"]])
        admin = await create_user(f"admin-{uuid.uuid4().hex[:6]}@gouv.fr", "Alex Admin", "admin", PASSWORD)
        calm = await create_feedback(service, text="Accueil aimable, merci.", rating=5)
        urgent = await create_feedback(service, text="Plus de versement depuis trois mois, je ne peux plus payer mon loyer. Appelez-moi au 06 11 22 33 44.",
                                       rating=1, channel="counter", office_id=office["id"], given_as="spoken")
        await Feedback.update({Feedback.urgent: True, Feedback.sentiment: "negative", Feedback.sentiment_confidence: 0.9,
                               Feedback.sentiment_source: "text+rating"}).where(Feedback.id == urgent.feedback_id)
        # The model is unsure of this one: staff see it "to check".
        await Feedback.update({Feedback.sentiment: "positive", Feedback.sentiment_confidence: 0.52,
                               Feedback.sentiment_source: "text"}).where(Feedback.id == calm.feedback_id)
        await Classification.insert(Classification(
            feedback=urgent.feedback_id, model_version="e5-heads-test", sentiment="negative",
            sentiment_scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05}, topics=["responsiveness"],
            topic_scores={"responsiveness": 0.8}, urgent=True, urgent_score=0.77, flags=[], language="fr"))
        flagged = await create_feedback(service, text="<b>c'est NUL</b>, honteux, j'en ai marre !!!")
        await Feedback.update({Feedback.flagged: True}).where(Feedback.id == flagged.feedback_id)
        return {"service": service, "office": office, "agent": agent, "admin": admin, "calm": calm.reference,
                "flagged_id": flagged.feedback_id,
                "calm_id": calm.feedback_id, "urgent": urgent.reference, "urgent_id": urgent.feedback_id}

    return store.run(build)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")


def test_agent_signs_in_filters_opens_corrects_answers_and_publishes(browser, live_server, workspace):
    base = live_server.url
    page = browser.new_context(locale="fr-FR").new_page()
    sign_in(page, base, workspace["agent"]["email"])
    page.click("text=Avis reçus")
    page.check("#f-check")
    page.select_option("#f-order", "least_sure")
    page.click("button:has-text('Filtrer')")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data tbody tr")).to_contain_text("À vérifier (plutôt positif, 52 %)")
    expect(page.locator("#f-order")).to_have_value("least_sure")
    page.uncheck("#f-check")
    page.select_option("#f-order", "")
    page.select_option("#f-status", "open")
    page.select_option("#f-urgent", "yes")
    page.click("button:has-text('Filtrer')")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    page.click(f"text={workspace['urgent']}")
    expect(page.locator("h1")).to_contain_text(workspace["urgent"])
    expect(page.locator("main")).to_contain_text("e5-heads-test")
    expect(page.locator("main")).not_to_contain_text("06 11 22 33 44")

    # The correction is one click away, under what the model thinks; the next step is to answer.
    expect(page.locator("#next-action")).to_contain_text("Réponse publique : répondre à la personne")
    page.click("#correct > summary")
    page.check("#topic-access")
    page.click("button:has-text('Enregistrer la correction')")
    expect(page.locator(".flash")).to_contain_text("Correction enregistrée")
    expect(page.locator("#topic-access")).to_be_checked()

    page.fill("#answer", "Votre dossier est débloqué, le versement arrive cette semaine.")
    page.click("button:has-text('Envoyer la réponse')")
    expect(page.locator(".flash")).to_contain_text("Réponse enregistrée")

    # Once answered, publishing is the next step, offered first.
    expect(page.locator("#next-action")).to_contain_text("Publication : montrer l’avis au public")
    page.click("#next-action button:has-text('Publier')")
    expect(page.locator(".flash")).to_contain_text("Avis publié")
    page.goto(f"{base}/s/{workspace['service']['code']}/results")
    expect(page.locator("main")).to_contain_text("Plus de versement depuis trois mois")
    expect(page.locator("main")).to_contain_text("le versement arrive cette semaine")
    expect(page.locator("main")).not_to_contain_text("06 11 22 33 44")
    page.goto(f"{base}/track/{workspace['urgent']}")
    expect(page.locator("main")).not_to_contain_text("le versement arrive cette semaine")
    page.goto(base + private_path(live_server.env["PORTAL_SECRET_KEY"], workspace["urgent"]))
    expect(page.locator("main")).to_contain_text("le versement arrive cette semaine")
    page.context.close()


def test_every_staff_page_has_no_axe_violations(browser, live_server, workspace):
    base = live_server.url
    service, office = workspace["service"]["code"], workspace["office"]["code"]
    for language in ("fr-FR", "en-GB"):
        context = browser.new_context(locale=language)
        page = context.new_page()
        page.goto(f"{base}/staff/login")
        assert_no_violations(page, "the sign-in page")
        page.fill("#email", workspace["admin"]["email"])
        page.fill("#password", "wrong password!!")
        page.click("button[type=submit]")
        assert_no_violations(page, "the sign-in page with an error")
        sign_in(page, base, workspace["admin"]["email"])
        paths = (
            "/staff", "/staff/inbox", "/staff/inbox?status=open&urgent=yes&q=versement", f"/staff/items/{workspace['urgent_id']}",
            "/staff/inbox?check=yes&order=least_sure", f"/staff/items/{workspace['calm_id']}",
            "/staff/dashboards", f"/staff/dashboards/services/{service}", f"/staff/dashboards/offices/{office}",
            f"/staff/services/{service}/templates", f"/staff/services/{service}/commitments", "/staff/audit",
            f"/staff/items/{workspace['flagged_id']}", "/staff/similar", f"/staff/services/{service}/similar",
            "/staff/logout", f"/s/{service}/results",
        )
        for path in paths:
            page.goto(base + path)
            assert_no_violations(page, path)
        page.goto(f"{base}/staff/items/{workspace['urgent_id']}")
        page.click("button:has-text('texte original'), button:has-text('original text')")
        expect(page.locator("#original-text")).to_contain_text("06 11 22 33 44")
        assert_no_violations(page, "the item with its original text")
        page.set_viewport_size({"width": 320, "height": 800})
        page.goto(f"{base}/staff/inbox")
        assert_no_violations(page, "the inbox at 320 px")
        # Wide tables scroll in their own box: no page is wider than a small phone.
        for path in paths:
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"{path} ({language})"
        context.close()
