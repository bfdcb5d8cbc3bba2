"""The e-mail state of an answer, shown to the agent: sent, failed with the reason, no e-mail set up; and a retry."""

import datetime as dt


from portal.feedback.follow_up_mail import MAX_ATTEMPTS, deliver_pending
from portal.store.core.tables import AuditEvent, CitizenMail, Feedback
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in


async def _answered(client, text="Votre carte est prête.", **contact):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    item = (await create_feedback(service, text="Où en est ma carte ?", **contact)).feedback_id
    token = csrf_of((await client.get(f"/staff/items/{item}")).text)
    response = await client.post(f"/staff/items/{item}/answer", data={"csrf_token": token, "answer": text})
    return item, token, response


def mail_state(html: str) -> str:
    return html.split('id="answer-mail-state">', 1)[1].split("</strong>", 1)[0]


CONSENTED = {"contact_email": "jeanne@example.fr", "contact_consent": True}


async def test_a_sent_answer_says_so(mail_client, smtp_server):
    item, _, response = await _answered(mail_client, **CONSENTED)
    assert response.headers["location"].endswith("done=answer_queued")
    queued = (await mail_client.get(f"/staff/items/{item}")).text
    assert mail_state(queued) == "en cours d’envoi par e-mail"
    assert (await deliver_pending(mail_client.settings))["sent"] == 1
    [message] = smtp_server.messages
    assert message["To"] == "jeanne@example.fr" and "Votre carte est prête." in message.get_content()
    page = (await mail_client.get(f"/staff/items/{item}")).text
    assert mail_state(page) == "envoyée par e-mail" and 'id="retry-mail"' not in page
    assert (await Feedback.select(Feedback.answer_mail_state).where(Feedback.id == item).first())["answer_mail_state"] == "sent"


async def test_a_refusing_server_shows_the_reason_and_a_retry_sends_it(mail_client, smtp_server):
    settings = mail_client.settings
    smtp_server.refuse_next(1)
    item, token, response = await _answered(mail_client, **CONSENTED)
    assert response.headers["location"].endswith("done=answer_queued")
    assert (await deliver_pending(settings))["retry"] == 1 and smtp_server.messages == []
    page = (await mail_client.get(f"/staff/items/{item}")).text
    assert mail_state(page) == "en cours d’envoi par e-mail"
    reason = page.split('id="answer-mail-error">', 1)[1].split("</p>", 1)[0]
    assert "Temporary failure" in reason and "jeanne@example.fr" not in reason and "un nouvel essai suit" in reason
    # The outbox gives up after its last attempt: the agent reads that it failed, and why.
    await CitizenMail.update({CitizenMail.attempts: MAX_ATTEMPTS, CitizenMail.due_at: dt.datetime.now(dt.timezone.utc)}).where(
        CitizenMail.feedback == item)
    smtp_server.refuse_next(1)
    assert (await deliver_pending(settings))["failed"] == 1
    failed = (await mail_client.get(f"/staff/items/{item}", params={"done": "answer_failed"})).text
    assert mail_state(failed) == "l’envoi par e-mail a échoué" and "envoi par e-mail a échoué" in failed
    assert 'id="retry-mail"' in failed
    retried = await mail_client.post(f"/staff/items/{item}/answer/mail", data={"csrf_token": token})
    assert retried.status_code == 303 and retried.headers["location"].endswith("done=mail_queued")
    assert (await deliver_pending(settings))["sent"] == 1
    [message] = smtp_server.messages
    assert "Votre carte est prête." in message.get_content()
    after = (await mail_client.get(f"/staff/items/{item}")).text
    assert mail_state(after) == "envoyée par e-mail" and 'id="retry-mail"' not in after
    assert "Nouvel envoi de la réponse par e-mail : en cours d’envoi par e-mail" in after
    assert [r["action"] for r in await AuditEvent.select(AuditEvent.action).where(AuditEvent.feedback == item)
            .order_by(AuditEvent.id)][-2:] == ["answer", "retry_answer_mail"]
    # Nothing left to send: a second retry is refused with words.
    again = await mail_client.post(f"/staff/items/{item}/answer/mail", data={"csrf_token": token})
    assert again.status_code == 422 and "pas d’e-mail à renvoyer" in again.text


async def test_no_email_set_up_is_said_not_silent(client):
    item, token, response = await _answered(client, **CONSENTED)  # the test settings have no PORTAL_SMTP_URL
    assert response.headers["location"].endswith("done=answer_no_smtp")
    page = (await client.get(f"/staff/items/{item}", params={"done": "answer_no_smtp"})).text
    assert "aucun envoi d’e-mail n’est configuré sur ce portail" in page.split('role="status"', 1)[1]
    assert mail_state(page) == "pas envoyée : aucun envoi d’e-mail n’est configuré sur ce portail"
    assert 'id="retry-mail"' in page
    still = await client.post(f"/staff/items/{item}/answer/mail", data={"csrf_token": token})
    assert still.headers["location"].endswith("done=mail_no_smtp")
    english = (await client.get(f"/staff/items/{item}", params={"lang": "en"})).text
    assert mail_state(english) == "not sent: no e-mail sending is set up on this portal"


async def test_no_consent_means_no_email_and_no_retry(client):
    item, _, response = await _answered(client)
    assert response.headers["location"].endswith("done=answer_not_asked")
    page = (await client.get(f"/staff/items/{item}")).text
    assert mail_state(page) == "pas d’e-mail : la personne n’a pas demandé à être recontactée"
    assert 'id="retry-mail"' not in page
