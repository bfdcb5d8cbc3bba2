"""Control characters from every channel: stripped from the message, refused in identifiers, on both databases."""

from portal.store.core.tables import Feedback
from tests.factories import create_service
from tests.feedback.test_pages import csrf_of, key_of


async def test_api_message_loses_control_characters_and_keeps_line_breaks(client):
    await create_service(code="nul-api")
    text = "Attente\x00 trop longue\x07\nDeuxième ligne\tfin\x1b"
    response = await client.post("/api/v1/feedback", json={"service": "nul-api", "text": text, "rating": 2})
    assert response.status_code == 201, response.text
    row = await Feedback.select(Feedback.text, Feedback.redacted_text).first()
    assert row["text"] == "Attente trop longue\nDeuxième ligne\tfin"
    assert "\x00" not in row["redacted_text"]


async def test_api_message_of_control_characters_only_is_an_empty_message(client):
    await create_service(code="nul-only")
    response = await client.post("/api/v1/feedback", json={"service": "nul-only", "text": "\x00\x00\x01"})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("text", "required")]
    assert await Feedback.count() == 0


async def test_api_identifiers_with_a_control_character_are_refused_as_field_errors(client):
    await create_service(code="ident")
    cases = {
        "service": {"service": "ident\x00", "text": "bonjour"},
        "contact_email": {"service": "ident", "text": "bonjour", "contact_email": "jean\x00@exemple.fr", "contact_consent": True},
        "idempotency_key": {"service": "ident", "text": "bonjour", "idempotency_key": "key-\x00-1"},
    }
    for field, payload in cases.items():
        response = await client.post("/api/v1/feedback", json=payload)
        assert response.status_code == 422, (field, response.text)
        errors = response.json()["errors"]
        assert (field, "control_character") in [(e["field"], e["code"]) for e in errors], errors
        assert all(e["message"] for e in errors)
    english = await client.post("/api/v1/feedback", json=cases["service"], headers={"accept-language": "en"})
    assert "invisible character" in english.json()["errors"][0]["message"]
    assert await Feedback.count() == 0


async def test_web_form_keeps_the_message_without_its_control_characters(client):
    await create_service(code="nul-web")
    form = await client.get("/s/nul-web")
    response = await client.post(
        "/s/nul-web",
        data={"csrf_token": csrf_of(form.text), "idempotency_key": key_of(form.text), "text": "Guichet\x00 fermé\x0b à 11 h"},
    )
    assert response.status_code == 303, response.text
    row = await Feedback.select(Feedback.text, Feedback.channel).first()
    assert row == {"text": "Guichet fermé à 11 h", "channel": "web"}


async def test_web_form_stores_the_email_without_its_control_character(client):
    # A person cannot type a control character: forms lose them at the edge (the API refuses them).
    await create_service(code="nul-mail")
    form = await client.get("/s/nul-mail")
    response = await client.post(
        "/s/nul-mail",
        data={
            "csrf_token": csrf_of(form.text),
            "idempotency_key": key_of(form.text),
            "text": "Mon dossier est bloqué",
            "contact_email": "jean\x00@exemple.fr",
            "contact_consent": "yes",
        },
    )
    assert response.status_code == 303, response.text
    stored = await Feedback.select(Feedback.text, Feedback.contact_email).first()
    assert stored == {"text": "Mon dossier est bloqué", "contact_email": "jean@exemple.fr"}


async def test_web_form_with_a_tampered_idempotency_key_stores_one_clean_row(client):
    await create_service(code="nul-key")
    form = await client.get("/s/nul-key")
    response = await client.post(
        "/s/nul-key", data={"csrf_token": csrf_of(form.text), "idempotency_key": "k\x00", "text": "Très bien"}
    )
    assert response.status_code == 303, response.text
    assert await Feedback.select(Feedback.idempotency_key).where(Feedback.text == "Très bien").first() == {"idempotency_key": "k"}
