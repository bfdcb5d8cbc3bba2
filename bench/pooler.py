"""PgBouncer benchmark: the store's reads and writes direct to PostgreSQL and through a real PgBouncer in transaction mode.

Migrates a throw-away PostgreSQL database, starts Debian's /usr/sbin/pgbouncer on a free port
(pool_mode=transaction, `--server-connections` server connections), then runs the same work three
ways: direct with asyncpg's statement cache (the default), direct without it
(PORTAL_DATABASE_POOLER=pgbouncer on a direct address: the cost of the setting alone), and through
PgBouncer with the setting. The work: `--clients` concurrent tasks, each submitting feedback
through intake and reading one item back by id, for `--seconds`. Prints operations/s, p50 and p99.

    .venv/bin/python bench/pooler.py --seconds 10 --clients 16
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PG_ADMIN, free_port, scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.feedback.intake import FeedbackInput, submit_feedback
from portal.settings import Settings
from portal.store.core.tables import Feedback, Service
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.store.migrate import apply_migrations


def start_pgbouncer(folder: Path, server_connections: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    target = PG_ADMIN.split("@", 1)[1].split("/", 1)[0]
    host, _, pg_port = target.partition(":")
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={host} port={pg_port or 5432}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {server_connections}\nmax_client_conn = 500\n"
    )
    folder.chmod(0o755)
    command = [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]  # PgBouncer refuses to run as root
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("pgbouncer did not start")


async def run(settings: Settings, clients: int, seconds: float, code: str) -> dict:
    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=settings.db_pool_size)
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def client(n: int) -> None:
        i = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            receipt = await submit_feedback(FeedbackInput(service_code=code, text=f"Attente au guichet {n}-{i}", rating=3))
            await Feedback.select(Feedback.status).where(Feedback.id == receipt.feedback_id).first()
            latencies.append(time.perf_counter() - started)
            i += 1

    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        await close_engine(engine)
    latencies.sort()
    return {"ops": len(latencies) / seconds, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000}


async def prepare(settings: Settings) -> str:
    await apply_migrations(settings)
    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=2)
    try:
        await Service.insert(Service(code="bench", name_fr="Banc d'essai", name_en="Bench"))
    finally:
        await close_engine(engine)
    return "bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--server-connections", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="guichet-pooler-") as work, scratch_database("postgres", Path(work)) as url:
        settings = Settings.from_env(environ={}, data_dir=work, database_url=url, secret_key="bench",
                                     db_pool_size=args.pool_size, run_worker="false", run_scheduler="false")
        code = asyncio.run(prepare(settings))
        bouncer, port = start_pgbouncer(Path(tempfile.mkdtemp(prefix="guichet-pgbouncer-")), args.server_connections)
        try:
            through = url.replace(url.split("@", 1)[1].split("/", 1)[0], f"127.0.0.1:{port}")
            ways = {
                "direct, statement cache": settings,
                "direct, PORTAL_DATABASE_POOLER=pgbouncer": dataclasses.replace(settings, database_pooler="pgbouncer"),
                f"PgBouncer ({args.server_connections} server conns), pooler=pgbouncer":
                    dataclasses.replace(settings, database_url=through, database_pooler="pgbouncer"),
            }
            print(f"{args.clients} clients, pool {args.pool_size}, {args.seconds:.0f} s each; "
                  f"load average {os.getloadavg()[0]:.2f} at start")
            for name, way in ways.items():
                figures = asyncio.run(run(way, args.clients, args.seconds, code))
                print(f"{name:55s} {figures['ops']:8.0f} submit+read/s  p50 {figures['p50']:6.1f} ms  "
                      f"p99 {figures['p99']:6.1f} ms  (load {os.getloadavg()[0]:.2f})")
        finally:
            bouncer.terminate()
            bouncer.wait(timeout=10)


if __name__ == "__main__":
    main()
