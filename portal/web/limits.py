"""Rate limits that every process sees: counted in the process's memory, in Redis or in the database.

Each limit is a sliding window (at most COUNT hits per client in any SECONDS; a refused hit is not
recorded; a recorded hit can be taken back), the same on every backend:
- memory (the embedded default, one process): `portal.web.ratelimit.RateLimiter`. With several
  processes each counts alone, so N processes allow N times the limit;
- redis (PORTAL_REDIS_URL): Litestar's `RedisStore`, which holds the client and the key namespace
  and is closed with the application; one Lua script per hit reads, trims and adds to a sorted
  set atomically, on the Redis server's clock;
- database (PORTAL_RATE_LIMIT_STORE=database): `portal.store.rate_limits`, one transaction per hit.

Redis unreachable: requests are not refused for it. Each process falls back to counting in its
own memory (so the limits hold per process, N times the limit over N processes), logs a warning
at most once a minute, and asks Redis again after RETRY_SECONDS.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from typing import Protocol

from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from portal.settings import Settings
from portal.store import rate_limits
from portal.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # after a Redis failure, count in memory this long before asking Redis again
WARN_EVERY = 60.0
REDIS_TIMEOUT = 0.5  # seconds to connect or answer: a hit must never hang a request
SWEEP_EVERY = 60.0  # database: each process deletes expired hits this often

# KEYS[1]: the client's sorted set of hits (score: milliseconds on the Redis clock).
# ARGV: count, window in ms, the new hit's member, 1 to record it or 0 to only ask.
# Returns 0 when the hit may go (recorded if asked), else the milliseconds until a place frees up.
WINDOW_SCRIPT = b"""
local count = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= count then
  local edge = redis.call('ZRANGE', KEYS[1], n - count, n - count, 'WITHSCORES')
  return math.max(1, tonumber(edge[2]) + window - now)
end
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""


class Limit(Protocol):
    """One rate limit: `count` hits per `seconds` per client key."""

    name: str
    count: int
    seconds: int

    async def reserve(self, key: str) -> tuple[int, object]:
        """Record a hit: (0, a stamp to refund it with) when allowed, else (seconds to wait, None)."""

    async def hit(self, key: str) -> int:
        """Record a hit; 0 when allowed, else the seconds to wait (for Retry-After)."""

    async def refund(self, key: str, stamp: object) -> None:
        """Take back the hit `reserve` recorded with this stamp."""

    async def wait(self, key: str) -> int:
        """Seconds before `key` may hit again (0: it may now), recording nothing."""


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait)) if wait > 0 else 0


class _Limit:
    """What every backend shares: a plain hit is a reservation that is never refunded."""

    async def hit(self, key: str) -> int:
        return (await self.reserve(key))[0]  # type: ignore[attr-defined]


class MemoryLimit(_Limit):
    """Counted in this process's memory."""

    def __init__(self, name: str, count: int, seconds: int):
        self.name, self.count, self.seconds = name, count, seconds
        self.window = RateLimiter(count, seconds)

    async def reserve(self, key: str) -> tuple[int, object]:
        now = time.monotonic()
        wait = self.window.hit(key, now)
        return (wait, None) if wait else (0, now)

    async def refund(self, key: str, stamp: object) -> None:
        if isinstance(stamp, float):
            self.window.refund(key, stamp)

    async def wait(self, key: str) -> int:
        return self.window.wait(key)


class WindowStore(RedisStore):
    """Litestar's RedisStore with sliding windows: its client, its namespace, its shutdown, and one script."""

    def __init__(self, redis: Redis, namespace: str, handle_client_shutdown: bool = False) -> None:
        super().__init__(redis, namespace=namespace, handle_client_shutdown=handle_client_shutdown)
        self._window_script = self._redis.register_script(WINDOW_SCRIPT)

    async def window_hit(self, key: str, count: int, seconds: int, member: str, record: bool) -> int:
        """0 when the hit may go (recorded as `member` if `record`), else milliseconds to wait."""
        return int(await self._window_script(keys=[self._make_key(key)], args=[count, seconds * 1000, member, int(record)]))

    async def window_remove(self, key: str, member: str) -> None:
        await self._redis.zrem(self._make_key(key), member)


