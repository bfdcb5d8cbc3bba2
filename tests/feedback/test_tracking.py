"""Tracking: the reference shows a status, the private link shows the text and the answer; lookups are throttled."""

import asyncio
import datetime as dt
import logging
import re

import httpx

from portal.feedback.reference import new_reference
from portal.feedback.tracking import link_key, private_path
from portal.store.core.tables import Feedback
from portal.web import signing
from tests.conftest import clean_tables
from tests.factories import create_feedback, create_service

SECRET = "test-secret-key-for-the-suite-only"
CITIZEN_TEXT = "Mon fils Théo, né le 3 mars 2019, attend son passeport depuis trois mois."
ANSWER = "Madame Durand, le passeport de Théo est prêt au guichet 2."


async def _answered(text: str = CITIZEN_TEXT, answer: str = ANSWER, **kw) -> str:
    service = await create_service(name_fr="Titres d'identité", name_en="Identity documents")
    submitted = await create_feedback(service, text=text, rating=2, **kw)
    now = dt.datetime.now(dt.timezone.utc)
    await Feedback.update({Feedback.public_answer: answer, Feedback.status: "answered", Feedback.answered_at: now}).where(
        Feedback.id == submitted.feedback_id
    )
    return submitted.reference


def test_signatures_are_per_purpose_case_blind_and_refuse_anything_else():
    signature = signing.sign("k", "tracking-link", "GCH-7K3M-Q9PX")
    assert len(signature) == 32 and re.fullmatch(r"[0-9a-f]{32}", signature)
    assert signing.verify("k", "tracking-link", "GCH-7K3M-Q9PX", signature.upper())
    assert not signing.verify("k", "unsubscribe", "GCH-7K3M-Q9PX", signature)
    assert not signing.verify("other", "tracking-link", "GCH-7K3M-Q9PX", signature)
    for wrong in (None, "", signature[:-1], signature + "0", "é" * 32, "0" * 32):
        assert not signing.verify("k", "tracking-link", "GCH-7K3M-Q9PX", wrong)


async def test_the_reference_alone_shows_the_status_but_neither_text_nor_answer(client):
    reference = await _answered()
    for lang, says in (("fr", "Le service a répondu à cet avis."), ("en", "The service has answered this feedback.")):
        page = await client.get(f"/track/{reference}?lang={lang}")
        assert page.status_code == 200
        html = page.text
        assert "Théo" not in html and "passeport" not in html and "Durand" not in html and "guichet 2" not in html
        assert says in html and 'aria-current="step"' in html
        assert ("Identity documents" if lang == "en" else "Titres d&#39;identité") in html
        assert link_key(SECRET, reference) not in html


async def test_the_private_link_shows_text_answer_and_rating(client):
    reference = await _answered()
    page = await client.get(private_path(SECRET, reference))
    assert page.status_code == 200
    assert "attend son passeport" in page.text and "le passeport de Théo est prêt" in page.text and "2 sur 5" in page.text
    # Typed by hand from paper: any case, the reference without dashes.
    sloppy = f"/track/{reference.lower().replace('-', '')}/{link_key(SECRET, reference).upper()}"
    assert (await client.get(sloppy)).status_code == 200


async def test_a_wrong_key_is_404_even_for_a_real_reference(client):
    reference = await _answered()
    other = await _answered(text="Autre avis")
    for path in (f"/track/{reference}/{link_key(SECRET, other)}", f"/track/{reference}/{'0' * 32}", f"/track/{reference}/x",
                 f"/merci/{reference}/{link_key(SECRET, other)}"):
        response = await client.get(path)
        assert response.status_code == 404 and "Théo" not in response.text, path


async def test_the_confirmation_page_needs_the_key_and_writes_the_private_link_out(client):
    await create_service(code="mairie", name_fr="Accueil de la mairie")
    form = await client.get("/s/mairie")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
    sent = await client.post("/s/mairie", data={"csrf_token": csrf, "idempotency_key": key, "text": "Accueil sympa"})
    assert sent.status_code == 303
    reference = (await Feedback.select(Feedback.reference).first())["reference"]
    assert sent.headers["location"] == f"/merci/{reference}/{link_key(SECRET, reference)}"
    assert (await client.get(f"/merci/{reference}")).status_code == 404
    thanks = await client.get(sent.headers["location"])
    assert thanks.status_code == 200 and reference in thanks.text
    assert f"http://127.0.0.1:8000{private_path(SECRET, reference)}" in thanks.text
    assert f'href="{private_path(SECRET, reference)}"' in thanks.text


