"""Citizen follow-up through a real SMTP server: answer and status e-mails from the outbox, one-click stop,
"is the problem resolved?" asked once, and "no" re-opening the item."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest

from portal.feedback import follow_up
from portal.feedback.follow_up_mail import deliver_pending
from portal.feedback.reference import PATTERN
from portal.feedback.tracking import private_path, private_url
from portal.review import answers
from portal.review.inbox import bulk_set_status
from portal.store.core.tables import AuditEvent, CitizenMail, Feedback, Service
from portal.store.follow_up import outbox_of
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in

UTC = dt.timezone.utc


@pytest.fixture
def mail_settings(settings, smtp_server):
    return dataclasses.replace(settings, smtp_url=smtp_server.url)


async def _agent_and_item(language: str | None = "fr", days: int = 14, email: str = "jeanne@example.fr", **kw):
    service = await create_service(name_fr="Titres d'identité", name_en="Identity documents", resolved_after_days=days)
    agent = await create_staff("agent", services=[service])
    staff = {**agent, "services": {service["id"]: "agent"}}
    submitted = await create_feedback(service, text="Mon passeport n'arrive pas.", contact_email=email,
                                      contact_consent=True, contact_language=language, **kw)
    return service, staff, submitted


async def _answered_days_ago(feedback_id: int, days: int) -> None:
    await Feedback.update({Feedback.answered_at: dt.datetime.now(UTC) - dt.timedelta(days=days)}).where(
        Feedback.id == feedback_id)


def _stop_path(message) -> str:
    return urlsplit(re.search(r"<([^>]+)>", str(message["List-Unsubscribe"])).group(1)).path


async def test_the_answer_email_is_queued_then_sent_in_the_persons_language(mail_client, mail_settings, smtp_server):
    service, staff, item = await _agent_and_item(language="en")
    assert await answers.answer(staff, {"id": item.feedback_id, "service": service["id"]}, "Your passport is ready.",
                                mail_settings)
    # The staff action only queued it.
    assert smtp_server.messages == [] and [m["state"] for m in await outbox_of(item.feedback_id)] == ["pending"]
    assert await deliver_pending(mail_settings) == {"sent": 1, "retry": 0, "failed": 0, "dropped": 0}
    [message] = smtp_server.messages
    assert message["To"] == "jeanne@example.fr" and message["Subject"] == "Answer to your feedback"
    # No reference and no personal data in the subject.
    assert not PATTERN.search(message["Subject"]) and "jeanne" not in message["Subject"]
    body = message.get_content()
    assert "Your passport is ready." in body and "has answered your feedback" in body and "a répondu" not in body
    # The private link lets the person in without typing the reference.
    assert private_url(mail_settings.base_url, mail_settings.secret_key, item.reference) in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _stop_path(message).startswith("/follow-up/stop/") and item.reference not in message["List-Unsubscribe"]
    # Sent once: a second pass finds nothing due.
    assert (await deliver_pending(mail_settings))["sent"] == 0 and len(smtp_server.messages) == 1


async def test_status_changes_are_emailed_one_by_one_and_in_bulk(mail_client, mail_settings, smtp_server):
    service, staff, item = await _agent_and_item()
    other = await create_feedback(service, text="Autre", contact_email="paul@example.fr", contact_consent=True)
    silent = await create_feedback(service, text="Sans contact")
    await answers.change_status(staff, {"id": item.feedback_id, "service": service["id"]}, "in_review", settings=mail_settings)
    await deliver_pending(mail_settings)
    [first] = smtp_server.messages
    assert first["Subject"] == "Votre avis a avancé" and "en cours d'examen" in first.get_content()
    moved = await bulk_set_status(staff, [item.feedback_id, other.feedback_id, silent.feedback_id], "closed",
                                  settings=mail_settings)
    assert moved == 3
    assert (await deliver_pending(mail_settings))["sent"] == 2
    assert sorted(m["To"] for m in smtp_server.messages[1:]) == ["jeanne@example.fr", "paul@example.fr"]
    assert all(": clos." in m.get_content() for m in smtp_server.messages[1:])
    assert await outbox_of(silent.feedback_id) == []


async def test_a_failing_smtp_server_neither_blocks_the_answer_nor_loses_the_email(mail_client, mail_settings, smtp_server):
    service, staff, item = await _agent_and_item()
    smtp_server.refuse_next(1)
    assert await answers.answer(staff, {"id": item.feedback_id, "service": service["id"]}, "C'est prêt.", mail_settings)
    assert (await Feedback.select(Feedback.status).where(Feedback.id == item.feedback_id).first())["status"] == "answered"
    assert (await deliver_pending(mail_settings))["retry"] == 1
    assert smtp_server.messages == [] and smtp_server.handler.refused == 1
    [queued] = await outbox_of(item.feedback_id)
    assert queued["state"] == "pending" and queued["attempts"] == 1 and "451" in queued["last_error"]
    # Not due again at once; due after its delay.
    assert (await deliver_pending(mail_settings))["sent"] == 0
    later = dt.datetime.now(UTC) + dt.timedelta(minutes=2)
    assert (await deliver_pending(mail_settings, now=later))["sent"] == 1
    assert "C'est prêt." in smtp_server.messages[0].get_content()


async def test_one_click_stop_ends_the_emails(mail_client, mail_settings, smtp_server):
    service, staff, item = await _agent_and_item()
    await answers.answer(staff, {"id": item.feedback_id, "service": service["id"]}, "Réponse.", mail_settings)
    await deliver_pending(mail_settings)
    path = _stop_path(smtp_server.messages[0])
    page = await mail_client.get(path)
    assert page.status_code == 200 and "Confirmer" in page.text and item.reference not in page.text
    # What a mail client sends for RFC 8058: a POST without cookies.
    done = await mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "vous ne recevrez plus d'e-mails" in done.text
    assert (await mail_client.post(path)).status_code == 200
    assert await Feedback.select(Feedback.follow_up_stopped).where(Feedback.id == item.feedback_id).first() == {
        "follow_up_stopped": True}
    await answers.change_status(staff, {"id": item.feedback_id, "service": service["id"]}, "closed", settings=mail_settings)
    assert (await deliver_pending(mail_settings))["sent"] == 0 and len(smtp_server.messages) == 1
    forged = re.sub(r"/[0-9a-f]{32}$", "/" + "0" * 32, path)
    assert (await mail_client.post(forged)).status_code == 404
    assert (await mail_client.get(f"/follow-up/stop/99999999999999/{'0' * 32}")).status_code == 404
    for odd in ("²", "9" * 5000):  # digits int() refuses: a page saying the link is not valid, never a 500
        assert (await mail_client.get(f"/follow-up/stop/{odd}/{'0' * 32}")).status_code == 404


async def test_resolved_question_is_emailed_exactly_once_after_the_services_delay(mail_client, mail_settings, smtp_server):
    service, staff, item = await _agent_and_item(days=3)
    await answers.answer(staff, {"id": item.feedback_id, "service": service["id"]}, "Réponse.", mail_settings)
    await deliver_pending(mail_settings)
    assert await follow_up.queue_resolved_questions(mail_settings) == 0  # answered just now
    await _answered_days_ago(item.feedback_id, 4)
    never = await create_feedback(await create_service(resolved_after_days=0), text="x", contact_email="a@example.fr",
                                  contact_consent=True)
    await Feedback.update({Feedback.status: "answered", Feedback.answered_at: dt.datetime.now(UTC) - dt.timedelta(days=40)}).where(
        Feedback.id == never.feedback_id)
    assert await follow_up.queue_resolved_questions(mail_settings) == 1
    assert await follow_up.queue_resolved_questions(mail_settings) == 0  # exactly once per item
    await deliver_pending(mail_settings)
    assert await follow_up.queue_resolved_questions(mail_settings) == 0
    assert await deliver_pending(mail_settings) == {"sent": 0, "retry": 0, "failed": 0, "dropped": 0}
    question = smtp_server.messages[-1]
    assert len(smtp_server.messages) == 2 and question["Subject"] == "Le problème est-il résolu ?"
    assert not PATTERN.search(question["Subject"])
    assert f"{private_url(mail_settings.base_url, mail_settings.secret_key, item.reference)}#resolved" in question.get_content()
    assert await CitizenMail.count().where(CitizenMail.kind == "resolved") == 1


async def test_no_reopens_the_item_audited_as_the_citizens_and_counts(mail_client, mail_settings):
    service, staff, item = await _agent_and_item(days=2)
    await answers.answer(staff, {"id": item.feedback_id, "service": service["id"]}, "Réponse.", mail_settings)
    path = private_path(mail_settings.secret_key, item.reference)
    assert "resolved-title" not in (await mail_client.get(path)).text  # not yet due
    await _answered_days_ago(item.feedback_id, 3)
    page = await mail_client.get(path)
    assert page.status_code == 200 and 'id="resolved-title"' in page.text
    token = csrf_of(page.text)
    refused = await mail_client.post(f"{path}/resolved", data={"csrf_token": token, "answer": "maybe", "comment": "Hm"})
    assert refused.status_code == 422 and "oui, en partie ou non" in refused.text and ">Hm</textarea>" in refused.text
    sent = await mail_client.post(f"{path}/resolved", data={"csrf_token": token, "answer": "no",
                                                            "comment": "Toujours rien, écrivez à jean.dupont@example.fr"})
    assert sent.status_code == 303 and sent.headers["location"] == f"{path}?done=resolved#resolved"
    row = await Feedback.select(Feedback.status, Feedback.resolved, Feedback.resolved_comment).where(
        Feedback.id == item.feedback_id).first()
    assert row["status"] == "in_review" and row["resolved"] == "no"
    # Kept redacted, as staff read it.
    assert row["resolved_comment"].startswith("Toujours rien, écrivez à ") and "jean.dupont" not in row["resolved_comment"]
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
        AuditEvent.feedback == item.feedback_id).order_by(AuditEvent.id)
    moved = [e for e in events if e["action"] == "change_status"][-1]
    detail = json.loads(moved["detail"]) if isinstance(moved["detail"], str) else moved["detail"]
    assert moved["actor"] is None and detail["by"] == "citizen" and detail["to"] == "in_review"
    assert [e["action"] for e in events][-2:] == ["resolved_answer", "change_status"]
    assert await follow_up.resolution_counts([service["id"]]) == {service["id"]: {"yes": 0, "no": 1, "partly": 0}}
    # One answer per item: the question is gone, a second answer is refused.
    assert 'id="resolved-title"' not in (await mail_client.get(path)).text
    again = await mail_client.post(f"{path}/resolved", data={"csrf_token": token, "answer": "yes"})
    assert again.status_code == 409
    assert (await Feedback.select(Feedback.resolved).where(Feedback.id == item.feedback_id).first())["resolved"] == "no"
    # Open again in the staff inbox; the item page says what the person answered.
    await signed_in(mail_client, staff)
    inbox = await mail_client.get("/staff/inbox", params={"status": "open"})
    assert f"/staff/items/{item.feedback_id}" in inbox.text
    page_of_item = await mail_client.get(f"/staff/items/{item.feedback_id}")
    assert "non résolu" in page_of_item.text and "la personne qui a donné l’avis" in page_of_item.text


async def test_resolution_counts_per_service(db):
    first, second = await create_service(), await create_service()
    now = dt.datetime.now(UTC)
    for service, answer in ((first, "yes"), (first, "yes"), (first, "partly"), (second, "no")):
        item = await create_feedback(service, text="x")
        await Feedback.update({Feedback.resolved: answer, Feedback.resolved_at: now}).where(Feedback.id == item.feedback_id)
    await create_feedback(first, text="pas de réponse")
    counts = await follow_up.resolution_counts()
    assert counts == {first["id"]: {"yes": 2, "no": 0, "partly": 1}, second["id"]: {"yes": 0, "no": 1, "partly": 0}}
    assert await follow_up.resolution_counts([]) == {}


async def test_no_email_without_consent_or_when_email_is_off(mail_client, settings, mail_settings, smtp_server):
    service, staff, item = await _agent_and_item()
    assert await answers.answer(staff, {"id": item.feedback_id, "service": service["id"]}, "Réponse.", settings) == "no_smtp"
    assert await outbox_of(item.feedback_id) == []
    no_consent = await create_feedback(service, text="x", contact_email="b@example.fr", contact_consent=True)
    await Feedback.update({Feedback.contact_consent: False}).where(Feedback.id == no_consent.feedback_id)
    assert await answers.answer(staff, {"id": no_consent.feedback_id, "service": service["id"]}, "R.", mail_settings) == "not_asked"
    assert await outbox_of(no_consent.feedback_id) == []


async def test_the_web_form_records_the_page_language(client):
    service = await create_service()
    form = await client.get(f"/s/{service['code']}", headers={"Accept-Language": "en"})
    sent = await client.post(f"/s/{service['code']}", headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_of(form.text), "text": "Un avis en français", "contact_email": "c@example.fr",
        "contact_consent": "yes",
    })
    assert sent.status_code == 303
    row = await Feedback.select(Feedback.contact_language, Feedback.language).first()
    assert row["contact_language"] == "en"


async def test_the_admin_service_form_sets_the_delay(client):
    admin = await create_staff("admin")
    service = await create_service()
    await signed_in(client, admin)
    form = await client.get(f"/staff/admin/services/{service['id']}")
    assert 'name="resolved_after_days" type="text" value="14"' in form.text
    values = {"csrf_token": csrf_of(form.text), "code": service["code"], "name_fr": "A", "name_en": "A", "active": "yes"}
    bad = await client.post(f"/staff/admin/services/{service['id']}", data={**values, "resolved_after_days": "trois"})
    assert bad.status_code == 422 and "entre 0 et 365" in bad.text and 'value="trois"' in bad.text
    ok = await client.post(f"/staff/admin/services/{service['id']}", data={**values, "resolved_after_days": "7"})
    assert ok.status_code == 303
    assert (await Service.select(Service.resolved_after_days).where(Service.id == service["id"]).first()) == {
        "resolved_after_days": 7}
