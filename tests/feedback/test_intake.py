"""Intake domain: validation, idempotency, durability and redaction on the real store."""

import asyncio

import pytest

from portal.feedback.intake import FeedbackInput, IntakeError, submit_feedback
from portal.store.core.tables import Feedback
from portal.store.feedback import find_for_citizen
from tests.factories import create_feedback, create_office, create_service


async def test_feedback_is_stored_with_reference_redaction_and_language(db):
    service = await create_service()
    submitted = await create_feedback(
        service, text="Personne ne répond au 06 12 34 56 78, j'ai attendu deux heures au guichet.", rating=2
    )
    row = await Feedback.select().where(Feedback.reference == submitted.reference).first()
    assert submitted.created and submitted.reference.startswith("GCH-")
    assert row["rating"] == 2 and row["status"] == "received" and row["channel"] == "web"
    assert "06 12 34 56 78" in row["text"]
    assert "06 12 34 56 78" not in row["redacted_text"] and "attendu deux heures" in row["redacted_text"]
    assert row["language"] == "fr"
    assert row["classify_state"] == "pending"


@pytest.mark.parametrize("rating, sentiment", [(1, "negative"), (2, "negative"), (3, "neutral"), (5, "positive")])
async def test_rating_only_feedback_is_labelled_from_the_rating_with_that_source(db, rating, sentiment):
    service = await create_service()
    submitted = await create_feedback(service, text="", rating=rating)
    row = await Feedback.select().where(Feedback.id == submitted.feedback_id).first()
    assert row["classify_state"] == "done" and row["rating"] == rating
    assert row["sentiment"] == sentiment and row["sentiment_source"] == "rating"
    assert row["sentiment_confidence"] == pytest.approx(0.8)


async def test_feedback_with_words_waits_for_the_model_even_with_a_rating(db):
    service = await create_service()
    submitted = await create_feedback(service, text="Très bien reçu", rating=5)
    row = await Feedback.select().where(Feedback.id == submitted.feedback_id).first()
    assert row["classify_state"] == "pending" and row["sentiment"] is None and row["sentiment_source"] is None


@pytest.mark.parametrize(
    "fields, field, code",
    [
        ({"text": "", "rating": None}, "text", "required"),
        ({"text": "x" * 4001}, "text", "too_long"),
        ({"rating": 6}, "rating", "out_of_range"),
        ({"rating": 0}, "rating", "out_of_range"),
        ({"contact_email": "pas-une-adresse"}, "contact_email", "invalid"),
        ({"contact_email": "a@example.org", "contact_consent": False}, "contact_consent", "required"),
    ],
)
async def test_invalid_feedback_is_refused_and_nothing_stored(db, fields, field, code):
    service = await create_service()
    data = {"text": "Un avis", **fields}
    with pytest.raises(IntakeError) as caught:
        await submit_feedback(FeedbackInput(service_code=service["code"], **data))
    assert (field, code) in [(e.field, e.code) for e in caught.value.errors]
    assert await Feedback.count() == 0


async def test_unknown_or_inactive_service_is_refused(db):
    inactive = await create_service(active=False)
    for code in ("nope", inactive["code"]):
        with pytest.raises(IntakeError) as caught:
            await submit_feedback(FeedbackInput(service_code=code, text="Bonjour"))
        assert caught.value.errors[0].field == "service"
    assert await Feedback.count() == 0


async def test_same_idempotency_key_gives_one_row_even_when_concurrent(db):
    service = await create_service()
    data = FeedbackInput(service_code=service["code"], text="Le site plante", idempotency_key="k-123", source="api", channel="api")
    results = await asyncio.gather(*(submit_feedback(data) for _ in range(8)))
    assert len({r.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await Feedback.count() == 1
    # The same key from another source is another feedback.
    other = await submit_feedback(FeedbackInput(service_code=service["code"], text="Le site plante", idempotency_key="k-123", source="web"))
    assert other.reference != results[0].reference


async def test_office_must_serve_the_service(db):
    served, other = await create_service(), await create_service()
    office = await create_office(services=[served])
    ok = await create_feedback(served, office_id=office["id"], channel="counter", given_as="spoken")
    assert ok.created
    with pytest.raises(IntakeError):
        await create_feedback(other, office_id=office["id"], channel="counter", given_as="spoken")


async def test_tracking_never_shows_the_original_text(db):
    service = await create_service(name_fr="Cartes d'identité")
    submitted = await create_feedback(service, text="Écrivez-moi à jeanne.dupont@example.org svp")
    tracked = await find_for_citizen(submitted.reference)
    assert tracked["service_name_fr"] == "Cartes d'identité"
    assert "jeanne.dupont@example.org" not in str(tracked)
    assert await find_for_citizen("GCH-2222-2222") is None


async def test_concurrent_submissions_all_get_distinct_references(db):
    service = await create_service()
    results = await asyncio.gather(*(create_feedback(service, text=f"avis {i}") for i in range(50)))
    assert len({r.reference for r in results}) == 50
    assert await Feedback.count() == 50
