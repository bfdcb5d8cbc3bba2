"""Groups of similar reports: the model files classified items into groups; safe to run twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from portal.review.similar_tables import ReportGroup, ReportGroupMember
from portal.store.engine import current_engine, is_postgres
from portal.store.tables import Feedback

# Cosine between the stored embeddings (multilingual-e5-small, int8 ONNX) above which two reports
# are the same problem. bench/similarity.py, 35 same-problem and 36 different-problem pairs of one
# service: with cosine alone, 0.92 keeps precision 0.85 at recall 0.66 (0.91: 0.81 / 0.86); the
# closest different pairs are one complaint and its praise ("agent rude" / "agent kind", 0.94).
# With the sentiment gate below, 0.92 gives precision 0.92 at recall 0.63 (0.93: 1.00 / 0.43).
# 0.93 would drop a third of the real groupings to avoid 2 merges of 36 deliberately close pairs;
# a report must also resemble the members on average, and staff split what is wrong: 0.92, the
# value the digests use, holds once the gate is applied.
THRESHOLD = 0.92
OPPOSITE = {"positive": "negative", "negative": "positive"}
WINDOW_DAYS = 90  # a problem reported again months later starts a new group
TITLE_LENGTH = 120
_LOCK_KEY = 61_006  # advisory lock namespace of grouping runs (PostgreSQL)


@dataclass
class _Group:
    id: int
    total: np.ndarray  # sum of the members' unit vectors
    size: int = 0
    sentiments: Counter = field(default_factory=Counter)

    def score(self, vector: np.ndarray) -> float:
        """Mean cosine to the members (average linkage). The cosine to the centroid would be
        inflated: a group's centroid sits in the middle of its region, and a neighbouring problem
        scored 0.925 against it while its cosines to the members were 0.89-0.92."""
        return float(vector @ self.total / max(self.size, 1))

    def mood(self) -> str | None:
        return self.sentiments.most_common(1)[0][0] if self.sentiments else None


def _vector(raw) -> np.ndarray:
    return np.frombuffer(bytes(raw), dtype=np.float32)


def _opposite(a: str | None, b: str | None) -> bool:
    """A complaint and a compliment about the same counter are not the same problem."""
    return a is not None and OPPOSITE.get(a) == b


_LATEST = ("c.id = (SELECT MAX(c2.id) FROM classification c2 WHERE c2.feedback = f.id AND c2.embedding IS NOT NULL)")


async def _ungrouped(service_id: int, since: dt.datetime) -> list[dict]:
    return await Feedback.raw(
        "SELECT f.id AS id, f.sentiment AS sentiment, f.redacted_text AS text, c.embedding AS embedding "
        "FROM feedback f JOIN classification c ON c.feedback = f.id "
        f"WHERE f.service = {{}} AND f.received_at >= {{}} AND f.flagged = {{}} AND {_LATEST} "
        "AND NOT EXISTS (SELECT 1 FROM report_group_member m WHERE m.feedback = f.id) "
        "ORDER BY f.received_at, f.id",
        service_id, since, False,
    )


async def _groups(service_id: int, since: dt.datetime) -> dict[int, _Group]:
    """Groups of the service with a member in the window, and the sum of their members' vectors."""
    rows = await Feedback.raw(
        "SELECT m.report_group AS gid, f.sentiment AS sentiment, f.received_at AS received_at, c.embedding AS embedding "
        "FROM report_group_member m JOIN report_group g ON g.id = m.report_group "
        "JOIN feedback f ON f.id = m.feedback JOIN classification c ON c.feedback = f.id "
        f"WHERE g.service = {{}} AND {_LATEST}",
        service_id,
    )
    groups: dict[int, _Group] = {}
    recent: set[int] = set()
    for r in rows:
        vector = _vector(r["embedding"])
        g = groups.get(r["gid"])
        if g is None:
            g = groups[r["gid"]] = _Group(r["gid"], np.zeros_like(vector))
        g.total = g.total + vector
        g.size += 1
        if r["sentiment"]:
            g.sentiments[r["sentiment"]] += 1
        received = r["received_at"]
        if isinstance(received, str):
            received = dt.datetime.fromisoformat(received)
        if received.tzinfo is None:
            received = received.replace(tzinfo=dt.timezone.utc)
        if received >= since:
            recent.add(r["gid"])
    return {gid: g for gid, g in groups.items() if gid in recent}


async def _lock(service_id: int) -> None:
    """Two runs for one service queue up (SQLite: the transaction already holds the write lock)."""
    engine = current_engine()
    if is_postgres(engine):
        await Feedback.raw("SELECT pg_advisory_xact_lock({}, {})", _LOCK_KEY, service_id)


