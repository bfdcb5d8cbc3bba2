"""Staff corrections read from the store, as training examples for `portal train`."""

from __future__ import annotations

from portal.store.core.tables import Feedback


async def corrections_from_store() -> list[tuple[str, dict]]:
    """(text, labels) for every feedback a person corrected, with its current effective labels.

    A correction may change only one label; the others are the ones staff left standing, which
    is itself a confirmation worth learning from.
    """
    rows = await Feedback.raw(
        "SELECT id, text, sentiment, topics, urgent, flagged FROM feedback "
        "WHERE text <> '' AND id IN (SELECT feedback FROM staff_label) ORDER BY id"
    )
    corrections = []
    for row in rows:
        corrections.append(
            (
                row["text"],
                {
                    "sentiment": row["sentiment"],
                    "topics": [t for t in (row["topics"] or "").split(",") if t],
                    "urgent": bool(row["urgent"]),
                    "flags": ["spam"] if row["flagged"] else [],
                },
            )
        )
    return corrections
