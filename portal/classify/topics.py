"""Administrators' described topics in the running classifier: loaded at start, reloaded when they change."""

from __future__ import annotations

import asyncio
import logging

from portal.store.topics import active_topics, topics_fingerprint

log = logging.getLogger("portal.classify")


class DescribedTopics:
    """Keeps a classifier's described topics in step with the store; cheap to call often."""

    def __init__(self):
        self.fingerprint: tuple | None = None

    async def refresh(self, classifier) -> bool:
        """Reload the topics into the classifier when they changed since the last call; True when reloaded."""
        current = await topics_fingerprint()
        if current == self.fingerprint:
            return False
        topics = await active_topics()
        # Embedding the descriptions runs the encoder: on a thread, as classification does.
        await asyncio.to_thread(_load, classifier, topics)
        self.fingerprint = current
        log.info("described topics loaded: %s", ", ".join(t["name"] for t in topics) or "none")
        return True


def _load(classifier, topics: list[dict]) -> None:
    classifier.described_topics = []
    for t in topics:
        examples = [line.strip() for line in (t["examples"] or "").splitlines() if line.strip()]
        classifier.add_topic(t["name"], t["description"], examples)
