"""Each synced entry is read on its own: bad ones are answered alone, text is cleaned, ids and times are sane."""

from __future__ import annotations

import datetime as dt
import uuid

from portal.store.core.tables import Feedback
from portal.store.counters.tables import KioskChoice
from tests.counters.test_sync_api import enrolled, entry


async def sync(client, setup, items, **headers) -> list[dict]:
    response = await client.post("/api/v1/counters/sync", json={"items": items}, headers={**setup["headers"], **headers})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(items)
    return results


async def test_each_malformed_item_is_rejected_alone_with_a_reason_and_the_others_are_stored(client):
    setup = await enrolled(client)
    missing_time = {"id": str(uuid.uuid4()), "rating": 3}
    items = [
        entry(),
        entry(id=""),
        entry(rating="five"),
        entry(topics=[f"theme-{i}" for i in range(21)]),
        missing_time,
        entry(device_time="mardi dernier"),
        entry(device_time=None),
        42,
        {"rating": 3, "device_time": "2026-11-20T09:00:00Z"},
        entry(flagged="yes"),
        entry(comment=["pas", "un", "texte"]),
        entry(rating=2),
    ]
    results = await sync(client, setup, items)
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 10 + ["accepted"]
    assert [r["reason"] for r in results[1:11]] == [
        "id:invalid", "rating:invalid", "topics:invalid", "device_time:required", "device_time:invalid",
        "device_time:invalid", "item:invalid", "id:required", "flagged:invalid", "comment:invalid",
    ]
    # The device can drop each one from its queue: the id comes back as sent (none when it sent none).
    assert [r["id"] for r in results] == [i.get("id") if isinstance(i, dict) else None for i in items]
    # In words, in the request's language (French unless asked otherwise).
    assert results[2]["message"] == "La note doit être un nombre entier de 1 à 5, ou absente."
    english = await sync(client, setup, [entry(rating="five")], **{"Accept-Language": "en"})
    assert english[0]["message"] == "The rating must be a whole number from 1 to 5, or absent."
    assert await Feedback.count() == 2


async def test_a_nul_in_one_comment_of_a_500_item_batch_is_removed_and_every_item_is_stored(client):
    setup = await enrolled(client)
    items = [entry(rating=1 + i % 5) for i in range(500)]
    items[250] = entry(comment="Très\x00 bien\x07 accueilli\nmerci", topics=["attente"])
    results = await sync(client, setup, items)
    assert {r["status"] for r in results} == {"accepted"}
    row = await Feedback.select(Feedback.id, Feedback.text, Feedback.redacted_text).where(Feedback.reference == results[250]["reference"]).first()
    assert row["text"] == "Très bien accueilli\nmerci" and "\x00" not in row["redacted_text"]
    assert await KioskChoice.count().where(KioskChoice.feedback == row["id"]) == 1
    assert await Feedback.count() == 500


async def test_control_characters_in_identifiers_reject_only_their_item(client):
    setup = await enrolled(client)
    items = [
        entry(service="accueil-mairie\x00"),
        entry(topics=["attente", "accueil\x00"]),
        entry(question="visit\t"),
        entry(id=f"{uuid.uuid4()}\x00"),
        entry(),
    ]
    results = await sync(client, setup, items)
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "service:control_character"),
        ("rejected", "topics:control_character"),
        ("rejected", "question:control_character"),
        ("rejected", "id:invalid"),
        ("accepted", None),
    ]
    assert await Feedback.count() == 1


async def test_one_uuid_written_several_ways_is_stored_once_under_its_canonical_form(client):
    setup = await enrolled(client)
    u = uuid.uuid4()
    h = u.hex
    spellings = [str(u).upper(), f"urn:uuid:{u}", h, "{" + str(u) + "}", f"{h[:4]}-{h[4:12]}-{h[12:20]}-{h[20:28]}-{h[28:]}"]
    first = (await sync(client, setup, [entry(id=spellings[0])]))[0]
    assert first["status"] == "accepted"
    again = await sync(client, setup, [entry(id=s) for s in [str(u), *spellings]])
    assert [(r["id"], r["status"], r["reference"]) for r in again] == [(s, "duplicate", first["reference"]) for s in [str(u), *spellings]]
    assert [r["idempotency_key"] for r in await Feedback.select(Feedback.idempotency_key)] == [str(u)]


async def test_device_times_that_cannot_be_true_are_refused_and_odd_ones_flagged(client):
    setup = await enrolled(client)
    now = dt.datetime.now(dt.timezone.utc)
    impossible = ["0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59Z", "9999-12-31T23:30:00-01:00",
                  "2019-12-31T23:59:59Z", (now + dt.timedelta(days=1, minutes=5)).isoformat()]
    possible = ["2020-01-01T00:00:00Z", (now + dt.timedelta(hours=2)).isoformat(), (now - dt.timedelta(hours=1)).isoformat(),
                "2026-11-20T09:15:00"]  # no offset: taken as UTC
    results = await sync(client, setup, [entry(device_time=t) for t in impossible + possible])
    assert [(r["status"], r["reason"]) for r in results[:6]] == [("rejected", "device_time:impossible")] * 6
    assert results[0]["message"] == "L'heure de l'appareil est impossible : réglez son horloge."
    assert [r["status"] for r in results[6:]] == ["accepted"] * 4
    rows = {r["reference"]: r for r in await Feedback.select(Feedback.reference, Feedback.flagged, Feedback.submitted_at)}
    # A clock two hours ahead is odd, not impossible: kept, flagged for a person to look at.
    assert [rows[r["reference"]]["flagged"] for r in results[6:]] == [False, True, False, False]
    assert rows[results[9]["reference"]]["submitted_at"] == dt.datetime(2026, 11, 20, 9, 15, tzinfo=dt.timezone.utc)


async def test_an_item_stored_before_is_answered_duplicate_even_if_it_can_no_longer_be_read(client):
    setup = await enrolled(client)
    item = entry()
    first = (await sync(client, setup, [item]))[0]
    replays = await sync(client, setup, [{**item, "rating": "five"}, {**item, "device_time": "0001-01-01T00:00:00Z"}, {**item, "id": item["id"].upper()}])
    assert [(r["status"], r["reference"]) for r in replays] == [("duplicate", first["reference"])] * 3
    assert await Feedback.count() == 1


async def test_a_button_box_cannot_post_for_another_offices_service_either(client):
    setup = await enrolled(client, kind="buttons")
    results = await sync(client, setup, [entry(service="titres-identite"), entry(service="accueil-mairie"), entry()])
    assert [(r["status"], r["reason"]) for r in results] == [("rejected", "service:not_served"), ("accepted", None), ("accepted", None)]
    assert results[0]["message"] == "Ce service n'est pas proposé dans ce lieu."
    assert await Feedback.count() == 2
