"""Described topics in the store: add, rename, retire, the active ones, and a fingerprint the worker reloads on."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import DescribedTopic


async def add_topic(*, name: str, label_fr: str, label_en: str, description: str, examples: str, now: dt.datetime) -> dict:
    """Store a described topic (already checked); its row."""
    rows = await DescribedTopic.insert(DescribedTopic(
        name=name, label_fr=label_fr, label_en=label_en, description=description, examples=examples,
        created_at=now, updated_at=now,
    )).returning(DescribedTopic.id)
    return await topic(rows[0]["id"])


async def topic(topic_id: int) -> dict | None:
    return await DescribedTopic.select().where(DescribedTopic.id == topic_id).first()


async def topic_named(name: str) -> dict | None:
    return await DescribedTopic.select().where(DescribedTopic.name == name).first()


async def every_topic() -> list[dict]:
    """Every described topic, the active ones first, each group by French label."""
    rows = await DescribedTopic.select().order_by(DescribedTopic.label_fr)
    return sorted(rows, key=lambda r: r["retired_at"] is not None)


async def active_topics() -> list[dict]:
    """The topics the classifier should recognise: name, description, examples; by id."""
    return await DescribedTopic.select(DescribedTopic.name, DescribedTopic.description, DescribedTopic.examples).where(
        DescribedTopic.retired_at.is_null()).order_by(DescribedTopic.id)


async def rename_topic(topic_id: int, label_fr: str, label_en: str, now: dt.datetime) -> dict | None:
    """New labels for a topic (its name, the label stored on feedback, stays); its row."""
    await DescribedTopic.update({DescribedTopic.label_fr: label_fr, DescribedTopic.label_en: label_en,
                                 DescribedTopic.updated_at: now}).where(DescribedTopic.id == topic_id)
    return await topic(topic_id)


async def retire_topic(topic_id: int, now: dt.datetime) -> bool:
    """The classifier stops giving this topic (feedback already labelled keeps it); False when already retired."""
    rows = await DescribedTopic.update({DescribedTopic.retired_at: now, DescribedTopic.updated_at: now}).where(
        (DescribedTopic.id == topic_id) & DescribedTopic.retired_at.is_null()).returning(DescribedTopic.id)
    return bool(rows)


async def topics_fingerprint() -> tuple:
    """Changes whenever a topic is added, renamed or retired."""
    rows = await DescribedTopic.raw("SELECT COUNT(*) AS n, MAX(updated_at) AS changed FROM described_topic")
    return (int(rows[0]["n"]), str(rows[0]["changed"]))
