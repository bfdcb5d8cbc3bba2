"""Benchmark: build one weekly digest for the busiest service over 1,000,000 feedback rows, on PostgreSQL and SQLite.

    .venv/bin/python bench/digest.py [--rows 1000000] [--runs 5] [--only sqlite|postgres] [--keep]
    .venv/bin/python bench/digest.py --database NAME [--runs 5]

--database times the digest on a PostgreSQL database kept by `bench/inbox.py --rows N --keep`
(bench/bigload.py's rows: seven services, two years ending at its load; no load here): the week
digested is the last whole week before its newest feedback, for the service with the most that week.

Loads the rows (with topics and a classification carrying a 384-dim embedding each) straight
through the drivers — COPY on PostgreSQL, executemany in large transactions on SQLite — then
times `build_digest` (all SQL aggregations, the emerging-issue tests, similar-comment groups)
and the rendering, and prints medians. Targets: < 2 s on PostgreSQL, < 5 s on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.settings import Settings  # noqa: E402

PG_ADMIN_URL = os.environ.get("GUICHET_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
WEEKS = 104
SERVICES = 20
TOPICS = ("access", "information", "relation", "responsiveness", "simplicity", "digital")
CHANNELS = ("web", "counter", "kiosk", "api")
SENTIMENTS = ("negative", "neutral", "positive")
CHUNK = 50_000
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.timezone.utc)


def service_weights() -> np.ndarray:
    w = 1.0 / np.arange(1, SERVICES + 1) ** 0.8  # a few busy services, a long tail
    return w / w.sum()


def generate(rows: int, seed: int = 1):
    """Chunks of (feedback, topics, classifications) tuples; the busiest service gets a spike in the last week."""
    rng = np.random.default_rng(seed)
    weights = service_weights()
    start = NOW - dt.timedelta(weeks=WEEKS)
    span = (NOW - start).total_seconds()
    texts = ["Le code de connexion n'arrive pas, impossible d'accéder à mon espace.",
             "Attente trop longue au guichet, deux heures pour un simple renseignement.",
             "Accueil très agréable, personnel efficace, merci.",
             "Les informations du site ne correspondent pas à ce qu'on m'a dit au téléphone.",
             "Formulaire en ligne trop compliqué, j'ai abandonné."]
    base_vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
    fid = 0
    for offset in range(0, rows, CHUNK):
        n = min(CHUNK, rows - offset)
        service = rng.choice(SERVICES, size=n, p=weights) + 1
        seconds = rng.random(n) * span
        # 3 % of the busiest service's rows land in the last week, about one topic: the spike.
        spike = (service == 1) & (rng.random(n) < 0.03)
        seconds[spike] = span - rng.random(spike.sum()) * 6 * 86400
        channel = rng.choice(4, size=n, p=(0.45, 0.25, 0.2, 0.1))
        rating = rng.choice(6, size=n, p=(0.15, 0.12, 0.13, 0.2, 0.2, 0.2))
        sentiment = rng.choice(3, size=n, p=(0.45, 0.25, 0.3))
        text_index = np.where(spike, 0, rng.integers(0, len(texts), n))
        urgent = rng.random(n) < 0.01
        answered = rng.random(n) < 0.3
        answer_delay = rng.exponential(3 * 86400, n)
        feedback, topics, classifications = [], [], []
        noise = rng.standard_normal((n, 384)).astype(np.float32) * 0.25
        vectors = base_vectors[text_index] + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for i in range(n):
            fid += 1
            received = start + dt.timedelta(seconds=float(seconds[i]))
            answered_at = received + dt.timedelta(seconds=float(answer_delay[i])) if answered[i] else None
            first_topic = 5 if spike[i] else int(rng.integers(0, 6))
            row_topics = [TOPICS[first_topic]] + ([TOPICS[(first_topic + 1) % 6]] if rng.random() < 0.4 else [])
            text = texts[text_index[i]]
            feedback.append((fid, f"B{fid:010d}", int(service[i]), CHANNELS[channel[i]], int(rating[i]) or None, text, text,
                             "fr", received, received, "answered" if answered_at else "received", answered_at,
                             CHANNELS[channel[i]], "online", SENTIMENTS[sentiment[i]], bool(urgent[i]), ",".join(row_topics), "done"))
            for t in row_topics:
                topics.append((fid, t, 0.8))
            classifications.append((fid, "bench-1", SENTIMENTS[sentiment[i]], vectors[i].tobytes(), received))
        yield feedback, topics, classifications


FEEDBACK_COLUMNS = ("id", "reference", "service", "channel", "rating", "text", "redacted_text", "language", "submitted_at",
                    "received_at", "status", "answered_at", "source", "given_as", "sentiment", "urgent", "topics", "classify_state")


async def prepare(settings: Settings) -> None:
    from portal.store.migrate import apply_migrations

    await apply_migrations(settings)


def services_sql() -> list[tuple]:
    return [(i, f"bench-{i:02d}", f"Service {i}", f"Service {i}") for i in range(1, SERVICES + 1)]


def load_sqlite(path: Path, rows: int) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    with conn:
        conn.executemany("INSERT INTO service (id, code, name_fr, name_en) VALUES (?, ?, ?, ?)", services_sql())
    marks = ", ".join("?" for _ in FEEDBACK_COLUMNS)

    def ts(value):
        return None if value is None else str(value)

    for feedback, topics, classifications in generate(rows):
        with conn:
            conn.executemany(f"INSERT INTO feedback ({', '.join(FEEDBACK_COLUMNS)}) VALUES ({marks})",
                             [(*r[:8], ts(r[8]), ts(r[9]), r[10], ts(r[11]), *r[12:]) for r in feedback])
            conn.executemany("INSERT INTO feedback_topic (feedback, topic, score) VALUES (?, ?, ?)", topics)
            conn.executemany(
                "INSERT INTO classification (feedback, model_version, sentiment, sentiment_scores, topics, topic_scores, flags, "
                "language, embedding, created_at) VALUES (?, ?, ?, '{}', '[]', '{}', '[]', 'fr', ?, ?)",
                [(f, v, s, e, ts(c)) for f, v, s, e, c in classifications])
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def load_postgres(url: str, rows: int) -> float:
    import asyncpg

    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("service", records=services_sql(), columns=["id", "code", "name_fr", "name_en"])
        await conn.execute("SELECT setval(pg_get_serial_sequence('service', 'id'), %d)" % SERVICES)
        for feedback, topics, classifications in generate(rows):
            async with conn.transaction():
                await conn.copy_records_to_table("feedback", records=feedback, columns=list(FEEDBACK_COLUMNS))
                await conn.copy_records_to_table("feedback_topic", records=topics, columns=["feedback", "topic", "score"])
                await conn.copy_records_to_table(
                    "classification", columns=["feedback", "model_version", "sentiment", "embedding", "created_at",
                                               "sentiment_scores", "topics", "topic_scores", "flags", "language"],
                    records=[(*c, "{}", "[]", "{}", "[]", "fr") for c in classifications])
        await conn.execute("SELECT setval(pg_get_serial_sequence('feedback', 'id'), (SELECT MAX(id) FROM feedback))")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


async def time_digest(settings: Settings, runs: int, newest: bool = False) -> dict:
    from portal.digests.content import build_digest
    from portal.digests.periods import period_containing
    from portal.digests.render import render_digest
    from portal.store.core.tables import Feedback
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=2)
    try:
        now = NOW
        if newest:  # a kept database: the week before its newest feedback
            now = (await Feedback.raw("SELECT MAX(received_at) AS at FROM feedback"))[0]["at"]
        week = period_containing("weekly", now, "Europe/Paris").previous()
        busiest = await Feedback.raw(
            "SELECT s.code AS code, COUNT(*) AS n FROM feedback f JOIN service s ON s.id = f.service "
            "WHERE f.received_at >= {} AND f.received_at < {} GROUP BY s.code ORDER BY n DESC LIMIT 1", week.start, week.end)
        code = busiest[0]["code"]
        build, total = [], []
        content = None
        for _ in range(runs):
            t0 = time.perf_counter()
            content = await build_digest([code], week, "fr", "https://guichet.example.fr")
            t1 = time.perf_counter()
            render_digest(content, unsubscribe="https://guichet.example.fr/u", archive=None, frequency="weekly")
            t2 = time.perf_counter()
            build.append(t1 - t0)
            total.append(t2 - t0)
        service_id = (await Feedback.raw("SELECT id FROM service WHERE code = {}", code))[0]["id"]
        window = await Feedback.count().where((Feedback.service == service_id) & (Feedback.received_at >= week.previous(8).start)
                                              & (Feedback.received_at < week.end))
        return {"service": code, "week": f"{week.start:%Y-%m-%d %H:%M} to {week.end:%Y-%m-%d %H:%M} UTC", "week_rows": content.overall.total, "window_rows": window,
                "emerging": [(i.kind, i.topic or "similar comments") for i in content.overall.emerging],
                "build": statistics.median(build), "build_all": build, "with_render": statistics.median(total)}
    finally:
        await close_engine(engine)


def report(name: str, load: float, result: dict, target: float) -> None:
    loaded = f"loaded in {load:.0f} s" if load else "no load (kept database)"
    print(f"{name}: {loaded}; week {result['week']}; busiest service {result['service']}: {result['week_rows']} feedback this week, "
          f"{result['window_rows']} in the nine weeks read; emerging: {result['emerging']}")
    runs = ", ".join(f"{x:.2f}" for x in result["build_all"])
    verdict = "OK" if result["build"] < target else "OVER TARGET"
    print(f"{name}: build_digest median {result['build']:.2f} s (runs: {runs}); with rendering {result['with_render']:.2f} s; "
          f"target < {target:.0f} s: {verdict}")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--database", help="time the digest on this kept PostgreSQL database (bench/inbox.py --keep)")
    args = parser.parse_args()
    if args.database:
        url = PG_ADMIN_URL.rpartition("/")[0] + f"/{args.database}"
        settings = Settings.from_env(environ={}, data_dir="/tmp/guichet-bench-digest", database_url=url)
        started = time.perf_counter()
        asyncio.run(prepare(settings))
        print(f"migrations applied (any new index built) in {time.perf_counter() - started:.1f} s")
        report(f"PostgreSQL {args.database}", 0, asyncio.run(time_digest(settings, args.runs, newest=True)), 3.0)
        return 0
    work = Path(os.environ.get("BENCH_DIR", "/tmp/guichet-bench-digest"))
    if args.only != "postgres":
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        settings = Settings.from_env(environ={}, data_dir=str(work), database_url=f"sqlite:///{work / 'portal.db'}")
        asyncio.run(prepare(settings))
        load = load_sqlite(work / "portal.db", args.rows)
        report("SQLite", load, asyncio.run(time_digest(settings, args.runs)), 5.0)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.only != "sqlite":
        name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rpartition("/")[0] + f"/{name}"
        try:
            settings = Settings.from_env(environ={}, data_dir=str(work), database_url=url)
            asyncio.run(prepare(settings))
            load = asyncio.run(load_postgres(url, args.rows))
            report("PostgreSQL", load, asyncio.run(time_digest(settings, args.runs)), 2.0)
        finally:
            if not args.keep:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
