"""Receiving queued entries from kiosks and button boxes: each client UUID stored at most once."""

from __future__ import annotations

import datetime as dt

from counters.batch import ItemResult, submit_feedback_batch
from counters.devices import mark_seen
from counters.entries import ReadEntry
from portal.classify.labels import DEFAULT_TOPIC_NAMES
from portal.feedback.chips import counted_topics
from portal.feedback.intake import FeedbackInput, FieldError
from portal.store.devices import TappedTopics

# A device clock this far ahead is wrong; the entry is kept but flagged for a person to look at.
# (Further than counters.entries.LATEST_AHEAD it cannot be right, and the entry is refused.)
CLOCK_AHEAD = dt.timedelta(hours=1)


def source_of(device: dict) -> str:
    return f"agent:{device['id']}" if device["kind"] == "buttons" else f"kiosk:{device['id']}"


async def receive_entries(device: dict, entries: list[ReadEntry], queued: int | None = None) -> list[ItemResult]:
    """Store a device's entries for its own office; one result per entry, in order.

    `queued` is how many entries the device says it still holds beyond these (shown to administrators).

    An entry read with problems (counters.entries) is refused alone; if its id was stored before,
    it is answered duplicate with that reference, so a device never resends it.
    """
    questions = device["question_set"]
    default_service = questions.get("service") if isinstance(questions, dict) else None
    now = dt.datetime.now(dt.timezone.utc)
    results: list[ItemResult | None] = [None] * len(entries)
    keyed: list[int] = []  # positions of the entries that reach the batch: those with a usable id
    inputs: list[FeedbackInput] = []
    problems: list[list[FieldError] | None] = []
    tapped: list[TappedTopics | None] = []
    for i, read in enumerate(entries):
        if read.key is None:
            results[i] = ItemResult("rejected", errors=read.errors)
            continue
        entry = read.entry
        keyed.append(i)
        problems.append(read.errors or None)
        tapped.append(TappedTopics(entry.topics, entry.question, counted_topics(entry.topics, DEFAULT_TOPIC_NAMES))
                      if entry and entry.topics else None)
        inputs.append(
            FeedbackInput(
                service_code=(entry.service if entry else None) or default_service or "",
                text=entry.comment if entry else "",
                rating=entry.rating if entry else None,
                channel="kiosk",
                source=source_of(device),
                given_as="buttons" if device["kind"] == "buttons" else "kiosk",
                idempotency_key=read.key,
                submitted_at=entry.device_time if entry else None,
                office_id=device["office"],
                flagged=entry is not None and (entry.flagged or entry.device_time > now + CLOCK_AHEAD),
            )
        )
    for i, result in zip(keyed, await submit_feedback_batch(inputs, device["id"], device["office"], problems, tapped)):
        results[i] = result
    await mark_seen(device["id"], queued)
    return results
