"""The device API over HTTP: enrolment, token scope, per-item answers, at-most-once storage."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid

import pytest

from counters.devices import DeviceError, enrol_device, new_enrolment_code, revoke, set_device_language
from portal.feedback.intake import FeedbackInput, submit_feedback
from portal.store.core.tables import Feedback
from portal.store.counters.tables import Kiosk, KioskChoice
from tests.counters.conftest import run_cli
from tests.factories import create_office, create_service


async def enrolled(client, kind: str = "kiosk"):
    service = await create_service(code="accueil-mairie")
    other = await create_service(code="titres-identite")
    office = await create_office(code="mairie-nord", services=[service])
    far = await create_office(code="mairie-sud", services=[other])
    secret = client.app.state.settings.secret_key
    enrolment = await enrol_device(secret, "mairie-nord", name="Tablette", kind=kind)
    response = await client.post("/api/v1/counters/enrol", json={"code": enrolment.code.lower().replace("-", " ")})
    assert response.status_code == 201, response.text
    token = response.json()["token"]
    return {"service": service, "other": other, "office": office, "far": far, "token": token, "id": enrolment.kiosk_id,
            "headers": {"Authorization": f"Bearer {token}"}}


def entry(**kw):
    return {"id": str(uuid.uuid4()), "device_time": "2026-11-20T09:15:00+01:00", "rating": 4, **kw}


async def test_enrolment_code_works_once_and_gives_the_device_its_configuration(client):
    setup = await enrolled(client)
    again = await client.post("/api/v1/counters/enrol", json={"code": "ABCD-EFGH"})
    assert again.status_code == 401
    device = await client.get("/api/v1/counters/device", headers=setup["headers"])
    assert device.status_code == 200
    body = device.json()
    assert body["office"]["code"] == "mairie-nord"
    assert body["question_set"]["service"] == "accueil-mairie" and body["question_set"]["faces"] == 5
    stored = await Kiosk.select(Kiosk.token_hash, Kiosk.enrolment_code_hash).where(Kiosk.id == setup["id"]).first()
    assert stored["token_hash"] != setup["token"] and len(stored["token_hash"]) == 64
    assert stored["enrolment_code_hash"] is None


async def test_an_expired_code_is_refused(client):
    await enrolled(client)
    secret = client.app.state.settings.secret_key
    kiosk = await enrol_device(secret, "mairie-nord")
    await Kiosk.update({Kiosk.enrolment_expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}).where(
        Kiosk.id == kiosk.kiosk_id
    )
    response = await client.post("/api/v1/counters/enrol", json={"code": kiosk.code})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_sync_needs_a_valid_unrevoked_token(client):
    setup = await enrolled(client)
    body = {"items": [entry()]}
    assert (await client.post("/api/v1/counters/sync", json=body)).status_code == 401
    assert (await client.post("/api/v1/counters/sync", json=body, headers={"Authorization": "Bearer gk_nope"})).status_code == 401
    assert await revoke(setup["id"])
    refused = await client.post("/api/v1/counters/sync", json=body, headers=setup["headers"])
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert await Feedback.count() == 0
    # A new code brings the same device back, with a new token; the old one stays dead.
    code = await new_enrolment_code(client.app.state.settings.secret_key, setup["id"])
    token = (await client.post("/api/v1/counters/enrol", json={"code": code.code})).json()["token"]
    ok = await client.post("/api/v1/counters/sync", json=body, headers={"Authorization": f"Bearer {token}"})
    assert ok.json()["results"][0]["status"] == "accepted"
    assert (await client.post("/api/v1/counters/sync", json=body, headers=setup["headers"])).status_code == 401


async def test_items_are_stored_with_device_time_receive_time_channel_and_office(client):
    setup = await enrolled(client)
    item = entry(topics=["attente", "accueil"], comment="Agent très aimable, appelez-moi au 06 12 34 56 78", question="visit")
    before = dt.datetime.now(dt.timezone.utc)
    response = await client.post("/api/v1/counters/sync", json={"items": [item]}, headers=setup["headers"])
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["status"] == "accepted" and result["reference"].startswith("GCH-")
    row = await Feedback.select().where(Feedback.reference == result["reference"]).first()
    assert row["channel"] == "kiosk" and row["given_as"] == "kiosk" and row["source"] == f"kiosk:{setup['id']}"
    assert row["office"] == setup["office"]["id"] and row["service"] == setup["service"]["id"]
    assert row["idempotency_key"] == item["id"] and row["rating"] == 4
    assert row["submitted_at"] == dt.datetime(2026, 11, 20, 8, 15, tzinfo=dt.timezone.utc)
    assert row["received_at"] >= before - dt.timedelta(seconds=1)
    assert "06 12" not in row["redacted_text"] and row["language"] == "fr" and row["classify_state"] == "pending"
    choice = await KioskChoice.select().where(KioskChoice.feedback == row["id"]).first()
    assert choice["topics"] in (["attente", "accueil"], '["attente", "accueil"]')


async def test_a_device_cannot_post_for_another_offices_service(client):
    setup = await enrolled(client)
    items = [entry(service="titres-identite"), entry(service="no-such-service"), entry()]
    results = (await client.post("/api/v1/counters/sync", json={"items": items}, headers=setup["headers"])).json()["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "service:not_served"),
        ("rejected", "service:unknown"),
        ("accepted", None),
    ]
    assert await Feedback.count() == 1


async def test_each_item_gets_its_own_answer_and_bad_items_do_not_block_the_rest(client):
    setup = await enrolled(client)
    good = entry()
    items = [good, entry(rating=9), {"id": "not-a-uuid", "device_time": "2026-11-20T09:00:00Z", "rating": 3},
             entry(rating=None), entry(comment="x" * 4001), good]
    results = (await client.post("/api/v1/counters/sync", json={"items": items}, headers=setup["headers"])).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected", "rejected", "duplicate"]
    assert [r["reason"] for r in results[1:5]] == ["rating:out_of_range", "id:invalid", "text:required", "text:too_long"]
    assert results[5]["reference"] == results[0]["reference"]
    assert await Feedback.count() == 1


async def test_malformed_or_oversized_batches_are_refused_whole(client):
    setup = await enrolled(client)
    # Only the envelope is refused whole; a bad item inside it is answered alone (test_sync_items.py).
    assert (await client.post("/api/v1/counters/sync", json={"items": "all"}, headers=setup["headers"])).status_code == 400
    assert (await client.post("/api/v1/counters/sync", json={"entries": [entry()]}, headers=setup["headers"])).status_code == 400
    assert (await client.post("/api/v1/counters/sync", json=[entry()], headers=setup["headers"])).status_code == 400
    not_json = await client.post("/api/v1/counters/sync", content=b'{"items": [', headers={**setup["headers"], "Content-Type": "application/json"})
    assert not_json.status_code == 400
    too_many = {"items": [entry() for _ in range(501)]}
    response = await client.post("/api/v1/counters/sync", json=too_many, headers=setup["headers"])
    assert response.status_code == 400
    assert await Feedback.count() == 0


async def test_each_uuid_is_stored_at_most_once_even_when_batches_race(client):
    setup = await enrolled(client)
    items = [entry(rating=1 + i % 5) for i in range(300)]
    first = await client.post("/api/v1/counters/sync", json={"items": items}, headers=setup["headers"])
    assert {r["status"] for r in first.json()["results"]} == {"accepted"}
    replay = await client.post("/api/v1/counters/sync", json={"items": items}, headers=setup["headers"])
    assert {r["status"] for r in replay.json()["results"]} == {"duplicate"}
    assert [r["reference"] for r in replay.json()["results"]] == [r["reference"] for r in first.json()["results"]]
    # The same new batch sent three times at once (a retry racing its original): stored once.
    fresh = [entry() for _ in range(200)]
    answers = await asyncio.gather(
        *(client.post("/api/v1/counters/sync", json={"items": fresh}, headers=setup["headers"]) for _ in range(3))
    )
    statuses = [r["status"] for a in answers for r in a.json()["results"]]
    assert statuses.count("accepted") == 200 and statuses.count("duplicate") == 400
    assert await Feedback.count() == 500
    keys = await Feedback.select(Feedback.idempotency_key)
    assert len({k["idempotency_key"] for k in keys}) == 500


async def test_button_boxes_store_as_buttons_under_their_own_source(client):
    setup = await enrolled(client, kind="buttons")
    response = await client.post("/api/v1/counters/sync", json={"items": [entry(rating=5)]}, headers=setup["headers"])
    row = await Feedback.select().where(Feedback.reference == response.json()["results"][0]["reference"]).first()
    assert (row["channel"], row["given_as"], row["source"]) == ("kiosk", "buttons", f"agent:{setup['id']}")


async def test_batch_intake_redacts_and_detects_language_exactly_like_submit_feedback(client):
    setup = await enrolled(client)
    text = "Bonjour, mon adresse est jean.dupont@example.fr et mon IBAN FR76 3000 6000 0112 3456 7890 189, merci"
    response = await client.post("/api/v1/counters/sync", json={"items": [entry(comment=text)]}, headers=setup["headers"])
    batch_row = await Feedback.select().where(Feedback.reference == response.json()["results"][0]["reference"]).first()
    single = await submit_feedback(FeedbackInput(service_code="accueil-mairie", text=text, rating=4))
    single_row = await Feedback.select().where(Feedback.reference == single.reference).first()
    for column in ("text", "redacted_text", "language", "classify_state", "status", "contact_consent", "urgent", "topics"):
        assert batch_row[column] == single_row[column], column


async def test_a_replay_answers_duplicate_even_if_the_item_would_now_be_refused(client):
    setup = await enrolled(client)
    item = entry()
    first = (await client.post("/api/v1/counters/sync", json={"items": [item]}, headers=setup["headers"])).json()["results"][0]
    replay = (await client.post("/api/v1/counters/sync", json={"items": [{**item, "rating": 9}]}, headers=setup["headers"])).json()["results"][0]
    assert (replay["status"], replay["reference"]) == ("duplicate", first["reference"])
    assert await Feedback.count() == 1


async def test_a_device_has_its_own_language_and_the_kiosk_page_carries_both(client):
    setup = await enrolled(client)
    device = (await client.get("/api/v1/counters/device", headers=setup["headers"])).json()
    # French unless told otherwise; an administrator may set English for an office abroad.
    assert device["language"] == "fr" and device["service_name_en"]
    await set_device_language(setup["id"], "en")
    device = (await client.get("/api/v1/counters/device", headers=setup["headers"])).json()
    assert device["language"] == "en" and device["question_set"]["question_en"] == "How was your visit today?"
    with pytest.raises(DeviceError):
        await set_device_language(setup["id"], "de")
    assert "starts in fr" in run_cli(client.app.state.settings, "kiosk", "set-language", str(setup["id"]), "fr")
    assert (await client.get("/api/v1/counters/device", headers=setup["headers"])).json()["language"] == "fr"
    secret = client.app.state.settings.secret_key
    english = await enrol_device(secret, "mairie-nord", language="en")
    stored = await Kiosk.select(Kiosk.question_set).where(Kiosk.id == english.kiosk_id).output(load_json=True).first()
    assert stored["question_set"]["language"] == "en"
    # One page for every device and the service worker: both languages in it, whatever the browser asks.
    page = (await client.get("/kiosk", headers={"accept-language": "en"})).text
    words = json.loads(re.search(r'<script id="kiosk-words" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert words["fr"]["enrol_label"] == "Code de mise en service" and words["en"]["enrol_label"] == "Enrolment code"
    assert words["en"]["switch"] == "Français" and words["en"]["waiting"] == "%(n)s feedback waiting to be sent"
    assert "portal kiosk enrol" not in page
