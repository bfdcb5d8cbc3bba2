"""Staff corrections read from the store, as training examples for `portal train`."""

from __future__ import annotations

from portal.store.labels import staff_corrected_feedback


async def corrections_from_store() -> list[tuple[str, dict]]:
    """(text, labels) for every feedback a person corrected, with its current effective labels.

    A correction may change only one label; the others are the ones staff left standing, which
    is itself a confirmation worth learning from.
    """
    return [
        (
            row["text"],
            {
                "sentiment": row["sentiment"],
                "topics": row["topics"],
                "urgent": row["urgent"],
                "flags": ["spam"] if row["flagged"] else [],
            },
        )
        for row in await staff_corrected_feedback()
    ]
