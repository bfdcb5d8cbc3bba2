"""The clerk's counter: services preselected, no default way, receipts, withdrawal of a mistaken entry, versions in words."""

from __future__ import annotations

import datetime as dt
import re

from portal.review.accounts import create_user
from portal.store.core.tables import AuditEvent, Feedback
from portal.store.dashboards import dashboard_counts
from portal.store.digest_content import channel_counts, urgent_open
from portal.store.inbox import InboxSearch, feedback_for_inbox
from tests.counters.test_clerk import PASSWORD, csrf_of, key_of
from tests.factories import create_office, create_service


async def sign_in(client, email: str, next_path: str = "/counter") -> None:
    form = await client.get("/staff/login")
    response = await client.post("/staff/login", data={"csrf_token": csrf_of(form.text), "email": email, "password": PASSWORD,
                                                       "next": next_path})
    assert response.status_code == 303


async def two_service_counter(client, email: str = "clerk@example.gouv.fr") -> dict:
    first = await create_service(code="etat-civil", name_fr="État civil", name_en="Civil registry")
    second = await create_service(code="urbanisme", name_fr="Urbanisme", name_en="Planning")
    office = await create_office(code="mairie-sud", services=[first, second])
    clerk = await create_user(email, "Camille Guichet", "clerk", PASSWORD, office_id=office["id"])
    await sign_in(client, email)
    return {"clerk": clerk, "office": office, "first": first, "second": second}


async def save(client, **fields) -> str:
    page = await client.get("/counter")
    data = {"csrf_token": csrf_of(page.text), "key": key_of(page.text), "service": "etat-civil", "rating": "2",
            "text": "", "given_as": "paper", **fields}
    response = await client.post("/counter", data=data)
    assert response.status_code == 303, response.text
    return re.search(r"saved=(GCH-[A-Z0-9-]+)", response.headers["location"]).group(1)


def selected_service(html: str) -> str | None:
    found = re.search(r'<option value="([^"]*)" selected>', html)
    return found.group(1) if found else None


async def test_the_office_service_is_preselected_the_only_one_or_the_clerks_last(client):
    await two_service_counter(client)
    # Two services and no entry yet: nothing is chosen for the clerk.
    assert selected_service((await client.get("/counter")).text) is None
    await save(client, service="urbanisme")
    # The next visit, even without the query the save redirects to, starts on the clerk's last service.
    assert selected_service((await client.get("/counter")).text) == "urbanisme"
    assert selected_service((await client.get("/counter?service=etat-civil")).text) == "etat-civil"
    # A service the office does not offer is never preselected.
    assert selected_service((await client.get("/counter?service=ailleurs")).text) == "urbanisme"


async def test_an_office_with_one_service_has_it_preselected(client):
    service = await create_service(code="accueil", name_fr="Accueil")
    office = await create_office(code="mairie-est", services=[service])
    await create_user("solo@example.gouv.fr", "Solo", "clerk", PASSWORD, office_id=office["id"])
    await sign_in(client, "solo@example.gouv.fr")
    assert selected_service((await client.get("/counter")).text) == "accueil"


async def test_the_way_the_feedback_was_given_has_no_default_and_is_required(client):
    await two_service_counter(client)
    page = await client.get("/counter")
    assert not re.search(r'name="given_as" value="\w+" checked', page.text)
    response = await client.post("/counter", data={"csrf_token": csrf_of(page.text), "key": key_of(page.text),
                                                   "service": "etat-civil", "text": "Guichet fermé à 11 h"})
    assert response.status_code == 422
    assert "Indiquez comment l" in response.text and "Guichet fermé à 11 h" in response.text
    assert await Feedback.count() == 0
    await save(client, given_as="spoken")
    # After a save, the way is asked again for the next card.
    assert not re.search(r'name="given_as" value="\w+" checked', (await client.get("/counter")).text)


async def test_the_saved_reference_is_on_one_line_with_a_receipt_and_the_days_entries_show_their_time(client):
    await two_service_counter(client)
    reference = await save(client, text="Très bon accueil")
    page = await client.get(f"/counter?saved={reference}&service=etat-civil")
    assert f'<span class="reference counter-reference" id="saved-reference">{reference}</span>' in page.text
    assert 'data-copy="saved-reference"' in page.text and "/static/js/copy.js" in page.text
    assert f'href="/counter/entries/{reference}/receipt"' in page.text
    # The time of each entry, in the portal's zone with the zone named.
    assert re.search(r"\d{2}:\d{2} \(heure de Paris\)", page.text)
    english = await client.get("/counter?lang=en")
    assert re.search(r"\d{2}:\d{2} \(Paris time\)", english.text)


