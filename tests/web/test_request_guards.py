"""Requests that would reach the database with values it cannot take answer a clear 4xx, never a 500."""

import re

import pytest
from litestar.routes import HTTPRoute

from portal.store.core.tables import Feedback
from portal.web.params import MAX_ROW_ID
from portal.web.security import loggable_path
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of, signed_in

DEEP = b"[" * 30_000 + b"]" * 30_000


@pytest.mark.parametrize("path", ["/s/%00", "/s/mairie%01", "/static/css/%00", "/track/GCH-%00", "/merci/%7F/0123abcd", "/track/%1B"])
async def test_an_encoded_control_character_in_a_page_path_is_a_404_page_that_says_so(client, path):
    response = await client.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Page introuvable</h1>" in response.text and "caractère invisible" in response.text


@pytest.mark.parametrize("path", ["/track?reference=%00", "/?q=%1F", "/?q=a%7Fb", "/?lang=%00en", "/s/mairie?x=%00"])
async def test_an_encoded_control_character_in_a_query_string_is_a_400_page(client, path):
    response = await client.get(path)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Demande incorrecte</h1>" in response.text and "caractère invisible" in response.text


async def test_the_error_page_speaks_the_person_s_language(client):
    response = await client.get("/?q=%00", headers={"accept-language": "en"})
    assert response.status_code == 400
    assert '<html lang="en">' in response.text and "<h1>Bad request</h1>" in response.text
    assert "invisible character" in response.text
    # The security headers are there as on every response.
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    not_found = await client.get("/s/%00?lang=en")
    assert not_found.status_code == 404 and "<h1>Page not found</h1>" in not_found.text
    assert "invisible character" in not_found.text


