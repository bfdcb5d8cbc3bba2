"""Staff publish a service's commitments and give them dated updates; audited, checked, scoped to their services."""

import datetime as dt

from portal.store.core.tables import AuditEvent
from portal.store.workspace.tables import Commitment, CommitmentUpdate, ReportGroup
from tests.factories import create_service, portal_today
from tests.review.staff import create_staff, csrf_of, signed_in


async def _form(client, code: str) -> str:
    page = await client.get(f"/staff/services/{code}/commitments")
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


async def test_an_agent_publishes_a_commitment_and_updates_it_and_both_are_audited(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    group = await ReportGroup.insert(ReportGroup(service=service["id"], title="Rendez-vous introuvables")).returning(ReportGroup.id)
    await signed_in(client, agent)
    code = service["code"]
    token = await _form(client, code)
    due = (portal_today() + dt.timedelta(days=20)).isoformat()
    created = await client.post(f"/staff/services/{code}/commitments", data={
        "csrf_token": token, "raised": "Impossible d’avoir un rendez-vous", "action": "Ouvrir 200 créneaux de plus par semaine",
        "report_group": str(group[0]["id"]), "topic": "access", "due_on": due, "status": "planned"})
    assert created.status_code == 303, created.text
    row = await Commitment.select().first()
    assert row["report_group"] == group[0]["id"] and row["topic"] == "access" and row["due_on"].isoformat() == due
    public = (await client.get(f"/s/{code}/results")).text
    assert "Ouvrir 200 créneaux" in public and "« Rendez-vous introuvables »" in public and "Accès au service" in public

    # Dropped without a reason: refused, what was typed is shown again.
    refused = await client.post(f"/staff/services/{code}/commitments/{row['id']}", data={
        "csrf_token": token, "status": "dropped", "due_on": due, "note": "Le budget manque", "reason": ""})
    assert refused.status_code == 422 and "pourquoi" in refused.text and "Le budget manque</textarea>" in refused.text
    done = await client.post(f"/staff/services/{code}/commitments/{row['id']}", data={
        "csrf_token": token, "status": "dropped", "due_on": due, "note": "Le budget manque", "reason": "Budget refusé"})
    assert done.status_code == 303
    public = (await client.get(f"/s/{code}/results?lang=en")).text
    assert "Dropped" in public and "Budget refusé" in public and "Le budget manque" in public
    actions = [(e["action"], e["detail"]) for e in await AuditEvent.select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.action.like("%commitment")).order_by(AuditEvent.id)]
    assert [a for a, _ in actions] == ["create_commitment", "update_commitment"]
    assert await CommitmentUpdate.count() == 1
    audit_page = await client.get(f"/staff/services/{code}/commitments")
    assert "Budget refusé" in audit_page.text


async def test_bad_input_is_a_message_with_the_form_kept_never_a_500(client):
    service, other = await create_service(), await create_service()
    agent = await create_staff("agent", services=[service])
    foreign = await ReportGroup.insert(ReportGroup(service=other["id"], title="Ailleurs")).returning(ReportGroup.id)
    await signed_in(client, agent)
    token = await _form(client, service["code"])
    cases = [
        ({"raised": "", "action": "Faire", "due_on": "2026-12-31"}, "Dites ce que les usagers ont signalé"),
        ({"raised": "Trop long", "action": "Faire", "due_on": "31/12/2026"}, "n’est pas une date possible"),
        ({"raised": "Trop long", "action": "Faire", "due_on": ""}, "Donnez une échéance"),
        ({"raised": "Trop long", "action": "Faire", "due_on": "2026-12-31", "status": "finished"}, "statut de la liste"),
        ({"raised": "Trop long", "action": "Faire", "due_on": "2026-12-31", "report_group": str(foreign[0]["id"])}, "pas un groupe de ce service"),
        ({"raised": "Trop long", "action": "Faire", "due_on": "2026-12-31", "topic": "nope"}, "thème de la liste"),
    ]
    for values, message in cases:
        response = await client.post(f"/staff/services/{service['code']}/commitments", data={"csrf_token": token, **values})
        assert response.status_code == 422 and message in response.text, (values, response.status_code)
        assert f'>{values["raised"]}</textarea>' in response.text
    expired = await client.post(f"/staff/services/{service['code']}/commitments", data={"raised": "x", "action": "y"})
    assert expired.status_code == 400
    assert await Commitment.count() == 0


async def test_staff_reach_only_their_services_commitments(client):
    service, other = await create_service(), await create_service()
    theirs = await Commitment.insert(Commitment(service=other["id"], raised="a", action="b", due_on=portal_today(),
                                                status="planned", reason="")).returning(Commitment.id)
    agent = await create_staff("agent", services=[service])
    await signed_in(client, agent)
    token = await _form(client, service["code"])
    assert (await client.get(f"/staff/services/{other['code']}/commitments")).status_code == 404
    update = {"csrf_token": token, "status": "done", "due_on": "2026-12-31"}
    assert (await client.post(f"/staff/services/{service['code']}/commitments/{theirs[0]['id']}", data=update)).status_code == 404
    assert (await client.post(f"/staff/services/{service['code']}/commitments/abc", data=update)).status_code == 404
    assert (await Commitment.select(Commitment.status).first())["status"] == "planned"
