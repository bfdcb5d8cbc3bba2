"""The loop closed in public, in Chromium: a citizen gives feedback, an agent answers it and publishes a
commitment, the citizen receives the answer by real e-mail, says it is not resolved, the item re-opens,
and the service's public results show the commitment and the count as "fewer than 5"."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from portal.feedback.follow_up_mail import deliver_pending
from portal.store.core.tables import AuditEvent, Feedback
from tests.citizen.store import Store
from tests.factories import create_service, portal_today
from tests.review.staff import PASSWORD, create_staff

pytestmark = pytest.mark.browser

TEXT = {"fr": "Trois heures d'attente au guichet des passeports, personne pour orienter les gens.",
        "en": "Three hours of waiting at the passport desk, nobody to tell people where to go."}
ANSWER = {"fr": "Un agent d’accueil oriente désormais les personnes dès l’entrée.",
          "en": "A reception officer now directs people from the entrance."}
ACTION = {"fr": "Un agent d’accueil à l’entrée chaque matin", "en": "A reception officer at the entrance every morning"}
WORDS = {"fr": {"send": "Envoyer mon avis", "few": "moins de 5", "no": "Non"},
         "en": {"send": "Send my feedback", "few": "fewer than 5", "no": "No"}}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_citizen_sees_the_loop_closed(browser, mailing_server, base_settings, mail, lang):
    handler, smtp_url = mail
    handler.messages.clear()
    store = Store(base_settings)
    store.empty()

    async def setup():
        service = await create_service(name_fr="Passeports", name_en="Passports")
        return service, await create_staff("agent", services=[service], name="Agnès Agent")

    service, agent = store.run(setup)
    base = mailing_server.url
    locale = "fr-FR" if lang == "fr" else "en-GB"
    settings = dataclasses.replace(base_settings, smtp_url=smtp_url, base_url=base)

    citizen = browser.new_context(locale=locale, viewport={"width": 320, "height": 900})
    staff = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        # The citizen gives feedback and agrees to be told of the answer.
        page = citizen.new_page()
        page.goto(f"{base}/s/{service['code']}?lang={lang}")
        page.check("#rating-2", force=True)
        page.fill("#text", TEXT[lang])
        page.fill("#contact_email", f"citoyen.{lang}@example.fr")
        page.check("#contact_consent")
        page.get_by_role("button", name=WORDS[lang]["send"]).click()
        page.wait_for_selector("#private-link")
        item = store.run(lambda: Feedback.select(Feedback.id, Feedback.reference).first())

        # The agent answers it and publishes a commitment.
        desk = staff.new_page()
        desk.goto(f"{base}/staff/login?lang={lang}")
        desk.fill("#email", agent["email"])
        desk.fill("#password", PASSWORD)
        desk.click("main button[type=submit]")
        desk.wait_for_url(f"{base}/staff")
        desk.goto(f"{base}/staff/items/{item['id']}")
        desk.fill("#answer", ANSWER[lang])
        desk.click("form[action$='/answer'] button[type=submit]")
        desk.wait_for_selector("#answer-mail-state", state="attached")
        desk.goto(f"{base}/staff/services/{service['code']}/commitments")
        desk.fill("#raised", TEXT[lang])
        desk.fill("#action", ACTION[lang])
        desk.fill("#due_on", (portal_today() + dt.timedelta(days=60)).isoformat())
        desk.click("form[action$='/commitments'] button[type=submit]")
        desk.wait_for_selector(f"text={ACTION[lang]}")

        # The answer reaches the citizen by e-mail, with the private link to their page.
        assert store.run(lambda: deliver_pending(settings))["sent"] == 1
        [message] = handler.messages
        body = message.get_content()
        assert message["To"] == f"citoyen.{lang}@example.fr" and ANSWER[lang] in body
        assert item["reference"] not in message["Subject"]
        link = re.search(r"http://\S+/track/\S+", body).group(0)

        # Some days later the page asks whether the problem is resolved: "no" re-opens the item.
        days_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=15)
        store.run(lambda: Feedback.update({Feedback.answered_at: days_ago}).where(Feedback.id == item["id"]))
        page.goto(link)
        page.check("#answer-no", force=True)
        page.locator("#resolved form button[type=submit]").click()
        page.wait_for_selector("#resolved[role=status]")
        row = store.run(lambda: Feedback.select(Feedback.status, Feedback.resolved).where(Feedback.id == item["id"]).first())
        assert row == {"status": "in_review", "resolved": "no"}
        desk.goto(f"{base}/staff/inbox?status=open")
        assert item["reference"] in desk.inner_text("main table")
        assert store.run(lambda: AuditEvent.count().where(AuditEvent.action == "resolved_answer")) == 1

        # The public results: the commitment, and one "not resolved" shown as fewer than 5.
        page.goto(f"{base}/s/{service['code']}/results?lang={lang}")
        main = page.inner_text("main")
        assert ACTION[lang] in main
        resolved = page.inner_text("#resolved")
        assert WORDS[lang]["few"] in resolved and "1" not in resolved
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        citizen.close()
        staff.close()
