"""The clerk gives the person their reference and their private tracking link; a changed form is a new entry."""

from __future__ import annotations

import re

from portal.feedback.tracking import private_url
from portal.store.core.tables import Feedback
from tests.counters.test_clerk import clerk_signed_in, csrf_of, key_of, save
from tests.factories import create_feedback


async def test_the_saved_entry_shows_its_private_link_to_the_clerk_only_for_their_own_entry(client):
    setup = await clerk_signed_in(client)
    settings = client.app.state.settings
    response = await save(client, text="Attente trop longue")
    reference = re.search(r"saved=(GCH-[A-Z0-9-]+)", response.headers["location"]).group(1)
    page = await client.get(response.headers["location"])
    assert reference in page.text and private_url(settings.base_url, settings.secret_key, reference) in page.text
    # A reference that is not the clerk's own entry: neither its link nor anything else about it.
    someone = await create_feedback(setup["service"], text="Avis en ligne")
    forged = await client.get("/counter", params={"saved": someone.reference})
    assert forged.status_code == 200 and private_url(settings.base_url, settings.secret_key, someone.reference) not in forged.text
    assert 'id="saved-link"' not in forged.text


async def test_a_form_saved_again_with_other_content_is_409_with_a_new_key(client):
    await clerk_signed_in(client)
    page = await client.get("/counter")
    data = {"csrf_token": csrf_of(page.text), "key": key_of(page.text), "service": "accueil-mairie", "rating": "4", "given_as": "paper"}
    first = await client.post("/counter", data=data)
    changed = await client.post("/counter", data={**data, "text": "Carte suivante, même formulaire"})
    assert first.status_code == 303 and changed.status_code == 409
    reference = re.search(r"saved=(GCH-[A-Z0-9-]+)", first.headers["location"]).group(1)
    assert "Carte suivante, même formulaire" in changed.text and "déjà servi" in changed.text
    again = await client.post("/counter", data={**data, "key": key_of(changed.text), "text": "Carte suivante, même formulaire"})
    assert again.status_code == 303 and await Feedback.count() == 2
    assert re.search(r"saved=(GCH-[A-Z0-9-]+)", again.headers["location"]).group(1) != reference
