"""Devices in the store: an enrolment code is traded once, and tapped topics are stored with their feedback or not at all."""

import asyncio
import datetime as dt
import uuid

import pytest

from portal.feedback.intake import FeedbackInput, prepare_feedback
from portal.store import devices
from portal.store.core.tables import Feedback
from portal.store.counters.tables import KioskChoice
from tests.factories import create_office, create_service

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)


async def _device(service: dict) -> tuple[dict, int]:
    office = await create_office(services=[service])
    kiosk_id = await devices.create_device(office["id"], "Tablette", "kiosk", {"service": service["code"]}, 30, 1500)
    return office, kiosk_id


def _row(service: dict, office: dict, kiosk_id: int, key: str | None = None):
    data = FeedbackInput(service_code=service["code"], rating=4, channel="kiosk", source=f"kiosk:{kiosk_id}",
                         given_as="kiosk", idempotency_key=key or str(uuid.uuid4()), office_id=office["id"])
    return prepare_feedback(data, service, NOW)


async def test_an_enrolment_code_is_traded_for_a_token_once_and_only_before_it_expires(db):
    service = await create_service()
    _, kiosk_id = await _device(service)
    assert await devices.set_enrolment_code(kiosk_id, "c" * 64, NOW + dt.timedelta(hours=1))
    assert not await devices.set_enrolment_code(kiosk_id + 1000, "d" * 64, NOW)
    assert await devices.enrol_with_code("c" * 64, "t" * 64, NOW + dt.timedelta(hours=2)) is None  # expired by then
    assert await devices.enrol_with_code("c" * 64, "t" * 64, NOW) == kiosk_id
    assert await devices.enrol_with_code("c" * 64, "u" * 64, NOW) is None  # used
    device = await devices.device_with_token("t" * 64)
    assert device["id"] == kiosk_id and device["question_set"] == {"service": service["code"]}
    assert await devices.revoke_device(kiosk_id, NOW) and not await devices.revoke_device(kiosk_id, NOW)


async def test_tapped_topics_are_stored_with_the_rows_inserted_only(db):
    service = await create_service()
    office, kiosk_id = await _device(service)
    first = _row(service, office, kiosk_id)
    assert len(await devices.insert_device_feedback(kiosk_id, [first], [devices.TappedTopics(["attente"], "q1")])) == 1
    again = _row(service, office, kiosk_id, key=first.idempotency_key)  # a replay: skipped, and so are its chips
    plain = _row(service, office, kiosk_id)
    inserted = await devices.insert_device_feedback(
        kiosk_id, [again, plain], [devices.TappedTopics(["accueil"]), None]
    )
    assert [r["reference"] for r in inserted] == [plain.reference]
    choices = await KioskChoice.select(KioskChoice.topics, KioskChoice.question).output(load_json=True)
    assert choices == [{"topics": ["attente"], "question": "q1"}]


async def test_feedback_whose_chips_cannot_be_stored_is_not_stored_either(db):
    service = await create_service()
    office, kiosk_id = await _device(service)
    with pytest.raises(Exception, match="(?i)foreign key"):  # no such device: the chips' row is refused
        await devices.insert_device_feedback(kiosk_id + 1000, [_row(service, office, kiosk_id)], [devices.TappedTopics(["attente"])])
    assert await Feedback.count() == 0 and await KioskChoice.count() == 0


@pytest.mark.postgres_only
async def test_batches_from_many_kiosks_at_once_are_all_stored_though_they_meet_on_the_daily_counts(db):
    """Each row a batch inserts adds to its day's aggregate row (a trigger), in the batch's order: two batches
    meeting in opposite orders deadlock, and PostgreSQL aborts one; that one is run again, not refused."""
    import random

    services = [await create_service() for _ in range(2)]
    office = await create_office(services=services)
    kiosks = [await devices.create_device(office["id"], f"Tablette {i}", "kiosk", {"service": services[0]["code"]}, 30, 1500)
              for i in range(4)]
    rng = random.Random(7)

    def batch(kiosk_id: int) -> list:
        rows = []
        for _ in range(60):
            data = FeedbackInput(service_code=rng.choice(services)["code"], rating=rng.randint(1, 5), channel="kiosk",
                                 source=f"kiosk:{kiosk_id}", given_as="kiosk", idempotency_key=str(uuid.uuid4()),
                                 office_id=office["id"])
            rows.append(prepare_feedback(data, next(s for s in services if s["code"] == data.service_code), NOW))
        return rows

    expected = 0
    for _ in range(6):
        batches = [(kiosk_id, batch(kiosk_id)) for kiosk_id in kiosks]
        expected += sum(len(rows) for _, rows in batches)
        results = await asyncio.gather(*(devices.insert_device_feedback(k, rows, [None] * len(rows)) for k, rows in batches))
        assert [len(r) for r in results] == [len(rows) for _, rows in batches]
    assert await Feedback.count() == expected
