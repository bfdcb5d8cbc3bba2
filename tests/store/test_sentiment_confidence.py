"""How sure a sentiment is and where it came from, in the store: written with the labels, certain once staff set it,
searched and ordered by the inbox, and read by the migration from labels stored before it."""

import contextlib
import datetime as dt
import io
import uuid

import pytest
from piccolo.apps.migrations.commands.forwards import run_forwards

from portal.settings import Settings
from portal.store import feedback, inbox
from portal.store.core.tables import Classification, Feedback
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.store.labels import ModelLabels, claim_pending, store_labels
from tests.conftest import PG_ADMIN_URL, TEST_DB, _pg_admin
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff


def _said(feedback_id: int, sentiment: str, confidence: float, source: str = "text") -> ModelLabels:
    rest = (1.0 - confidence) / 2
    scores = {s: (confidence if s == sentiment else rest) for s in ("negative", "neutral", "positive")}
    return ModelLabels(
        feedback=feedback_id, model_version="test-1", sentiment=sentiment, sentiment_scores=scores,
        topics=["access"], topic_scores={"access": 0.8}, urgent=False, urgent_score=0.1, flags=[], language="fr",
        embedding=b"\x00" * 16, flagged=False, sentiment_source=source, sentiment_confidence=confidence,
    )


async def _label(said: list[ModelLabels]) -> None:
    claimed = await claim_pending(batch_size=len(said) + 5)
    assert sorted(await store_labels(claimed, said)) == sorted(s.feedback for s in said)


async def _effective(feedback_id: int) -> tuple:
    row = await Feedback.select(Feedback.sentiment, Feedback.sentiment_confidence, Feedback.sentiment_source).where(
        Feedback.id == feedback_id
    ).first()
    confidence = None if row["sentiment_confidence"] is None else round(row["sentiment_confidence"], 4)
    return row["sentiment"], confidence, row["sentiment_source"]


async def test_the_models_confidence_and_source_are_stored_and_a_staff_correction_is_certain(db):
    service = await create_service()
    admin = await create_staff("admin")
    rated = (await create_feedback(service, text="Deux heures d'attente.", rating=2)).feedback_id
    plain = (await create_feedback(service, text="Accueil correct.")).feedback_id
    assert await _effective(plain) == (None, None, None)  # not labelled yet: nothing to be sure of

    await _label([_said(rated, "negative", 0.48, "text+rating"), _said(plain, "positive", 0.91)])
    assert await _effective(rated) == ("negative", 0.48, "text+rating")
    assert await _effective(plain) == ("positive", 0.91, "text")
    model = await feedback.latest_classification(rated)
    assert model["sentiment_source"] == "text+rating" and model["sentiment_confidence"] == pytest.approx(0.48, abs=1e-6)

    await feedback.correct_labels(rated, service["id"], "neutral", ["access"], False, admin)
    assert await _effective(rated) == ("neutral", 1.0, "staff")
    await feedback.correct_labels(plain, service["id"], None, [], False, admin)  # "non classé": nothing is certain
    assert await _effective(plain) == (None, None, "staff")

    # A later model run is kept as the model's opinion; the person's label stays effective and certain.
    await Feedback.update({Feedback.classify_state: "pending"}).where(Feedback.id == rated)
    await _label([_said(rated, "negative", 0.52, "text+rating")])
    assert await _effective(rated) == ("neutral", 1.0, "staff")
    latest = await feedback.latest_classification(rated)
    assert latest["sentiment_confidence"] == pytest.approx(0.52, abs=1e-6)
    assert await Classification.count().where(Classification.feedback == rated) == 2


async def _item(service: dict, confidence: float | None, *, urgent: bool = False, sentiment: str = "negative",
                source: str = "text") -> int:
    submitted = await create_feedback(service, text="Un avis avec des mots.")
    await Feedback.update({
        Feedback.sentiment: sentiment if confidence is not None else None, Feedback.sentiment_confidence: confidence,
        Feedback.sentiment_source: source if confidence is not None else None, Feedback.urgent: urgent,
        Feedback.received_at: dt.datetime.now(dt.timezone.utc),
    }).where(Feedback.id == submitted.feedback_id)
    return submitted.feedback_id


async def test_the_inbox_finds_the_unsure_and_lists_the_least_sure_first_in_keyset_pages(db):
    service, other = await create_service(), await create_service()
    sure = await _item(service, 0.93)
    unlabelled = await _item(service, None)
    corrected = await _item(service, 1.0, source="staff")
    unsure_urgent = await _item(service, 0.41, urgent=True)
    unsure = await _item(service, 0.55, sentiment="positive")
    tie = await _item(service, 0.55)
    await _item(other, 0.30)
    mine = (service["id"],)

    least_sure = inbox.InboxSearch(services=mine, least_sure_first=True)
    whole = [r["id"] for r in await inbox.feedback_for_inbox(least_sure, limit=20)]
    assert whole == [unsure_urgent, unsure, tie, sure, corrected, unlabelled]
    paged, after = [], None
    while page := await inbox.feedback_for_inbox(least_sure, after, limit=1):
        paged.append(page[0]["id"])
        after = inbox.key_of(least_sure, page[0])
    assert paged == whole

    to_check = inbox.InboxSearch(services=mine, confidence_below=0.6)
    assert [r["id"] for r in await inbox.feedback_for_inbox(to_check)] == [unsure_urgent, unsure, tie]  # usual order
    assert [r["id"] for r in await inbox.feedback_for_inbox(inbox.InboxSearch(
        services=mine, confidence_below=0.6, sentiment="negative", urgent=False, least_sure_first=True))] == [tie]
    assert {r["id"] for r in await inbox.feedback_for_inbox(inbox.InboxSearch(confidence_below=0.6))} == {
        unsure_urgent, unsure, tie, *(r["id"] for r in await Feedback.select(Feedback.id).where(Feedback.service == other["id"]))}


