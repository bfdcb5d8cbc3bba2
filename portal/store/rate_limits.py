"""Rate-limit hits in the database, for processes that count their limits together (PORTAL_RATE_LIMIT_STORE=database).

A sliding window, like the in-memory one: at most `count` hits of a limit per client in any
`seconds`. A hit runs in one transaction that first serialises the hits of its limit and client:
on PostgreSQL with a transaction-level advisory lock, on SQLite with the database write lock the
engine's `BEGIN IMMEDIATE` transactions take (one lock for every process on the file). Inside it
the client's expired hits are deleted, the recent ones counted and, below the limit, the hit is
stored; so concurrent hits from any number of processes are counted one after the other.
Times are seconds since the epoch from the caller's clock (the processes' clocks agree through NTP).
"""

from __future__ import annotations

from portal.store.core.tables import RateLimitHit
from portal.store.engine import current_engine, is_postgres

# Namespace of the two-key advisory locks (the second key is the hashed limit and client).
_HIT_LOCKS = 4703


async def take_hit(name: str, client: str, count: int, seconds: float, now: float) -> tuple[int | None, float]:
    """Store a hit unless `client` already has `count` hits of limit `name` in the last `seconds`.

    Returns (the hit's id, 0.0); or, when the limit is reached, (None, the time a place frees up).
    """
    engine = current_engine()
    async with engine.transaction():
        if is_postgres(engine):
            await RateLimitHit.raw("SELECT pg_advisory_xact_lock({}, hashtext({}))", _HIT_LOCKS, f"{name}:{client}")
        mine = (RateLimitHit.name == name) & (RateLimitHit.client == client)
        await RateLimitHit.delete().where(mine & (RateLimitHit.at <= now - seconds))
        recent = await _newest(name, client, count)
        if len(recent) >= count:
            return None, recent[-1] + seconds
        rows = await RateLimitHit.insert(
            RateLimitHit(name=name, client=client, at=now, expires_at=now + seconds)
        ).returning(RateLimitHit.id)
    return rows[0]["id"], 0.0


async def free_at(name: str, client: str, count: int, seconds: float, now: float) -> float:
    """When `client` may hit limit `name` again (0.0: now), recording nothing."""
    recent = [at for at in await _newest(name, client, count) if at > now - seconds]
    return recent[-1] + seconds if len(recent) >= count else 0.0


async def take_back(hit_id: int) -> None:
    """Delete a hit that was not needed (a refund)."""
    await RateLimitHit.delete().where(RateLimitHit.id == hit_id)


async def forget_expired(now: float) -> int:
    """Delete the hits that count for nothing any more (clients that stopped coming); how many."""
    rows = await RateLimitHit.delete().where(RateLimitHit.expires_at <= now).returning(RateLimitHit.id)
    return len(rows)


async def _newest(name: str, client: str, count: int) -> list[float]:
    rows = (
        await RateLimitHit.select(RateLimitHit.at)
        .where((RateLimitHit.name == name) & (RateLimitHit.client == client))
        .order_by(RateLimitHit.at, ascending=False)
        .limit(count)
    )
    return [r["at"] for r in rows]
