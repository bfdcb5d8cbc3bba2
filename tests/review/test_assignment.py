"""Assignment: to me, to a colleague, to the service's team, to nobody; due dates in working days; overdue marked; audited."""

import datetime as dt
import json
import re

from portal.review.assignment import due_at, working_days_after
from portal.store.core.tables import AuditEvent, Feedback, Service
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in

UTC = dt.timezone.utc


def test_working_days_skip_weekends_and_the_public_holidays_given(settings):
    friday = dt.date(2026, 12, 4)
    assert working_days_after(friday, 1) == dt.date(2026, 12, 7)  # Monday
    assert working_days_after(friday, 1, frozenset({dt.date(2026, 12, 7)})) == dt.date(2026, 12, 8)
    assert working_days_after(dt.date(2026, 12, 1), 10) == dt.date(2026, 12, 15)
    assert working_days_after(dt.date(2026, 12, 5), 0) == dt.date(2026, 12, 5)
    # Received on Tuesday 1 December at 23:30 in Paris (22:30 UTC): due on the 15th, until 23:59:59 in Paris.
    received = dt.datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
    assert due_at(received, 10, settings) == dt.datetime(2026, 12, 15, 22, 59, 59, tzinfo=UTC)
    # Received at 23:30 UTC, already Wednesday in Paris: one day later.
    assert due_at(received + dt.timedelta(hours=1), 10, settings) == dt.datetime(2026, 12, 16, 22, 59, 59, tzinfo=UTC)


