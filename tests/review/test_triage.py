"""Inbox, item view, original text, corrections, status workflow, answers and publication over HTTP."""

import datetime as dt
import re

from portal.feedback.tracking import private_path
from portal.store.core.tables import (
    AuditEvent,
    Classification,
    Feedback,
    FeedbackTopic,
    StaffLabel,
)
from portal.store.workspace.tables import Publication
from tests.factories import create_feedback, create_office, create_service, portal_today
from tests.review.staff import create_staff, csrf_of, signed_in

SECRET = "Mon numéro est le 06 12 34 56 78, rappelez-moi"


async def _feedback(service, text="Accueil correct.", *, urgent=False, days_ago=0, **kw) -> int:
    submitted = await create_feedback(service, text=text, **kw)
    received = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
    await Feedback.update({Feedback.urgent: urgent, Feedback.received_at: received}).where(Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


def refs(html: str) -> list[str]:
    return re.findall(r'<a href="/staff/items/\d+">(GCH-[A-Z0-9-]+)</a>', html)


async def test_inbox_puts_urgent_then_oldest_first_and_pages_by_keyset(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    old = await _feedback(service, "ancien", days_ago=5)
    new = await _feedback(service, "récent", days_ago=1)
    urgent = await _feedback(service, "urgent récent", urgent=True, days_ago=0)
    await signed_in(client, agent)
    page = await client.get("/staff/inbox")
    ids = [int(i) for i in re.findall(r'name="item" value="(\d+)"', page.text)]
    assert ids == [urgent, old, new]
    assert "Urgent</span>" in page.text
    # Keyset: page size 1 through the domain function, same order, no repeats.
    from portal.review.inbox import InboxFilter, list_inbox
    from portal.review.sessions import session_user

    staff = await session_user(client.cookies.get("guichet_staff"))
    seen, cursor = [], None
    while True:
        p = await list_inbox(staff, InboxFilter(), cursor, page_size=1)
        seen += [r["id"] for r in p.rows]
        if not p.next_cursor:
            break
        cursor = p.next_cursor
    assert seen == [urgent, old, new]


async def test_inbox_filters_and_search_read_only_redacted_text(client):
    service, other = await create_service(), await create_service()
    office = await create_office(services=[service])
    agent = await create_staff("agent", services=[service, other])
    a = await _feedback(service, "Le site plante au paiement", channel="web")
    b = await _feedback(service, "Guichet très lent", channel="counter", office_id=office["id"], given_as="spoken")
    await _feedback(other, "Le site plante aussi")
    c = await _feedback(service, SECRET)
    await Feedback.update({Feedback.sentiment: "negative"}).where(Feedback.id == a)
    await FeedbackTopic.insert(FeedbackTopic(feedback=b, topic="responsiveness"))
    await signed_in(client, agent)

    async def ids(**params):
        page = await client.get("/staff/inbox", params=params)
        assert page.status_code == 200
        return {int(i) for i in re.findall(r'name="item" value="(\d+)"', page.text)}

    assert await ids(service=service["id"], q="plante") == {a}
    assert await ids(channel="counter", office=office["id"]) == {b}
    assert await ids(sentiment="negative", service=service["id"]) == {a}
    assert await ids(topic="responsiveness") == {b}
    assert await ids(q="06 12 34") == set()  # the phone number is masked, so not searchable
    assert "06 12 34 56 78" not in (await client.get("/staff/inbox")).text
    tomorrow = (portal_today() + dt.timedelta(days=1)).isoformat()
    assert await ids(since=tomorrow) == set()
    ref = (await Feedback.select(Feedback.reference).where(Feedback.id == c).first())["reference"]
    assert await ids(q=ref.lower()) == {c}


async def test_bulk_status_change_moves_only_allowed_items(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    one, two = await _feedback(service), await _feedback(service)
    await signed_in(client, agent)
    page = await client.get("/staff/inbox")
    response = await client.post(
        "/staff/inbox/status", data={"csrf_token": csrf_of(page.text), "item": [str(one), str(two)], "status": "in_review"}
    )
    assert response.status_code == 303 and "moved=2" in response.headers["location"]
    statuses = {r["status"] for r in await Feedback.select(Feedback.status)}
    assert statuses == {"in_review"}
    assert await AuditEvent.count().where(AuditEvent.action == "change_status") == 2


async def test_item_shows_labels_with_confidence_and_original_text_only_on_audited_request(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    item = await _feedback(service, SECRET)
    await Classification.insert(
        Classification(feedback=item, model_version="e5-heads-2026-11-26", sentiment="negative",
                       sentiment_scores={"negative": 0.83, "neutral": 0.1, "positive": 0.07},
                       topics=["responsiveness"], topic_scores={"responsiveness": 0.71, "digital": 0.12},
                       urgent=False, urgent_score=0.2, flags=[], language="fr")
    )
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    assert page.status_code == 200
    assert "e5-heads-2026-11-26" in page.text and "83 %" in page.text and "71 %" in page.text
    assert "06 12 34 56 78" not in page.text and "[téléphone]" in page.text or "06 12" not in page.text
    assert await AuditEvent.count().where(AuditEvent.action == "view_original") == 0
    shown = await client.post(f"/staff/items/{item}/original", data={"csrf_token": csrf_of(page.text)})
    assert shown.status_code == 200 and "06 12 34 56 78" in shown.text
    event = await AuditEvent.select(AuditEvent.actor_email, AuditEvent.feedback).where(AuditEvent.action == "view_original").first()
    assert event == {"actor_email": agent["email"], "feedback": item}


async def test_correction_is_one_staff_label_and_becomes_the_effective_label(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    item = await _feedback(service, "Deux heures d'attente")
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    response = await client.post(
        f"/staff/items/{item}/labels",
        data={"csrf_token": csrf_of(page.text), "sentiment": "negative", "topic": ["responsiveness", "access"], "urgent": "yes"},
    )
    assert response.status_code == 303
    label = await StaffLabel.select().output(load_json=True).first()
    assert label["author"] == agent["id"] and label["sentiment"] == "negative" and label["urgent"] is True
    assert sorted(label["topics"]) == ["access", "responsiveness"]
    row = await Feedback.select(Feedback.sentiment, Feedback.urgent, Feedback.topics).where(Feedback.id == item).first()
    assert row["sentiment"] == "negative" and row["urgent"] is True and sorted(row["topics"].split(",")) == ["access", "responsiveness"]
    assert {r["topic"] for r in await FeedbackTopic.select(FeedbackTopic.topic)} == {"access", "responsiveness"}
    inbox = await client.get("/staff/inbox", params={"topic": "access"})
    assert "Négatif" in inbox.text
    bad = await client.post(f"/staff/items/{item}/labels", data={"csrf_token": csrf_of(page.text), "topic": "weather"})
    assert bad.status_code == 422 and "Thème inconnu" in bad.text


async def test_answer_reaches_the_tracking_page_and_the_workflow_refuses_bad_moves(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    item = await _feedback(service, "Où en est mon dossier ?")
    reference = (await Feedback.select(Feedback.reference).where(Feedback.id == item).first())["reference"]
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    token = csrf_of(page.text)
    assert (await client.post(f"/staff/items/{item}/status", data={"csrf_token": token, "status": "in_review"})).status_code == 303
    refused = await client.post(f"/staff/items/{item}/status", data={"csrf_token": token, "status": "answered"})
    assert refused.status_code == 422
    empty = await client.post(f"/staff/items/{item}/answer", data={"csrf_token": token, "answer": "  "})
    assert empty.status_code == 422 and "Écrivez une réponse" in empty.text
    answered = await client.post(f"/staff/items/{item}/answer", data={"csrf_token": token, "answer": "Votre dossier est validé."})
    assert answered.status_code == 303
    track = await client.get(private_path(client.app.state.settings.secret_key, reference))
    assert "Votre dossier est validé." in track.text
    status_only = await client.get(f"/track/{reference}")
    assert "Votre dossier est validé." not in status_only.text and "Le service a répondu" in status_only.text
    row = await Feedback.select(Feedback.status, Feedback.answered_at).where(Feedback.id == item).first()
    assert row["status"] == "answered" and row["answered_at"] is not None
    assert (await client.post(f"/staff/items/{item}/status", data={"csrf_token": token, "status": "closed"})).status_code == 303


async def test_answer_templates_belong_to_owners(client):
    service = await create_service()
    owner = await create_staff("owner", services=[service])
    agent = await create_staff("agent", services=[service])
    await signed_in(client, owner)
    page = await client.get(f"/staff/services/{service['code']}/templates")
    saved = await client.post(f"/staff/services/{service['code']}/templates",
                              data={"csrf_token": csrf_of(page.text), "title": "Délais", "body": "Nous traitons les dossiers sous 10 jours."})
    assert saved.status_code == 303
    item = await _feedback(service)
    client.cookies.clear()
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    template_id = re.search(r'<option value="(\d+)">Délais</option>', page.text).group(1)
    prefilled = await client.get(f"/staff/items/{item}", params={"template": template_id})
    assert "Nous traitons les dossiers sous 10 jours.</textarea>" in prefilled.text
    form = await client.get(f"/staff/services/{service['code']}/templates")
    assert form.status_code == 200 and "Nouveau modèle" not in form.text
    refused = await client.post(f"/staff/services/{service['code']}/templates",
                                data={"csrf_token": csrf_of(page.text), "title": "X", "body": "Y"})
    assert refused.status_code == 403 and "responsables du service" in refused.text
    from portal.store.workspace.tables import AnswerTemplate

    assert [t["title"] for t in await AnswerTemplate.select(AnswerTemplate.title)] == ["Délais"]


async def test_publication_is_redacted_moderated_and_withdrawable(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    item = await _feedback(service, SECRET)
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    token = csrf_of(page.text)
    results = f"/s/{service['code']}/results"
    assert "06 12 34 56 78" not in (await client.get(results)).text
    edited = "Merci de me rappeler au 07 98 76 54 32 svp"
    published = await client.post(f"/staff/items/{item}/publication", data={"csrf_token": token, "action": "publish", "text": edited})
    assert published.status_code == 303
    public = (await client.get(results)).text
    assert "Merci de me rappeler" in public and "07 98 76 54 32" not in public and "06 12 34" not in public
    await client.post(f"/staff/items/{item}/publication", data={"csrf_token": token, "action": "withdraw"})
    assert "Merci de me rappeler" not in (await client.get(results)).text
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions[-2:] == ["publish", "withdraw"]
    assert await Publication.count() == 1


async def test_export_is_csv_of_the_filtered_redacted_inbox_and_is_audited(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await _feedback(service, SECRET, channel="web")
    await _feedback(service, "Au guichet", channel="counter", given_as="spoken")
    await signed_in(client, agent)
    response = await client.get("/staff/inbox.csv", params={"channel": "web"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("reference,received_at") and len(lines) == 2
    assert "06 12 34 56 78" not in response.text and "Au guichet" not in response.text
    event = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.action == "export").output(load_json=True).first()
    assert event["detail"] == {"rows": 1, "filters": {"channel": "web"}}


async def test_results_page_speaks_english_too(client):
    service = await create_service()
    page = await client.get(f"/s/{service['code']}/results", headers={"accept-language": "en"})
    assert page.status_code == 200 and '<html lang="en">' in page.text and "No feedback has been published yet." in page.text
