"""Sync benchmark: batches of 500 kiosk entries to POST /api/v1/counters/sync on a real server.

Prints entries/s accepted, p50/p99 per 500-entry batch, and checks that replaying a batch stores
nothing new. Runs on SQLite and/or PostgreSQL, each on a fresh database:

    .venv/bin/python bench/sync.py --db sqlite --db postgres --batches 40
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from common import free_port, scratch_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COMMENTS = (
    "Attente beaucoup trop longue ce matin",
    "Accueil très agréable, merci à l'agent",
    "Pas assez de places assises",
    "The staff were helpful and quick",
    "Rappelez-moi au 06 12 34 56 78 svp",
)


async def prepare(settings) -> str:
    """Migrate, add a service and an office, create a kiosk; return its enrolment code."""
    from counters.devices import enrol_device
    from portal.store.core.tables import Office, OfficeService, Service
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
    from portal.store.migrate import apply_migrations

    await apply_migrations(settings)
    engine = bind_engine(build_engine(settings))
    await open_engine(engine)
    try:
        service = Service(code="bench-accueil", name_fr="Accueil", name_en="Welcome", description_fr="", description_en="", owner_emails="")
        await service.save()
        office = Office(code="bench-office", name="Bureau de mesure", address="", opening_hours="")
        await office.save()
        await OfficeService(office=office.id, service=service.id).save()
        return (await enrol_device(settings.secret_key, "bench-office", name="bench")).code
    finally:
        await close_engine(engine)


def batch(size: int) -> list[dict]:
    now = dt.datetime.now(dt.timezone.utc)
    items = []
    for i in range(size):
        item = {"id": str(uuid.uuid4()), "device_time": (now - dt.timedelta(seconds=size - i)).isoformat(), "rating": random.randint(1, 5)}
        if random.random() < 0.3:  # about a third of people add a comment or chips
            item["comment"] = random.choice(COMMENTS)
            item["topics"] = ["attente"]
        items.append(item)
    return items


def run(db: str, batches: int, size: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-sync-{db}-"))
    try:
        with scratch_database(db, data_dir) as url:
            return {"db": db, **_run_against(url, data_dir, batches, size)}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _run_against(url: str, data_dir: Path, batches: int, size: int) -> dict:
    from portal.settings import Settings

    settings = Settings.from_env(environ={}, data_dir=str(data_dir), database_url=url, secret_key="bench-secret")
    code = asyncio.run(prepare(settings))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATA_DIR=str(data_dir), PORTAL_DATABASE_URL=url, PORTAL_SECRET_KEY="bench-secret", PORTAL_RUN_WORKER="false",
               PORTAL_RUN_SCHEDULER="false", PORTAL_LOG_LEVEL="WARNING", PORTAL_RATE_LIMIT="1000/60")
    server = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--port", str(port), "--no-migrate"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(100):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            token = client.post("/api/v1/counters/enrol", json={"code": code}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            bodies = [{"items": batch(size)} for _ in range(batches + 2)]
            for body in bodies[:2]:  # warm-up: caches, prepared statements
                client.post("/api/v1/counters/sync", json=body, headers=headers).raise_for_status()
            latencies, accepted = [], 0
            started = time.perf_counter()
            for body in bodies[2:]:
                t0 = time.perf_counter()
                response = client.post("/api/v1/counters/sync", json=body, headers=headers)
                latencies.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
                accepted += sum(1 for r in response.json()["results"] if r["status"] == "accepted")
            elapsed = time.perf_counter() - started
            replay = client.post("/api/v1/counters/sync", json=bodies[5], headers=headers).json()["results"]
            replay_new = sum(1 for r in replay if r["status"] != "duplicate")
            rows = count_rows(settings)
    finally:
        server.terminate()
        server.wait(10)
    latencies.sort()
    return {
        "entries_per_s": accepted / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "accepted": accepted,
        "replay_new": replay_new,
        "rows": rows,
        "expected_rows": (batches + 2) * size,
    }


def count_rows(settings) -> int:
    from portal.store.core.tables import Feedback
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    async def main() -> int:
        engine = bind_engine(build_engine(settings))
        await open_engine(engine)
        try:
            return await Feedback.count()
        finally:
            await close_engine(engine)

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--size", type=int, default=500)
    args = parser.parse_args()
    print(f"{'db':<9} {'entries/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'replay new':>11} {'rows ok':>8}")
    for db in args.db or ["sqlite", "postgres"]:
        r = run(db, args.batches, args.size)
        ok = "yes" if r["rows"] == r["expected_rows"] else f"NO {r['rows']}/{r['expected_rows']}"
        print(f"{r['db']:<9} {r['entries_per_s']:>10.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['replay_new']:>11} {ok:>8}", flush=True)


if __name__ == "__main__":
    main()
