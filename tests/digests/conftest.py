"""Digest fixtures: settings that send to the test SMTP server, and labelled feedback."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import httpx
import numpy as np
import pytest

from portal.store.core.tables import Classification, Feedback, FeedbackTopic, Service
from tests.factories import create_feedback


@pytest.fixture
def mail_settings(db, smtp_server):
    """Settings of the test database with e-mail going to the test SMTP server."""
    return dataclasses.replace(db, smtp_url=smtp_server.url, base_url="https://guichet.example.fr")


async def owned_by(email: str, *codes: str) -> None:
    """List the address among these services' owners: a digest only covers its recipient's services."""
    for code in codes:
        row = await Service.select(Service.owner_emails).where(Service.code == code).first()
        owners = [e for e in (row["owner_emails"] or "").split(",") if e]
        await Service.update({Service.owner_emails: ",".join([*owners, email])}).where(Service.code == code)


def unit_vector(seed: int, near: np.ndarray | None = None, spread: float = 0.0) -> np.ndarray:
    """A normalised 384-dim vector: random, or close to `near` (cosine about 1 - spread²/2)."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(384).astype(np.float32)
    v /= np.linalg.norm(v)
    if near is not None:
        v = near + spread * v
        v /= np.linalg.norm(v)
    return v.astype(np.float32)


async def labelled_feedback(service: dict, at: dt.datetime, *, text: str = "Accueil correct, rien à signaler.",
                            rating: int | None = 4, channel: str = "web", sentiment: str = "neutral",
                            topics: tuple[str, ...] = (), urgent: bool = False, status: str = "received",
                            embedding: np.ndarray | None = None, answered_at: dt.datetime | None = None,
                            office_id: int | None = None) -> int:
    """Feedback through intake, then the labels the classification worker would write."""
    given_as = {"counter": "spoken", "kiosk": "kiosk"}.get(channel, "online")
    submitted = await create_feedback(service, text=text, rating=rating, channel=channel, source=channel,
                                      given_as=given_as, office_id=office_id)
    fid = submitted.feedback_id
    await Feedback.update({
        Feedback.received_at: at, Feedback.submitted_at: at, Feedback.sentiment: sentiment,
        Feedback.urgent: urgent, Feedback.topics: ",".join(topics), Feedback.status: status,
        Feedback.answered_at: answered_at, Feedback.classify_state: "done",
    }).where(Feedback.id == fid)
    for topic in topics:
        await FeedbackTopic(feedback=fid, topic=topic, score=0.9).save()
    if embedding is not None:
        await Classification(feedback=fid, model_version="test-1", sentiment=sentiment, sentiment_scores={},
                             topics=list(topics), topic_scores={}, urgent=urgent, flags=[], language="fr",
                             embedding=embedding.astype(np.float32).tobytes()).save()
    return fid


@contextlib.asynccontextmanager
async def running_app(make_app, **overrides):
    """The app with its lifespan entered in this loop, and an HTTP client on it.

    create_app binds its own engine; the test's engine is bound again afterwards, so the
    `db` fixture cleans and closes the engine it opened (a stray SQLite thread would keep
    the test process alive).
    """
    from portal.store.engine import bind_engine, bound_engine

    previous = bound_engine()
    app = make_app(**overrides)
    try:
        async with app.lifespan():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
                client.app = app
                yield client
    finally:
        if previous is not None:
            bind_engine(previous)