async def test_api_get_by_reference_is_status_only_and_the_keyed_get_is_the_full_view(client):
    service_code = (await create_service())["code"]
    created = await client.post("/api/v1/feedback", json={"service": service_code, "text": CITIZEN_TEXT, "rating": 2})
    assert created.status_code == 201
    body = created.json()
    reference = body["reference"]
    assert body["status_url"].endswith(f"/api/v1/feedback/{reference}")
    assert body["tracking_url"].endswith(private_path(SECRET, reference))
    assert body["private_status_url"].endswith(f"/api/v1/feedback/{reference}/{link_key(SECRET, reference)}")

    status = await client.get(f"/api/v1/feedback/{reference}")
    assert status.status_code == 200
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert status.json() == {"reference": reference, "status": "received", "service": service_code,
                             "received_on": today, "answered": False, "answered_on": None}
    assert "Théo" not in status.text

    full = await client.get(body["private_status_url"].removeprefix("http://127.0.0.1:8000"))
    assert full.status_code == 200 and "Théo" in full.json()["text"] and full.json()["rating"] == 2
    wrong = await client.get(f"/api/v1/feedback/{reference}/{'a' * 32}")
    assert wrong.status_code == 404 and wrong.json()["status"] == 404 and "Théo" not in wrong.text


async def test_api_replay_with_the_same_body_is_200_and_with_another_body_is_409_without_the_reference(client):
    await create_service(code="caf")
    payload = {"service": "caf", "text": "Dossier perdu", "rating": 1, "contact_email": "a@example.fr", "contact_consent": True}
    first = await client.post("/api/v1/feedback", json=payload, headers={"Idempotency-Key": "order-17"})
    again = await client.post("/api/v1/feedback", json={**payload, "text": "  Dossier perdu \n"}, headers={"Idempotency-Key": "order-17"})
    assert first.status_code == 201 and again.status_code == 200 and again.json() == {**first.json(), "created": False}
    reference = first.json()["reference"]
    for other in ({"service": "caf", "text": "x"}, {**payload, "rating": 2}, {**payload, "contact_email": "b@example.fr"},
                  {**payload, "text": "Dossier retrouvé"}):
        for lang, word in (("fr", "déjà servi"), ("en", "already used")):
            refused = await client.post("/api/v1/feedback", json=other, headers={"Idempotency-Key": "order-17", "accept-language": lang})
            assert refused.status_code == 409, refused.text
            assert reference not in refused.text and link_key(SECRET, reference) not in refused.text
            problem = refused.json()
            assert problem["status"] == 409 and problem["errors"][0]["field"] == "idempotency_key" and word in problem["errors"][0]["message"]
    assert await Feedback.count() == 1


async def test_web_form_resent_with_another_message_is_409_with_the_text_kept_and_a_new_key(client):
    await create_service(code="impots")
    form = await client.get("/s/impots")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
    first = await client.post("/s/impots", data={"csrf_token": csrf, "idempotency_key": key, "text": "Premier message"})
    double = await client.post("/s/impots", data={"csrf_token": csrf, "idempotency_key": key, "text": "Premier message"})
    assert first.status_code == double.status_code == 303 and first.headers["location"] == double.headers["location"]
    # Back, edit, send again: the first reference is not handed out, the new text is kept.
    edited = await client.post("/s/impots", data={"csrf_token": csrf, "idempotency_key": key, "text": "Message corrigé"})
    assert edited.status_code == 409 and "Message corrigé" in edited.text and 'class="error-summary"' in edited.text
    assert first.headers["location"].split("/")[2] not in edited.text
    new_key = re.search(r'name="idempotency_key" value="([^"]+)"', edited.text).group(1)
    assert new_key != key
    resent = await client.post("/s/impots", data={"csrf_token": csrf, "idempotency_key": new_key, "text": "Message corrigé"})
    assert resent.status_code == 303 and resent.headers["location"] != first.headers["location"]
    assert await Feedback.count() == 2


async def _throttled_client(make_app, lookups: str = "1000/60", misses: str = "1000/60"):
    app = make_app(lookup_limit=lookups, lookup_miss_limit=misses)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_misses_beyond_the_budget_get_429_with_retry_after(make_app):
    app, c = await _throttled_client(make_app, misses="3/3600")
    async with app.lifespan():
        reference = await _answered()
        async with c:
            misses = [
                await c.get("/track/GCH-2222-2222"),  # well formed, unknown
                await c.get(f"/track/{reference}/{'0' * 32}"),  # real reference, wrong key
                await c.get("/api/v1/feedback/GCH-2222-2222"),
            ]
            page = await c.get(f"/track/{reference}")
            api_fr = await c.get(f"/api/v1/feedback/{reference}")
            api = await c.get(f"/api/v1/feedback/{reference}/{link_key(SECRET, reference)}", headers={"accept-language": "en"})
            english = await c.get(f"/track/{reference}?lang=en")
        await clean_tables()
    assert [r.status_code for r in misses] == [404, 404, 404]
    # Once the miss budget is spent, even a right reference or key waits.
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 3000
    assert "Trop de consultations" in page.text and "Théo" not in page.text
    assert english.status_code == 429 and "Too many lookups" in english.text
    assert api.status_code == 429 and api.json()["status"] == 429 and "Too many lookups" in api.json()["detail"]
    assert int(api.headers["retry-after"]) > 3000 and "Théo" not in api.text
    assert api_fr.status_code == 429 and "Trop de consultations" in api_fr.json()["detail"]


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