async def _item(service, text="Dossier bloqué depuis des semaines.", days_ago: int = 0) -> int:
    submitted = await create_feedback(service, text=text)
    await Feedback.update({Feedback.received_at: dt.datetime.now(UTC) - dt.timedelta(days=days_ago)}).where(
        Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


async def _assign(client, feedback_id: int, assignee: str, due: str = ""):
    page = await client.get(f"/staff/items/{feedback_id}")
    return await client.post(f"/staff/items/{feedback_id}/assign",
                             data={"csrf_token": csrf_of(page.text), "assignee": assignee, "due": due})


async def test_an_agent_assigns_an_item_to_themselves_a_colleague_the_team_and_nobody_each_audited(client):
    service = await create_service(name_fr="État civil", name_en="Civil registry", answer_days=3)
    other = await create_service()
    agent = await create_staff("agent", services=[service], name="Alice Martin")
    colleague = await create_staff("agent", services=[service], name="Bruno Petit")
    await create_staff("agent", services=[other], name="Chloé Durand")
    item = await _item(service, days_ago=0)
    await signed_in(client, agent)

    page = await client.get(f"/staff/items/{item}")
    assert "Attribué à personne pour l’instant." in page.text
    assert "Bruno Petit" in page.text and "Chloé Durand" not in page.text  # only people of the item's service
    assert "3 jours ouvrés après la réception (du lundi au vendredi, hors jours fériés)" in page.text

    moved = await _assign(client, item, "me")
    assert moved.status_code == 303 and moved.headers["location"] == f"/staff/items/{item}?done=assigned"
    row = await Feedback.select(Feedback.assigned_staff, Feedback.assigned_service, Feedback.due_at, Feedback.received_at).where(
        Feedback.id == item).first()
    assert row["assigned_staff"] == agent["id"] and row["assigned_service"] is None
    assert row["due_at"] > row["received_at"] + dt.timedelta(days=3)  # three working days, to the end of the day
    page = await client.get(f"/staff/items/{item}?done=assigned")
    assert "Attribution enregistrée." in page.text and "Attribué à : Alice Martin" in page.text

    assert (await _assign(client, item, f"staff:{colleague['id']}", "2026-12-24")).status_code == 303
    row = await Feedback.select(Feedback.assigned_staff, Feedback.due_at).where(Feedback.id == item).first()
    assert row["assigned_staff"] == colleague["id"]
    assert row["due_at"] == dt.datetime(2026, 12, 24, 22, 59, 59, tzinfo=UTC)  # the day typed, to its end in Paris

    assert (await _assign(client, item, "team")).status_code == 303
    row = await Feedback.select(Feedback.assigned_staff, Feedback.assigned_service).where(Feedback.id == item).first()
    assert (row["assigned_staff"], row["assigned_service"]) == (None, service["id"])
    assert "Attribué à : Équipe : État civil" in (await client.get(f"/staff/items/{item}")).text

    assert (await _assign(client, item, "nobody")).status_code == 303
    row = await Feedback.select(Feedback.assigned_staff, Feedback.assigned_service, Feedback.due_at).where(Feedback.id == item).first()
    assert row == {"assigned_staff": None, "assigned_service": None, "due_at": None}

    events = await AuditEvent.select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
        AuditEvent.feedback == item).order_by(AuditEvent.id)
    assert [e["action"] for e in events if e["action"] in ("assign", "unassign")] == ["assign", "assign", "assign", "unassign"]
    assigned = [json.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"] for e in events if e["action"] == "assign"]
    assert assigned[0]["person"] == "Alice Martin" and assigned[1] == {"person": "Bruno Petit", "due": "2026-12-24T22:59:59+00:00"}
    assert assigned[2]["team"] == "État civil" and all(e["actor"] == agent["id"] for e in events)
    history = (await client.get(f"/staff/items/{item}")).text
    assert history.count("Attribution retirée") == 1 and history.count("– Attribution ; Attribué à") == 3


async def test_a_person_of_another_service_or_a_bad_date_is_refused_with_the_form_kept(client):
    service, other = await create_service(), await create_service()
    agent = await create_staff("agent", services=[service])
    stranger = await create_staff("agent", services=[other])
    item = await _item(service)
    await signed_in(client, agent)

    refused = await _assign(client, item, f"staff:{stranger['id']}")
    assert refused.status_code == 422 and "Choisissez à qui attribuer l’avis dans la liste." in refused.text
    bad_day = await _assign(client, item, "me", "2026-02-31")
    assert bad_day.status_code == 422 and "n’est pas une date possible" in bad_day.text
    assert 'value="2026-02-31"' in bad_day.text  # what was typed, shown again
    for value in ("", "staff:abc", "staff:99999999999999999999", "équipe"):
        assert (await _assign(client, item, value)).status_code == 422
    row = await Feedback.select(Feedback.assigned_staff, Feedback.due_at).where(Feedback.id == item).first()
    assert row == {"assigned_staff": None, "due_at": None}
    # Someone else's item stays out of reach.
    elsewhere = await _item(other)
    assert (await client.post(f"/staff/items/{elsewhere}/assign", data={"assignee": "me"})).status_code == 404


async def test_the_inbox_assigns_the_ticked_items_and_marks_the_overdue(client):
    service = await create_service(answer_days=2)
    other = await create_service()
    agent = await create_staff("agent", services=[service, other])
    colleague = await create_staff("agent", services=[service], name="Bruno Petit")
    late = await _item(service, "Toujours pas de réponse.", days_ago=30)
    fresh = await _item(service, "Question sur mon dossier.", days_ago=0)
    elsewhere = await _item(other, "Rien compris au courrier.", days_ago=30)
    await signed_in(client, agent)

    inbox = await client.get("/staff/inbox")
    done = await client.post("/staff/inbox/assign", data={
        "csrf_token": csrf_of(inbox.text), "item": [str(late), str(fresh), str(elsewhere)],
        "assignee": f"staff:{colleague['id']}", "back": "order=oldest"})
    # The colleague answers for one of the two services only: the third item is left as it was.
    assert done.status_code == 303 and done.headers["location"] == "/staff/inbox?assigned=2&order=oldest"
    page = await client.get(done.headers["location"])
    assert "2 avis attribués." in page.text
    rows = {r["id"]: r for r in await Feedback.select(Feedback.id, Feedback.assigned_staff, Feedback.due_at)}
    assert rows[late]["assigned_staff"] == rows[fresh]["assigned_staff"] == colleague["id"]
    assert rows[elsewhere]["assigned_staff"] is None
    cells = {int(i): row for row, i in re.findall(r'(<tr>\s*<td><input type="checkbox" name="item" value="(\d+)".*?</tr>)', page.text, flags=re.S)}
    assert list(cells) == [late, elsewhere, fresh]  # oldest first, as the page was left
    assert "Bruno Petit" in cells[late] and "En retard" in cells[late]  # 30 days for a target of 2 working days
    assert "Bruno Petit" in cells[fresh] and "En retard" not in cells[fresh]
    assert "Personne" in cells[elsewhere]
    assert "En retard" in (await client.get(f"/staff/items/{late}")).text

    nothing = await client.post("/staff/inbox/assign", data={"csrf_token": csrf_of(page.text), "assignee": "me"})
    assert nothing.status_code == 422 and "Cochez au moins un avis à attribuer." in nothing.text


async def test_the_answer_target_is_set_on_the_admin_service_form(client):
    admin = await create_staff("admin")
    service = await create_service()
    await signed_in(client, admin)
    form = await client.get(f"/staff/admin/services/{service['id']}")
    assert 'name="answer_days"' in form.text and 'value="10"' in form.text
    fields = {"csrf_token": csrf_of(form.text), "code": service["code"], "name_fr": "Service", "name_en": "Service",
              "description_fr": "", "description_en": "", "owner_emails": "", "active": "yes"}
    refused = await client.post(f"/staff/admin/services/{service['id']}", data={**fields, "answer_days": "dix"})
    assert refused.status_code == 422 and "entre 1 et 120" in refused.text and 'value="dix"' in refused.text
    saved = await client.post(f"/staff/admin/services/{service['id']}", data={**fields, "answer_days": "15"})
    assert saved.status_code == 303
    assert (await Service.select(Service.answer_days).where(Service.id == service["id"]).first())["answer_days"] == 15