async def test_the_receipt_shows_the_reference_the_private_address_and_its_qr_code(client, settings):
    from portal.feedback.tracking import private_path

    setup = await two_service_counter(client)
    reference = await save(client, text="Merci")
    receipt = await client.get(f"/counter/entries/{reference}/receipt")
    assert receipt.status_code == 200 and receipt.headers["cache-control"] == "no-store"
    assert reference in receipt.text and private_path(settings.secret_key, reference) in receipt.text
    assert '<svg role="img" aria-label="Code QR du lien privé de suivi"' in receipt.text
    english = await client.get(f"/counter/entries/{reference}/receipt?in=en")
    assert '<html lang="en">' in english.text and "Receipt for your feedback" in english.text
    # The clerk's own pages stay in their language.
    assert '<html lang="fr">' in (await client.get("/counter")).text
    # Another clerk of the same office prints no receipt of it.
    await create_user("other@example.gouv.fr", "Autre", "clerk", PASSWORD, office_id=setup["office"]["id"])
    await sign_in(client, "other@example.gouv.fr")
    assert (await client.get(f"/counter/entries/{reference}/receipt")).status_code == 404


async def test_a_mistaken_entry_is_withdrawn_with_a_reason_audited_and_kept(client):
    setup = await two_service_counter(client)
    reference = await save(client, text="Saisie en double")
    page = await client.get(f"/counter/entries/{reference}/withdraw")
    assert page.status_code == 200
    no_reason = await client.post(f"/counter/entries/{reference}/withdraw", data={"csrf_token": csrf_of(page.text)})
    assert no_reason.status_code == 422 and "Indiquez pourquoi cette saisie est retirée." in no_reason.text
    forged = await client.post(f"/counter/entries/{reference}/withdraw", data={"csrf_token": "forged", "reason": "duplicate"})
    assert forged.status_code == 400 and 'value="duplicate" checked' in forged.text
    response = await client.post(f"/counter/entries/{reference}/withdraw",
                                 data={"csrf_token": csrf_of(page.text), "reason": "duplicate"})
    assert response.status_code == 303 and response.headers["location"] == f"/counter?withdrawn={reference}"
    row = await Feedback.select().where(Feedback.reference == reference).first()
    assert row is not None and row["withdrawn_at"] is not None
    events = await AuditEvent.select().where(AuditEvent.action == "withdraw_entry").output(load_json=True)
    assert len(events) == 1 and events[0]["feedback"] == row["id"] and events[0]["actor"] == setup["clerk"]["id"]
    assert events[0]["detail"] == {"reason": "duplicate"}
    listing = await client.get(response.headers["location"])
    assert "retirée" in listing.text and f"/counter/entries/{reference}/withdraw" not in listing.text
    # Withdrawn once: no second withdrawal, no correction, no receipt.
    assert (await client.post(f"/counter/entries/{reference}/withdraw",
                              data={"csrf_token": csrf_of(page.text), "reason": "duplicate"})).status_code == 404
    assert (await client.get(f"/counter/entries/{reference}")).status_code == 404
    assert (await client.get(f"/counter/entries/{reference}/receipt")).status_code == 404
    assert await AuditEvent.count().where(AuditEvent.action == "withdraw_entry") == 1


async def test_an_entry_is_withdrawn_only_by_its_clerk_and_within_24_hours(client):
    setup = await two_service_counter(client)
    reference = await save(client, text="Bien")
    old = await save(client, text="Ancien")
    await Feedback.update({Feedback.received_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=25)}).where(
        Feedback.reference == old)
    page = await client.get("/counter")
    assert (await client.get(f"/counter/entries/{old}/withdraw")).status_code == 404
    await create_user("other@example.gouv.fr", "Autre", "clerk", PASSWORD, office_id=setup["office"]["id"])
    await sign_in(client, "other@example.gouv.fr")
    page = await client.get("/counter")
    assert (await client.post(f"/counter/entries/{reference}/withdraw",
                              data={"csrf_token": csrf_of(page.text), "reason": "test"})).status_code == 404
    assert await Feedback.count().where(Feedback.withdrawn_at.is_not_null()) == 0


