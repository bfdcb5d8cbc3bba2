"""The item page as one guided flow: the next step first, the others one click away, flags and history in words."""

import datetime as dt
import re

from portal.store.core.tables import AuditEvent, Feedback
from portal.store.workspace.tables import Publication
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in


async def _item(service, text="Le site plante quand je valide le formulaire.", rating=None, **columns) -> int:
    submitted = await create_feedback(service, text=text, rating=rating)
    if columns:
        await Feedback.update(columns).where(Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


def next_step(html: str) -> str:
    """The panel of the step offered first."""
    return html.split('id="next-action"', 1)[1].split("</section>", 1)[0]


def others(html: str) -> list[str]:
    return re.findall(r'<details class="other-action" id="other-([a-z]+)">', html)


async def test_the_next_step_follows_the_state_of_the_item(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    fresh = await _item(service)
    page = (await client.get(f"/staff/items/{fresh}")).text
    # The flow reads in order: what was said, what the model thinks, the group, then the next step.
    positions = [page.index(f'id="{anchor}"') for anchor in ("said", "model", "similar", "next-step", "history")]
    assert positions == sorted(positions)
    assert 'action="/staff/items/%d/answer"' % fresh in next_step(page)
    assert others(page) == ["status", "publish"]
    # The two public things cannot be confused: each says what it does.
    assert "Réponse publique : répondre à la personne" in page and "Publication : montrer l’avis au public" in page
    assert "Cela ne répond pas à la personne." in page

    token = csrf_of(page)
    assert (await client.post(f"/staff/items/{fresh}/answer", data={"csrf_token": token, "answer": "C’est réparé."})).status_code == 303
    answered = (await client.get(f"/staff/items/{fresh}")).text
    assert 'action="/staff/items/%d/publication"' % fresh in next_step(answered)
    # After an answer the status box offers closing first, not "in review".
    options = re.findall(r'<select id="move" name="status">(.*?)</select>', answered, re.S)[0]
    assert re.findall(r'<option value="([a-z_]+)">', options) == ["closed", "in_review"]

    rating_only = await _item(service, text="", rating=2)
    alone = (await client.get(f"/staff/items/{rating_only}")).text
    assert 'id="close-item"' in next_step(alone) and "Une note sans texte ne se publie pas." in alone


async def test_history_is_in_words_with_the_portal_time_zone(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    item = await _item(service)
    token = csrf_of((await client.get(f"/staff/items/{item}")).text)
    await client.post(f"/staff/items/{item}/status", data={"csrf_token": token, "status": "in_review"})
    await client.post(f"/staff/items/{item}/answer", data={"csrf_token": token, "answer": "Merci, c’est noté."})
    history = (await client.get(f"/staff/items/{item}")).text.split('id="history"', 1)[1]
    assert "Statut changé de « Reçu » à « En cours d’examen »" in history
    assert "Réponse au citoyen : pas d’e-mail : la personne n’a pas demandé à être recontactée" in history
    for code in ("in_review", "change_status", "email_state", "not_asked", "{"):
        assert code not in history.split("</ol>")[0]
    assert re.search(r" à \d{1,2}:\d{2} \((heure de \w+|UTC)\)", history.split("</ol>")[0])
    english = (await client.get(f"/staff/items/{item}", params={"lang": "en"})).text
    assert "Status changed from" in english.split('id="history"', 1)[1]


async def test_a_flag_holds_publication_back_shows_in_the_inbox_and_is_cleared_with_a_reason(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    item = await _item(service, "c'est NUL, honteux, j'en ai marre !!!", flagged=True)
    page = (await client.get(f"/staff/items/{item}")).text
    assert 'id="flag-marker"' in page
    # Publish is not offered: the page says why instead.
    assert 'value="publish"' not in page and 'id="publish-refused"' in page
    assert 'action="/staff/items/%d/flag"' % item in next_step(page)
    inbox = (await client.get("/staff/inbox")).text
    row = [r for r in inbox.split("<tr>") if f"/staff/items/{item}" in r][0]
    assert "Signalé" in row

    token = csrf_of(page)
    no_reason = await client.post(f"/staff/items/{item}/flag", data={"csrf_token": token, "reason": "  "})
    assert no_reason.status_code == 422 and "pourquoi ce signalement est levé" in no_reason.text
    assert (await Feedback.select(Feedback.flagged).where(Feedback.id == item).first())["flagged"] is True
    cleared = await client.post(f"/staff/items/{item}/flag", data={"csrf_token": token, "reason": "Colère, pas d’insulte"})
    assert cleared.status_code == 303
    assert (await Feedback.select(Feedback.flagged).where(Feedback.id == item).first())["flagged"] is False
    event = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.action == "clear_flag").output(load_json=True).first()
    assert event["detail"] == {"reason": "Colère, pas d’insulte"}
    after = (await client.get(f"/staff/items/{item}")).text
    assert "Signalement levé : « Colère, pas d’insulte »" in after and 'value="publish"' in after
    assert "Signalé" not in [r for r in (await client.get("/staff/inbox")).text.split("<tr>") if f"/staff/items/{item}" in r][0]
    again = await client.post(f"/staff/items/{item}/flag", data={"csrf_token": token, "reason": "encore"})
    assert again.status_code == 422 and "pas signalé" in again.text
    published = await client.post(f"/staff/items/{item}/publication", data={"csrf_token": token, "action": "publish"})
    assert published.status_code == 303 and await Publication.count() == 1


async def test_a_flagged_item_is_still_refused_publication_if_posted(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    item = await _item(service, flagged=True, status="answered", answered_at=dt.datetime.now(dt.timezone.utc))
    token = csrf_of((await client.get(f"/staff/items/{item}")).text)
    refused = await client.post(f"/staff/items/{item}/publication", data={"csrf_token": token, "action": "publish"})
    assert refused.status_code == 422 and await Publication.count() == 0
