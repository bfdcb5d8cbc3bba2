"""Chips tapped on a kiosk are the visitor's own topics: stored at once, kept through labelling, shown, counted once."""

from __future__ import annotations

import datetime as dt
import importlib

from portal.digests.content import build_digest
from portal.digests.periods import parse_period
from portal.feedback.chips import counted_topics, tapped_words
from portal.review import items
from portal.review.dashboards import dashboard
from portal.store import feedback as feedback_store
from portal.store.core.tables import Feedback, FeedbackTopic
from portal.store.engine import current_engine, is_postgres
from portal.store.labels import ModelLabels, claim_pending, store_labels
from portal.web.i18n import current_language, translate
from tests.counters.test_sync_api import enrolled, entry
from tests.review.staff import create_staff, signed_in

WEEK = parse_period("weekly", "2026-W46")  # Monday 9 to Monday 16 November 2026, Paris time


def _said(feedback_id: int, topics: list[str]) -> ModelLabels:
    return ModelLabels(
        feedback=feedback_id, model_version="test-1", sentiment="negative",
        sentiment_scores={"negative": 0.9, "neutral": 0.05, "positive": 0.05}, topics=topics,
        topic_scores={t: 0.7 for t in topics}, urgent=False, urgent_score=0.1, flags=[], language="fr",
        embedding=b"\x00" * 16, flagged=False,
    )


async def _topics(feedback_id: int) -> dict[str, str]:
    rows = await FeedbackTopic.select(FeedbackTopic.topic, FeedbackTopic.source).where(FeedbackTopic.feedback == feedback_id)
    assert len(rows) == len({r["topic"] for r in rows})  # one row per topic, whoever gave it
    return {r["topic"]: r["source"] for r in rows}


async def _sync(client, setup, items) -> list[int]:
    response = await client.post("/api/v1/counters/sync", json={"items": items}, headers=setup["headers"])
    assert response.status_code == 200, response.text
    refs = [r["reference"] for r in response.json()["results"]]
    rows = {r["reference"]: r["id"] for r in await Feedback.select(Feedback.id, Feedback.reference)}
    return [rows[ref] for ref in refs]


def test_chips_count_for_the_portal_topic_they_are_evidence_of():
    known = ("access", "information", "relation", "responsiveness", "simplicity", "digital")
    assert counted_topics(["locaux", "horaires", "accueil"], known) == ["access", "relation"]
    assert counted_topics(["digital", "bidule", "attente"], known) == ["digital", "responsiveness"]
    asked = {"topics": [{"id": "parking", "fr": "Stationnement", "en": "Parking"}]}
    assert tapped_words(["attente", "parking", "bidule"], asked, "en") == ["Waiting time", "Parking"]
    assert tapped_words(["accueil"], None, "fr") == ["Accueil"]


async def test_tapped_chips_are_effective_topics_from_the_start_and_stay_through_labels_and_corrections(client):
    setup = await enrolled(client)
    rating_only, commented, unknown = await _sync(client, setup, [
        entry(rating=2, topics=["attente", "accueil"]),
        entry(rating=3, topics=["information", "locaux", "horaires"], comment="On ne trouve pas le bon bureau."),
        entry(rating=4, topics=["bidule"]),
    ])
    # A press without words is never classified: its chips alone give it its topics.
    assert await _topics(rating_only) == {"responsiveness": "visitor", "relation": "visitor"}
    assert await _topics(commented) == {"information": "visitor", "access": "visitor"}
    assert await _topics(unknown) == {}

    # The model finds one of the visitor's topics and one more: the shared one is counted once.
    claimed = await claim_pending(batch_size=10)
    assert [i["id"] for i in claimed.items] == [commented]
    await store_labels(claimed, [_said(commented, ["information", "digital"])])
    assert await _topics(commented) == {"information": "visitor", "access": "visitor", "digital": "label"}
    row = await feedback_store.feedback_for_staff(commented)
    assert row["topics"] == "information,digital"  # the labels' topics, which corrections and training read

    # A correction replaces the labels' topics; what the visitor chose stays theirs.
    agent = await create_staff("agent", services=[setup["service"]])
    await feedback_store.correct_labels(commented, setup["service"]["id"], "negative", ["simplicity"], False, agent)
    assert await _topics(commented) == {"information": "visitor", "access": "visitor", "simplicity": "label"}

    figures = await dashboard(service_id=setup["service"]["id"])
    assert {r["topic"]: r["n"] for r in figures["topics"]} == {
        "responsiveness": 1, "relation": 1, "information": 1, "access": 1, "simplicity": 1,
    }

    # The digest counts them too, rating-only presses included (labelled from their rating: 2 is negative).
    inside = WEEK.start + dt.timedelta(days=2)
    await Feedback.update({Feedback.received_at: inside}).where(Feedback.id.is_in([rating_only, commented, unknown]))
    digest = await build_digest([setup["service"]["code"]], WEEK, "fr", "https://guichet.example.fr")
    lines = {t.topic: (t.current, t.negative) for t in digest.overall.topics}
    assert lines["responsiveness"] == (1, 1) and lines["relation"] == (1, 1)
    assert lines["information"] == (1, 1) and lines["access"] == (1, 1) and "digital" not in lines


async def test_the_item_page_and_the_inbox_show_the_visitors_topics_in_words(client):
    setup = await enrolled(client)
    tapped, plain = await _sync(client, setup, [entry(topics=["attente", "accueil", "bidule"]), entry()])
    agent = await create_staff("agent", services=[setup["service"]])
    await signed_in(client, agent)
    page = (await client.get(f"/staff/items/{tapped}")).text
    assert "Thèmes choisis par la personne</dt><dd id=\"tapped-topics\">Temps d&#39;attente, Accueil</dd>" in page
    assert "bidule" not in page
    # In the reader's language (the staff pages follow it once they are translated).
    token = current_language.set("en")
    try:
        assert await items.tapped_topics(tapped) == ["Waiting time", "Welcome"]
    finally:
        current_language.reset(token)
    assert translate("en", "Thèmes choisis par la personne") == "Topics the person chose"
    assert "tapped-topics" not in (await client.get(f"/staff/items/{plain}")).text
    inbox = (await client.get("/staff/inbox", params={"comment": "all"})).text  # kiosk presses are apart by default
    assert inbox.count("Choisis par la personne :") == 1 and "Choisis par la personne : Temps d&#39;attente, Accueil" in inbox


async def test_chips_tapped_before_they_counted_are_backfilled_once(client):
    setup = await enrolled(client)
    [item] = await _sync(client, setup, [entry(topics=["locaux", "horaires", "accueil"], comment="Rampe d'accès cassée.")])
    # As stored before the migration: the chips only, and the labels' topics (one shared with a chip).
    await FeedbackTopic.delete().where(FeedbackTopic.feedback == item)
    await FeedbackTopic.insert(FeedbackTopic(feedback=item, topic="access", score=0.8),
                               FeedbackTopic(feedback=item, topic="digital", score=0.6))
    backfill = importlib.import_module("portal.store.counters.piccolo_migrations.counters_2026_12_01t13_30_01_000000")
    engine = current_engine()
    for _ in range(2):  # run twice: nothing more the second time
        for statement in backfill.statements("postgres" if is_postgres(engine) else "sqlite"):
            await engine.run_ddl(statement)
    assert await _topics(item) == {"access": "visitor", "relation": "visitor", "digital": "label"}