async def test_a_withdrawn_entry_counts_in_no_dashboard_digest_or_default_inbox(client):
    setup = await two_service_counter(client)
    kept = await save(client, text="Attente trop longue", rating="1")
    mistaken = await save(client, text="Attente trop longue", rating="1")
    await Feedback.update({Feedback.urgent: True}).where(Feedback.reference.is_in([kept, mistaken]))
    page = await client.get(f"/counter/entries/{mistaken}/withdraw")
    await client.post(f"/counter/entries/{mistaken}/withdraw", data={"csrf_token": csrf_of(page.text), "reason": "duplicate"})
    service_id = setup["first"]["id"]
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)
    bounds = [since, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)]
    for counts in (await dashboard_counts(service_id=service_id, bounds=bounds),
                   await dashboard_counts(office_id=setup["office"]["id"], bounds=bounds)):
        assert [(channel, c["n"]) for (_k, channel, _office, _sentiment), c in counts.counts.items()] == [("counter", 1)]
        assert counts.urgent_open == 1
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    digest = await channel_counts([service_id], since, end, since - dt.timedelta(days=7))
    assert [(r["channel"], int(r["current"])) for r in digest] == [("counter", 1)]
    count, rows = await urgent_open([service_id], end, 10)
    kept_id = (await Feedback.select(Feedback.id).where(Feedback.reference == kept).first())["id"]
    assert count == 1 and [r["id"] for r in rows] == [kept_id]
    inbox = await feedback_for_inbox(InboxSearch(services=(service_id,)))
    assert [r["reference"] for r in inbox] == [kept]
    # Still found when asked for, marked withdrawn.
    found = await feedback_for_inbox(InboxSearch(services=(service_id,), reference=mistaken, include_withdrawn=True))
    assert [r["reference"] for r in found] == [mistaken] and found[0]["withdrawn_at"] is not None


async def test_versions_say_what_changed_field_by_field_in_words(client):
    await two_service_counter(client)
    reference = await save(client, text="Accueil correct", rating="3", given_as="paper")
    page = await client.get(f"/counter/entries/{reference}")
    response = await client.post(f"/counter/entries/{reference}", data={
        "csrf_token": csrf_of(page.text), "service": "urbanisme", "rating": "4", "text": "Accueil correct", "given_as": "spoken"})
    assert response.status_code == 303
    page = await client.get(f"/counter/entries/{reference}")
    text = page.text.replace("&#34;", '"').replace("&#39;", "'")
    assert "Service : « État civil » devient « Urbanisme »" in text
    assert "Satisfaction : « Ni satisfait ni insatisfait » devient « Satisfait »" in text
    assert "Comment l’avis a été donné : « sur carte papier » devient « à l’oral »" in text
    assert "Message :" not in text  # the text did not change
    english = (await client.get(f"/counter/entries/{reference}?lang=en")).text
    assert "Service: “Civil registry” becomes “Planning”" in english


async def test_staff_find_a_withdrawn_entry_only_by_its_reference_and_see_it_withdrawn(client):
    from tests.review.staff import create_staff, signed_in

    setup = await two_service_counter(client)
    kept = await save(client, text="Accueil aimable")
    mistaken = await save(client, text="Essai de saisie")
    page = await client.get(f"/counter/entries/{mistaken}/withdraw")
    await client.post(f"/counter/entries/{mistaken}/withdraw", data={"csrf_token": csrf_of(page.text), "reason": "test"})
    agent = await create_staff("agent", services=[setup["first"]])
    await signed_in(client, agent)
    inbox = await client.get("/staff/inbox")
    assert kept in inbox.text and mistaken not in inbox.text
    searched = await client.get(f"/staff/inbox?q={mistaken}")
    assert mistaken in searched.text and "Saisie retirée" in searched.text
    row = await Feedback.select(Feedback.id).where(Feedback.reference == mistaken).first()
    item = await client.get(f"/staff/items/{row['id']}")
    assert item.status_code == 200 and "Saisie retirée par le guichet le" in item.text
    # The audit log tells the withdrawal and its reason in words.
    await signed_in(client, await create_staff("admin"))
    audit = (await client.get("/staff/audit")).text.replace("&#39;", "’")
    assert "Retrait d’une saisie au guichet" in audit and "Saisie d’essai" in audit
