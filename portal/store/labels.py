"""Labels in the store: the classification queue (claim with a lease, release, store once) and staff corrections."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import msgspec

from portal.store.core.tables import Classification, Feedback, StaffLabel
from portal.store.engine import is_postgres, retried_on_deadlock
from portal.store.feedback import apply_effective_labels

LEASE_SECONDS = 120  # how long a claim holds unless the worker asks for another lease


@dataclass
class Claimed:
    claim: str
    items: list[dict]  # {"id", "text", "rating", "source", "received_at", "request_id"}


class ModelLabels(msgspec.Struct):
    """What one model version said about one claimed feedback, as stored (the embedding as float32 bytes)."""

    feedback: int
    model_version: str
    sentiment: str | None
    sentiment_scores: dict
    topics: list[str]
    topic_scores: dict
    urgent: bool
    urgent_score: float
    flags: list[str]
    language: str
    embedding: bytes
    flagged: bool  # set the feedback aside (spam, abusive)
    sentiment_source: str = "text"  # text, text+rating or rating
    sentiment_confidence: float | None = None  # the top sentiment probability


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def claim_pending(batch_size: int = 32, lease_seconds: int = LEASE_SECONDS) -> Claimed:
    """Claim up to batch_size feedback items to classify: pending ones, or claimed ones whose lease ran out.

    PostgreSQL: FOR UPDATE SKIP LOCKED lets several workers claim disjoint batches at once.
    SQLite: the statement is atomic under the single writer lock.
    """
    claim = str(uuid.uuid4())
    now = _now()
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    lock = "FOR UPDATE SKIP LOCKED" if is_postgres(Feedback._meta.db) else ""
    rows = await Feedback.raw(
        "UPDATE feedback SET classify_state = 'claimed', classify_claim = {}, classify_lease_until = {}, "
        "classify_attempts = classify_attempts + 1 "
        "WHERE id IN (SELECT id FROM feedback WHERE classify_state = 'pending' "
        "OR (classify_state = 'claimed' AND classify_lease_until < {}) "
        f"ORDER BY id LIMIT {int(batch_size)} {lock}) "
        "RETURNING id, text, rating, source, received_at, request_id",
        claim,
        lease_until,
        now,
    )
    return Claimed(claim, sorted(rows, key=lambda r: r["id"]))


async def release(claimed: Claimed) -> None:
    """Give the items back (the worker is stopping or failed); they are claimable at once."""
    if claimed.items:
        await Feedback.update({Feedback.classify_state: "pending", Feedback.classify_claim: None}).where(
            Feedback.id.is_in([i["id"] for i in claimed.items]) & (Feedback.classify_claim == claimed.claim)
        )


async def store_labels(claimed: Claimed, labelled: list[ModelLabels]) -> list[int]:
    """Store the labels of the items this claim still holds; returns their ids.

    Items whose lease was taken over by another worker are skipped, so nothing is labelled twice.
    Staff labels, when present, stay the effective labels (with their certainty and source).
    """
    return await retried_on_deadlock(lambda: _store_owned_labels(claimed, labelled))


async def _store_owned_labels(claimed: Claimed, labelled: list[ModelLabels]) -> list[int]:
    ids = [i["id"] for i in claimed.items]
    engine = Feedback._meta.db
    async with engine.transaction():
        owned_rows = await Feedback.raw(
            "UPDATE feedback SET classify_state = 'done', classify_claim = NULL, classify_lease_until = NULL "
            f"WHERE classify_claim = {{}} AND id IN ({', '.join('{}' for _ in ids)}) RETURNING id",
            claimed.claim,
            *ids,
        )
        owned = {r["id"] for r in owned_rows}
        if not owned:
            return []
        corrected = {
            r["feedback"] for r in await StaffLabel.select(StaffLabel.feedback).where(StaffLabel.feedback.is_in(list(owned)))
        }
        rows = []
        for label in labelled:
            if label.feedback not in owned:
                continue
            rows.append(
                Classification(
                    feedback=label.feedback,
                    model_version=label.model_version,
                    sentiment=label.sentiment,
                    sentiment_scores=label.sentiment_scores,
                    sentiment_source=label.sentiment_source,
                    sentiment_confidence=label.sentiment_confidence,
                    topics=label.topics,
                    topic_scores=label.topic_scores,
                    urgent=label.urgent,
                    urgent_score=float(label.urgent_score),
                    flags=label.flags,
                    language=label.language,
                    embedding=label.embedding,
                )
            )
            if label.feedback not in corrected:
                await apply_effective_labels(
                    label.feedback, label.sentiment, label.topics, label.urgent, label.topic_scores,
                    sentiment_confidence=label.sentiment_confidence, sentiment_source=label.sentiment_source,
                )
            if label.flagged:
                await Feedback.update({Feedback.flagged: True}).where(Feedback.id == label.feedback)
        if rows:
            await Classification.insert(*rows)
    return sorted(owned)


async def services_of(feedback_ids: list[int]) -> set[int]:
    """The services these feedback belong to."""
    if not feedback_ids:
        return set()
    rows = await Feedback.select(Feedback.service).where(Feedback.id.is_in(list(feedback_ids)))
    return {r["service"] for r in rows}


async def staff_corrected_feedback() -> list[dict]:
    """Every feedback with words that a person corrected, in id order, with its effective labels.

    Each row: id, text, sentiment, topics (a list), urgent and flagged (booleans).
    """
    rows = await Feedback.raw(
        "SELECT id, text, sentiment, topics, urgent, flagged FROM feedback "
        "WHERE text <> '' AND id IN (SELECT feedback FROM staff_label) ORDER BY id"
    )
    return [
        {**row, "topics": [t for t in (row["topics"] or "").split(",") if t], "urgent": bool(row["urgent"]),
         "flagged": bool(row["flagged"])}
        for row in rows
    ]
