"""Each rate-limit backend (memory, Redis, database) keeps the same sliding window, under concurrency too."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time
import uuid

import pytest
from redis.asyncio import Redis

from portal.feedback.lookups import LookupThrottle, TooManyLookups
from portal.store.core.tables import RateLimitHit
from portal.store.rate_limits import forget_expired
from portal.web import limits as limits_module
from portal.web.limits import DatabaseLimit, MemoryLimit, RateLimits, RedisLimit
from tests.conftest import free_port, skip_or_fail

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _redis_answers() -> bool:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except Exception:  # noqa: BLE001
        return False
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", "redis", "database"])
async def limits(request, db):
    """RateLimits on one backend; Redis keys under a namespace of this test's own, deleted afterwards."""
    backend = request.param
    if backend == "redis" and not await _redis_answers():
        skip_or_fail(f"Redis not reachable at {REDIS_URL}")
    settings = dataclasses.replace(db, rate_limit_store=backend, redis_url=REDIS_URL if backend == "redis" else "",
                                   redis_namespace=f"test-{uuid.uuid4().hex}")
    built = RateLimits(settings)
    assert built.backend == backend
    yield built
    if backend == "redis":
        await built.store.delete_all()
        await built.store.__aexit__(None, None, None)


async def test_the_limit_allows_count_hits_then_says_how_long_to_wait(limits):
    limit = limits.limit("submissions", 3, 60)
    assert [await limit.hit("192.0.2.1") for _ in range(3)] == [0, 0, 0]
    wait = await limit.hit("192.0.2.1")
    assert 1 <= wait <= 60
    assert 1 <= await limit.wait("192.0.2.1") <= 60
    assert await limit.hit("192.0.2.2") == 0  # another client has its own count
    assert await limits.limit("lookups", 3, 60).hit("192.0.2.1") == 0  # another limit too


async def test_concurrent_hits_stop_exactly_at_the_limit(limits):
    limit = limits.limit("submissions", 7, 60)
    waits = await asyncio.gather(*(limit.hit("198.51.100.9") for _ in range(40)))
    assert waits.count(0) == 7
    assert all(1 <= w <= 60 for w in waits if w)


async def test_a_refunded_hit_frees_its_place_and_asking_records_nothing(limits):
    limit = limits.limit("lookup-misses", 2, 60)
    for _ in range(5):
        assert await limit.wait("203.0.113.5") == 0  # asking is free
    wait, first = await limit.reserve("203.0.113.5")
    assert wait == 0 and first is not None
    assert (await limit.reserve("203.0.113.5"))[0] == 0
    refused, none = await limit.reserve("203.0.113.5")
    assert refused and none is None
    await limit.refund("203.0.113.5", first)
    assert await limit.wait("203.0.113.5") == 0
    assert await limit.hit("203.0.113.5") == 0
    assert await limit.hit("203.0.113.5") > 0


async def test_the_window_slides(limits):
    limit = limits.limit("me-too", 2, 1)
    assert [await limit.hit("192.0.2.8") for _ in range(3)] == [0, 0, 1]
    await asyncio.sleep(1.1)
    assert await limit.hit("192.0.2.8") == 0


@pytest.mark.parametrize("backend", ["memory", "redis", "database"])
async def test_the_settings_choose_the_backend(db, backend):
    settings = dataclasses.replace(db, rate_limit_store="", redis_url="")
    assert isinstance(RateLimits(settings).limit("x", 1, 1), MemoryLimit)
    chosen = dataclasses.replace(db, rate_limit_store=backend, redis_url=REDIS_URL)
    expected = {"memory": MemoryLimit, "redis": RedisLimit, "database": DatabaseLimit}[backend]
    assert isinstance(RateLimits(chosen).limit("x", 1, 1), expected)
    # A Redis URL alone is enough to count there.
    assert RateLimits(dataclasses.replace(db, rate_limit_store="", redis_url=REDIS_URL)).backend == "redis"


async def test_redis_down_counts_in_memory_with_one_warning_then_uses_redis_again(db, caplog, monkeypatch):
    # Nothing listens on this port: the connection is refused at once.
    settings = dataclasses.replace(db, rate_limit_store="redis", redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                   redis_namespace=f"test-{uuid.uuid4().hex}")
    built = RateLimits(settings)
    limit = built.limit("submissions", 2, 60)
    with caplog.at_level(logging.WARNING, logger="portal.web.limits"):
        waits = [await limit.hit("192.0.2.4") for _ in range(4)]
    assert waits[:2] == [0, 0] and all(waits[2:])  # the per-process count still holds
    warnings = [r for r in caplog.records if "Redis did not answer" in r.getMessage()]
    assert len(warnings) == 1 and "192.0.2.4" not in warnings[0].getMessage()
    # After the retry delay the limit asks Redis again (here still down: one more failure, no new warning).
    monkeypatch.setattr(limits_module, "RETRY_SECONDS", 0.0)
    built.outage.until = 0.0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="portal.web.limits"):
        assert await limit.hit("192.0.2.4") > 0
    assert not caplog.records
    await built.store.__aexit__(None, None, None)


async def test_a_redis_that_does_not_answer_costs_one_request_half_a_second_then_nothing(db):
    # A server that takes connections and never answers, like a Redis stuck or cut off mid-way.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        settings = dataclasses.replace(db, rate_limit_store="redis", redis_url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
                                       redis_namespace=f"test-{uuid.uuid4().hex}")
        built = RateLimits(settings)
        limit = built.limit("lookups", 3, 60)
        start = time.monotonic()
        assert await limit.hit("192.0.2.6") == 0
        first = time.monotonic() - start
        start = time.monotonic()
        assert [await limit.hit("192.0.2.6") for _ in range(3)] == [0, 0, 60]
        assert limits_module.REDIS_TIMEOUT <= first < 1.5 and time.monotonic() - start < 0.1
        await built.store.__aexit__(None, None, None)


async def test_expired_database_hits_are_swept(db):
    limits = RateLimits(dataclasses.replace(db, rate_limit_store="database"))
    limit = limits.limit("submissions", 5, 1)
    for n in range(3):
        assert await limit.hit(f"192.0.2.{n}") == 0
    assert await RateLimitHit.count() == 3
    await asyncio.sleep(1.1)
    assert await forget_expired(time.time()) == 3
    assert await RateLimitHit.count() == 0


async def test_concurrent_misses_spend_exactly_the_miss_budget(limits):
    throttle = LookupThrottle(limits.limit("lookups", 100, 60), limits.limit("lookup-misses", 5, 60), "secret")

    async def guess() -> str:
        try:
            stamp = await throttle.admit("192.0.2.3")
        except TooManyLookups:
            return "refused"
        await asyncio.sleep(0.01)  # the store is asked meanwhile
        await throttle.settle("192.0.2.3", stamp, missed=True)
        return "missed"

    results = await asyncio.gather(*(guess() for _ in range(30)))
    assert results.count("missed") == 5 and results.count("refused") == 25


async def test_a_lookup_refused_for_its_budget_leaves_no_miss_charged(limits):
    throttle = LookupThrottle(limits.limit("lookups", 3, 60), limits.limit("lookup-misses", 4, 60), "secret")
    admitted, refused = [], 0
    for _ in range(10):
        try:
            admitted.append(await throttle.admit("192.0.2.7"))
        except TooManyLookups:
            refused += 1
    assert len(admitted) == 3 and refused == 7
    for stamp in admitted:
        await throttle.settle("192.0.2.7", stamp, missed=False)  # found: refunded
    assert [await throttle.reserve_miss("192.0.2.7") is not None for _ in range(4)] == [True] * 4
