"""Dashboards, the audit log page, and the answer e-mail through a real SMTP server."""

import dataclasses
import datetime as dt

from portal.feedback.follow_up_mail import deliver_pending
from portal.feedback.reference import PATTERN
from portal.feedback.tracking import private_url
from portal.review import answers
from portal.store.core.tables import AuditEvent, Feedback, FeedbackTopic
from tests.factories import create_feedback, create_office, create_service
from tests.review.staff import create_staff, signed_in


async def test_service_dashboard_figures_as_svg_and_tables(client):
    service = await create_service(name_fr="Caisse d'allocations")
    office = await create_office(services=[service])
    owner = await create_staff("owner", services=[service])
    web = [await create_feedback(service, text="Bien", rating=r) for r in (5, 4)]
    desk = await create_feedback(service, text="Long", rating=2, channel="counter", office_id=office["id"], given_as="spoken")
    await FeedbackTopic.insert(FeedbackTopic(feedback=desk.feedback_id, topic="responsiveness"))
    await Feedback.update({Feedback.urgent: True}).where(Feedback.id == desk.feedback_id)
    now = dt.datetime.now(dt.timezone.utc)
    await Feedback.update({Feedback.answered_at: now + dt.timedelta(hours=6), Feedback.status: "answered"}).where(
        Feedback.id == web[0].feedback_id
    )
    await signed_in(client, owner)
    page = await client.get(f"/staff/dashboards/services/{service['code']}")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="chart chart-line" id="chart-trend" role="img"' in html and '<title id="chart-trend-title">' in html
    # Channels and topics in words, counts opening the inbox, decimals with the page's separator.
    channels = html.split('id="channels"')[1].split("</table>")[0]
    assert '<th scope="row">Site web</th>' in channels and '<th scope="row">Guichet</th>' in channels
    assert f'<a href="/staff/inbox?service={service["id"]}&amp;since=' in channels and "&amp;channel=web\">2</a>" in channels
    assert '<td class="num">4,50</td>' in channels and '<td class="num">2,00</td>' in channels
    assert '<th scope="row">Délais et réactivité</th>' in html.split('id="topics"')[1]
    assert "6,0 heures" in html
    assert "Urgents non traités</dt><dd><a href=" in html and "(heure de Paris))</dd>" in html
    assert '<td class="num">2</td><td class="num">4,50</td>' in html.split('id="comparison"')[1]
    english = (await client.get(f"/staff/dashboards/services/{service['code']}", params={"lang": "en"})).text
    assert '<th scope="row">Website</th>' in english and '<td class="num">4.50</td>' in english
    assert "6.0 hours" in english and "(Paris time))</dd>" in english


async def test_office_dashboard_is_for_its_clerks_and_administrators(client):
    service = await create_service()
    office, other = await create_office(services=[service]), await create_office(services=[service])
    clerk = await create_staff("clerk", office=office)
    await create_feedback(service, text="Accueil", rating=4, channel="counter", office_id=office["id"], given_as="spoken")
    await signed_in(client, clerk)
    assert (await client.get(f"/staff/dashboards/offices/{office['code']}")).status_code == 200
    assert (await client.get(f"/staff/dashboards/offices/{other['code']}")).status_code == 404
    assert (await client.get("/staff/inbox")).status_code == 403


async def test_audit_log_is_readable_and_filterable_by_administrators_only(client):
    service = await create_service()
    admin = await create_staff("admin")
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    assert (await client.get("/staff/audit")).status_code == 403
    client.cookies.clear()
    await signed_in(client, admin)
    page = await client.get("/staff/audit", params={"action": "login", "actor": agent["email"]})
    assert page.status_code == 200 and agent["email"] in page.text and admin["email"] not in page.text.split("<tbody>")[1]
    assert await AuditEvent.count() == 2


async def test_answer_is_emailed_when_the_citizen_agreed(db, smtp_server):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    agreed = await create_feedback(service, text="Rappelez-moi", contact_email="jeanne@example.fr", contact_consent=True)
    silent = await create_feedback(service, text="Pas de contact")
    settings = dataclasses.replace(db, smtp_url=smtp_server.url, base_url="https://guichet.example.fr")
    staff = {**agent, "services": {service["id"]: "agent"}}
    assert await answers.answer(staff, {"id": agreed.feedback_id, "service": service["id"]}, "Votre dossier est complet.", settings) == "queued"
    assert await answers.answer(staff, {"id": silent.feedback_id, "service": service["id"]}, "Merci.", settings) == "not_asked"
    # Queued with the answer, sent from the outbox.
    assert smtp_server.messages == []
    assert (await deliver_pending(settings))["sent"] == 1
    [message] = smtp_server.messages
    # No reference in the subject; the link is the private one (the reference alone only shows a status).
    assert message["To"] == "jeanne@example.fr" and agreed.reference not in message["Subject"]
    assert not PATTERN.search(message["Subject"]) and message["Subject"] == "Réponse à votre avis"
    body = message.get_content()
    link = private_url("https://guichet.example.fr", settings.secret_key, agreed.reference)
    # In the person's language only (French: the text is French and no page language was recorded).
    assert "Votre dossier est complet." in body and body.count(link) == 1
    assert "a répondu à votre avis" in body and "has answered" not in body