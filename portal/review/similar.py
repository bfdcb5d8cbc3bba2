"""Similar reports: feedback of the same service whose embeddings say it is about the same problem."""

from __future__ import annotations

from portal.classify import similarity
from portal.store.feedback import redacted_reports

MAX_CANDIDATES = 20_000  # bounds the work on the busiest service (newest first)
EXAMPLES = 10


async def similar_reports(feedback_id: int) -> dict | None:
    """How many reports of the same service (this one included) are about the same problem, and examples.

    None when the item has no embedding yet (not classified, or a rating without text).
    """
    matches = await similarity.similar_to(feedback_id, limit=MAX_CANDIDATES)
    if matches is None:
        return None
    examples = []
    if matches:
        top = [i for _, i in matches[:EXAMPLES]]
        found = await redacted_reports(top)
        examples = [{**found[i], "score": s} for s, i in matches[:EXAMPLES] if i in found]
    return {"count": len(matches) + 1, "threshold": similarity.THRESHOLD, "examples": examples}
