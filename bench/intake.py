"""Intake benchmark: POST /api/v1/feedback with 32 clients for 10 s, then GET /healthz, same server.

Prints both throughputs, their ratio, p50/p99 latency, the non-2xx count, and whether every
reference acknowledged with a 2xx is in the store. Runs on SQLite and/or PostgreSQL:

    .venv/bin/python bench/intake.py --db sqlite --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import free_port, scratch_database

ROOT = Path(__file__).resolve().parent.parent

POST_SCRIPT = r"""
local counter = 0
local texts = {
  "J ai attendu 2h au guichet pour un simple renouvellement, c est trop long",
  "The online form crashed twice when I uploaded my proof of address",
  "Accueil tres agreable, la dame a pris le temps de m expliquer",
  "impossible d avoir qq1 au telephone depuis 3 semaines",
}
-- Each thread writes its own file: setup() runs once per thread in the main state and numbers them
-- (a random id per thread repeated, since every thread's generator starts from the same seed).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  out = io.open(os.getenv("BENCH_OUT") .. "/refs-" .. tostring(id) .. ".txt", "w")
end
request = function()
  counter = counter + 1
  local body = string.format('{"service":"bench","rating":%d,"text":"%s"}', (counter %% 5) + 1, texts[(counter %% 4) + 1])
  return wrk.format("POST", "/api/v1/feedback", {["Content-Type"] = "application/json"}, body)
end
response = function(status, headers, body)
  if status >= 200 and status < 300 then out:write(body, "\n") end
end
done = function(summary, latency, requests)
  io.write(string.format("LAT p50=%.2f p99=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
""".replace("%%", "%")

GET_SCRIPT = r"""
done = function(summary, latency, requests)
  io.write(string.format("LAT p50=%.2f p99=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def run_wrk(url: str, script: str, seconds: int, connections: int, env: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", fh.name, url],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    os.unlink(fh.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p50, p99 = map(float, re.search(r"LAT p50=([\d.]+) p99=([\d.]+)", out).groups())
    return {
        "rps": rps, "requests": total, "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
        "socket_detail": "connect {}, read {}, write {}, timeout {}".format(*errors.groups()) if errors else "none", "p50_ms": p50, "p99_ms": p99,
    }


async def count_stored(database_url: str, references: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from portal.settings import Settings
    from portal.store.core.tables import Feedback
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    engine = bind_engine(build_engine(Settings.from_env(environ={}, database_url=database_url, data_dir="/tmp")))
    await open_engine(engine)
    try:
        found = 0
        for start in range(0, len(references), 500):
            chunk = references[start : start + 500]
            found += await Feedback.count().where(Feedback.reference.is_in(chunk))
        return found
    finally:
        await close_engine(engine)


def bench_one(db: str, seconds: int, connections: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    try:
        with scratch_database(db, work) as database_url:
            return {"db": db, **_bench_against(database_url, work, seconds, connections)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bench_against(database_url: str, work: Path, seconds: int, connections: int) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(work),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_RATE_LIMIT": "100000000/60",
        "PORTAL_RUN_WORKER": "false",
        "PORTAL_RUN_SCHEDULER": "false",
        "PORTAL_LOG_LEVEL": "WARNING",
        "BENCH_OUT": str(work),
    }
    subprocess.run([sys.executable, "-m", "portal", "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    setup = (
        "import asyncio\n"
        "from portal.settings import Settings\n"
        "from portal.store.engine import bind_engine, build_engine, open_engine, close_engine\n"
        "from portal.store.core.tables import Service\n"
        "async def main():\n"
        "    e = bind_engine(build_engine(Settings.from_env()))\n"
        "    await open_engine(e)\n"
        "    await Service(code='bench', name_fr='Banc', name_en='Bench', description_fr='', description_en='', owner_emails='').save()\n"
        "    await close_engine(e)\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", setup], env=env, check=True, cwd=ROOT)
    server = subprocess.Popen(
        [sys.executable, "-m", "portal", "serve", "--no-migrate", "--port", str(port)], env=env, cwd=ROOT
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        post = run_wrk(f"http://127.0.0.1:{port}", POST_SCRIPT, seconds, connections, env)
        health = run_wrk(f"http://127.0.0.1:{port}/healthz", GET_SCRIPT, seconds, connections, env)
    finally:
        server.terminate()
        server.wait(timeout=20)
    references = []
    for path in work.glob("refs-*.txt"):
        references += [json.loads(line)["reference"] for line in path.read_text().splitlines() if line.strip()]
    stored = asyncio.run(count_stored(database_url, references))
    return {"post": post, "healthz": health, "acknowledged": len(references), "stored": stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")
    for db in args.db or ["sqlite", "postgres"]:
        r = bench_one(db, args.seconds, args.connections)
        p, h = r["post"], r["healthz"]
        print(f"[{db}] POST /api/v1/feedback: {p['rps']:.0f} req/s, p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms, "
              f"non-2xx {p['non2xx']}, socket errors {p['socket_errors']} ({p['socket_detail']})")
        print(f"[{db}] GET /healthz:          {h['rps']:.0f} req/s, p50 {h['p50_ms']:.1f} ms, p99 {h['p99_ms']:.1f} ms")
        print(f"[{db}] POST/healthz ratio: {p['rps'] / h['rps']:.2f} (target >= 0.40); p99 target < 100 ms")
        lost = r["acknowledged"] - r["stored"]
        print(f"[{db}] acknowledged {r['acknowledged']}, stored {r['stored']}, lost {lost}")


if __name__ == "__main__":
    main()
