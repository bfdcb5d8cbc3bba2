"""The fast bulk load shared by bench/inbox.py and bench/digest.py: millions of feedback rows generated inside PostgreSQL.

One database serves both scripts (`bench/inbox.py --rows N --keep`, then `bench/digest.py --database NAME`).
The rows are bench/inbox.py's shape (seven services, the busiest taking 40 %, two years ending at the
load, 3 % open), with one topic each and, for every item with words, a classification carrying a
384-dimension embedding (from a pool of 1,000 vectors around five texts, as bench/digest.py draws them).

How it goes fast: one connection with `session_replication_role = replica` (no trigger runs: neither the
daily-count triggers nor the foreign-key checks; the rows are consistent by construction), no commit
waits, every secondary index of feedback, feedback_topic and classification dropped first and built
again after the load (their definitions read back from pg_indexes, so a new migration's index is kept),
INSERT ... SELECT from generate_series in chunks of a million rows; then the daily tables counted again
once (`rebuild_day_counts`) and VACUUM ANALYZE. Each step's time is printed.
"""

from __future__ import annotations

import time

import numpy as np

CHUNK = 1_000_000
TABLES = ("feedback", "feedback_topic", "classification")
POOL_VARIANTS = 200  # vectors per text: item id % 200 picks one
EMBEDDING_DIM = 384
MODEL_VERSION = "bench-1"

CLASSIFY = """
INSERT INTO classification (feedback, model_version, sentiment, language, embedding, created_at,
    sentiment_source, sentiment_confidence)
SELECT f.id, '{model}', f.sentiment, 'fr', v.embedding, f.received_at, 'text', f.sentiment_confidence
FROM feedback f JOIN bench_vector v ON v.k = (f.id % {variants}) * 5 + (f.id % 5)
WHERE f.id BETWEEN {first} AND {last} AND f.redacted_text <> ''
"""


def vector_pool(seed: int = 1) -> list[tuple[int, bytes]]:
    """(k, embedding) for k = variant * 5 + text: unit vectors around five texts (cosine about 0.94 within a text)."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((5, EMBEDDING_DIM)).astype(np.float32)
    pool = []
    for variant in range(POOL_VARIANTS):
        vectors = base + rng.standard_normal((5, EMBEDDING_DIM)).astype(np.float32) * 0.25
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        pool.extend((variant * 5 + text, vectors[text].tobytes()) for text in range(5))
    return pool


def _step(label: str, started: float) -> float:
    now = time.perf_counter()
    print(f"  {label}: {now - started:.0f} s", flush=True)
    return now


async def bulk_load(url: str, rows: int, staff: int, load_sql: str, topics_sql: str) -> dict:
    """Load `rows` feedback (ids 1..rows, fresh tables) with topics and classifications; seconds per phase."""
    import asyncpg

    from portal.store.dashboards import rebuild_day_counts

    started = time.perf_counter()
    phases: dict[str, float] = {}
    conn = await asyncpg.connect(url)
    try:
        for setting in ("session_replication_role = replica", "synchronous_commit = off",
                        "maintenance_work_mem = '1GB'", "work_mem = '256MB'"):
            await conn.execute(f"SET {setting}")
        indexes = await conn.fetch(
            "SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY i.tablename, i.indexname",
            list(TABLES))
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["name"]}"')
        await conn.execute("CREATE TEMP TABLE bench_vector (k integer PRIMARY KEY, embedding bytea NOT NULL)")
        await conn.copy_records_to_table("bench_vector", records=vector_pool(), columns=["k", "embedding"])
        mark = time.perf_counter()
        for first in range(1, rows + 1, CHUNK):
            last = min(rows, first + CHUNK - 1)
            chunk = load_sql.format(rows=rows, staff=staff).replace(
                f"generate_series(1, {rows})", f"generate_series({first}, {last})")
            await conn.execute(chunk)
            await conn.execute(f"{topics_sql} WHERE id BETWEEN {first} AND {last}")
            await conn.execute(CLASSIFY.format(model=MODEL_VERSION, variants=POOL_VARIANTS, first=first, last=last))
            print(f"  rows {first:,}..{last:,} with topics and classifications: "
                  f"{time.perf_counter() - mark:.0f} s so far", flush=True)
        phases["rows"] = time.perf_counter() - mark
        mark = time.perf_counter()
        for index in indexes:
            await conn.execute(index["definition"])
        phases["indexes"] = _step(f"{len(indexes)} indexes built again", mark) - mark
    finally:
        await conn.close()
    mark = time.perf_counter()
    await rebuild_day_counts()
    phases["daily tables"] = _step("daily tables counted again", mark) - mark
    conn = await asyncpg.connect(url)
    try:
        mark = time.perf_counter()
        await conn.execute("VACUUM ANALYZE feedback")
        await conn.execute("VACUUM ANALYZE feedback_topic")
        await conn.execute("ANALYZE")
        phases["vacuum, analyze"] = _step("VACUUM ANALYZE", mark) - mark
        phases["size"] = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    phases["total"] = time.perf_counter() - started
    return phases
