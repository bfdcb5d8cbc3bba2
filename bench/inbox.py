"""Inbox and dashboard benchmark on 1,000,000 feedback rows in a fresh PostgreSQL database.

Measures, through the real domain functions, the median of repeated runs of:
  - the first inbox page with two filters (busiest service + status; busiest service + sentiment),
  - the page after a deep keyset cursor (10,000 rows in) with the same filters,
  - the first page of every view (all, new since the last visit, assigned to me, unassigned, overdue,
    to check, urgent, ratings without a comment) and of every order, for the owner of the busiest
    service, and the counts of every view together,
  - the dashboard of the busiest service (12 weeks, and 52 weeks).
Targets: inbox pages < 100 ms median, each view's first page < 50 ms, dashboard < 300 ms.
One feedback in six is a kiosk press without text; 3 % are open, a seventh of those assigned to the
benchmark's owner with a due date 14 days after reception (some overdue).

    .venv/bin/python bench/inbox.py [--rows 1000000] [--runs 20] [--keep] [--database NAME]

--database times again a database an earlier run kept (no load). Every figure includes the round
trips through the ORM: the first line times a trivial query the same way, to read the others against.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bigload import bulk_load  # noqa: E402
PG_ADMIN = os.environ.get("GUICHET_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

# Seven services, the busiest taking 40 % of all feedback; four offices; two years of history.
LOAD = """
INSERT INTO feedback (reference, service, channel, office, rating, text, redacted_text, language, submitted_at,
    received_at, contact_email, contact_consent, status, public_answer, answered_at, source, idempotency_key,
    given_as, entered_by, flagged, sentiment, urgent, topics, classify_state, classify_lease_until, classify_attempts,
    sentiment_confidence, sentiment_source, assigned_staff, due_at)
SELECT
    'B' || lpad(g::text, 12, '0'),
    s.ids[CASE WHEN r1 < 0.40 THEN 1 WHEN r1 < 0.60 THEN 2 WHEN r1 < 0.75 THEN 3 WHEN r1 < 0.85 THEN 4
              WHEN r1 < 0.92 THEN 5 WHEN r1 < 0.97 THEN 6 ELSE 7 END],
    (ARRAY['web','web','web','counter','kiosk','api'])[1 + (g % 6)],
    CASE WHEN g % 6 IN (3, 4) THEN o.ids[1 + (g % 4)] ELSE NULL END,
    1 + (g % 5),
    CASE WHEN g % 6 = 4 THEN '' ELSE 'texte ' || g END,
    CASE WHEN g % 6 = 4 THEN '' ELSE (ARRAY['Attente beaucoup trop longue au guichet', 'Le site plante au paiement',
        'Accueil très agréable, merci', 'Courrier incompréhensible', 'Dossier bloqué depuis des mois'])[1 + (g % 5)] END,
    'fr', now() - make_interval(secs => (g::float / {rows}) * 730 * 86400),
    now() - make_interval(secs => (g::float / {rows}) * 730 * 86400),
    NULL, false,
    CASE WHEN g < {rows} * 0.02 THEN 'received' WHEN g < {rows} * 0.03 THEN 'in_review'
         WHEN g % 3 = 0 THEN 'answered' ELSE 'closed' END,
    '', CASE WHEN g % 3 = 0 AND g >= {rows} * 0.03 THEN now() - make_interval(secs => (g::float / {rows}) * 730 * 86400 - 36000) END,
    'bench', NULL, 'online', NULL, false,
    (ARRAY['negative','neutral','positive'])[1 + (g % 3)],
    (g % 31 = 0),
    (ARRAY['responsiveness','digital','relation','information','simplicity'])[1 + (g % 5)],
    'done', NULL, 0,
    0.35 + ((g::bigint * 7919) % 65) / 100.0, 'text',
    CASE WHEN g < {rows} * 0.03 AND g % 7 = 0 THEN {staff} END,
    CASE WHEN g < {rows} * 0.03 AND g % 7 = 0
         THEN now() - make_interval(secs => (g::float / {rows}) * 730 * 86400) + interval '14 days' END
FROM generate_series(1, {rows}) AS g,
     LATERAL (SELECT ((g::bigint * 2654435761) % 4294967296) / 4294967296.0 AS r1) AS r,
     (SELECT array_agg(id ORDER BY id) AS ids FROM service) AS s,
     (SELECT array_agg(id ORDER BY id) AS ids FROM office) AS o
