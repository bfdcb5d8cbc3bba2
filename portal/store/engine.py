"""Database engines: one kept-open SQLite connection per process, or a PostgreSQL pool."""

from __future__ import annotations

import asyncio
import os
import random
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Optional

import aiosqlite
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)
from piccolo.querystring import QueryString

from portal.settings import Settings
from portal.store.replica import CONNECT_TIMEOUT, STATEMENT_TIMEOUT, PrimaryWithReplica, ReplicaEngine
from portal.store.schema import ALL_TABLES

# Piccolo looks its engine up through this module (see piccolo_conf.py).
os.environ.setdefault("PICCOLO_CONF", "portal.store.piccolo_conf")

_bound: Engine | None = None
UNICODE_LOWER = "unicode_lower"  # an SQL function on SQLite connections: lower() for every alphabet


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


class KeptOpenTransaction(SQLiteTransaction):
    """A transaction on the engine's single connection, holding its write lock throughout."""

    async def get_connection(self):
        engine: KeptOpenSQLiteEngine = self.engine  # type: ignore[assignment]
        await engine.lock.acquire()
        try:
            return await engine.connection()
        except BaseException:
            engine.lock.release()
            raise

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            self.engine.lock.release()  # type: ignore[attr-defined]
        return exception is None


class KeptOpenSQLiteEngine(SQLiteEngine):
    """SQLite through one long-lived connection with WAL, a busy timeout and serialized access.

    Piccolo's stock engine opens a connection per query (5-8 ms an insert here) and lets
    concurrent writers collide on "database is locked". aiosqlite runs the connection on its
    own thread, so the event loop never blocks; an asyncio lock serializes statements and
    transactions, so writers queue instead of failing.
    """

    __slots__ = ("_connection", "_lock", "_lock_loop")

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self._connection: aiosqlite.Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    @property
    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def connection(self) -> aiosqlite.Connection:
        if self._connection is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(**self.connection_kwargs)
            conn.row_factory = dict_factory  # type: ignore[assignment]
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA busy_timeout=10000",
                "PRAGMA foreign_keys=ON",
                "PRAGMA temp_store=MEMORY",
                "PRAGMA cache_size=-65536",
            ):
                await conn.execute(pragma)
            # SQLite's own lower() folds ASCII letters only; this one folds as Python (and PostgreSQL) do.
            await conn.create_function(UNICODE_LOWER, 1, _unicode_lower, deterministic=True)
            self._connection = conn
        return self._connection

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.connection()

    async def batch(self, query, batch_size: int = 100, node: Optional[str] = None):
        raise NotImplementedError("batch iteration is not supported on the kept-open engine")

    async def _execute(self, query: str, args: list) -> list[dict]:
        conn = await self.connection()
        # One hop to the connection's thread for execute and fetch together.
        return list(await conn.execute_fetchall(query, args))

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        query, args = querystring.compile_string(engine_type=self.engine_type)
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=str(querystring))
        current = self.current_transaction.get()
        if current:
            return await self._execute(query, args)
        async with self.lock:
            return await self._execute(query, args)

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        current = self.current_transaction.get()
        if current:
            return await self._execute(ddl, [])
        async with self.lock:
            return await self._execute(ddl, [])

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> KeptOpenTransaction:
        return KeptOpenTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)


def postgres_config(url: str, settings: Settings) -> dict[str, Any]:
    """asyncpg's connection settings for one PostgreSQL address, through a pooler or not."""
    config: dict[str, Any] = {"dsn": url}
    if settings.database_pooler == "pgbouncer":
        # In transaction mode consecutive statements may reach different server connections, where
        # a statement asyncpg prepared and cached on another one does not exist: prepare none to keep.
        config["statement_cache_size"] = 0
    return config


