"""Citizen pages over HTTP: form, errors with input kept, CSRF, confirmation, tracking, languages."""

import re

from portal.feedback.tracking import private_path
from portal.store.core.tables import Feedback
from tests.factories import create_feedback, create_service


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def key_of(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


async def test_home_lists_and_searches_services_without_accents(client):
    await create_service(code="titres", name_fr="Carte d'identité et passeport", name_en="ID card and passport")
    await create_service(code="caf", name_fr="Allocations familiales", name_en="Family benefits")
    page = (await client.get("/")).text
    assert "Carte d&#39;identité et passeport" in page and "Allocations familiales" in page
    found = (await client.get("/", params={"q": "identite"})).text
    assert "/s/titres" in found and "/s/caf" not in found


async def test_submit_form_redirects_to_confirmation_with_reference(client):
    await create_service(code="mairie", name_fr="Accueil de la mairie")
    form = await client.get("/s/mairie")
    assert form.status_code == 200
    response = await client.post(
        "/s/mairie",
        data={"csrf_token": csrf_of(form.text), "idempotency_key": key_of(form.text), "rating": "4", "text": "Accueil sympa"},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    reference = location.split("/")[2]
    assert re.fullmatch(r"GCH-[2-9A-Z]{4}-[2-9A-Z]{4}", reference)
    thanks = await client.get(location)
    assert reference in thanks.text and "Accueil de la mairie" in thanks.text
    # A double click (same form, same key) stores nothing new.
    again = await client.post(
        "/s/mairie",
        data={"csrf_token": csrf_of(form.text), "idempotency_key": key_of(form.text), "rating": "4", "text": "Accueil sympa"},
    )
    assert again.headers["location"] == location
    assert await Feedback.count() == 1


async def test_errors_reshow_the_form_with_text_kept_and_a_summary(client):
    await create_service(code="impots")
    form = await client.get("/s/impots")
    long_text = "Le site <b>plante</b> " + "x" * 4000
    response = await client.post(
        "/s/impots",
        data={"csrf_token": csrf_of(form.text), "idempotency_key": key_of(form.text), "text": long_text, "contact_email": "jean@"},
    )
    assert response.status_code == 422
    html = response.text
    assert 'class="error-summary"' in html and 'href="#text"' in html and 'href="#contact_email"' in html
    assert "Le site &lt;b&gt;plante&lt;/b&gt;" in html  # kept, and escaped
    assert 'value="jean@"' in html
    assert await Feedback.count() == 0


async def test_missing_or_forged_csrf_keeps_the_text(client):
    await create_service(code="caf")
    await client.get("/s/caf")
    response = await client.post("/s/caf", data={"csrf_token": "forged", "text": "Mon dossier est bloqué"})
    assert response.status_code == 400
    assert "Mon dossier est bloqué" in response.text
    assert await Feedback.count() == 0


async def test_honeypot_submission_is_kept_but_flagged(client):
    await create_service(code="spam")
    form = await client.get("/s/spam")
    response = await client.post(
        "/s/spam", data={"csrf_token": csrf_of(form.text), "idempotency_key": key_of(form.text), "text": "buy now", "website": "http://x"}
    )
    assert response.status_code == 303
    row = await Feedback.select().first()
    assert row["flagged"] is True


async def test_tracking_page_and_reference_lookup(client):
    service = await create_service(code="track")
    submitted = await create_feedback(service, text="Mon IBAN FR76 3000 6000 0112 3456 7890 189 a été refusé")
    page = await client.get(f"/track/{submitted.reference}")
    assert page.status_code == 200 and "IBAN" not in page.text and "Reçu" in page.text
    private = await client.get(private_path(client.app.state.settings.secret_key, submitted.reference))
    assert private.status_code == 200 and "a été refusé" in private.text and "FR76 3000" not in private.text
    lookup = await client.get("/track", params={"reference": submitted.reference.lower()})
    assert lookup.status_code == 303 and lookup.headers["location"] == f"/track/{submitted.reference}"
    bad = await client.get("/track", params={"reference": "nimporte quoi"})
    assert bad.status_code == 400 and "nimporte quoi" in bad.text
    assert (await client.get("/track/GCH-2222-2222")).status_code == 404


async def test_english_by_switch_and_by_accept_language(client):
    await create_service(code="lang", name_fr="Service en français", name_en="Service in English")
    french = await client.get("/")
    assert '<html lang="fr">' in french.text and "Service en français" in french.text
    english = await client.get("/", headers={"accept-language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in english.text and "Service in English" in english.text
    switched = await client.get("/?lang=en")
    assert "guichet_lang=en" in switched.headers["set-cookie"]
    client.cookies.set("guichet_lang", "en")
    assert '<html lang="en">' in (await client.get("/")).text


async def test_unknown_pages_are_404_pages(client):
    response = await client.get("/s/nothing-here")
    assert response.status_code == 404 and "<h1>" in response.text
