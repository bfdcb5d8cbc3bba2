"""Sign-in benchmark: /healthz latency on a quiet server, then under 20 concurrent sign-ins.

Starts a real `portal serve` on a fresh database, measures /healthz alone, then again while 20
clients sign in over and over with the right password, each with its own account and its own
client address (X-Forwarded-For from a trusted proxy), so that every sign-in checks a password
with argon2 and none is throttled; prints median and maximum latency. The code measured is the checkout named by
PYTHONPATH (its first entry), else this one, so the same script measures another branch:

    .venv/bin/python bench/login.py
    PYTHONPATH=../other-checkout .venv/bin/python bench/login.py   # another checkout
    .venv/bin/python bench/login.py --db postgres --seconds 10 --clients 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from common import free_port, scratch_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a bench password, long enough"
PROBE_GAP = 0.02  # seconds between two /healthz probes: a light, steady probe, not a load


async def probe(base: str, stop: asyncio.Event) -> list[float]:
    """Milliseconds of each /healthz until `stop` is set."""
    times = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while not stop.is_set():
            start = time.perf_counter()
            response = await client.get("/healthz")
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
            await asyncio.sleep(PROBE_GAP)
    return times


def email(n: int) -> str:
    return f"bench-{n}@example.gouv.fr"


CREATE_ACCOUNTS = """
import asyncio, sys
from portal.review.accounts import create_user
from portal.settings import Settings
from portal.store.engine import open_store

async def main(n):
    async with open_store(Settings.from_env()):
        for k in range(n):
            await create_user(f"bench-{k}@example.gouv.fr", "Bench", "admin", sys.argv[2])

asyncio.run(main(int(sys.argv[1])))
"""


async def keep_signing_in(base: str, n: int, stop: asyncio.Event) -> int:
    """Sign in again and again through the real form; returns how many sign-ins succeeded."""
    done = 0
    async with httpx.AsyncClient(base_url=base, timeout=60, headers={"X-Forwarded-For": f"bench-client-{n}"}) as client:
        while not stop.is_set():
            form = await client.get("/staff/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            response = await client.post(
                "/staff/login", data={"csrf_token": token, "email": email(n), "password": PASSWORD, "next": "/staff"}
            )
            if response.status_code != 303:
                raise RuntimeError(f"sign-in answered {response.status_code}")
            done += 1
    return done


async def measure(base: str, seconds: float, clients: int) -> dict:
    stop = asyncio.Event()
    quiet = asyncio.create_task(probe(base, stop))
    await asyncio.sleep(min(seconds, 3))
    stop.set()
    alone = await quiet

    stop = asyncio.Event()
    signers = [asyncio.create_task(keep_signing_in(base, n, stop)) for n in range(clients)]
    await asyncio.sleep(0.5)  # let every client reach its first password check
    loaded = asyncio.create_task(probe(base, stop))
    await asyncio.sleep(seconds)
    stop.set()
    under = await loaded
    sign_ins = sum(await asyncio.gather(*signers))
    return {"alone": alone, "under": under, "sign_ins": sign_ins, "seconds": seconds}


def run(db: str, seconds: float, clients: int) -> None:
    code = Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]).resolve() if os.environ.get("PYTHONPATH") else ROOT
    work = Path(tempfile.mkdtemp(prefix="guichet-bench-login-"))
    try:
        with scratch_database(db, work) as database_url:
            r = _measure_against(database_url, work, code, seconds, clients)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _report(db, code, clients, r)


def _measure_against(database_url: str, work: Path, code: Path, seconds: float, clients: int) -> dict:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
        "PYTHONPATH": str(code),
        "PORTAL_DATA_DIR": str(work),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_RATE_LIMIT": "100000000/60",
        "PORTAL_RUN_WORKER": "false",
        "PORTAL_RUN_SCHEDULER": "false",
        "PORTAL_LOG_LEVEL": "WARNING",
        "PORTAL_TRUSTED_PROXIES": "127.0.0.1",
    }
    server = None
    try:
        subprocess.run([sys.executable, "-m", "portal", "migrate"], env=env, check=True, capture_output=True, cwd=code)
        subprocess.run([sys.executable, "-c", CREATE_ACCOUNTS, str(clients), PASSWORD], env=env, check=True, cwd=code)
        server = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--no-migrate", "--port", str(port)], env=env, cwd=code)
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        return asyncio.run(measure(base, seconds, clients))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)


def _report(db: str, code: Path, clients: int, r: dict) -> None:
    seconds = r["seconds"]
    alone, under = r["alone"], r["under"]
    print(f"[{db}] code: {code}; {os.cpu_count()} cores")
    print(f"[{db}] /healthz alone:               median {statistics.median(alone):6.1f} ms, max {max(alone):6.1f} ms ({len(alone)} probes)")
    print(f"[{db}] /healthz under {clients} sign-ins:    median {statistics.median(under):6.1f} ms, max {max(under):6.1f} ms "
          f"({len(under)} probes); {r['sign_ins']} sign-ins in {seconds:.0f} s ({r['sign_ins'] / seconds:.1f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    for db in args.db or ["sqlite"]:
        run(db, args.seconds, args.clients)


if __name__ == "__main__":
    main()
