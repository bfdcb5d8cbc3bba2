"""What the benchmarks share: a free loopback port and a throw-away database on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ADMIN = os.environ.get("GUICHET_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(db: str, work: Path) -> Iterator[str]:
    """The URL of an empty database for one run: a SQLite file in `work`, or a PostgreSQL database dropped after."""
    if db != "postgres":
        yield f"sqlite:///{work / 'bench.db'}"
        return
    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
