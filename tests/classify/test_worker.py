"""The classification pipeline on the real store and the real model: claim, label, lease, reclaim."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from portal.__main__ import build_parser
from portal.classify.worker import classify_batch, run_once, run_worker
from portal.store.core.tables import Classification, Feedback, FeedbackTopic, StaffLabel
from portal.store.labels import claim_pending, store_labels
from portal.store.workspace.tables import ReportGroupMember
from tests.conftest import ROOT, clean_tables
from tests.factories import create_feedback, create_service

TEXTS = [
    "J ai attendu 3 heures au guichet de la prefecture sans pouvoir deposer mon dossier, scandaleux",
    "Le site plante a chaque fois que je valide le formulaire de changement d adresse",
    "Very kind lady at the desk, she explained everything clearly, thank you!",
    "Impossible d avoir quelqu un au telephone depuis deux semaines, personne ne repond",
]


async def test_worker_labels_pending_feedback_and_stores_embeddings(db, classifier):
    service = await create_service()
    submitted = [await create_feedback(service, text=t) for t in TEXTS]
    rating_only = await create_feedback(service, text="", rating=4)
    assert await run_once(classifier) == len(TEXTS)
    assert await run_once(classifier) == 0

    rows = {r["id"]: r for r in await Feedback.select()}
    # Never claimed by the worker: intake labelled it from its rating.
    assert rows[rating_only.feedback_id]["sentiment"] == "positive"
    assert rows[rating_only.feedback_id]["sentiment_source"] == "rating"
    for s in submitted:
        row = rows[s.feedback_id]
        assert row["classify_state"] == "done" and row["sentiment"] in ("negative", "neutral", "positive")
    assert rows[submitted[0].feedback_id]["sentiment"] == "negative"
    assert rows[submitted[2].feedback_id]["sentiment"] == "positive"
    assert "digital" in rows[submitted[1].feedback_id]["topics"].split(",")

    classifications = await Classification.select()
    assert len(classifications) == len(TEXTS)
    vector = np.frombuffer(classifications[0]["embedding"], dtype=np.float32)
    assert vector.shape == (classifier.encoder.dim,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-3
    assert classifications[0]["model_version"] == classifier.model_version
    topics = await FeedbackTopic.select().where(FeedbackTopic.feedback == submitted[1].feedback_id)
    assert "digital" in {t["topic"] for t in topics}


async def test_staff_labels_stay_effective_when_the_model_runs(db, classifier):
    service = await create_service()
    item = await create_feedback(service, text=TEXTS[0])
    await StaffLabel(feedback=item.feedback_id, sentiment="neutral", topics=["access"], urgent=True).save()
    await Feedback.update({Feedback.sentiment: "neutral", Feedback.urgent: True, Feedback.topics: "access"}).where(
        Feedback.id == item.feedback_id
    )
    assert await run_once(classifier) == 1
    row = await Feedback.select().where(Feedback.id == item.feedback_id).first()
    assert (row["sentiment"], row["urgent"], row["topics"]) == ("neutral", True, "access")
    model = await Classification.select().where(Classification.feedback == item.feedback_id).first()
    assert model["sentiment"] == "negative"  # the model's own opinion is kept apart


async def test_an_expired_lease_is_reclaimed_and_the_late_worker_stores_nothing(db, classifier):
    service = await create_service()
    for t in TEXTS:
        await create_feedback(service, text=t)
    first = await claim_pending(batch_size=10, lease_seconds=1)
    assert len(first.items) == len(TEXTS)
    assert (await claim_pending(batch_size=10)).items == []  # leased: nobody else takes them
    await asyncio.sleep(1.2)
    second = await claim_pending(batch_size=10, lease_seconds=60)
    assert [i["id"] for i in second.items] == [i["id"] for i in first.items]

    labelled = classify_batch(classifier, first.items)
    assert await store_labels(first, labelled) == []  # lost its lease
    assert len(await store_labels(second, labelled)) == len(TEXTS)
    assert await Classification.count() == len(TEXTS)


@pytest.mark.postgres_only
async def test_concurrent_claims_on_postgres_are_disjoint(db):
    service = await create_service()
    for i in range(40):
        await create_feedback(service, text=f"avis {i}")
    claims = await asyncio.gather(*(claim_pending(batch_size=8) for _ in range(6)))
    ids = [i["id"] for c in claims for i in c.items]
    assert len(ids) == len(set(ids)) == 40


async def test_a_killed_worker_process_loses_nothing_and_labels_nothing_twice(db, classifier, model_cache_dir):
    service = await create_service()
    # Enough batches that the kill lands while one is held, even when a loaded machine slows
    # the polling below (with 6 batches the worker once finished its last one in between).
    items = 192
    for i in range(items):
        await create_feedback(service, text=f"{TEXTS[i % len(TEXTS)]} (cas {i})")
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(model_cache_dir),
        "PORTAL_DATABASE_URL": db.database_url,
        "PORTAL_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "portal", "worker", "--batch-size", "16", "--lease-seconds", "2"],
        env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            claimed = await Feedback.count().where(Feedback.classify_state == "claimed")
            done = await Feedback.count().where(Feedback.classify_state == "done")
            if claimed and done:  # killed while holding a batch, after finishing at least one
                break
            assert worker.poll() is None, worker.stderr.read()
            await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    stranded = await Feedback.count().where(Feedback.classify_state == "claimed")
    assert stranded > 0
    await asyncio.sleep(2.2)  # the dead worker's lease runs out
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(classifier, stop, batch_size=32, poll_seconds=0.2))
    deadline = time.monotonic() + 120
    while await Feedback.count().where(Feedback.classify_state != "done") and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    stop.set()
    await task
    assert await Feedback.count().where(Feedback.classify_state != "done") == 0
    per_item = await Classification.raw("SELECT feedback, COUNT(*) AS n FROM classification GROUP BY feedback")
    assert len(per_item) == items and {r["n"] for r in per_item} == {1}


SAME_PROBLEM = [
    "Impossible de prendre rendez-vous en ligne pour le passeport, aucun creneau disponible depuis un mois",
    "pas de rdv dispo pour faire mon passeport sur le site, ca fait 4 semaines que je regarde tous les jours",
    "No appointment slots available online for a passport renewal, I have been checking for weeks",
]


async def _wait_for_one_group(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await ReportGroupMember.count() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    members = await ReportGroupMember.select(ReportGroupMember.report_group, ReportGroupMember.feedback)
    assert len(members) >= 2 and len({m["report_group"] for m in members}) == 1


async def test_the_worker_files_similar_reports_into_groups_once_the_queue_is_drained(db, classifier):
    service = await create_service()
    for text in SAME_PROBLEM:
        await create_feedback(service, text=text)
    # `portal worker` as the root wires it: the filing of similar reports is its after-drain step.
    after_drain = build_parser().parse_args(["worker"]).after_drain
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(classifier, stop, poll_seconds=0.1, after_drain=after_drain))
    try:
        await _wait_for_one_group()
    finally:
        stop.set()
        await task


async def test_the_worker_inside_the_portal_files_similar_reports_too(make_app, model_cache_dir):
    app = make_app(run_worker=True, data_dir=str(model_cache_dir))
    async with app.lifespan():
        try:
            service = await create_service()
            for text in SAME_PROBLEM:
                await create_feedback(service, text=text)
            await _wait_for_one_group(timeout=120)  # the portal loads its own classifier first
        finally:
            await clean_tables()


async def test_the_worker_combines_the_rating_given_with_the_text(db, classifier):
    service = await create_service()
    text = "Rendez-vous pris en ligne, reçu à l'heure."  # not a complaint, read alone
    alone = await create_feedback(service, text=text)
    rated = await create_feedback(service, text=text + " ", rating=1)
    await run_once(classifier)
    rows = {r["id"]: r["sentiment"] for r in await Feedback.select(Feedback.id, Feedback.sentiment)}
    assert rows[alone.feedback_id] != "negative"
    assert rows[rated.feedback_id] == "negative"  # a 1 is never labelled positive; here it decides


async def test_the_worker_stores_how_sure_the_sentiment_is_and_where_it_came_from(db, classifier):
    service = await create_service()
    rated = await create_feedback(service, text=TEXTS[0], rating=1)
    unrated = await create_feedback(service, text=TEXTS[2])
    assert await run_once(classifier) == 2
    labels = {c["feedback"]: c for c in await Classification.select().output(load_json=True)}
    rows = {r["id"]: r for r in await Feedback.select()}
    for item, source in ((rated, "text+rating"), (unrated, "text")):
        model, row = labels[item.feedback_id], rows[item.feedback_id]
        top = max(model["sentiment_scores"].values())
        assert model["sentiment_source"] == row["sentiment_source"] == source
        assert model["sentiment_confidence"] == pytest.approx(top, abs=1e-6)
        assert row["sentiment_confidence"] == pytest.approx(top, abs=1e-6) and row["sentiment"] == model["sentiment"]
