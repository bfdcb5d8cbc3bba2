"""Similar reports: feedback of the same service whose embeddings say it is about the same problem."""

from __future__ import annotations

import datetime as dt

import numpy as np

from portal.digests.emerging import SIMILAR  # calibrated there on the demo data, with its figures
from portal.store.tables import Feedback

WINDOW_DAYS = 90  # a problem reported again months later is a new report, not the same one
MAX_CANDIDATES = 20_000  # bounds the work on the busiest service (newest first)
EXAMPLES = 10


async def _embedding_of(feedback_id: int) -> dict | None:
    rows = await Feedback.raw(
        "SELECT c.embedding AS embedding, c.model_version AS model_version, f.service AS service, f.received_at AS received_at "
        "FROM classification c JOIN feedback f ON f.id = c.feedback "
        "WHERE c.feedback = {} AND c.embedding IS NOT NULL ORDER BY c.id DESC LIMIT 1",
        feedback_id,
    )
    return rows[0] if rows else None


async def similar_reports(feedback_id: int) -> dict | None:
    """How many reports of the same service (this one included) are about the same problem, and examples.

    None when the item has no embedding yet (not classified, or a rating without text).
    """
    me = await _embedding_of(feedback_id)
    if me is None:
        return None
    received = me["received_at"]
    if isinstance(received, str):
        received = dt.datetime.fromisoformat(received)
    window = dt.timedelta(days=WINDOW_DAYS)
    rows = await Feedback.raw(
        "SELECT f.id AS id, c.embedding AS embedding FROM classification c JOIN feedback f ON f.id = c.feedback "
        "WHERE f.service = {} AND c.model_version = {} AND c.embedding IS NOT NULL AND f.id <> {} "
        "AND f.received_at >= {} AND f.received_at <= {} ORDER BY f.received_at DESC LIMIT {}",
        me["service"], me["model_version"], feedback_id, received - window, received + window, MAX_CANDIDATES,
    )
    mine = np.frombuffer(bytes(me["embedding"]), dtype=np.float32)
    matches: list[tuple[float, int]] = []
    if rows:
        # One embedding per feedback: the latest classification of this model version wins.
        latest = {r["id"]: r["embedding"] for r in rows}
        ids = list(latest)
        vectors = np.vstack([np.frombuffer(bytes(latest[i]), dtype=np.float32) for i in ids])
        scores = vectors @ mine  # embeddings are L2-normalised: the dot product is the cosine
        matches = sorted(((float(s), i) for s, i in zip(scores, ids) if s >= SIMILAR), reverse=True)
    examples = []
    if matches:
        top = [i for _, i in matches[:EXAMPLES]]
        found = {
            r["id"]: r
            for r in await Feedback.select(Feedback.id, Feedback.reference, Feedback.redacted_text, Feedback.channel,
                                           Feedback.received_at).where(Feedback.id.is_in(top))
        }
        examples = [{**found[i], "score": s} for s, i in matches[:EXAMPLES] if i in found]
    return {"count": len(matches) + 1, "threshold": SIMILAR, "examples": examples}
