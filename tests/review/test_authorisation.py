"""Every staff route, for every role, against another service's data: refused, and nothing leaks."""

import re

import pytest

from portal.store.core.tables import AuditEvent, Feedback, StaffLabel
from portal.store.workspace.tables import AnswerTemplate, Publication
from tests.factories import create_feedback, create_office, create_service
from tests.review.staff import create_staff, csrf_of, signed_in

FOREIGN_TEXT = "Texte confidentiel du service voisin"
# Pages for people not signed in yet (signing in with the OpenID Connect provider too).
PUBLIC_ROUTES = {"/staff/login", "/staff/logout", "/staff/oidc/login", "/staff/oidc/callback",
                 "/staff/invitation/{token:str}"}  # the invitation link is the credential
# What a write would try to do to the foreign item.
FORM = {"status": "closed", "answer": "Réponse pirate", "text": "Publication pirate", "action": "publish",
        "sentiment": "positive", "topic": "access", "urgent": "yes", "title": "Modèle pirate", "body": "Corps pirate"}


def staff_routes(app) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        if not route.path.startswith("/staff") or route.path in PUBLIC_ROUTES:
            continue
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            routes.append((method, route.path))
    return routes


def fill(path: str, foreign: dict) -> str:
    path = re.sub(r"\{feedback_id:int\}", str(foreign["feedback_id"]), path)
    if "/offices/" in path:
        return path.replace("{code:str}", foreign["office_code"])
    return path.replace("{code:str}", foreign["service_code"])


@pytest.mark.parametrize("role", ["owner", "agent", "clerk"])
async def test_every_staff_route_refuses_another_services_data(client, role):
    own, foreign_service = await create_service(name_fr="Service à moi"), await create_service(name_fr="Service voisin")
    own_office = await create_office(services=[own])
    foreign_office = await create_office(name="Bureau voisin", services=[foreign_service])
    submitted = await create_feedback(foreign_service, text=FOREIGN_TEXT, rating=1, channel="counter",
                                      office_id=foreign_office["id"], given_as="spoken")
    await AnswerTemplate.insert(AnswerTemplate(service=foreign_service["id"], title="Modèle voisin", body="Corps voisin"))
    user = await create_staff(role, services=[own] if role != "clerk" else [], office=own_office if role == "clerk" else None)
    foreign = {"feedback_id": submitted.feedback_id, "service_code": foreign_service["code"], "office_code": foreign_office["code"]}
    secrets = [submitted.reference, FOREIGN_TEXT, "Service voisin", "Modèle voisin", "Bureau voisin"]
    await signed_in(client, user)
    token = csrf_of((await client.get("/staff/logout")).text)

    routes = staff_routes(client.app)
    assert len(routes) >= 14
    for method, template in routes:
        path = fill(template, foreign)
        has_object = "{" in template
        if method == "GET":
            response = await client.get(path)
        else:
            response = await client.post(path, data={**FORM, "csrf_token": token, "item": str(submitted.feedback_id)})
        if has_object:
            assert response.status_code in (403, 404), (role, method, path, response.status_code)
        else:
            # 422: a form of their own (a digest subscription) refusing these fields, shown again with its errors.
            assert response.status_code in (200, 303, 403, 422), (role, method, path, response.status_code)
        body = response.text
        if template in ("/staff/inbox", "/staff/inbox/assign"):  # the latter shows the inbox again, 422
            body = body.partition("</form>")[2]  # the filter's office list names every office; results must not
        for secret in secrets:
            assert secret not in body, (role, method, path, secret)

    row = await Feedback.select(Feedback.status, Feedback.public_answer, Feedback.sentiment, Feedback.urgent).where(
        Feedback.id == submitted.feedback_id
    ).first()
    assert row == {"status": "received", "public_answer": "", "sentiment": None, "urgent": False}
    assert await StaffLabel.count() == 0 and await Publication.count() == 0
    assert await AnswerTemplate.count() == 1
    assert await AuditEvent.count().where(AuditEvent.feedback == submitted.feedback_id) == 0
