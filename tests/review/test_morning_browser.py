"""An agent's morning in Chromium, in French and in English: the new items since the last visit, two
assigned to themselves, one answer to a group of three similar reports (each tracking page shows it,
the two who agreed receive it by real e-mail), a false flag cleared with a reason, one item published."""

from __future__ import annotations

import dataclasses
import re

import pytest

from portal.feedback.follow_up_mail import deliver_pending
from portal.feedback.tracking import private_path
from portal.review.grouping import group_pending
from portal.store.core.tables import AuditEvent, Feedback
from portal.store.workspace.tables import Publication, ReportGroupMember
from tests.citizen.store import Store
from tests.factories import create_feedback, create_service
from tests.review.similar_data import classified, close_vectors
from tests.review.staff import PASSWORD, create_staff

pytestmark = pytest.mark.browser

ANSWER = {"fr": "Les créneaux rouvrent lundi ; nous vous écrivons dès qu’un créneau se libère.",
          "en": "Appointments open again on Monday; we will write as soon as a slot is free."}
WORDS = {
    "fr": {"new": "Nouveaux depuis ma dernière visite", "views": "Vues"},
    "en": {"new": "New since my last visit", "views": "Views"},
}


def morning(store, lang: str) -> dict:
    async def work():
        service = await create_service(name_fr="Titres d’identité", name_en="Identity documents")
        agent = await create_staff("agent", services=[service], name="Agnès Agent")
        contacts = [{"contact_email": f"a.{lang}@example.fr", "contact_consent": True}, {},
                    {"contact_email": f"c.{lang}@example.fr", "contact_consent": True}]
        grouped = [await classified(service, f"Aucun rendez-vous avant trois mois pour ma carte ({k})", v, **contacts[k])
                   for k, v in enumerate(close_vectors(3, seed=7))]
        await group_pending([service["id"]])
        group = (await ReportGroupMember.select(ReportGroupMember.report_group)
                 .where(ReportGroupMember.feedback == grouped[0]).first())["report_group"]
        flagged = (await create_feedback(service, text="Franchement c'est NUL, trois heures d'attente !!!")).feedback_id
        await Feedback.update({Feedback.flagged: True}).where(Feedback.id == flagged)
        others = [(await create_feedback(service, text=t)).feedback_id
                  for t in ("Le formulaire en ligne plante à la dernière étape", "Accueil très aimable, merci")]
        references = {r["id"]: r["reference"] for r in await Feedback.select(Feedback.id, Feedback.reference)}
        return {"service": service, "agent": agent, "grouped": grouped, "group": group, "flagged": flagged,
                "others": others, "references": references}

    return store.run(work)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_agents_morning(browser, mailing_server, base_settings, mail, lang):
    handler, smtp_url = mail
    handler.messages.clear()
    store = Store(base_settings)
    store.empty()
    m = morning(store, lang)
    base = mailing_server.url
    words = WORDS[lang]
    context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/staff/login?lang={lang}")
        page.fill("#email", m["agent"]["email"])
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/staff")

        # What came in since the last visit: every item of the morning (the first visit counts from the account).
        page.goto(f"{base}/staff/inbox")
        page.get_by_role("navigation", name=words["views"]).get_by_role(
            "link", name=re.compile(words["new"])).click()
        page.wait_for_url(re.compile(r"view=new"))
        listed = page.inner_text("main table")
        for item in (*m["grouped"], m["flagged"], *m["others"]):
            assert m["references"][item] in listed

        # Two items assigned to themselves, from each item's page.
        for item in m["others"]:
            page.goto(f"{base}/staff/items/{item}")
            page.select_option("#assignee", "me")
            page.click("form[action$='/assign'] button[type=submit]")
            page.wait_for_selector("#assignment")
            assert "Agnès Agent" in page.inner_text("#assignment")
        page.goto(f"{base}/staff/inbox?view=mine")
        mine = page.inner_text("main table")
        assert all(m["references"][i] in mine for i in m["others"])
        assert m["references"][m["grouped"][0]] not in mine

        # One answer for the group of three similar reports.
        page.goto(f"{base}/staff/similar/{m['group']}")
        page.fill("#group-answer-text", ANSWER[lang])
        page.click("form[action$='/answer'] button[type=submit]")
        page.wait_for_selector("#group-answer-outcome")
        settings = dataclasses.replace(base_settings, smtp_url=smtp_url, base_url=base)
        assert store.run(lambda: deliver_pending(settings))["sent"] == 2  # the citizens' outbox, as the scheduler runs it
        assert sorted(message["To"] for message in handler.messages) == [f"a.{lang}@example.fr", f"c.{lang}@example.fr"]
        assert all(ANSWER[lang] in message.get_content() for message in handler.messages)
        citizen = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB")
        try:
            tracking = citizen.new_page()
            for item in m["grouped"]:
                tracking.goto(base + private_path(base_settings.secret_key, m["references"][item]) + f"?lang={lang}")
                assert ANSWER[lang] in tracking.inner_text("main")
        finally:
            citizen.close()

        # A flag raised on an angry but fair message, cleared with a reason; then the item is published.
        page.goto(f"{base}/staff/items/{m['flagged']}")
        assert page.locator("#flag-marker").count() == 1
        page.fill("#flag-reason", "Colère légitime, aucun propos abusif" if lang == "fr" else "Fair anger, nothing abusive")
        page.click("#clear-flag")
        page.wait_for_selector("#said")
        assert page.locator("#flag-marker").count() == 0
        publish = page.locator("button[name=action][value=publish]")
        if not publish.is_visible():
            page.locator("#other-publish > summary").click()
        publish.click()
        page.wait_for_selector("#said")
        assert store.run(lambda: Publication.count().where(Publication.feedback == m["flagged"])) == 1
        results = context.new_page()
        results.goto(f"{base}/s/{m['service']['code']}/results?lang={lang}")
        assert "trois heures d'attente" in results.inner_text("main")
        actions = store.run(lambda: AuditEvent.select(AuditEvent.action).where(AuditEvent.actor_email == m["agent"]["email"]))
        done = [a["action"] for a in actions]
        assert done.count("assign") == 2 and done.count("answer") == 3 and "clear_flag" in done and "publish" in done
    finally:
        context.close()