async def test_an_encoded_control_character_in_an_api_address_is_a_json_error(client):
    for path in ("/api/v1/feedback/GCH-%00", "/api/v1/feedback/%0A"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["status"] == 404 and "control character" in response.json()["detail"]
    response = await client.get("/api/v1/services?x=%00")
    assert response.status_code == 400
    assert response.json()["status"] == 400 and "control character" in response.json()["detail"]


async def test_encoded_text_in_a_query_string_still_works(client):
    await create_service(code="etat-civil", name_fr="État civil et mariages", name_en="Registry office")
    await create_service(code="caf", name_fr="Allocations familiales")
    for query in ("%C3%89tat", "%C3%A9tat+civil", "%C3%A9tat%20civil", "%C3%A9tat%09", "mariages%0A"):
        response = await client.get(f"/?q={query}")
        assert response.status_code == 200, query
        assert "/s/etat-civil" in response.text and "/s/caf" not in response.text
    # Characters far from Latin (dash, CJK, emoji, no-break space) are letters like any other, not controls.
    for query in ("%E2%80%94", "%E6%9D%B1%E4%BA%AC", "%F0%9F%98%80", "%C2%A0"):
        assert (await client.get(f"/?q={query}")).status_code == 200, query
    # A line break pasted into a text field is text, not an attack: it reaches the handler.
    assert (await client.get("/track?reference=GCH-2222-2222%0A")).status_code in (303, 400)


async def test_a_body_posted_to_an_address_with_a_control_character_stores_nothing(client):
    await create_service(code="mairie")
    response = await client.post("/s/mairie%00", data={"text": "bonjour"})
    assert response.status_code == 404
    assert await Feedback.count() == 0


@pytest.mark.parametrize("body", [DEEP, b'{"service": "x", "text": ' + DEEP + b"}"])
@pytest.mark.parametrize("path", ["/api/v1/feedback", "/api/v1/counters/enrol", "/api/v1/counters/sync"])
async def test_json_nested_too_deeply_is_a_400_with_a_plain_message(client, path, body):
    response = await client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json() == {"status": 400, "detail": "The request body is nested too deeply."}


async def test_json_nested_a_little_is_still_judged_on_its_fields(client):
    await create_service(code="nest")
    response = await client.post("/api/v1/feedback", json={"service": "nest", "text": [[["bonjour"]]]})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "text"


def _int_routes(app):
    """Every (method, path) of the app with an integer path parameter, filled with a number beyond any row id."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or ":int}" not in route.path_format + route.path:
            continue
        path = re.sub(r"\{[^}:]+:int\}", str(MAX_ROW_ID + 1), route.path)
        path = re.sub(r"\{[^}:]+:str\}", "abc", path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield method, path


async def test_every_path_id_beyond_the_database_range_is_a_404(client):
    checked = list(_int_routes(client.app))
    assert ("POST", f"/publications/{MAX_ROW_ID + 1}/me-too") in checked
    for method, path in checked:
        for value in (str(MAX_ROW_ID + 1), "99999999999", "-99999999999", "0"):
            response = await client.request(method, path.replace(str(MAX_ROW_ID + 1), value))
            assert response.status_code == 404, (method, path, value, response.status_code)
            assert "<h1>" in response.text


async def test_the_largest_row_id_is_an_ordinary_not_found(client):
    response = await client.post(f"/publications/{MAX_ROW_ID}/me-too", data={})
    assert response.status_code == 404


async def test_the_language_switch_keeps_the_rest_of_the_query(client):
    # A signed link (a digest archive's ?sig=) must survive a change of language.
    response = await client.get("/?q=mairie&sig=abc123")
    assert response.status_code == 200
    assert 'href="?q=mairie&amp;sig=abc123&amp;lang=en"' in response.text
    english = await client.get("/?q=mairie&lang=en")
    assert 'href="?q=mairie&amp;lang=fr"' in english.text


async def test_a_nul_in_a_form_field_never_reaches_the_database(client):
    # PostgreSQL cannot store U+0000: staff text (an answer) and citizen text alike lose it at the edge.
    response = await client.post("/staff/login", data={"email": "agent\x00@example.fr", "password": "x" * 12})
    assert response.status_code < 500, response.text
    answered_service = await create_service(code="mairie-rep")
    agent = await create_staff("agent", services=[answered_service])
    item = (await create_feedback(service=answered_service, text="Quand aurai-je ma carte ?")).feedback_id
    await signed_in(client, agent)
    page = await client.get(f"/staff/items/{item}")
    answered = await client.post(f"/staff/items/{item}/answer", data={"csrf_token": csrf_of(page.text), "answer": "Votre carte\x00 est prête."})
    assert answered.status_code == 303, answered.text
    assert (await Feedback.select(Feedback.public_answer).where(Feedback.id == item).first())["public_answer"] == "Votre carte est prête."
    client.cookies.clear()
    service = await create_service(code="mairie-nul")
    form = await client.get(f"/s/{service['code']}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
    sent = await client.post(f"/s/{service['code']}", data={"csrf_token": token, "idempotency_key": key, "rating": "4", "text": "Bien\x00 reçu\x07, merci\nà demain"})
    assert sent.status_code == 303
    stored = await Feedback.select(Feedback.text).where(Feedback.service == service["id"]).first()
    assert stored["text"] == "Bien reçu, merci\nà demain"


def test_logged_paths_hide_references_keys_and_signatures():
    key = "6caafa3253a01676867407ea35be2914"
    assert loggable_path(f"/track/GCH-3ZFJ-4NRW/{key}") == "/track/…/…"
    assert loggable_path("/api/v1/feedback/GCH-3ZFJ-4NRW") == "/api/v1/feedback/…"
    assert loggable_path("/staff/items/42") == "/staff/items/42"
    assert loggable_path("/s/accueil-mairie") == "/s/accueil-mairie"


async def test_pages_reached_by_a_private_key_are_not_cached(client):
    service = await create_service(code="mairie-cache")
    created = await client.post("/api/v1/feedback", json={"service": service["code"], "rating": 4})
    private = await client.get(created.json()["private_status_url"].removeprefix("http://127.0.0.1:8000"))
    assert private.status_code == 200 and private.headers["cache-control"] == "no-store"
    status = await client.get(created.json()["status_url"].removeprefix("http://127.0.0.1:8000"))
    assert "no-store" not in status.headers.get("cache-control", "")
