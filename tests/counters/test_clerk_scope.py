"""A clerk writes only to their office's services and corrects only their office's entries; typed text is cleaned."""

from __future__ import annotations

import re

from portal.store.core.tables import Feedback, StaffUser
from portal.store.counters.tables import CounterEntryRevision
from tests.counters.test_clerk import clerk_signed_in, csrf_of, save
from tests.factories import create_office


def reference_of(response) -> str:
    assert response.status_code == 303, response.text
    return re.search(r"saved=(GCH-[A-Z0-9-]+)", response.headers["location"]).group(1)


async def correct(client, reference: str, **fields):
    page = await client.get(f"/counter/entries/{reference}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), "service": "accueil-mairie", "rating": "3", "text": "", "given_as": "paper", **fields}
    return await client.post(f"/counter/entries/{reference}", data=data)


async def test_a_new_entry_for_a_service_the_office_does_not_serve_is_refused(client):
    await clerk_signed_in(client)
    for service in ("allocations", "no-such-service"):
        response = await save(client, service=service, text="Bien reçu")
        assert response.status_code == 422
        assert "Bien reçu" in response.text
    assert "Ce service n&#39;est pas proposé dans ce lieu." in (await save(client, service="allocations")).text
    assert await Feedback.count() == 0
    # Forms lose control characters at the edge: this is the office's own service.
    assert (await save(client, service="accueil-mairie\x00", text="Bien reçu")).status_code == 303


async def test_a_correction_cannot_move_an_entry_to_a_service_the_office_does_not_serve(client):
    setup = await clerk_signed_in(client)
    reference = reference_of(await save(client, text="Accueil correct", rating="3"))
    moved = await correct(client, reference, service="allocations", text="Accueil correct")
    assert moved.status_code == 422
    assert "Ce service n&#39;est pas proposé dans ce lieu." in moved.text and "Accueil correct" in moved.text
    unknown = await correct(client, reference, service="no-such-service", text="Accueil correct")
    assert unknown.status_code == 422 and "Choisissez un service dans la liste." in unknown.text
    row = await Feedback.select(Feedback.id, Feedback.service).where(Feedback.reference == reference).first()
    assert row["service"] == setup["service"]["id"]
    assert await CounterEntryRevision.count() == 0
    # Within its office's services the correction still works.
    assert (await correct(client, reference, text="Accueil très correct")).status_code == 303
    assert await CounterEntryRevision.count() == 1


async def test_a_clerk_moved_to_another_office_no_longer_corrects_the_old_offices_entries(client):
    setup = await clerk_signed_in(client)
    reference = reference_of(await save(client, text="Bien"))
    elsewhere = await create_office(code="mairie-sud", services=[setup["other"]])
    await StaffUser.update({StaffUser.office: elsewhere["id"]}).where(StaffUser.id == setup["clerk"]["id"])
    assert (await client.get(f"/counter/entries/{reference}")).status_code == 404
    page = await client.get("/counter")
    refused = await client.post(f"/counter/entries/{reference}", data={
        "csrf_token": csrf_of(page.text), "service": "allocations", "text": "Changé", "given_as": "paper"})
    assert refused.status_code == 404
    assert (await Feedback.select(Feedback.text).where(Feedback.reference == reference).first())["text"] == "Bien"


async def test_control_characters_typed_by_a_clerk_are_removed_from_text_and_email(client):
    await clerk_signed_in(client)
    reference = reference_of(await save(client, text="Très\x00 bon\x1b accueil\nmerci"))
    assert (await Feedback.select(Feedback.text).where(Feedback.reference == reference).first())["text"] == "Très bon accueil\nmerci"
    assert (await correct(client, reference, text="Corrigé\x00 ici")).status_code == 303
    assert (await Feedback.select(Feedback.text).where(Feedback.reference == reference).first())["text"] == "Corrigé ici"
    email = await save(client, text="Rappelez-moi", contact_email="a.martin\x00@example.fr", contact_consent="yes")
    assert email.status_code == 303
    assert (await Feedback.select(Feedback.contact_email).where(Feedback.text == "Rappelez-moi").first())["contact_email"] == "a.martin@example.fr"
    # A tampered form or address is answered like any other, never with a server error.
    assert reference_of(await save(client, text="Clé abîmée", key="\x00"))
    assert (await client.get("/counter/entries/GCH-%00")).status_code == 404
    assert await Feedback.count() == 3
