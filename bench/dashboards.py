"""Dashboard benchmark on 1,000,000 feedback rows in PostgreSQL: main's query shape and this one, side by side.

Loads the rows with bench/inbox.py's loader (seven services, the busiest taking 40 %; two years),
then times, for the busiest service over 12 and 52 weeks:
  - "main": the four queries main ran on 1 December 2026 (UTC weeks, one topic join over the period),
  - "now": `portal.review.dashboards.dashboard`, everything the page shows.
Targets: 12 weeks < 150 ms, 52 weeks < 300 ms (median).

    .venv/bin/python bench/dashboards.py [--rows 1000000] [--runs 15] [--keep] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inbox import LOAD, TOPICS, _admin, timed  # noqa: E402
from bench.common import PG_ADMIN  # noqa: E402


async def main_shape(service_id: int, weeks: int) -> list:
    """The dashboard's queries as main ran them (portal/store/dashboards.py at 8bf6c4b)."""
    from portal.store.core.tables import Feedback

    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(weeks=weeks)
    scope, args = "f.service = {} AND f.received_at >= {}", [service_id, since]
    seconds = "extract(epoch from (f.answered_at - f.received_at))"
    return await asyncio.gather(
        Feedback.raw(
            f"SELECT f.channel AS channel, count(*) AS n, count(f.rating) AS rated, sum(f.rating) AS rating_sum, "
            f"count(f.answered_at) AS answered, sum({seconds}) AS answer_seconds "
            f"FROM feedback f WHERE {scope} GROUP BY f.channel ORDER BY n DESC", *args),
        Feedback.raw(
            "SELECT to_char(date_trunc('week', f.received_at), 'YYYY-MM-DD') AS week, count(*) AS n, avg(f.rating) AS rating "
            f"FROM feedback f WHERE {scope} GROUP BY 1 ORDER BY 1", *args),
        Feedback.raw(
            "SELECT t.topic AS topic, count(*) AS n FROM feedback_topic t JOIN feedback f ON f.id = t.feedback "
            f"WHERE {scope} GROUP BY t.topic ORDER BY n DESC, t.topic", *args),
        Feedback.raw(
            "SELECT count(*) AS n, min(f.received_at) AS oldest FROM feedback f WHERE f.service = {} "
            "AND f.urgent = {} AND f.status IN ({}, {})", service_id, True, "received", "in_review"),
    )


async def load(engine, rows: int) -> None:
    from portal.store.core.tables import Feedback, Office, Service
    from portal.store.dashboards import rebuild_day_counts

    for n in range(7):
        await Service.insert(Service(code=f"service-{n}", name_fr=f"Service {n}", name_en=f"Service {n}"))
    for n in range(4):
        await Office.insert(Office(code=f"office-{n}", name=f"Bureau {n}"))
    start = time.perf_counter()
    # A bulk load: the counting triggers off, the daily counts rebuilt once after.
    await engine.run_ddl("ALTER TABLE feedback DISABLE TRIGGER USER")
    await engine.run_ddl("ALTER TABLE feedback_topic DISABLE TRIGGER USER")
    await engine.run_ddl(LOAD.format(rows=rows, staff="NULL"))  # no assignments here
    await engine.run_ddl(TOPICS)
    await engine.run_ddl("ALTER TABLE feedback ENABLE TRIGGER USER")
    await engine.run_ddl("ALTER TABLE feedback_topic ENABLE TRIGGER USER")
    await rebuild_day_counts()
    await engine.run_ddl("VACUUM ANALYZE")
    print(f"loaded {await Feedback.count():,} feedback rows in {time.perf_counter() - start:.0f} s")


async def main(rows: int, runs: int, keep: bool, database: str | None) -> None:
    from portal.review.dashboards import dashboard
    from portal.settings import Settings
    from portal.store.core.tables import Feedback
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
    from portal.store.migrate import apply_migrations

    name = None
    if database is None:
        name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
        await _admin(f'CREATE DATABASE "{name}"')
        database = f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    settings = Settings.from_env(environ={}, data_dir="/tmp/guichet-bench-dashboards", database_url=database)
    try:
        await apply_migrations(settings)
        engine = bind_engine(build_engine(settings))
        await open_engine(engine, pool_size=4)
        if name is not None:
            await load(engine, rows)
        counts = await Feedback.raw("SELECT service, count(*) AS n FROM feedback GROUP BY service ORDER BY n DESC")
        busiest = counts[0]["service"]
        print(f"busiest service {busiest}: {counts[0]['n']:,} of {sum(r['n'] for r in counts):,} rows")
        for weeks in (12, 52):
            before = await timed(runs, lambda: main_shape(busiest, weeks))
            now = await timed(runs, lambda: dashboard(service_id=busiest, weeks=weeks, time_zone="Europe/Paris"))
            print(f"dashboard busiest service, {weeks:2d} weeks: main's queries {before:7.1f} ms   now {now:7.1f} ms "
                  f"(medians of {runs})")
        await close_engine(engine)
    finally:
        if name is not None and not keep:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif name is not None:
            print(f"kept database {database}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", help="reuse a database kept by an earlier --keep run (no load)")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.runs, args.keep, args.database))
