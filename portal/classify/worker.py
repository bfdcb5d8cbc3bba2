"""The classification worker loop: claim a batch, classify it off the event loop, store the labels."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np

from portal.classify.flags import without_markup
from portal.classify.topics import DescribedTopics
from portal.store.labels import (
    LEASE_SECONDS,
    ModelLabels,
    claim_pending,
    release,
    services_of,
    store_labels,
)
from portal.web.logs import logging_for_request
from portal.web.metrics import channel_of, observe_labelling

log = logging.getLogger("portal.classify.worker")

# What runs once the queue is drained, with the services of the items labelled since the last time.
# The composition root passes the filing of similar reports (review), which the worker does not know.
AfterDrain = Callable[[list[int]], Awaitable[object]]

# Set by intake in this process when feedback arrives, so an in-process worker wakes at once.
_wake: dict[int, asyncio.Event] = {}


def notify_new_feedback() -> None:
    event = _wake.get(id(asyncio.get_running_loop()))
    if event is not None:
        event.set()


@dataclass
class WorkerStats:
    batches: int = 0
    labelled: int = 0
    failures: int = 0
    state: str = "starting"
    errors: list[str] = field(default_factory=list)


def classify_batch(classifier, items: list[dict]) -> list[ModelLabels]:
    """The CPU part, run in a thread: the labels, embedding and urgency score of each claimed item.

    Items are {"id", "text", "rating"}: the citizen's rating, when given, is combined with the text.
    """
    texts = [without_markup(i["text"]) for i in items]  # HTML tags are no part of what the person said
    encoded = classifier.encoder.encode(texts)
    labels = classifier.label(texts, encoded.features, encoded.embeddings, [i.get("rating") for i in items])
    urgent_scores = classifier.heads.urgent.scores(encoded.features)[:, 0].tolist()
    return [
        ModelLabels(
            feedback=item["id"], model_version=label["model_version"], sentiment=label["sentiment"],
            sentiment_scores=label["sentiment_scores"], sentiment_source=label["sentiment_source"],
            sentiment_confidence=max(label["sentiment_scores"].values()) if label["sentiment_scores"] else None,
            topics=label["topics"], topic_scores=label["topic_scores"],
            urgent=label["urgent"], urgent_score=float(urgent_score), flags=label["flags"], language=label["language"],
            embedding=np.asarray(vector, dtype=np.float32).tobytes(),
            flagged="spam" in label["flags"] or "abusive" in label["flags"],
        )
        for item, label, vector, urgent_score in zip(items, labels, encoded.embeddings, urgent_scores)
    ]


async def run_once(classifier, batch_size: int = 32, lease_seconds: int = LEASE_SECONDS,
                   touched_services: set[int] | None = None) -> int:
    """Claim and classify one batch; returns how many items were labelled.

    The services of the labelled items are added to `touched_services`, for the after-drain step.
    """
    claimed = await claim_pending(batch_size, lease_seconds)
    if not claimed.items:
        return 0
    try:
        labelled = await asyncio.to_thread(classify_batch, classifier, claimed.items)
    except BaseException:
        await release(claimed)
        raise
    stored = await store_labels(claimed, labelled)
    _record_labelled(claimed.items, stored)
    if stored and touched_services is not None:
        touched_services.update(await services_of(stored))
    return len(stored)


def _record_labelled(items: list[dict], stored: list[int]) -> None:
    """One log line per labelled item, under the id of the request that stored it, and its labelling latency."""
    now = dt.datetime.now(dt.timezone.utc)
    stored_ids = set(stored)
    for item in items:
        if item["id"] not in stored_ids:
            continue
        received = item.get("received_at")
        if isinstance(received, str):
            received = dt.datetime.fromisoformat(received)
        if received is not None and received.tzinfo is None:
            received = received.replace(tzinfo=dt.timezone.utc)
        seconds = (now - received).total_seconds() if received is not None else None
        if seconds is not None:
            observe_labelling(item.get("source") or "", seconds)
        with logging_for_request(item.get("request_id")):
            log.info("feedback %s labelled", item["id"], extra={"fields": {
                "feedback_id": item["id"], "channel": channel_of(item.get("source") or ""),
                "latency_ms": round(seconds * 1000) if seconds is not None else None}})


async def _run_after_drain(after_drain: AfterDrain, touched_services: set[int]) -> None:
    """Hand the services of newly labelled items to the after-drain step, once the queue is drained."""
    services = sorted(touched_services)
    touched_services.clear()
    try:
        await after_drain(services)
    except Exception:  # noqa: BLE001 - the labels are stored; the step has its own command to run it again
        log.exception("the after-drain step failed for services %s", services)


async def run_worker(classifier, stop: asyncio.Event, *, batch_size: int = 32, poll_seconds: float = 1.0,
                     lease_seconds: int = LEASE_SECONDS, stats: WorkerStats | None = None,
                     after_drain: AfterDrain | None = None) -> WorkerStats:
    """Classify until `stop` is set. Polls the store, and wakes early when this process takes feedback.

    Each time the queue is drained, `after_drain` (if given) gets the services of the items labelled since.
    """
    stats = stats or WorkerStats()
    wake = _wake.setdefault(id(asyncio.get_running_loop()), asyncio.Event())
    stats.state = "ready"
    backoff = poll_seconds
    touched: set[int] | None = set() if after_drain is not None else None
    topics = DescribedTopics()
    while not stop.is_set():
        try:
            # Topics an administrator added, renamed or retired apply from the next batch on.
            await topics.refresh(classifier)
            labelled = await run_once(classifier, batch_size, lease_seconds, touched)
            backoff = poll_seconds
        except Exception as exc:  # noqa: BLE001 - the worker must outlive a bad batch or a database blip
            stats.failures += 1
            stats.errors = (stats.errors + [f"{type(exc).__name__}: {exc}"])[-5:]
            log.exception("classification batch failed")
            labelled = 0
            backoff = min(backoff * 2, 30.0)
        if labelled:
            stats.batches += 1
            stats.labelled += labelled
            continue
        if touched:
            await _run_after_drain(after_drain, touched)
            continue
        wake.clear()
        waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waits, timeout=backoff, return_when=asyncio.FIRST_COMPLETED)
        for w in waits:
            w.cancel()
    stats.state = "stopped"
    return stats
