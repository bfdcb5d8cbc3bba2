"""Groups of similar reports: the model files classified items into groups; safe to run twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from portal.classify import similarity
from portal.store import embeddings
from portal.store.core.tables import Feedback
from portal.store.engine import current_engine
from portal.store.groups import lock_service_grouping
from portal.store.workspace.tables import ReportGroup, ReportGroupMember

TITLE_LENGTH = 120


@dataclass
class _Group:
    id: int
    total: np.ndarray  # sum of the members' unit vectors
    size: int = 0
    sentiments: Counter = field(default_factory=Counter)

    def score(self, vector: np.ndarray) -> float:
        """Mean cosine to the members (average linkage)."""
        return similarity.mean_cosine(vector, self.total, self.size)

    def mood(self) -> str | None:
        return self.sentiments.most_common(1)[0][0] if self.sentiments else None


async def _groups(service_id: int, since: dt.datetime) -> dict[int, _Group]:
    """Groups of the service with a member in the window, and the sum of their members' vectors."""
    groups: dict[int, _Group] = {}
    recent: set[int] = set()
    for r in await embeddings.group_member_embeddings(service_id):
        vector = similarity.vector(r["embedding"])
        g = groups.get(r["gid"])
        if g is None:
            g = groups[r["gid"]] = _Group(r["gid"], np.zeros_like(vector))
        g.total = g.total + vector
        g.size += 1
        if r["sentiment"]:
            g.sentiments[r["sentiment"]] += 1
        if r["received_at"] >= since:
            recent.add(r["gid"])
    return {gid: g for gid, g in groups.items() if gid in recent}


@dataclass
class GroupingResult:
    joined: int = 0  # items added to an existing group
    created: int = 0  # new groups
    grouped: int = 0  # items put into the new groups


async def group_service(service_id: int, only: set[int] | None = None, now: dt.datetime | None = None) -> GroupingResult:
    """File the service's ungrouped classified items (or only those in `only`) into groups.

    Each item joins the group it is most similar to on average, when above the threshold and not of the
    opposite sentiment; otherwise it starts a group with the other ungrouped items that are all
    similar to each other (at least two). Items already placed, or split out by staff, are left alone.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    since = now - similarity.WINDOW
    result = GroupingResult()
    async with current_engine().transaction():
        await lock_service_grouping(service_id)
        items = await embeddings.ungrouped_embeddings(service_id, since)
        if not items:
            return result
        groups = await _groups(service_id, since)
        vectors = similarity.vectors(r["embedding"] for r in items)
        placed = np.zeros(len(items), dtype=bool)
        for i, item in enumerate(items):
            if placed[i] or (only is not None and item["id"] not in only):
                continue
            best = max(
                (g for g in groups.values() if not similarity.opposite(item["sentiment"], g.mood())),
                key=lambda g: g.score(vectors[i]), default=None,
            )
            if best is not None and (score := best.score(vectors[i])) >= similarity.THRESHOLD:
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
                await _add(group_id, items[j]["id"], similarity.mean_cosine_to_others(vectors[j], total, len(chosen)))
                placed[j] = True
            groups[group_id] = _Group(group_id, total, len(chosen), Counter(items[j]["sentiment"] for j in chosen if items[j]["sentiment"]))
            result.created += 1
            result.grouped += len(chosen)
    return result


def _mutually_similar(seed: int, items: list[dict], vectors: np.ndarray, placed: np.ndarray) -> list[int]:
    """The seed and, nearest first, the unplaced items similar to every one chosen so far."""
    scores = similarity.cosines(vectors, vectors[seed])
    chosen = [seed]
    for j in np.argsort(-scores):
        j = int(j)
        if j == seed or placed[j] or scores[j] < similarity.THRESHOLD:
            continue
        if all(vectors[j] @ vectors[c] >= similarity.THRESHOLD
               and not similarity.opposite(items[j]["sentiment"], items[c]["sentiment"]) for c in chosen):
            chosen.append(j)
    return chosen


async def _create(service_id: int, text: str, now: dt.datetime) -> int:
    title = " ".join((text or "").split())
    title = title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1].rstrip() + "…"
    rows = await ReportGroup.insert(
        ReportGroup(service=service_id, title=title or "Avis semblables", created_by=None, confirmed=False, created_at=now)
    ).returning(ReportGroup.id)
    return rows[0]["id"]


async def _add(group_id: int, feedback_id: int, score: float) -> None:
    await ReportGroupMember.insert(
        ReportGroupMember(report_group=group_id, feedback=feedback_id, added_by="model", similarity=round(score, 4),
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
        service_ids = await embeddings.services_with_ungrouped_embeddings()
    return {service_id: await group_service(service_id) for service_id in service_ids}
