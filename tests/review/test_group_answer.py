"""One answer for a whole group of similar reports: on each tracking page, e-mailed to each who agreed, audited per item."""



from portal.feedback.follow_up_mail import deliver_pending
from portal.feedback.tracking import private_path
from portal.review.grouping import group_pending
from portal.store.core.tables import AuditEvent, Feedback
from portal.store.workspace.tables import ReportGroupMember
from tests.factories import create_service
from tests.review.similar_data import classified, close_vectors
from tests.review.staff import create_staff, csrf_of, signed_in

ANSWER = "Les créneaux de rendez-vous rouvrent lundi ; nous vous écrivons dès qu’un créneau se libère."


async def _group_of_three(service) -> tuple[int, list[int]]:
    contacts = [{"contact_email": "a@example.fr", "contact_consent": True}, {},
                {"contact_email": "c@example.fr", "contact_consent": True}]
    ids = [await classified(service, f"Aucun rendez-vous avant 3 mois ({k})", v, **contacts[k])
           for k, v in enumerate(close_vectors(3, 5))]
    await group_pending([service["id"]])
    row = await ReportGroupMember.select(ReportGroupMember.report_group).where(ReportGroupMember.feedback == ids[0]).first()
    return row["report_group"], ids


async def test_one_answer_reaches_every_member_and_closes_the_group(mail_client, smtp_server):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    group, ids = await _group_of_three(service)
    await signed_in(mail_client, agent)
    page = (await mail_client.get(f"/staff/similar/{group}")).text
    assert "chacune des 3 personnes" in page
    token = csrf_of(page)

    empty = await mail_client.post(f"/staff/similar/{group}/answer", data={"csrf_token": token, "answer": " "})
    assert empty.status_code == 422 and "Écrivez une réponse" in empty.text
    assert await Feedback.count().where(Feedback.status == "answered") == 0

    done = await mail_client.post(f"/staff/similar/{group}/answer",
                                  data={"csrf_token": token, "answer": ANSWER, "close": "yes"})
    assert done.status_code == 303
    outcome = (await mail_client.get(done.headers["location"])).text
    assert "2 avis : en cours d’envoi par e-mail" in outcome and "3 avis clos" in outcome
    assert (await deliver_pending(mail_client.settings))["sent"] == 2  # the citizens' outbox, as the scheduler runs it
    assert sorted(m["To"] for m in smtp_server.messages) == ["a@example.fr", "c@example.fr"]
    assert all(ANSWER in m.get_content() for m in smtp_server.messages)

    rows = await Feedback.select(Feedback.reference, Feedback.status, Feedback.public_answer).where(Feedback.id.is_in(ids))
    assert {r["status"] for r in rows} == {"closed"} and {r["public_answer"] for r in rows} == {ANSWER}
    for r in rows:
        track = await mail_client.get(private_path(mail_client.app.state.settings.secret_key, r["reference"]))
        assert ANSWER in track.text
    audited = await AuditEvent.select(AuditEvent.feedback, AuditEvent.detail).where(AuditEvent.action == "answer").output(load_json=True)
    assert sorted(e["feedback"] for e in audited) == sorted(ids) and all(e["detail"]["group"] == group for e in audited)
    assert await AuditEvent.count().where(AuditEvent.action == "change_status") == 3
    item = (await mail_client.get(f"/staff/items/{ids[1]}")).text.split('id="history"', 1)[1]
    assert "Réponse au citoyen : pas d’e-mail" in item and "Groupe n°" in item


async def test_group_answer_page_in_english(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    group, _ = await _group_of_three(service)
    await signed_in(client, agent)
    page = (await client.get(f"/staff/similar/{group}", params={"lang": "en"})).text
    assert '<html lang="en">' in page and "Answer the whole group" in page
