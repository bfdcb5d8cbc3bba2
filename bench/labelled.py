"""Submit-to-labelled latency on an idle worker, and the resident memory of a worker process.

Starts `portal serve` with the in-process worker, waits until /readyz says the model is ready,
then submits feedback one at a time through the API and measures how long each takes to be
labelled in the store. Then starts a standalone `portal worker` and reads its peak RSS.

    .venv/bin/python bench/labelled.py [--count 20] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from intake import PG_ADMIN, admin, free_port  # noqa: E402

TEXTS = [
    "J ai attendu 2h au guichet pour un simple renouvellement de carte d identite, c est beaucoup trop long",
    "The online form crashed twice when I uploaded my proof of address, I had to start again from scratch",
    "Accueil tres agreable a la mairie, la dame a pris le temps de m expliquer toutes les etapes du dossier",
    "impossible d avoir qq1 au telephone depuis 3 semaines, mon dossier de prestation est bloque et je n ai plus rien",
]


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = {line.split(":")[0]: line.split()[1] for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM"))}
    return int(fields["VmRSS"]) / 1024, int(fields["VmHWM"]) / 1024


async def state_of(database_url: str, reference: str) -> str | None:
    from portal.store.core.tables import Feedback

    row = await Feedback.select(Feedback.classify_state).where(Feedback.reference == reference).first()
    return row["classify_state"] if row else None


async def measure(url: str, database_url: str, count: int) -> list[float]:
    from portal.settings import Settings
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    engine = bind_engine(build_engine(Settings.from_env(environ={}, database_url=database_url, data_dir="/tmp")))
    await open_engine(engine)
    latencies = []
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            for i in range(count):
                start = time.perf_counter()
                response = await client.post("/api/v1/feedback", json={"service": "bench", "text": f"{TEXTS[i % 4]} ({i})"})
                reference = response.json()["reference"]
                while await state_of(database_url, reference) != "done":
                    await asyncio.sleep(0.01)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.5)  # the worker is idle again before the next one
    finally:
        await close_engine(engine)
    return latencies


async def _with_store(database_url: str, work):
    from portal.settings import Settings
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    engine = bind_engine(build_engine(Settings.from_env(environ={}, database_url=database_url, data_dir="/tmp")))
    await open_engine(engine)
    try:
        return await work()
    finally:
        await close_engine(engine)


async def add_pending(database_url: str, count: int) -> None:
    from portal.feedback.intake import FeedbackInput, submit_feedback

    async def work():
        for i in range(count):
            await submit_feedback(FeedbackInput(service_code="bench", text=f"{TEXTS[i % 4]} [{i}]"))

    await _with_store(database_url, work)


async def pending(database_url: str) -> int:
    from portal.store.core.tables import Feedback

    return await _with_store(database_url, lambda: Feedback.count().where(Feedback.classify_state != "done"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--model-cache", default=os.environ.get("PORTAL_TEST_MODEL_CACHE", str(ROOT / "var" / "test-model-cache")))
    args = parser.parse_args()

    from portal.classify.prepare import prepare_model

    model_dir = prepare_model(Path(args.model_cache))
    work = Path(tempfile.mkdtemp(prefix="guichet-labelled-"))
    if args.db == "postgres":
        name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        database_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        database_url = f"sqlite:///{work / 'bench.db'}"
    port = free_port()
    env = {**os.environ, "PORTAL_DATA_DIR": str(work), "PORTAL_DATABASE_URL": database_url, "PORTAL_MODEL_DIR": str(model_dir),
           "PORTAL_RUN_SCHEDULER": "false", "PORTAL_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "portal", "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([sys.executable, "-c", (
        "import asyncio\nfrom portal.settings import Settings\nfrom portal.store.engine import *\n"
        "from portal.store.core.tables import Service\n"
        "async def m():\n e=bind_engine(build_engine(Settings.from_env()))\n await open_engine(e)\n"
        " await Service(code='bench', name_fr='B', name_en='B', description_fr='', description_en='', owner_emails='').save()\n"
        " await close_engine(e)\nasyncio.run(m())\n")], env=env, check=True, cwd=ROOT)
    server = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--no-migrate", "--port", str(port)], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        print(f"[{args.db}] model ready {time.perf_counter() - started:.1f} s after start")
        latencies = asyncio.run(measure(url, database_url, args.count))
        rss, peak = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    print(f"[{args.db}] submit-to-labelled over {len(ms)} items: median {statistics.median(ms):.0f} ms, "
          f"max {ms[-1]:.0f} ms (target: median < 2000 ms)")
    print(f"[{args.db}] web process with in-process worker: RSS {rss:.0f} MB, peak {peak:.0f} MB")

    asyncio.run(add_pending(database_url, 256))
    worker = subprocess.Popen([sys.executable, "-m", "portal", "worker"], env=env, cwd=ROOT,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = worker.stderr.readline()
        assert "ready" in line, line
        started = time.perf_counter()
        while asyncio.run(pending(database_url)):
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        rss, peak = rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"[{args.db}] standalone `portal worker` labelled 256 items in {elapsed:.1f} s ({256 / elapsed:.0f}/s, "
          f"claims and stores included); RSS {rss:.0f} MB, peak {peak:.0f} MB (target < 1200 MB)")
    if args.db == "postgres":
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
