"""Chaos bench: mixed load on the portal while a process is SIGKILLed and restarted every few seconds.

On PostgreSQL: 3 web processes behind a round-robin proxy, 2 `portal worker`, 2 `portal scheduler`.
On SQLite: one web process with the worker and the scheduler inside it (the embedded default).
Then checks in the database that every acknowledged feedback and kiosk entry is stored once, every
item labelled once, every due digest sent once to a real SMTP sink; prints 5xx and latencies.

    PYTHONPATH=. .venv/bin/python bench/chaos.py --database both --seconds 60 --kill-every 10 --clients 8

The per-client rate limits are raised for the run (every client comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chaos_checks import check, prepare, recover_stranded_digests, wait_for_classification, wait_for_digests  # noqa: E402
from bench.chaos_load import KINDS, LoadRecord, start_clients  # noqa: E402
from bench.chaos_parts import (  # noqa: E402
    RoundRobinProxy, SmtpSink, embedded_fleet, link_models, portal_env, postgres_fleet,
)
from bench.common import scratch_database  # noqa: E402

LEASE_SECONDS = 10  # the workers' lease in this bench: a killed worker's batch is claimed again after it


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def run_chaos(database: str, database_url: str, work: Path, *, seconds: float, kill_every: float, clients: int,
                    digests: int = 8, drain_timeout: float = 150.0, pause: float = 0.1,
                    wait_out_leases: bool = False) -> dict:
    """One run against an empty database; returns the figures and the checks."""
    from portal.settings import Settings

    data_dir, log_dir = work / "data", work / "logs"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(exist_ok=True)
    link_models(data_dir)
    kiosks = sum(1 for i in range(clients) if i % 4 == 2)
    settings = Settings.from_env(environ={}, data_dir=str(data_dir), database_url=database_url, secret_key="chaos-bench-secret")
    setup = await prepare(settings, kiosks, digests, seconds)
    with SmtpSink() as sink:
        proxy = RoundRobinProxy([])
        await proxy.start()
        env = portal_env(data_dir, database_url, PORTAL_SMTP_URL=sink.url, PORTAL_BASE_URL=proxy.url)
        if database == "postgres":
            fleet = postgres_fleet(data_dir, env, log_dir, lease_seconds=LEASE_SECONDS)
        else:
            fleet = embedded_fleet(env, log_dir)
        proxy.ports.extend(fleet.web_ports)
        try:
            await fleet.start()
            setup["kiosk_tokens"] = await _enrol(proxy.url, setup["enrolment_codes"])
            record = LoadRecord()
            stop = asyncio.Event()
            tasks = start_clients(proxy.url, clients, setup, record, stop, pause)
            kills = 1
            while kills * kill_every < seconds:  # at kill_every, 2 x kill_every, ... (later if a restart was slow)
                await asyncio.sleep(max(0.0, kills * kill_every - (time.monotonic() - record.t0)))
                await fleet.kill_and_restart(record.t0)
                kills += 1
            await asyncio.sleep(max(0.0, seconds - (time.monotonic() - record.t0)))
            stop.set()
            await asyncio.gather(*tasks)
            load_seconds = time.monotonic() - record.t0
            drained = await wait_for_classification(settings, drain_timeout, wait_out_leases)
            await wait_for_digests(settings, 30)
            stranded = await recover_stranded_digests(settings, sink.url)
            checks = await check(settings, record.acknowledged, record.kiosk, sink.message_ids())
        finally:
            fleet.stop()
            await proxy.stop()
    return {"database": database, "processes": ", ".join(p.name for p in fleet.processes), "load_seconds": load_seconds,
            "kills": [f"{d.name} at {d.killed_at:.1f} s (back at {d.back_at:.1f} s)" for d in fleet.downtimes],
            "drain_seconds": drained, "digests sent after a killed scheduler's lease": stranded,
            "given_up": record.given_up, "refused": record.refused, **checks, **_requests(record, fleet)}


async def _enrol(base_url: str, codes: list[str]) -> list[str]:
    import httpx

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return [(await client.post("/api/v1/counters/enrol", json={"code": code})).json()["token"] for code in codes]


def _requests(record: LoadRecord, fleet) -> dict:
    """Latency per kind of request, and the failures (5xx or dropped connections) inside and outside downtime."""
    out: dict = {"requests": len(record.samples)}
    for kind in KINDS:
        ms = [s.ms for s in record.samples if s.kind == kind and 0 < s.status < 500]
        out[f"{kind} p50/p99 ms"] = f"{percentile(ms, 0.5):.0f} / {percentile(ms, 0.99):.0f} ({len(ms)})"
    failures = [s for s in record.samples if s.status == 0 or s.status >= 500]
    inside = [(s, fleet.was_down(s.at, s.at + s.ms / 1000)) for s in failures]
    out["5xx or dropped, while a web process was down"] = sum(1 for _, d in inside if d)
    out["5xx or dropped, outside downtime"] = sum(1 for _, d in inside if not d)
    out["failures by kill"] = {
        f"{d.name}@{d.killed_at:.0f}s": sorted({f"{s.status or 'dropped'}" for s, dd in inside if dd is d})
        for d in fleet.downtimes if any(dd is d for _, dd in inside)
    }
    out["failures outside downtime"] = [f"{s.kind} sent at {s.at:.1f} s, {s.ms:.0f} ms: {s.status or s.error}"
                                        for s, d in inside if not d][:10]
    return out


def run(database: str, **options) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"chaos-{database}-"))
    try:
        with scratch_database(database, work) as url:
            return asyncio.run(run_chaos(database, url, work, **options))
    finally:
        if not os.environ.get("CHAOS_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def print_table(result: dict) -> None:
    print(f"\n== {result['database']} ==")
    width = max(len(k) for k in result)
    for key, value in result.items():
        if key != "database":
            print(f"{key:<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kill-every", type=float, default=10)
    parser.add_argument("--database", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients, spread over form, API, kiosk and inbox")
    parser.add_argument("--digests", type=int, default=8, help="digest subscriptions (half due at start, half during the load)")
    args = parser.parse_args()
    for database in (("postgres", "sqlite") if args.database == "both" else (args.database,)):
        started = time.monotonic()
        result = run(database, seconds=args.seconds, kill_every=args.kill_every, clients=args.clients, digests=args.digests,
                     drain_timeout=200, wait_out_leases=True)
        result["wall seconds"] = round(time.monotonic() - started)
        result["load average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print_table(result)


if __name__ == "__main__":
    main()
