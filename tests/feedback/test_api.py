"""JSON API v1: submit, replay, errors, tracking, services; probes and security headers."""

from portal.feedback.tracking import link_key
from portal.store.core.tables import Feedback
from tests.factories import create_feedback, create_service


async def test_post_feedback_returns_201_reference_and_status_url(client):
    service = await create_service(code="titres")
    response = await client.post("/api/v1/feedback", json={"service": "titres", "text": "Trop d'attente", "rating": 2})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"].startswith("GCH-") and body["created"] is True
    assert body["status_url"].endswith(f"/api/v1/feedback/{body['reference']}")
    row = await Feedback.select().where(Feedback.reference == body["reference"]).first()
    assert row["channel"] == "api" and row["service"] == service["id"]


async def test_same_idempotency_key_twice_gives_same_reference_and_one_row(client):
    await create_service(code="caf")
    payload = {"service": "caf", "text": "Dossier perdu", "idempotency_key": "abc-1"}
    first = await client.post("/api/v1/feedback", json=payload)
    second = await client.post("/api/v1/feedback", json=payload)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["reference"] == second.json()["reference"]
    assert await Feedback.count() == 1
    # The header works as well as the field.
    third = await client.post("/api/v1/feedback", json={"service": "caf", "text": "Dossier perdu"}, headers={"Idempotency-Key": "abc-1"})
    assert third.status_code == 200 and third.json()["reference"] == first.json()["reference"]


async def test_field_errors_are_machine_readable_and_nothing_is_stored(client):
    await create_service(code="mairie")
    response = await client.post("/api/v1/feedback", json={"service": "mairie", "text": "", "contact_email": "x"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"text", "contact_email"} <= fields
    bad_type = await client.post("/api/v1/feedback", json={"service": "mairie", "rating": "five"})
    assert bad_type.status_code == 400 and bad_type.json()["errors"][0]["field"] == "rating"
    unknown_field = await client.post("/api/v1/feedback", json={"service": "mairie", "text": "a", "colour": "red"})
    assert unknown_field.status_code == 400
    not_json = await client.post("/api/v1/feedback", content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert await Feedback.count() == 0


async def test_unknown_service_is_422(client):
    response = await client.post("/api/v1/feedback", json={"service": "does-not-exist", "text": "bonjour"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "service"


async def test_get_feedback_is_redacted_and_accepts_sloppy_reference(client):
    service = await create_service()
    submitted = await create_feedback(service, text="Appelez-moi au 0612345678")
    response = await client.get(f"/api/v1/feedback/{submitted.reference.lower().replace('-', '')}")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == submitted.reference and "text" not in body and "0612345678" not in response.text
    key = link_key(client.app.state.settings.secret_key, submitted.reference)
    full = await client.get(f"/api/v1/feedback/{submitted.reference.lower().replace('-', '')}/{key}")
    assert full.status_code == 200 and full.json()["text"] and "0612345678" not in full.json()["text"]
    assert (await client.get("/api/v1/feedback/GCH-2222-2222")).status_code == 404


async def test_services_lists_only_active_ones(client):
    await create_service(code="actif")
    await create_service(code="ferme", active=False)
    codes = [s["code"] for s in (await client.get("/api/v1/services")).json()]
    assert "actif" in codes and "ferme" not in codes


async def test_rate_limit_answers_429_with_retry_after(make_app):
    import httpx

    app = make_app(rate_limit="3/60")
    async with app.lifespan():
        await create_service(code="rl")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            statuses = [(await c.post("/api/v1/feedback", json={"service": "rl", "text": "a"})).status_code for _ in range(4)]
            last = await c.post("/api/v1/feedback", json={"service": "rl", "text": "a"})
        from tests.conftest import clean_tables

        await clean_tables()
    assert statuses == [201, 201, 201, 429]
    assert int(last.headers["retry-after"]) >= 1


async def test_body_too_large_is_413(client):
    await create_service(code="big")
    response = await client.post("/api/v1/feedback", json={"service": "big", "text": "a" * 100_000})
    assert response.status_code == 413
    assert await Feedback.count() == 0


async def test_probes_and_security_headers(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    headers = (await client.get("/")).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    # Unknown paths and API errors carry them too.
    for response in (await client.get("/no/such/page"), await client.get("/api/v1/feedback/GCH-2222-2222")):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