async def test_exhausting_the_miss_budget_logs_one_warning_without_reference_key_or_address(make_app):
    app, c = await _throttled_client(make_app, misses="2/3600")
    kept = _Kept()
    async with app.lifespan():
        # Attached once the app configured logging (which replaces the handlers it knows).
        logging.getLogger("portal.feedback.lookups").addHandler(kept)
        try:
            reference = await _answered()
            async with c:
                for _ in range(6):
                    await c.get(f"/track/{reference}/{'1' * 32}")
        finally:
            logging.getLogger("portal.feedback.lookups").removeHandler(kept)
        await clean_tables()
    warnings = kept.messages
    assert len(warnings) == 1, warnings
    assert reference not in warnings[0] and "1" * 32 not in warnings[0] and "127.0.0.1" not in warnings[0]


async def test_lookups_beyond_the_budget_get_429_and_malformed_references_are_not_misses(make_app):
    app, c = await _throttled_client(make_app, lookups="5/60", misses="2/3600")
    async with app.lifespan():
        reference = await _answered()
        async with c:
            typo = reference[:-1] + ("2" if reference[-1] != "2" else "3")  # a wrong check character
            typos = [(await c.get(f"/track/{typo}")).status_code for _ in range(3)]
            fine = [(await c.get(f"/track/{reference}")).status_code for _ in range(2)]
            over = await c.get(private_path(SECRET, reference))
            api_over = await c.get(f"/api/v1/feedback/{reference}")
        await clean_tables()
    assert typos == [404, 404, 404] and fine == [200, 200]
    assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
    assert api_over.status_code == 429 and "retry-after" in api_over.headers


async def test_idempotency_conflicts_spend_the_miss_budget(make_app):
    app, c = await _throttled_client(make_app, misses="2/3600")
    async with app.lifespan():
        await create_service(code="rl")
        async with c:
            await c.post("/api/v1/feedback", json={"service": "rl", "rating": 5}, headers={"Idempotency-Key": "k"})
            guesses = [(await c.post("/api/v1/feedback", json={"service": "rl", "rating": n}, headers={"Idempotency-Key": "k"})).status_code
                       for n in (1, 2)]
            status = await c.get("/api/v1/feedback/GCH-2222-2222")
            third = await c.post("/api/v1/feedback", json={"service": "rl", "rating": 3}, headers={"Idempotency-Key": "k"})
            keyless = await c.post("/api/v1/feedback", json={"service": "rl", "rating": 3})
        await clean_tables()
    assert guesses == [409, 409] and status.status_code == 429
    # Further tries at the key wait too; a submission without a key is not a guess.
    assert third.status_code == 429 and "retry-after" in third.headers and keyless.status_code == 201


async def test_guesses_sent_together_get_no_more_answers_than_the_budget(make_app):
    app, c = await _throttled_client(make_app, misses="3/3600")
    async with app.lifespan():
        await create_service()
        async with c:
            together = await asyncio.gather(*(c.get(f"/track/{new_reference()}") for _ in range(20)))
        await clean_tables()
    statuses = sorted(r.status_code for r in together)
    assert statuses == [404] * 3 + [429] * 17


async def test_conflicting_replays_sent_together_get_no_more_answers_than_the_miss_budget(make_app):
    app, c = await _throttled_client(make_app, misses="2/3600")
    async with app.lifespan():
        await create_service(code="rl")
        async with c:
            first = await c.post("/api/v1/feedback", json={"service": "rl", "text": "Premier avis", "rating": 5}, headers={"Idempotency-Key": "k"})
            together = await asyncio.gather(*(
                c.post("/api/v1/feedback", json={"service": "rl", "text": f"Autre avis {n}", "rating": 1}, headers={"Idempotency-Key": "k"})
                for n in range(12)
            ))
        await clean_tables()
    assert first.status_code == 201
    statuses = sorted(r.status_code for r in together)
    assert statuses == [409] * 2 + [429] * 10
    assert all(first.json()["reference"] not in r.text for r in together)