"""
TOPICS = "INSERT INTO feedback_topic (feedback, topic, score) SELECT id, topics, 1.0 FROM feedback"  # + a WHERE


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def timed(runs: int, work) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


async def _load(url: str, rows: int) -> int:
    """Services, offices, the benchmark's owner and `rows` feedback (bench/bigload.py); the owner's id."""
    from portal.store.core.tables import Feedback, Office, Service, StaffUser

    for n in range(7):
        await Service.insert(Service(code=f"service-{n}", name_fr=f"Service {n}", name_en=f"Service {n}"))
    for n in range(4):
        await Office.insert(Office(code=f"office-{n}", name=f"Bureau {n}"))
    staff = (await StaffUser.insert(StaffUser(email="bench@example.fr", name="Bench", role="owner", password_hash=""))
             .returning(StaffUser.id))[0]["id"]
    phases = await bulk_load(url, rows, staff, LOAD, TOPICS)
    print(f"loaded {await Feedback.count():,} feedback rows in {phases['total']:.0f} s ("
          + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items() if k not in ("total", "size")) + ")")
    return staff


async def main(rows: int, runs: int, keep: bool, database: str | None = None) -> None:
    from portal.review.dashboards import dashboard
    from portal.review.inbox import VIEWS, InboxFilter, list_inbox, view_counts
    from portal.settings import Settings
    from portal.store.core.tables import Feedback, Service, StaffUser
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
    from portal.store.migrate import apply_migrations

    name = database or f"guichet_bench_{uuid.uuid4().hex[:8]}"
    if database:
        keep = True
    else:
        await _admin(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN.rpartition('/')[0]}/{name}"
    settings = Settings.from_env(environ={}, data_dir=f"/tmp/{name}", database_url=url)
    try:
        await apply_migrations(settings)
        engine = bind_engine(build_engine(settings))
        await open_engine(engine, pool_size=2)
        if database:
            staff = (await StaffUser.select(StaffUser.id).where(StaffUser.email == "bench@example.fr").first())["id"]
        else:
            staff = await _load(url, rows)
        size = (await Feedback.raw("SELECT pg_database_size(current_database()) AS n"))[0]["n"]
        print(f"database {name}: {await Feedback.count():,} feedback rows, {size / 2**30:.2f} GiB (pg_database_size)")
        print(f"a trivial query through the ORM: {await timed(runs, lambda: Service.select(Service.id).limit(1)):7.1f} ms (median)")
        counts = await Feedback.raw("SELECT service, count(*) AS n FROM feedback GROUP BY service ORDER BY n DESC")

        print("rows per service:", ", ".join(f"{r['service']}: {r['n']:,}" for r in counts))

        busiest = counts[0]["service"]
        owner = {"id": staff, "role": "owner", "services": {busiest: "owner"}, "office": None}
        filters = {
            "service + status=received": InboxFilter(service_ids=[busiest], status="received"),
            "service + status=closed": InboxFilter(service_ids=[busiest], status="closed"),
            "service + sentiment=negative": InboxFilter(service_ids=[busiest], sentiment="negative"),
        }
        for label, f in filters.items():
            cursor = None
            for _ in range(200):  # 200 pages of 50: a cursor 10,000 rows deep
                page = await list_inbox(owner, f, cursor)
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            first = await timed(runs, lambda: list_inbox(owner, f))
            deep = await timed(runs, lambda: list_inbox(owner, f, cursor))
            print(f"inbox {label:32s} first page {first:7.1f} ms   page after deep cursor {deep:7.1f} ms (median of {runs})")
        # Each view's and each order's first page, as the owner of the busiest service opens it.
        new_since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
        pages = {f"view {view or 'all'}": InboxFilter(view=view, to_check=view == "check") for view in ("", *VIEWS)}
        pages["ratings without a comment"] = InboxFilter(comment="none")
        pages |= {f"order {order}": InboxFilter(order=order) for order in ("newest", "oldest", "due", "least_sure")}
        pages |= {"view mine, order due": InboxFilter(view="mine", order="due"),
                  "view unassigned, order newest": InboxFilter(view="unassigned", order="newest")}
        for label, f in pages.items():
            first = await timed(runs, lambda: list_inbox(owner, f, new_since=new_since))
            page = await list_inbox(owner, f, new_since=new_since)
            print(f"inbox {label:32s} first page {first:7.1f} ms ({len(page.rows)} rows; median of {runs})")
        ms = await timed(runs, lambda: view_counts(owner, InboxFilter(), new_since))
        print(f"inbox counts of every view together   {ms:7.1f} ms (median of {runs}): {await view_counts(owner, InboxFilter(), new_since)}")
        for weeks in (12, 52):
            ms = await timed(max(5, runs // 2), lambda: dashboard(service_id=busiest, weeks=weeks))
            print(f"dashboard busiest service, {weeks:2d} weeks: {ms:7.1f} ms (median)")
        await close_engine(engine)
    finally:
        if not keep:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {url}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", help="time again the database (its name) an earlier --keep run left")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.runs, args.keep, args.database))
