"""Digest subscriptions in the store: add, change, read, list, remove, unsubscribe, a fingerprint of them all, and the owners' lookups."""

from __future__ import annotations

import datetime as dt

from portal.store.digests.tables import DigestSubscription


async def add_subscription(*, owner_email: str, services: list[str] | tuple[str, ...], frequency: str, weekday: int,
                           send_time: str, time_zone: str, language: str, now: dt.datetime) -> dict:
    """Store an active subscription (already checked); the stored row."""
    row = DigestSubscription(owner_email=owner_email, services=",".join(services), frequency=frequency, weekday=weekday,
                             send_time=send_time, time_zone=time_zone, language=language,
                             active=True, created_at=now, updated_at=now)
    await row.save()
    return await get_subscription(row.id)


async def get_subscription(subscription_id: int) -> dict | None:
    """The subscription with this id, or None."""
    return await DigestSubscription.select().where(DigestSubscription.id == subscription_id).first()


async def list_subscriptions(owner_email: str | None = None, active_only: bool = False) -> list[dict]:
    """Subscriptions in id order: all of them, or this address's, or only the active ones."""
    query = DigestSubscription.select().order_by(DigestSubscription.id)
    if owner_email:
        query = query.where(DigestSubscription.owner_email == owner_email.strip().lower())
    if active_only:
        query = query.where(DigestSubscription.active == True)  # noqa: E712
    return await query


async def remove_subscription(subscription_id: int) -> bool:
    """Delete a subscription; the digests already sent stay in the archive."""
    rows = await DigestSubscription.delete().where(DigestSubscription.id == subscription_id).returning(DigestSubscription.id)
    return bool(rows)


async def unsubscribe(subscription_id: int) -> bool:
    """Stop sending; the row stays so the person can see what they left. True if it was active."""
    now = dt.datetime.now(dt.timezone.utc)
    rows = await DigestSubscription.update(
        {DigestSubscription.active: False, DigestSubscription.unsubscribed_at: now, DigestSubscription.updated_at: now}
    ).where((DigestSubscription.id == subscription_id) & (DigestSubscription.active == True)).returning(DigestSubscription.id)  # noqa: E712
    return bool(rows)


async def fingerprint() -> tuple:
    """Changes whenever a subscription is added, removed or changed: the scheduler rebuilds on it."""
    rows = await DigestSubscription.raw("SELECT COUNT(*) AS n, MAX(updated_at) AS changed, MAX(id) AS last FROM digest_subscription")
    row = rows[0]
    return (int(row["n"]), str(row["changed"]), row["last"])


async def change_subscription(subscription_id: int, *, services: list[str] | tuple[str, ...], frequency: str, weekday: int,
                              send_time: str, time_zone: str, language: str, active: bool, now: dt.datetime) -> dict | None:
    """Change a subscription (already checked); the stored row, or None when there is none."""
    rows = await DigestSubscription.update({
        DigestSubscription.services: ",".join(services), DigestSubscription.frequency: frequency,
        DigestSubscription.weekday: weekday, DigestSubscription.send_time: send_time,
        DigestSubscription.time_zone: time_zone, DigestSubscription.language: language,
        DigestSubscription.active: active, DigestSubscription.updated_at: now,
        # Subscribing again clears the earlier unsubscription.
        DigestSubscription.unsubscribed_at: None if active else now,
    }).where(DigestSubscription.id == subscription_id).returning(DigestSubscription.id)
    return await get_subscription(subscription_id) if rows else None
