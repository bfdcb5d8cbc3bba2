"""Test helpers for similar reports: classified feedback with a given embedding, from any channel."""

from __future__ import annotations

import numpy as np

from portal.store.core.tables import Classification, Feedback
from tests.factories import create_feedback


def unit(vector) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


async def classified(service: dict, text: str, vector, sentiment: str = "negative", **kw) -> int:
    """A feedback as the classification worker leaves it: effective sentiment and a stored embedding."""
    submitted = await create_feedback(service, text=text, **kw)
    await Feedback.update({Feedback.sentiment: sentiment}).where(Feedback.id == submitted.feedback_id)
    await Classification.insert(Classification(
        feedback=submitted.feedback_id, model_version="e5-test", sentiment=sentiment, sentiment_scores={},
        topics=[], topic_scores={}, urgent=False, urgent_score=0.0, flags=[], language="fr",
        embedding=unit(vector).tobytes()))
    return submitted.feedback_id


def close_vectors(n: int, seed: int = 1, scale: float = 0.08) -> list[np.ndarray]:
    """n vectors around one direction (pairwise cosine about 0.99)."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=384)
    return [base + rng.normal(scale=scale, size=384) for _ in range(n)]
