"""Reads from a PostgreSQL read replica: the read-heavy store functions ask for it, the primary answers when it cannot.

A store function decorated with `@replica_read` (public results, open data, staff dashboards) runs
its queries on the replica of PORTAL_DATABASE_REPLICA_URL, unless it runs inside a transaction (a
transaction is the primary's). When a read on the replica fails for any reason (refused, timed
out, dropped, too many connections, a conflict with recovery), that read runs again on the
primary, one warning is logged, and the replica rests for `rest_seconds` before it is tried again:
a page never answers 500 because the replica is away. Writes, claims and anything a person reads
right after changing it stay on the primary: only what tolerates a replica's lag is marked.
"""

from __future__ import annotations

import functools
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Iterator, ParamSpec, TypeVar

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

log = logging.getLogger("portal.store.replica")

P = ParamSpec("P")
R = TypeVar("R")

_reading: ContextVar[bool] = ContextVar("portal_reading_from_replica", default=False)

# Seconds to wait before a failing replica is tried again, to wait for a connection to it, and for
# one of its statements (a replica that accepted the connection and then stalls must fall back too).
REST_SECONDS = 30.0
CONNECT_TIMEOUT = 5.0
STATEMENT_TIMEOUT = 10.0


@contextmanager
def reading() -> Iterator[None]:
    """Queries run inside go to the read replica when there is one and it answers."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_read(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Mark a read-only store function whose queries may be served by the read replica."""

    @functools.wraps(function)
    async def read(*args: P.args, **kwargs: P.kwargs) -> R:
        with reading():
            return await function(*args, **kwargs)

    return read


class ReplicaEngine(PostgresEngine):
    """The replica's engine: built without connecting, so a replica that is down delays no start."""

    async def check_version(self) -> None:
        # Piccolo connects at construction to check the server's version; the primary's check is enough.
        return None


class PrimaryWithReplica(PostgresEngine):
    """The primary PostgreSQL engine, which hands the queries of `reading()` to its replica while it answers."""

    def __init__(self, config: dict[str, Any], replica: ReplicaEngine, **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        self.replica = replica
        self.rest_seconds = REST_SECONDS
        self.resting_until = 0.0
        self.left = False  # the replica failed and has not answered since
        # Queries the replica answered, and reads it left to the primary: for tests and operators.
        self.replica_answers = 0
        self.primary_fallbacks = 0

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True):
        if _reading.get() and self.current_transaction.get() is None:
            if time.monotonic() >= self.resting_until:
                try:
                    response = await self.replica.run_querystring(querystring, in_pool=in_pool)
                except Exception as exc:  # noqa: BLE001 - whatever failed there, the primary answers
                    self.replica_failed(exc)
                else:
                    self.replica_answered()
                    return response
            else:
                self.primary_fallbacks += 1
        return await super().run_querystring(querystring, in_pool=in_pool)

    def replica_failed(self, exc: Exception) -> None:
        self.primary_fallbacks += 1
        now = time.monotonic()
        if now < self.resting_until:
            return  # reads sent before the first of them failed: that one said it already
        self.resting_until = now + self.rest_seconds
        self.left = True
        # The class and SQLSTATE only: a server's message may quote the values of the statement.
        code = getattr(exc, "sqlstate", None)
        log.warning(
            "read replica unavailable (%s%s): reading the primary for the next %g s",
            type(exc).__name__, f", SQLSTATE {code}" if code else "", self.rest_seconds,
        )

    def replica_answered(self) -> None:
        self.replica_answers += 1
        if self.left:
            self.left = False
            log.info("read replica answering again")

    async def start_connection_pool(self, **kwargs) -> None:
        await super().start_connection_pool(**kwargs)
        # No connection at start (min_size 0): a replica that is down must not stop the portal starting.
        await self.replica.start_connection_pool(**{**kwargs, "min_size": 0})

    async def close_connection_pool(self) -> None:
        await self.replica.close_connection_pool()
        await super().close_connection_pool()
