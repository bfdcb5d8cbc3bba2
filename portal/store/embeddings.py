"""Stored embeddings of classified feedback: the latest one of an item, of a service, of groups' members."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import Feedback

_LATEST = "c.id = (SELECT MAX(c2.id) FROM classification c2 WHERE c2.feedback = f.id AND c2.embedding IS NOT NULL)"


def _moment(value) -> dt.datetime:
    """A timestamp read through raw SQL: SQLite gives text, PostgreSQL a datetime; always aware (UTC)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


async def latest_embedding(feedback_id: int) -> dict | None:
    """The item's latest embedding with its model version, service and reception time; None if it has none."""
    rows = await Feedback.raw(
        "SELECT c.embedding AS embedding, c.model_version AS model_version, f.service AS service, f.received_at AS received_at "
        "FROM classification c JOIN feedback f ON f.id = c.feedback "
        "WHERE c.feedback = {} AND c.embedding IS NOT NULL ORDER BY c.id DESC LIMIT 1",
        feedback_id,
    )
    if not rows:
        return None
    return {**rows[0], "received_at": _moment(rows[0]["received_at"])}


async def service_embeddings(service_id: int, model_version: str, start: dt.datetime, end: dt.datetime,
                             exclude: int, limit: int) -> dict[int, bytes]:
    """Embeddings of one model version for the service's feedback received in [start, end], newest first.

    One per feedback: its latest classification of that version (rows of one item come in id order).
    """
    rows = await Feedback.raw(
        "SELECT f.id AS id, c.embedding AS embedding FROM classification c JOIN feedback f ON f.id = c.feedback "
        "WHERE f.service = {} AND c.model_version = {} AND c.embedding IS NOT NULL AND f.id <> {} "
        "AND f.received_at >= {} AND f.received_at <= {} ORDER BY f.received_at DESC, c.id LIMIT {}",
        service_id, model_version, exclude, start, end, limit,
    )
    return {r["id"]: r["embedding"] for r in rows}


async def ungrouped_embeddings(service_id: int, since: dt.datetime) -> list[dict]:
    """The service's unflagged feedback received since then, not withdrawn, in no group (nor split out), oldest first."""
    return await Feedback.raw(
        "SELECT f.id AS id, f.sentiment AS sentiment, f.redacted_text AS text, c.embedding AS embedding "
        "FROM feedback f JOIN classification c ON c.feedback = f.id "
        f"WHERE f.service = {{}} AND f.received_at >= {{}} AND f.flagged = {{}} AND f.withdrawn_at IS NULL AND {_LATEST} "
        "AND NOT EXISTS (SELECT 1 FROM report_group_member m WHERE m.feedback = f.id) "
        "ORDER BY f.received_at, f.id",
        service_id, since, False,
    )


async def group_member_embeddings(service_id: int) -> list[dict]:
    """Every member of the service's groups: its group, sentiment, reception time and latest embedding."""
    rows = await Feedback.raw(
        "SELECT m.report_group AS gid, f.sentiment AS sentiment, f.received_at AS received_at, c.embedding AS embedding "
        "FROM report_group_member m JOIN report_group g ON g.id = m.report_group "
        "JOIN feedback f ON f.id = m.feedback JOIN classification c ON c.feedback = f.id "
        f"WHERE g.service = {{}} AND {_LATEST}",
        service_id,
    )
    return [{**r, "received_at": _moment(r["received_at"])} for r in rows]


async def services_with_ungrouped_embeddings() -> list[int]:
    """Services that have classified feedback in no group (nor split out), in id order."""
    rows = await Feedback.raw(
        "SELECT DISTINCT f.service AS service FROM feedback f JOIN classification c ON c.feedback = f.id "
        "WHERE c.embedding IS NOT NULL AND NOT EXISTS (SELECT 1 FROM report_group_member m WHERE m.feedback = f.id)"
    )
    return sorted(r["service"] for r in rows)


async def published_embeddings(service_id: int, model_version: str, limit: int = 500) -> dict[int, bytes]:
    """The latest embedding of that model version of each of the service's published (not withdrawn) feedback,
    by publication id, newest publications first."""
    rows = await Feedback.raw(
        "SELECT p.id AS publication_id, c.embedding AS embedding FROM publication p "
        "JOIN feedback f ON f.id = p.feedback JOIN classification c ON c.feedback = f.id "
        f"WHERE f.service = {{}} AND p.withdrawn = {{}} AND c.model_version = {{}} AND {_LATEST} "
        "ORDER BY p.published_at DESC LIMIT {}",
        service_id, False, model_version, limit,
    )
    return {r["publication_id"]: r["embedding"] for r in rows}