class RedisOutage:
    """Whether Redis failed a moment ago (then limits count in memory), with the warning it logs."""

    def __init__(self) -> None:
        self.until = 0.0
        self.warned_at = -math.inf

    def active(self) -> bool:
        return time.monotonic() < self.until

    def begin(self, exc: BaseException) -> None:
        now = time.monotonic()
        self.until = now + RETRY_SECONDS
        if now - self.warned_at >= WARN_EVERY:
            self.warned_at = now
            log.warning("rate limits: Redis did not answer (%s); this process counts its limits alone until it does",
                        type(exc).__name__)


class RedisLimit(_Limit):
    """Counted in Redis, shared by every process; in memory while Redis does not answer."""

    def __init__(self, name: str, count: int, seconds: int, store: WindowStore, outage: RedisOutage):
        self.name, self.count, self.seconds = name, count, seconds
        self.store, self.outage = store, outage
        self.fallback = MemoryLimit(name, count, seconds)

    async def reserve(self, key: str) -> tuple[int, object]:
        if self.outage.active():
            return await self.fallback.reserve(key)
        member = uuid.uuid4().hex
        try:
            wait_ms = await self.store.window_hit(key, self.count, self.seconds, member, record=True)
        except (RedisError, OSError) as exc:
            self.outage.begin(exc)
            return await self.fallback.reserve(key)
        return (_seconds(wait_ms / 1000), None) if wait_ms else (0, member)

    async def refund(self, key: str, stamp: object) -> None:
        if not isinstance(stamp, str):
            await self.fallback.refund(key, stamp)
            return
        try:
            await self.store.window_remove(key, stamp)
        except (RedisError, OSError) as exc:
            self.outage.begin(exc)  # the hit stays counted until its window ends: safe side

    async def wait(self, key: str) -> int:
        if self.outage.active():
            return await self.fallback.wait(key)
        try:
            wait_ms = await self.store.window_hit(key, self.count, self.seconds, "", record=False)
        except (RedisError, OSError) as exc:
            self.outage.begin(exc)
            return await self.fallback.wait(key)
        return _seconds(wait_ms / 1000)


class DatabaseLimit(_Limit):
    """Counted in the portal's database, shared by every process that uses it."""

    def __init__(self, name: str, count: int, seconds: int, sweeper: "Sweeper"):
        self.name, self.count, self.seconds, self.sweeper = name, count, seconds, sweeper

    async def reserve(self, key: str) -> tuple[int, object]:
        now = time.time()
        await self.sweeper.maybe(now)
        hit_id, free_at = await rate_limits.take_hit(self.name, key[:128], self.count, self.seconds, now)
        # A hit that waited for the lock may find hits stamped after its `now`: never more than the window.
        return (0, hit_id) if hit_id is not None else (_seconds(min(free_at - now, self.seconds)), None)

    async def refund(self, key: str, stamp: object) -> None:
        if isinstance(stamp, int):
            await rate_limits.take_back(stamp)

    async def wait(self, key: str) -> int:
        now = time.time()
        return _seconds(await rate_limits.free_at(self.name, key[:128], self.count, self.seconds, now) - now)


class Sweeper:
    """Deletes expired database hits once a minute per process, so idle clients leave no rows behind."""

    def __init__(self) -> None:
        self.last = 0.0

    async def maybe(self, now: float) -> None:
        if now - self.last >= SWEEP_EVERY:
            self.last = now
            await rate_limits.forget_expired(now)


class RateLimits:
    """Builds every limit of one application on the backend the settings name (`Settings.rate_limits_in`)."""

    def __init__(self, settings: Settings):
        self.backend = settings.rate_limits_in
        self.stores: dict[str, Store] = {}
        if self.backend == "redis":
            # No retries: a request waits REDIS_TIMEOUT at most, then the limits count in memory for a while.
            client = Redis.from_url(settings.redis_url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT,
                                    retry=Retry(NoBackoff(), 0))
            # Registered with the application (Litestar(stores=...)), which closes the client at shutdown.
            self.store = WindowStore(client, namespace=f"{settings.redis_namespace}:limits", handle_client_shutdown=True)
            self.stores["rate_limits"] = self.store
            self.outage = RedisOutage()
        self.sweeper = Sweeper()

    def limit(self, name: str, count: int, seconds: int) -> Limit:
        """The limit called `name` (its keys apart from every other limit's)."""
        if self.backend == "redis":
            return RedisLimit(name, count, seconds, self.store.with_namespace(name), self.outage)
        if self.backend == "database":
            return DatabaseLimit(name, count, seconds, self.sweeper)
        return MemoryLimit(name, count, seconds)
