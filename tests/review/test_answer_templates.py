"""Answer templates: an owner edits only their own service's templates, and the audit says only what happened."""

from portal.store.core.tables import AuditEvent
from portal.store.workspace.tables import AnswerTemplate
from tests.factories import create_service
from tests.review.staff import create_staff, csrf_of, signed_in


async def _template(service: dict, title: str, body: str) -> int:
    rows = await AnswerTemplate.insert(AnswerTemplate(service=service["id"], title=title, body=body)).returning(AnswerTemplate.id)
    return rows[0]["id"]


async def test_another_services_template_id_changes_nothing_and_audits_nothing(client):
    mine, theirs = await create_service(), await create_service()
    owner = await create_staff("owner", services=[mine])
    foreign = await _template(theirs, "Horaires", "Ouvert de 9 h à 17 h.")
    await signed_in(client, owner)
    page = await client.get(f"/staff/services/{mine['code']}/templates")
    response = await client.post(
        f"/staff/services/{mine['code']}/templates",
        data={"csrf_token": csrf_of(page.text), "id": str(foreign), "title": "Piraté", "body": "Texte remplacé."},
    )
    assert response.status_code == 404 and "Texte remplacé." in response.text
    assert await AnswerTemplate.select(AnswerTemplate.title, AnswerTemplate.body).where(AnswerTemplate.id == foreign).first() == {
        "title": "Horaires", "body": "Ouvert de 9 h à 17 h."}
    assert await AuditEvent.count().where(AuditEvent.action == "edit_template") == 0


async def test_editing_an_own_template_is_audited_with_its_id(client):
    service = await create_service()
    owner = await create_staff("owner", services=[service])
    own = await _template(service, "Délais", "Dix jours.")
    await signed_in(client, owner)
    page = await client.get(f"/staff/services/{service['code']}/templates")
    response = await client.post(
        f"/staff/services/{service['code']}/templates",
        data={"csrf_token": csrf_of(page.text), "id": str(own), "title": "Délais", "body": "Huit jours."},
    )
    assert response.status_code == 303
    assert (await AnswerTemplate.select(AnswerTemplate.body).where(AnswerTemplate.id == own).first())["body"] == "Huit jours."
    event = await AuditEvent.select(AuditEvent.detail, AuditEvent.service).where(AuditEvent.action == "edit_template").output(
        load_json=True).first()
    assert event == {"detail": {"title": "Délais", "template": own}, "service": service["id"]}
