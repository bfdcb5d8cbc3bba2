"""Groups of similar reports: the model files classified items into groups; safe to run twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from portal.classify import similarity
from portal.store import embeddings
from portal.store.feedback import service_id_of_feedback
from portal.store.groups import Filing, NewGroup, file_similar_reports

TITLE_LENGTH = 80  # a short summary, read in a list; staff edit it when they confirm the group


@dataclass
class _Group:
    key: int | NewGroup  # an existing group's id, or a group this run creates
    total: np.ndarray  # sum of the members' unit vectors
    size: int = 0
    sentiments: Counter = field(default_factory=Counter)

    def score(self, vector: np.ndarray) -> float:
        """Mean cosine to the members (average linkage)."""
        return similarity.mean_cosine(vector, self.total, self.size)

    def mood(self) -> str | None:
        return self.sentiments.most_common(1)[0][0] if self.sentiments else None


def _groups(members: list[dict], since: dt.datetime) -> dict[int, _Group]:
    """Groups with a member in the window, and the sum of their members' vectors."""
    groups: dict[int, _Group] = {}
    recent: set[int] = set()
    for r in members:
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
    filing = await file_similar_reports(service_id, since, now, lambda items, members: plan_filing(items, members, since, only))
    return GroupingResult(joined=len(filing.joins), created=len(filing.new_groups),
                          grouped=sum(len(g.members) for g in filing.new_groups))


def plan_filing(items: list[dict], members: list[dict], since: dt.datetime, only: set[int] | None = None) -> Filing:
    """Where each ungrouped item (id, sentiment, text, embedding) goes, given the groups' members; see `group_service`."""
    filing = Filing()
    groups: list[_Group] = list(_groups(members, since).values())
    vectors = similarity.vectors(r["embedding"] for r in items)
    placed = np.zeros(len(items), dtype=bool)
    for i, item in enumerate(items):
        if placed[i] or (only is not None and item["id"] not in only):
            continue
        best = max(
            (g for g in groups if not similarity.opposite(item["sentiment"], g.mood())),
            key=lambda g: g.score(vectors[i]), default=None,
        )
        if best is not None and (score := best.score(vectors[i])) >= similarity.THRESHOLD:
            filing.joins.append((best.key, item["id"], score))
            best.total = best.total + vectors[i]
            best.size += 1
            if item["sentiment"]:
                best.sentiments[item["sentiment"]] += 1
            placed[i] = True
            continue
        chosen = _mutually_similar(i, items, vectors, placed)
        if len(chosen) < 2:
            continue
        total = vectors[chosen].sum(axis=0)
        closeness = [similarity.mean_cosine_to_others(vectors[j], total, len(chosen)) for j in chosen]
        # Titled by the most central member: the report that says best what they all say.
        central = chosen[int(np.argmax(closeness))]
        group = NewGroup(short_summary(items[central]["text"]))
        for j, score in zip(chosen, closeness):
            group.members.append((items[j]["id"], score))
            placed[j] = True
        filing.new_groups.append(group)
        groups.append(_Group(group, total, len(chosen), Counter(items[j]["sentiment"] for j in chosen if items[j]["sentiment"])))
    return filing


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


def short_summary(text: str, length: int = TITLE_LENGTH) -> str:
    """A group's title from a (redacted) report: its words, cut on a word boundary with "…" when longer."""
    title = " ".join((text or "").split())
    if len(title) > length:
        cut = title[: length - 1]
        # Back to the last space, unless that throws most of the text away (one very long word).
        space = cut.rfind(" ")
        cut = cut[:space] if space >= length // 2 else cut
        title = cut.rstrip(" ,;:.-–") + "…"
    return title or "Avis semblables"


async def group_similar(feedback_id: int) -> GroupingResult:
    """Place one labelled item (call it after classification); a no-op when already placed."""
    service_id = await service_id_of_feedback(feedback_id)
    if service_id is None:
        return GroupingResult()
    return await group_service(service_id, only={feedback_id})


async def group_pending(service_ids: list[int] | None = None) -> dict[int, GroupingResult]:
    """Every service's ungrouped classified items: the job behind `portal similar rebuild`."""
    if service_ids is None:
        service_ids = await embeddings.services_with_ungrouped_embeddings()
    return {service_id: await group_service(service_id) for service_id in service_ids}