async def test_the_export_reads_the_least_sure_first_in_pages(db, monkeypatch):
    service = await create_service()
    for confidence in (0.9, None, 0.5, 0.5, 0.7, None, 1.0):
        await _item(service, confidence)
    search = inbox.InboxSearch(services=(service["id"],), least_sure_first=True)
    whole = await inbox.feedback_for_inbox(search, limit=20)
    monkeypatch.setattr(inbox, "EXPORT_PAGE", 2)
    assert await inbox.feedback_for_export(search, limit=20) == whole
    assert await inbox.feedback_for_export(search, limit=5) == whole[:5]


INITIAL_CORE = "2026-12-01T10:22:32:367493"  # the core schema before the confidence was kept
SCORES = '{"negative": %s, "neutral": %s, "positive": %s}'


@pytest.fixture
async def old_store(tmp_path):
    """A database of its own, migrated only up to the core schema before this change; dropped after."""
    name = f"guichet_migration_{uuid.uuid4().hex[:10]}"
    if TEST_DB == "postgres":
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'old.db'}"
    settings = Settings.from_env(environ={}, data_dir=str(tmp_path), database_url=url)
    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=2)
    try:
        await _forwards("core", INITIAL_CORE)
        yield engine
    finally:
        await close_engine(engine)
        if TEST_DB == "postgres":
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _forwards(app_name: str, migration_id: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        response = await run_forwards(app_name=app_name, migration_id=migration_id, fake=False)
    assert response.success, response.message


async def test_the_migration_reads_the_confidence_of_labels_stored_before_it(old_store):
    run = old_store.run_ddl
    await run("INSERT INTO service (id, code, name_fr, name_en) VALUES (1, 'etat-civil', 'État civil', 'Civil status')")
    for fid, sentiment in ((1, "'negative'"), (2, "'neutral'"), (3, "'positive'"), (4, "NULL"), (5, "NULL")):
        await run(f"INSERT INTO feedback (id, reference, service, text, sentiment, submitted_at) "
                  f"VALUES ({fid}, 'GCH-OLD-{fid}', 1, 'Un avis.', {sentiment}, CURRENT_TIMESTAMP)")
    for cid, fid, sentiment, scores in ((1, 1, "negative", (0.48, 0.3, 0.22)), (2, 2, "positive", (0.05, 0.05, 0.9)),
                                        (3, 2, "neutral", (0.25, 0.55, 0.2)), (4, 3, "negative", (0.7, 0.2, 0.1))):
        await run(f"INSERT INTO classification (id, feedback, model_version, sentiment, sentiment_scores, topics, "
                  f"topic_scores, flags, language) VALUES ({cid}, {fid}, 'old', '{sentiment}', '{SCORES % scores}', "
                  "'[]', '{}', '[]', 'fr')")
    # Ratings given without text, labelled by nothing before: from the rating now, unless staff set the sentiment.
    for fid, rating in ((6, 1), (7, 3), (8, 5), (9, 4)):
        await run(f"INSERT INTO feedback (id, reference, service, text, rating, submitted_at) "
                  f"VALUES ({fid}, 'GCH-OLD-{fid}', 1, '', {rating}, CURRENT_TIMESTAMP)")
    await run("INSERT INTO staff_label (feedback, sentiment) VALUES (3, 'positive')")
    await run("INSERT INTO staff_label (feedback, sentiment) VALUES (4, NULL)")
    await run("INSERT INTO staff_label (feedback, sentiment) VALUES (9, NULL)")

    await _forwards("all", "all")
    rows = {r["id"]: (r["sentiment_confidence"] and round(r["sentiment_confidence"], 4), r["sentiment_source"])
            for r in await Feedback.select(Feedback.id, Feedback.sentiment_confidence, Feedback.sentiment_source)}
    assert rows == {1: (0.48, "text"), 2: (0.55, "text"), 3: (1.0, "staff"), 4: (None, "staff"), 5: (None, None),
                    6: (0.8, "rating"), 7: (0.8, "rating"), 8: (0.8, "rating"), 9: (None, "staff")}
    rated = {r["id"]: r["sentiment"] for r in await Feedback.select(Feedback.id, Feedback.sentiment).where(Feedback.id >= 6)}
    assert rated == {6: "negative", 7: "neutral", 8: "positive", 9: None}
    labels = {r["id"]: (round(r["sentiment_confidence"], 4), r["sentiment_source"]) for r in await Classification.select(
        Classification.id, Classification.sentiment_confidence, Classification.sentiment_source)}
    assert labels == {1: (0.48, "text"), 2: (0.9, "text"), 3: (0.55, "text"), 4: (0.7, "text")}
