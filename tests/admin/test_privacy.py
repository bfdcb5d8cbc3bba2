"""Erasure and export on request: an administrator finds what is linked to an address or a reference (shown masked),
downloads it as JSON, erases it once confirmed; audited without the data; the same from the command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from portal.admin.privacy import find_person, person_from
from portal.store.core.tables import AuditEvent, CitizenMail, Feedback
from portal.store.counters.tables import CounterEntryRevision
from portal.store.engine import current_engine
from portal.store.privacy import of_email_sql
from portal.store.workspace.tables import LoginAttempt, RetentionRun
from portal.web.formats import format_when
from portal.web.labels import label
from tests.admin.helpers import post_form, signed_in_admin
from tests.admin.privacy_data import create_item, stored
from tests.conftest import ROOT, TEST_DB, server_env
from tests.factories import create_service
from tests.review.staff import create_staff, csrf_of, signed_in

PAGE = "/staff/admin/privacy"
EMAIL = "marie.dupont@example.fr"


async def personal_events() -> list[dict]:
    return await AuditEvent.select().where(AuditEvent.action.is_in(
        ["find_personal_data", "export_personal_data", "erase_personal_data"])).order_by(AuditEvent.id).output(load_json=True)


async def test_find_by_address_shows_what_would_be_erased_with_references_masked(client):
    await signed_in_admin(client)
    service = await create_service()
    mine = [await create_item(service), await create_item(service, email="Marie.Dupont@Example.fr", closed_days_ago=None)]
    other = await create_item(service, email="someone.else@example.fr")
    found = await post_form(client, PAGE, PAGE, {"who": " MARIE.DUPONT@example.fr "})
    assert found.status_code == 200 and found.headers["cache-control"] == "no-store"
    assert "2 avis trouvés" in found.text
    for item in mine:
        assert item["reference"] not in found.text and item["reference"][:8] in found.text
        assert f'/staff/items/{item["id"]}' in found.text
    assert other["reference"][:8] not in found.text
    assert "adresse e-mail, texte original" in found.text
    [event] = await personal_events()
    assert event["detail"] == {"by": "email", "items": 2} and "marie" not in json.dumps(event, default=str).lower()


async def test_export_downloads_the_persons_data_as_json(client):
    await signed_in_admin(client)
    service = await create_service()
    item = await create_item(service, comment="Toujours pas réglé.")
    response = await post_form(client, PAGE, f"{PAGE}/export", {"who": EMAIL})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == 'attachment; filename="donnees-personnelles.json"'
    document = response.json()
    assert document["email"] == EMAIL and document["found_by"] == "email"
    [given] = document["feedback"]
    assert given["reference"] == item["reference"] and given["text"] == item["text"] and given["contact_email"] == EMAIL
    assert given["resolved_comment"] == "Toujours pas réglé." and given["emails_sent"][0]["kind"] == "status"
    assert given["received_at"].endswith("+00:00")
    [event] = await personal_events()
    assert event["action"] == "export_personal_data" and EMAIL not in json.dumps(event, default=str)


async def test_erase_asks_for_confirmation_then_erases_and_keeps_the_statistics(client):
    admin = await signed_in_admin(client)
    service = await create_service()
    item = await create_item(service, comment="Mon nom est Marie Dupont.", mail_error="550 <marie.dupont@example.fr> refused")
    await CounterEntryRevision.insert(CounterEntryRevision(feedback=item["id"], before={"text": item["text"], "contact_email": EMAIL, "rating": 2},
                                                           after={"text": "autre", "contact_email": EMAIL, "rating": 3}))
    await LoginAttempt.insert(LoginAttempt(email=EMAIL, client="10.1.1.1"))
    unconfirmed = await post_form(client, PAGE, f"{PAGE}/erase", {"who": item["reference"]})
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.text
    assert (await stored(item["id"]))["contact_email"] == EMAIL

    done = await post_form(client, PAGE, f"{PAGE}/erase", {"who": EMAIL, "confirm": "yes"})
    assert done.status_code == 200 and "1 avis a été effacé" in done.text and "1 tentative de connexion oubliée" in done.text
    row = await stored(item["id"])
    assert row["contact_email"] is None and row["text"] == row["redacted_text"] == item["redacted_text"]
    assert row["resolved_comment"] == "" and row["rating"] == 2 and row["status"] == "closed"
    [revision] = await CounterEntryRevision.select().where(CounterEntryRevision.feedback == item["id"]).output(load_json=True)
    assert revision["before"] == {"rating": 2, "text": None, "contact_email": None, "erased": True}
    assert revision["after"]["rating"] == 3 and revision["after"]["text"] is None
    assert [m["last_error"] for m in await CitizenMail.select().where(CitizenMail.feedback == item["id"])] == [""]
    assert await LoginAttempt.count().where(LoginAttempt.email == EMAIL) == 0
    erased = [e for e in await personal_events() if e["action"] == "erase_personal_data"]
    assert len(erased) == 2 and erased[0]["feedback"] == item["id"] and erased[0]["actor_email"] == admin["email"]
    assert erased[0]["detail"] == {"by": "request", "found_by": "email"}
    assert erased[1]["feedback"] is None and erased[1]["detail"] == {
        "by": "request", "found_by": "email", "sign_in_attempts": 1, "failed_sign_ins": 0}
    everything = json.dumps(await personal_events(), default=str)
    assert EMAIL not in everything and item["reference"] not in everything
    again = await post_form(client, PAGE, PAGE, {"who": EMAIL})
    assert "Aucun avis ni aucune tentative" in again.text  # the address is gone with the rest


async def test_bad_input_and_expired_forms_answer_4xx(client):
    await signed_in_admin(client)
    for typed, words in (("", "Indiquez une adresse"), ("pas une référence", "ni une adresse"), ("a@b", "pas valide"),
                         ("x" * 300 + "@example.fr", "Indiquez une adresse")):
        bad = await post_form(client, PAGE, PAGE, {"who": typed})
        assert bad.status_code == 422 and words in bad.text, typed
    expired = await client.post(PAGE, data={"csrf_token": "nope", "who": EMAIL})
    assert expired.status_code == 400
    for action in ("erase", "export"):
        assert (await client.post(f"{PAGE}/{action}", data={"csrf_token": "nope", "who": EMAIL})).status_code == 400


async def test_english_page_and_administrators_only(client):
    await signed_in_admin(client)
    page = await client.get(f"{PAGE}?lang=en")
    assert page.status_code == 200 and "Personal data" in page.text and 'lang="en"' in page.text
    service = await create_service()
    owner = await create_staff("owner", services=[service])
    await signed_in(client, owner)
    assert (await client.get(PAGE)).status_code == 403
    token = csrf_of((await client.get("/staff/admin/subscriptions/new")).text)
    assert (await client.post(f"{PAGE}/export", data={"csrf_token": token, "who": EMAIL})).status_code == 403


def _privacy(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal", "privacy", *args], env=server_env(settings, PORTAL_LOG_LEVEL="INFO"),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


async def test_the_same_from_the_command_line(db, tmp_path):
    service = await create_service()
    item = await create_item(service)
    found = await asyncio.to_thread(_privacy, db, "find", EMAIL)
    assert found.returncode == 0 and "1 feedback item linked, 1 holding personal data" in found.stdout
    assert item["reference"] not in found.stdout and item["reference"][:8] in found.stdout
    zone = ZoneInfo(db.time_zone)
    assert f"received {format_when(item['received_at'], zone, 'en')}  {label('status', 'closed', 'en')}" in found.stdout
    assert " time)" in found.stdout and "  closed  " not in found.stdout  # the zone named, the status in words
    exported = await asyncio.to_thread(_privacy, db, "export", item["reference"], "--output", str(tmp_path / "out.json"))
    assert exported.returncode == 0
    assert json.loads((tmp_path / "out.json").read_text())["feedback"][0]["contact_email"] == EMAIL
    asked = await asyncio.to_thread(_privacy, db, "erase", EMAIL)
    assert "Nothing erased" in asked.stdout and (await stored(item["id"]))["contact_email"] == EMAIL
    erased = await asyncio.to_thread(_privacy, db, "erase", EMAIL, "--yes")
    assert erased.returncode == 0 and "1 feedback item erased" in erased.stdout
    assert (await stored(item["id"]))["contact_email"] is None
    bad = await asyncio.to_thread(_privacy, db, "find", "nonsense")
    assert bad.returncode == 2 and "neither an e-mail address nor a valid tracking reference" in bad.stderr
    for run in (found, exported, asked, erased):  # nothing it prints to the log names the person
        assert EMAIL not in run.stderr and item["reference"] not in run.stderr


async def test_an_address_with_an_accented_capital_is_found_however_it_is_typed(client):
    await signed_in_admin(client)
    service = await create_service()
    item = await create_item(service, email="Élodie.Martin@Example.fr")
    assert (await stored(item["id"]))["contact_email"] == "Élodie.Martin@Example.fr"  # kept as typed
    for typed in ("élodie.martin@example.fr", "ÉLODIE.MARTIN@EXAMPLE.FR", "Élodie.Martin@Example.fr"):
        found = await find_person(person_from(typed), None)
        assert found.feedback_ids == [item["id"]], typed
    page = await post_form(client, PAGE, PAGE, {"who": "élodie.martin@example.fr"})
    assert "1 avis trouvé" in page.text


async def test_an_address_of_a_staff_account_only_says_so(client):
    await signed_in_admin(client)
    staff = await create_staff("admin", email="agent.seul@example.gouv.fr")
    page = await post_form(client, PAGE, PAGE, {"who": staff["email"]})
    assert "Un compte d’agent utilise cette adresse" in page.text
    assert "Aucun avis ni aucune tentative" not in page.text and "Effacer les données personnelles" not in page.text
    nobody = await post_form(client, PAGE, PAGE, {"who": "personne@example.fr"})
    assert "Aucun avis ni aucune tentative" in nobody.text and "Un compte d’agent" not in nobody.text


async def test_an_item_erased_already_is_not_erased_nor_audited_again(client):
    await signed_in_admin(client)
    service = await create_service()
    item = await create_item(service)
    await post_form(client, PAGE, f"{PAGE}/erase", {"who": EMAIL, "confirm": "yes"})
    again = await post_form(client, PAGE, f"{PAGE}/erase", {"who": item["reference"], "confirm": "yes"})
    assert "0 avis a été effacé de ses données personnelles" in again.text  # French: 0 takes the singular
    assert len([e for e in await personal_events() if e["action"] == "erase_personal_data"]) == 1


async def test_the_runs_in_words_with_plurals_dates_and_interrupted_ones(client):
    await signed_in_admin(client)
    now = dt.datetime.now(dt.timezone.utc)
    await RetentionRun.insert(
        RetentionRun(day="2026-03-04", claimed_at=now, finished_at=dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.timezone.utc),
                     summary=json.dumps({"items": 1, "accounts": 2})),
        RetentionRun(day="2026-03-05", claimed_at=dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.timezone.utc), summary=""),
    )
    page = (await client.get(PAGE)).text
    assert "1 avis effacé, 2 comptes désactivés." in page
    assert "Le 5 mars 2026 : interrompue" in page and "2026-03-05" not in page and "en cours" not in page
    english = (await client.get(f"{PAGE}?lang=en")).text
    assert "1 feedback item erased, 2 accounts deactivated." in english and "5 Mar 2026: interrupted" in english


async def test_failed_sign_ins_keep_no_unknown_address_and_old_ones_are_blanked_on_erasure(client):
    admin = await create_staff("admin")
    await client.get("/staff/login")
    for typed in ("Marie.Dupont@example.fr", admin["email"]):
        token = csrf_of((await client.get("/staff/login")).text)
        await client.post("/staff/login", data={"email": typed, "password": "wrong password!!", "csrf_token": token})
    rows = await AuditEvent.select(AuditEvent.actor_email).where(AuditEvent.action == "login_failed").order_by(AuditEvent.id)
    assert [r["actor_email"] for r in rows] == ["", admin["email"]]  # a known account's address only
    # Rows written before: the typed address and the client kept.
    await AuditEvent.insert(
        AuditEvent(action="login_failed", actor_email=EMAIL, client="10.9.9.9", detail={}),
        AuditEvent(action="login_failed", actor_email="autre@example.fr", client="10.8.8.8", detail={}),
    )
    await signed_in(client, admin)
    done = await post_form(client, PAGE, f"{PAGE}/erase", {"who": "MARIE.dupont@example.fr", "confirm": "yes"})
    assert done.status_code == 200
    rows = await AuditEvent.select(AuditEvent.actor_email, AuditEvent.client).where(
        (AuditEvent.action == "login_failed") & (AuditEvent.client.is_in(["10.9.9.9", "10.8.8.8", ""])))
    assert {"actor_email": "", "client": ""} in rows and {"actor_email": "autre@example.fr", "client": "10.8.8.8"} in rows
    assert EMAIL not in json.dumps(await AuditEvent.select(), default=str)
    [erase] = [e for e in await personal_events() if e["action"] == "erase_personal_data"]
    assert erase["detail"]["failed_sign_ins"] == 1


async def test_the_audit_log_refuses_every_other_change(db):
    await AuditEvent.insert(AuditEvent(action="login_failed", actor_email=EMAIL, client="10.9.9.9", detail={}),
                            AuditEvent(action="view_original", actor_email=EMAIL, client="10.9.9.9", detail={}))
    refused = (
        ({AuditEvent.actor_email: "", AuditEvent.client: ""}, "view_original"),  # not a failed sign-in
        ({AuditEvent.actor_email: "x@example.fr", AuditEvent.client: ""}, "login_failed"),  # rewritten, not blanked
        ({AuditEvent.actor_email: "", AuditEvent.client: "", AuditEvent.detail: {"a": 1}}, "login_failed"),
        ({AuditEvent.actor_email: "", AuditEvent.client: "", AuditEvent.action: "login"}, "login_failed"),
    )
    for values, action in refused:
        with pytest.raises(Exception, match="append-only"):
            await AuditEvent.update(values).where(AuditEvent.action == action)
    assert await AuditEvent.count().where(AuditEvent.actor_email == EMAIL) == 2


@pytest.mark.skipif(TEST_DB != "postgres", reason="the expression index's plan: PostgreSQL")
async def test_on_postgresql_the_address_is_found_through_its_index(db):
    service = await create_service()
    await create_item(service, email="Élodie.Martin@Example.fr")
    async with current_engine().transaction():
        await Feedback.raw("SET LOCAL enable_seqscan = off")
        plan = await Feedback.raw("EXPLAIN " + of_email_sql(True), "élodie.martin@example.fr")
    assert "feedback_contact_email_idx" in " ".join(str(r) for r in plan)
