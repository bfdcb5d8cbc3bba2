"""Signatures and tokens from a request that are not ASCII are plain mismatches, never a 500."""

from portal.review.publication import publish
from portal.store.workspace.tables import Publication
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of


async def test_a_non_ascii_csrf_token_re_shows_the_form_with_the_text_kept(client):
    service = await create_service(code="mairie-sig")
    await client.get(f"/s/{service['code']}")
    response = await client.post(f"/s/{service['code']}", data={"csrf_token": "é" * 20, "rating": "4", "text": "Accueil sympa"})
    assert 400 <= response.status_code < 500
    assert "Accueil sympa" in response.text


async def test_a_non_ascii_me_too_cookie_gets_a_fresh_cookie_not_a_500(client):
    service = await create_service(code="mairie-vote")
    agent = await create_staff("agent", services=[service])
    item = await create_feedback(service=service, text="Aucun créneau de rendez-vous")
    await publish(agent, {"id": item.feedback_id, "service": service["id"]})
    pub = await Publication.select(Publication.id).first()
    page = await client.get("/s/mairie-vote/results")
    response = await client.post(
        f"/s/mairie-vote/results/{pub['id']}/me-too",
        data={"csrf_token": csrf_of(page.text)},
        headers={"cookie": ("guichet_voter=abcdef.\u00e9\u00e9; " + "; ".join(f"{k}={v}" for k, v in client.cookies.items() if k != "guichet_voter")).encode("latin-1")},
    )
    assert response.status_code < 500, response.text


async def test_a_non_ascii_archive_signature_is_refused_like_a_wrong_one(client):
    # Like a tampered link: to the sign-in page, as the archive's own tests expect of a wrong signature.
    response = await client.get("/digests/1", params={"sig": "é" * 32})
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