def build_engine(settings: Settings) -> Engine:
    if settings.is_postgres:
        config = postgres_config(settings.database_url, settings)
        if settings.database_replica_url:
            replica = ReplicaEngine(
                config={**postgres_config(settings.database_replica_url, settings),
                        "timeout": CONNECT_TIMEOUT, "command_timeout": STATEMENT_TIMEOUT},
                extensions=(),
            )
            return PrimaryWithReplica(config=config, replica=replica, extensions=())
        return PostgresEngine(config=config, extensions=())
    return KeptOpenSQLiteEngine(path=str(settings.sqlite_path), timeout=10)


def bind_engine(engine: Engine) -> Engine:
    """Make every table (and Piccolo's migration machinery) use this engine."""
    global _bound
    for table in (*ALL_TABLES, Migration):
        table._meta.db = engine
    _bound = engine
    return engine


def bound_engine() -> Engine | None:
    """The engine tables currently use, or None before any was bound."""
    return _bound


class NoEngineBound(RuntimeError):
    """The store was used before an entry point bound an engine."""


def current_engine() -> Engine:
    """The bound engine. The store never builds one itself: create_app, open_store and
    apply_migrations bind it from the settings they are given."""
    if _bound is None:
        raise NoEngineBound(
            "no database engine is bound: create the app with create_app(settings), "
            "or wrap the work in `async with open_store(settings)`"
        )
    return _bound


async def open_engine(engine: Engine, pool_size: int = 10) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_size)
    elif isinstance(engine, KeptOpenSQLiteEngine):
        await engine.connection()


async def close_engine(engine: Engine) -> None:
    """Close the engine's connections; an engine already closed (or never opened) is left as it is."""
    if isinstance(engine, PostgresEngine):
        if engine.pool is not None:
            await engine.close_connection_pool()
    elif isinstance(engine, KeptOpenSQLiteEngine):
        await engine.close()


@asynccontextmanager
async def open_store(settings: Settings, pool_size: int = 2) -> AsyncIterator[Engine]:
    """The store bound and open for a command or a job, and closed afterwards."""
    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=pool_size)
    try:
        yield engine
    finally:
        await close_engine(engine)


async def run_on_driver(engine: Engine, sql: str, args: list) -> list[dict]:
    """Run SQL written for the engine's own driver (`$1` on PostgreSQL, `?` on SQLite), inside the
    current transaction when there is one. For hot paths where Piccolo's query building costs more
    than the statement itself."""
    transaction = engine.current_transaction.get()
    if is_postgres(engine):
        if transaction is not None:
            return [dict(r) for r in await transaction.connection.fetch(sql, *args)]
        async with engine.pool.acquire() as conn:
            return [dict(r) for r in await conn.fetch(sql, *args)]
    if transaction is not None:
        return await engine._execute(sql, args)
    async with engine.lock:
        return await engine._execute(sql, args)


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"


def is_unique_violation(exc: Exception) -> bool:
    """Whether a write failed on a unique constraint, on either database."""
    # sqlite3.IntegrityError "UNIQUE constraint failed", asyncpg UniqueViolationError.
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text


DEADLOCK_ATTEMPTS = 5


def is_deadlock(exc: Exception) -> bool:
    """Whether PostgreSQL chose this transaction as the victim of a deadlock (SQLSTATE 40P01): it is safe to run again."""
    return getattr(exc, "sqlstate", None) == "40P01" or type(exc).__name__ == "DeadlockDetectedError"


async def retried_on_deadlock(transaction_body, attempts: int = DEADLOCK_ATTEMPTS):
    """Run `transaction_body()` (a coroutine function opening its own transaction), again if it lost a deadlock.

    Concurrent writers of feedback update the same daily aggregate rows (feedback_day, kept by a
    trigger) in the order of their own rows, so two batches can deadlock; PostgreSQL then aborts
    one of them, which is safe to run again whole. Inside a caller's transaction it runs once:
    only the caller can start again.
    """
    engine = current_engine()
    if engine.current_transaction.get() is not None:
        return await transaction_body()
    for attempt in range(attempts):
        try:
            return await transaction_body()
        except Exception as exc:
            if not is_deadlock(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))  # apart, so they do not meet again
