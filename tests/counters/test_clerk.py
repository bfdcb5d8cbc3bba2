"""Clerk entry at /counter: attributed entries, references, corrections kept for 24 hours."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.review.accounts import create_user
from portal.store.core.tables import Feedback
from portal.store.counters.tables import CounterEntryRevision
from tests.counters.conftest import run_in_store  # noqa: E402
from tests.factories import create_office, create_service  # noqa: E402

PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def key_of(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


async def clerk_signed_in(client, email: str = "clerk@example.gouv.fr") -> dict:
    service = await create_service(code="accueil-mairie", name_fr="Accueil de la mairie")
    other = await create_service(code="allocations", name_fr="Allocations familiales")
    office = await create_office(code="mairie-nord", services=[service])
    clerk = await create_user(email, "Camille Guichet", "clerk", PASSWORD, office_id=office["id"])
    form = await client.get("/staff/login")
    response = await client.post("/staff/login", data={"csrf_token": csrf_of(form.text), "email": email, "password": PASSWORD, "next": "/counter"})
    assert response.status_code == 303
    return {"clerk": clerk, "office": office, "service": service, "other": other}


async def save(client, **fields):
    page = await client.get("/counter")
    data = {"csrf_token": csrf_of(page.text), "key": key_of(page.text), "service": "accueil-mairie", "rating": "2",
            "text": "", "given_as": "paper", **fields}
    return await client.post("/counter", data=data)


async def test_counter_needs_a_signed_in_clerk(client):
    response = await client.get("/counter")
    assert response.status_code in (302, 303, 401)
    await create_office(code="x")
    await create_user("owner@example.gouv.fr", "Owner", "admin", PASSWORD)
    form = await client.get("/staff/login")
    await client.post("/staff/login", data={"csrf_token": csrf_of(form.text), "email": "owner@example.gouv.fr", "password": PASSWORD})
    assert (await client.get("/counter")).status_code == 403


async def test_save_and_next_stores_an_attributed_entry_and_shows_its_reference(client):
    setup = await clerk_signed_in(client)
    page = await client.get("/counter")
    # Only the clerk's office services are offered: an entry cannot be filed under another one.
    assert "Accueil de la mairie" in page.text and "Allocations familiales" not in page.text
    response = await save(client, text="Attente trop longue, rappeler au 06 12 34 56 78", given_as="spoken",
                          contact_email="a.martin@example.fr", contact_consent="yes")
    assert response.status_code == 303
    reference = re.search(r"saved=(GCH-[A-Z0-9-]+)", response.headers["location"]).group(1)
    row = await Feedback.select().where(Feedback.reference == reference).first()
    assert (row["channel"], row["given_as"], row["source"]) == ("counter", "spoken", f"clerk:{setup['clerk']['id']}")
    assert row["entered_by"] == setup["clerk"]["id"] and row["office"] == setup["office"]["id"]
    assert row["contact_email"] == "a.martin@example.fr" and row["contact_consent"] is True
    assert "06 12" not in row["redacted_text"]
    next_page = await client.get(response.headers["location"])
    assert reference in next_page.text
    assert 'value="accueil-mairie" selected' in next_page.text  # kept for the next card


async def test_a_double_submit_stores_one_entry(client):
    await clerk_signed_in(client)
    page = await client.get("/counter")
    data = {"csrf_token": csrf_of(page.text), "key": key_of(page.text), "service": "accueil-mairie", "rating": "4", "given_as": "paper"}
    first = await client.post("/counter", data=data)
    second = await client.post("/counter", data=data)
    assert first.headers["location"] == second.headers["location"]
    assert await Feedback.count() == 1


async def test_errors_reshow_the_form_with_what_was_typed(client):
    await clerk_signed_in(client)
    response = await save(client, rating="", text="", given_as="", contact_email="pas-une-adresse")
    assert response.status_code == 422
    assert "Donnez une note ou écrivez un message." in response.text
    assert "comment l&#39;avis a été donné" in response.text.lower() or "comment l'avis a été donné" in response.text.lower()
    assert 'value="pas-une-adresse"' in response.text
    no_consent = await save(client, text="Très bien", contact_email="a@example.fr")
    assert no_consent.status_code == 422 and "Cochez la case" in no_consent.text
    forged = await client.post("/counter", data={"csrf_token": "forged", "service": "accueil-mairie", "text": "Gardé", "given_as": "paper"})
    assert forged.status_code == 400 and "Gardé" in forged.text
    assert await Feedback.count() == 0


async def test_a_clerk_corrects_their_own_entry_within_24_hours_and_every_version_is_kept(client):
    setup = await clerk_signed_in(client)
    saved = await save(client, text="Accueil correct", rating="3")
    reference = re.search(r"saved=(GCH-[A-Z0-9-]+)", saved.headers["location"]).group(1)
    for text, rating in (("Accueil très correct", "4"), ("Accueil excellent", "5")):
        page = await client.get(f"/counter/entries/{reference}")
        assert page.status_code == 200
        response = await client.post(f"/counter/entries/{reference}", data={
            "csrf_token": csrf_of(page.text), "service": "accueil-mairie", "rating": rating, "text": text, "given_as": "paper"})
        assert response.status_code == 303
    row = await Feedback.select().where(Feedback.reference == reference).first()
    assert (row["text"], row["rating"]) == ("Accueil excellent", 5)
    revisions = await CounterEntryRevision.select().where(CounterEntryRevision.feedback == row["id"]).order_by(CounterEntryRevision.id)
    assert len(revisions) == 2
    befores = [r["before"] if isinstance(r["before"], dict) else __import__("json").loads(r["before"]) for r in revisions]
    assert [b["text"] for b in befores] == ["Accueil correct", "Accueil très correct"]
    assert all(r["changed_by"] == setup["clerk"]["id"] for r in revisions)
    # After 24 hours the entry can no longer be changed.
    await Feedback.update({Feedback.received_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)}).where(Feedback.id == row["id"])
    assert (await client.get(f"/counter/entries/{reference}")).status_code == 404


async def test_a_clerk_cannot_correct_someone_elses_entry(client):
    setup = await clerk_signed_in(client)
    saved = await save(client, text="Bien")
    reference = re.search(r"saved=(GCH-[A-Z0-9-]+)", saved.headers["location"]).group(1)
    await create_user("other@example.gouv.fr", "Autre", "clerk", PASSWORD, office_id=setup["office"]["id"])
    form = await client.get("/staff/login")
    await client.post("/staff/login", data={"csrf_token": csrf_of(form.text), "email": "other@example.gouv.fr", "password": PASSWORD})
    assert (await client.get(f"/counter/entries/{reference}")).status_code == 404
    page = await client.get("/counter")
    assert (await client.post(f"/counter/entries/{reference}", data={"csrf_token": csrf_of(page.text), "service": "accueil-mairie",
                                                                    "text": "Changé", "given_as": "paper"})).status_code == 404


@pytest.mark.browser
def test_clerk_page_is_keyboard_first_and_has_no_accessibility_violations(live_server, page, settings, axe):
    import uuid

    suffix = uuid.uuid4().hex[:6]

    async def work():
        service = await create_service(code=f"svc-{suffix}", name_fr="Accueil de la mairie")
        office = await create_office(code=f"office-{suffix}", services=[service])
        await create_user(f"clerk-{suffix}@example.gouv.fr", "Camille", "clerk", PASSWORD, office_id=office["id"])
        return service

    service = run_in_store(settings, work)
    page.goto(f"{live_server.url}/staff/login?next=/counter&lang=fr")
    page.get_by_label("Adresse e-mail").fill(f"clerk-{suffix}@example.gouv.fr")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/counter")
    assert axe(page) == []
    # The service list has focus: a clerk types the whole card without the mouse.
    assert page.evaluate("document.activeElement.id") == "service"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")  # to the first rating
    page.keyboard.press("Space")
    page.get_by_label("Ce que la personne a dit ou écrit").fill("Très bon accueil")
    page.get_by_label("À l’oral, au guichet").check()  # the way is never preselected
    page.get_by_role("button", name="Enregistrer et suivant").press("Enter")
    page.wait_for_selector(".notice .reference")
    reference = page.locator(".notice .reference").inner_text()
    assert reference.startswith("GCH-")
    assert axe(page) == []
    page.get_by_role("link", name=f"Corriger {reference}").click()
    assert axe(page) == []
    page.set_viewport_size({"width": 320, "height": 640})
    assert axe(page) == []
    # The list of entries scrolls inside its box: the page itself fits 320 px, in both languages.
    for lang in ("fr", "en"):
        page.goto(f"{live_server.url}/counter?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, lang
        assert axe(page) == []
    assert service["code"].startswith("svc-")
