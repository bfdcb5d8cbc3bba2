"""Rate limits over several processes: accepted and refused submissions of one client across 3 `portal serve`.

For each store (memory, redis, database): starts PROCESSES real `portal serve` processes on one
fresh database with PORTAL_RATE_LIMIT=LIMIT/60 and that store, sends SENT submissions from one
client together, spread round-robin over the processes, and prints how many were accepted (201)
and refused (429), with the median time of a submission (all sent at once, so mostly queueing) and
the load average. Counted in memory, each process allows the whole limit (PROCESSES x LIMIT);
counted in Redis or the database, LIMIT. Then the cost of one counted hit on each store, measured
in one process (HITS hits one after the other, median and 99th percentile, in microseconds).

    .venv/bin/python bench/limits.py                          # PostgreSQL, Redis at 127.0.0.1:6379
    .venv/bin/python bench/limits.py --db sqlite --stores memory,database --sent 90 --limit 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

HIT_COST = """
import asyncio, dataclasses, json, statistics, sys, time
from portal.settings import Settings
from portal.store.engine import open_store
from portal.web.limits import RateLimits

async def main(hits):
    settings = Settings.from_env()
    async with open_store(settings):
        limit = RateLimits(settings).limit("bench", 5, 60)
        times = []
        for n in range(hits):
            start = time.perf_counter()
            await limit.hit(f"client-{n % 1000}")
            times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    print(json.dumps({"median": statistics.median(times), "p99": times[int(len(times) * 0.99)]}))

asyncio.run(main(int(sys.argv[1])))
"""

CREATE_SERVICE = """
import asyncio
from portal.settings import Settings
from portal.store.directory import create_service
from portal.store.engine import open_store

async def main():
    async with open_store(Settings.from_env()):
        await create_service(code="bench", name_fr="Banc d'essai", name_en="Bench", description_fr="",
                             description_en="", owner_emails="")

asyncio.run(main())
"""


def _env(database_url: str, work: Path, store: str, limit: int, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(work), PORTAL_DATABASE_URL=database_url, PORTAL_RATE_LIMIT=f"{limit}/60",
        PORTAL_RATE_LIMIT_STORE=store, PORTAL_RUN_WORKER="false", PORTAL_RUN_SCHEDULER="false",
        PORTAL_LOG_LEVEL="WARNING", PORTAL_SECRET_KEY="bench-secret",
    )
    if store == "redis":
        env.update(PORTAL_REDIS_URL=redis_url, PORTAL_REDIS_NAMESPACE=f"bench-{uuid.uuid4().hex[:8]}")
    return env


def _wait_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("portal serve did not become healthy in time")


async def _flood(urls: list[str], sent: int) -> tuple[list[int], list[float]]:
    async def one(client: httpx.AsyncClient, n: int) -> tuple[int, float]:
        start = time.perf_counter()
        response = await client.post(f"{urls[n % len(urls)]}/api/v1/feedback",
                                     json={"service": "bench", "text": f"Attente au guichet {n}", "rating": 3})
        return response.status_code, (time.perf_counter() - start) * 1000

    async with httpx.AsyncClient(timeout=60) as client:
        results = await asyncio.gather(*(one(client, n) for n in range(sent)))
    return [s for s, _ in results], [ms for _, ms in results]


def measure(db: str, store: str, processes: int, limit: int, sent: int, redis_url: str, hits: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="guichet-bench-limits-"))
    servers: list[subprocess.Popen] = []
    try:
        with scratch_database(db, work) as database_url:
            env = _env(database_url, work, store, limit, redis_url)
            subprocess.run([sys.executable, "-m", "portal", "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
            subprocess.run([sys.executable, "-c", CREATE_SERVICE], env=env, check=True, cwd=ROOT)
            ports = [free_port() for _ in range(processes)]
            servers = [subprocess.Popen([sys.executable, "-m", "portal", "serve", "--no-migrate", "--port", str(p)],
                                        env=env, cwd=ROOT) for p in ports]
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            for url, server in zip(urls, servers):
                _wait_healthy(url, server)
            statuses, times = asyncio.run(_flood(urls, sent))
            load = os.getloadavg()[0]
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=20)
            servers = []
            cost = json.loads(subprocess.run([sys.executable, "-c", HIT_COST, str(hits)], env=env, check=True,
                                             capture_output=True, text=True, cwd=ROOT).stdout)
            cost_load = os.getloadavg()[0]
    finally:
        for server in servers:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
    return {"accepted": statuses.count(201), "refused": statuses.count(429),
            "other": len(statuses) - statuses.count(201) - statuses.count(429),
            "median_ms": statistics.median(times), "load": load, "cost": cost, "cost_load": cost_load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--stores", default="memory,redis,database", help="comma-separated: memory, redis, database")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--limit", type=int, default=10, help="submissions per client per minute")
    parser.add_argument("--sent", type=int, default=60, help="submissions sent, together, by one client")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--hits", type=int, default=2000, help="hits timed one after the other, per store")
    args = parser.parse_args()
    print(f"[{args.db}] {args.processes} processes, limit {args.limit}/60 s, {args.sent} submissions from one client; "
          f"{os.cpu_count()} cores")
    for store in args.stores.split(","):
        r = measure(args.db, store, args.processes, args.limit, args.sent, args.redis_url, args.hits)
        expected = args.limit * (args.processes if store == "memory" else 1)
        print(f"[{args.db}] store {store:8}: accepted {r['accepted']:3} (expected {expected}), refused {r['refused']:3}, "
              f"other {r['other']}; median submission {r['median_ms']:.1f} ms; load average {r['load']:.2f}")
        print(f"[{args.db}] store {store:8}: one hit median {r['cost']['median']:.0f} us, p99 {r['cost']['p99']:.0f} us "
              f"({args.hits} hits); load average {r['cost_load']:.2f}")


if __name__ == "__main__":
    main()