@dataclass
class GroupingResult:
    joined: int = 0  # items added to an existing group
    created: int = 0  # new groups
    grouped: int = 0  # items put into the new groups


async def group_service(service_id: int, only: set[int] | None = None, now: dt.datetime | None = None) -> GroupingResult:
    """File the service's ungrouped classified items (or only those in `only`) into groups.

    Each item joins the group it is most similar to on average, when above THRESHOLD and not of the
    opposite sentiment; otherwise it starts a group with the other ungrouped items that are all
    similar to each other (at least two). Items already placed, or split out by staff, are left alone.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    since = now - dt.timedelta(days=WINDOW_DAYS)
    result = GroupingResult()
    async with current_engine().transaction():
        await _lock(service_id)
        items = await _ungrouped(service_id, since)
        if not items:
            return result
        groups = await _groups(service_id, since)
        vectors = np.vstack([_vector(r["embedding"]) for r in items])
        placed = np.zeros(len(items), dtype=bool)
        for i, item in enumerate(items):
            if placed[i] or (only is not None and item["id"] not in only):
                continue
            best = max(
                (g for g in groups.values() if not _opposite(item["sentiment"], g.mood())),
                key=lambda g: g.score(vectors[i]), default=None,
            )
            if best is not None and (score := best.score(vectors[i])) >= THRESHOLD:
                await _add(best.id, item["id"], score)
                best.total = best.total + vectors[i]
                best.size += 1
                if item["sentiment"]:
                    best.sentiments[item["sentiment"]] += 1
                placed[i] = True
                result.joined += 1
                continue
            chosen = _mutually_similar(i, items, vectors, placed)
            if len(chosen) < 2:
                continue
            total = vectors[chosen].sum(axis=0)
            group_id = await _create(service_id, items[i]["text"], now)
            for j in chosen:
                # Mean cosine to the other founding members (each one's own cosine is 1).
                await _add(group_id, items[j]["id"], float((vectors[j] @ total - 1.0) / (len(chosen) - 1)))
                placed[j] = True
            groups[group_id] = _Group(group_id, total, len(chosen), Counter(items[j]["sentiment"] for j in chosen if items[j]["sentiment"]))
            result.created += 1
            result.grouped += len(chosen)
    return result


def _mutually_similar(seed: int, items: list[dict], vectors: np.ndarray, placed: np.ndarray) -> list[int]:
    """The seed and, nearest first, the unplaced items similar to every one chosen so far."""
    scores = vectors @ vectors[seed]
    chosen = [seed]
    for j in np.argsort(-scores):
        j = int(j)
        if j == seed or placed[j] or scores[j] < THRESHOLD:
            continue
        if all(vectors[j] @ vectors[c] >= THRESHOLD and not _opposite(items[j]["sentiment"], items[c]["sentiment"])
               for c in chosen):
            chosen.append(j)
    return chosen


async def _create(service_id: int, text: str, now: dt.datetime) -> int:
    title = " ".join((text or "").split())
    title = title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1].rstrip() + "…"
    rows = await ReportGroup.insert(
        ReportGroup(service=service_id, title=title or "Avis semblables", created_by=None, confirmed=False, created_at=now)
    ).returning(ReportGroup.id)
    return rows[0]["id"]


async def _add(group_id: int, feedback_id: int, similarity: float) -> None:
    await ReportGroupMember.insert(
        ReportGroupMember(report_group=group_id, feedback=feedback_id, added_by="model", similarity=round(similarity, 4),
                          added_at=dt.datetime.now(dt.timezone.utc))
    )


async def group_similar(feedback_id: int) -> GroupingResult:
    """Place one labelled item (call it after classification); a no-op when already placed."""
    row = await Feedback.select(Feedback.service).where(Feedback.id == feedback_id).first()
    if row is None:
        return GroupingResult()
    return await group_service(row["service"], only={feedback_id})


async def group_pending(service_ids: list[int] | None = None) -> dict[int, GroupingResult]:
    """Every service's ungrouped classified items: the job behind `portal similar rebuild`."""
    if service_ids is None:
        rows = await Feedback.raw(
            "SELECT DISTINCT f.service AS service FROM feedback f JOIN classification c ON c.feedback = f.id "
            "WHERE c.embedding IS NOT NULL AND NOT EXISTS (SELECT 1 FROM report_group_member m WHERE m.feedback = f.id)"
        )
        service_ids = sorted(r["service"] for r in rows)
    return {service_id: await group_service(service_id) for service_id in service_ids}
