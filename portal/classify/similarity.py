"""When two feedback are about the same problem: one threshold and one window for review and digests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np

from portal.store import embeddings

# Cosine between the stored embeddings (multilingual-e5-small, int8 ONNX) above which two reports
# are the same problem. bench/similarity.py, 35 same-problem and 36 different-problem pairs of one
# service: with cosine alone, 0.92 keeps precision 0.85 at recall 0.66 (0.91: 0.81 / 0.86); the
# closest different pairs are one complaint and its praise ("agent rude" / "agent kind", 0.94).
# With the sentiment gate (`opposite`), 0.92 gives precision 0.92 at recall 0.63 (0.93: 1.00 / 0.43).
# 0.93 would drop a third of the real groupings to avoid 2 merges of 36 deliberately close pairs;
# a report must also resemble the members on average, and staff split what is wrong: 0.92 holds
# once the gate is applied. On the demo data, 0.4 % of unrelated pairs reach 0.92 (12 % reach
# 0.88), while rewordings of one complaint reach 0.95 and more: the digests' groups catch the same
# complaint written again and again, and broader rises are caught by their topic counts.
THRESHOLD = 0.92
# A problem reported again months later is a new report (and starts a new group), not the same one.
WINDOW = dt.timedelta(days=90)
OPPOSITE = {"positive": "negative", "negative": "positive"}


def vector(raw: bytes | memoryview) -> np.ndarray:
    """One stored embedding (float32 bytes, L2-normalised by the encoder) as a vector."""
    return np.frombuffer(bytes(raw), dtype=np.float32)


def vectors(raws: Iterable[bytes | memoryview]) -> np.ndarray:
    """Stored embeddings as the rows of one matrix."""
    return np.vstack([vector(r) for r in raws])


def cosines(rows: np.ndarray, one: np.ndarray) -> np.ndarray:
    """Cosine of each row to one vector: embeddings are unit vectors, so the dot product is the cosine."""
    return rows @ one


def pairwise(rows: np.ndarray) -> np.ndarray:
    """Cosine of every row to every row."""
    return rows @ rows.T


def mean_cosine(one: np.ndarray, total: np.ndarray, size: int) -> float:
    """Mean cosine to the members of a group, from the sum of their vectors (average linkage).

    The cosine to the centroid would be inflated: a group's centroid sits in the middle of its
    region, and a neighbouring problem scored 0.925 against it while its cosines to the members
    were 0.89-0.92.
    """
    return float(one @ total / max(size, 1))


def mean_cosine_to_others(member: np.ndarray, total: np.ndarray, size: int) -> float:
    """Mean cosine of a member to the other members, from the sum of all of them (its own cosine is 1)."""
    return float((member @ total - 1.0) / (size - 1))


def opposite(a: str | None, b: str | None) -> bool:
    """A complaint and a compliment about the same counter are not the same problem."""
    return a is not None and OPPOSITE.get(a) == b


async def similar_to(feedback_id: int, limit: int) -> list[tuple[float, int]] | None:
    """Feedback of the same service, model version and window about the same problem, most similar first.

    Among at most `limit` candidates (the newest). None when the item has no embedding yet (not
    classified, or a rating without text).
    """
    me = await embeddings.latest_embedding(feedback_id)
    if me is None:
        return None
    received = me["received_at"]
    candidates = await embeddings.service_embeddings(
        me["service"], me["model_version"], received - WINDOW, received + WINDOW, exclude=feedback_id, limit=limit,
    )
    if not candidates:
        return []
    ids = list(candidates)
    scores = cosines(vectors(candidates[i] for i in ids), vector(me["embedding"]))
    return sorted(((float(s), i) for s, i in zip(scores, ids) if s >= THRESHOLD), reverse=True)


# Below the grouping threshold on purpose: a suggestion before sending is shown to the person, who
# ignores it with one button, so missing a real match costs more than showing a near one. On the
# figures above, rewordings of one complaint reach 0.95 and 12 % of unrelated pairs 0.88.
SUGGEST_THRESHOLD = 0.90


def text_vector(classifier, text: str) -> np.ndarray:
    """The embedding of a text not stored yet, as the worker would store it (CPU: run it in a thread)."""
    return np.asarray(classifier.encoder.embed([text])[0], dtype=np.float32)


async def published_like(one: np.ndarray, model_version: str, service_id: int, limit: int = 3) -> list[tuple[float, int]]:
    """The service's publications whose feedback is about the same problem as this embedding, most similar first."""
    candidates = await embeddings.published_embeddings(service_id, model_version)
    if not candidates:
        return []
    ids = list(candidates)
    scores = cosines(vectors(candidates[i] for i in ids), one)
    found = sorted(((float(s), i) for s, i in zip(scores, ids) if s >= SUGGEST_THRESHOLD), reverse=True)
    return found[:limit]
