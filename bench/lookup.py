"""Lookup benchmark: one client guessing references at /track/{ref} and GET /api/v1/feedback/{ref}.

Starts `portal serve` on loopback with a throw-away SQLite store, then for a fixed time guesses
well-formed references (the check character is public, so a guesser computes it) from one client
address, alternating the page and the API, and counts answered (200/404) against refused (429).
Two phases: without the lookup throttle (its limits raised out of reach) and with the default
limits. From the reference space (alphabet and length read from the checkout's reference module)
it prints the expected hits a day at 1,000,000 stored items, for one client and for 1,000 addresses.

    .venv/bin/python bench/lookup.py                     # this checkout
    .venv/bin/python bench/lookup.py --repo ../other-checkout   # another checkout, e.g. before the throttle
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from common import free_port

ROOT = Path(__file__).resolve().parent.parent
STORED = 1_000_000
ADDRESSES = 1_000
DAY = 86_400
UNTHROTTLED = "1000000000/60"

SETUP = """
import asyncio
from portal.feedback.intake import FeedbackInput, submit_feedback
from portal.settings import Settings
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.store.core.tables import Service

async def main():
    engine = bind_engine(build_engine(Settings.from_env()))
    await open_engine(engine)
    await Service(code="bench", name_fr="Banc", name_en="Bench", description_fr="", description_en="", owner_emails="").save()
    for n in range(50):
        await submit_feedback(FeedbackInput(service_code="bench", text=f"Avis {n}", rating=1 + n % 5))
    await close_engine(engine)

asyncio.run(main())
"""


def reference_module(repo: Path):
    """The checkout's own reference module (standard library only), for its alphabet and check character."""
    spec = importlib.util.spec_from_file_location("bench_reference", repo / "portal" / "feedback" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def guess(ref) -> str:
    body = "".join(secrets.choice(ref.ALPHABET) for _ in range(ref._RANDOM_LENGTH))
    return ref._format(body + ref._check_character(body))


class Server:
    def __init__(self, repo: Path, work: Path, limits: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")},
            "PYTHONPATH": str(repo),
            "PORTAL_DATA_DIR": str(work),
            "PORTAL_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "PORTAL_RUN_WORKER": "false",
            "PORTAL_RUN_SCHEDULER": "false",
            "PORTAL_LOG_LEVEL": "ERROR",
            **limits,
        }
        self.repo = repo
        self.process: subprocess.Popen | None = None

    def prepare(self) -> None:
        subprocess.run([sys.executable, "-m", "portal", "migrate"], env=self.env, cwd=self.repo, check=True, capture_output=True)
        subprocess.run([sys.executable, "-c", SETUP], env=self.env, cwd=self.repo, check=True, capture_output=True)

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--no-migrate", "--port", str(self.port)],
                                        env=self.env, cwd=self.repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("portal serve did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def guess_for(url: str, ref, seconds: float, concurrency: int) -> dict:
    """Guesses from one client address for `seconds`; status counts per path kind, and guesses/s."""
    counts: dict[str, Counter] = {"page": Counter(), "api": Counter()}
    retry_after: list[int] = []
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                kind = "page" if i % 2 == 0 else "api"
                path = f"/track/{guess(ref)}" if kind == "page" else f"/api/v1/feedback/{guess(ref)}"
                response = await client.get(path)
                counts[kind][response.status_code] += 1
                if response.status_code == 429 and len(retry_after) < 1:
                    retry_after.append(int(response.headers.get("retry-after", "0")))
                i += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.monotonic() - started
    total = sum(sum(c.values()) for c in counts.values())
    answered = sum(n for c in counts.values() for status, n in c.items() if status != 429)
    return {"counts": counts, "elapsed": elapsed, "total": total, "answered": answered,
            "refused": total - answered, "rate": total / elapsed, "answered_rate": answered / elapsed,
            "retry_after": retry_after[0] if retry_after else None}


def budget_per_day(limit: str) -> float:
    count, _, window = limit.partition("/")
    return int(count) * DAY / int(window or 60)


def default_limits(repo: Path) -> dict[str, str]:
    """The checkout's default lookup limits, or {} when it has none (before the throttle)."""
    text = (repo / "portal" / "settings.py").read_text()
    found = {}
    for var in ("PORTAL_LOOKUP_LIMIT", "PORTAL_LOOKUP_MISS_LIMIT"):
        marker = f'("{var}", '
        if marker in text:
            found[var] = text.split(marker, 1)[1].split('"')[3]
    return found


def figure(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def report(name: str, result: dict, space: int, allowed_per_day: float | None, capacity_bound: bool) -> None:
    c = result["counts"]
    print(f"  {name}: {result['total']} guesses in {result['elapsed']:.1f} s ({result['rate']:.0f}/s); answered "
          f"{result['answered']} (page {sum(v for k, v in c['page'].items() if k != 429)}, "
          f"API {sum(v for k, v in c['api'].items() if k != 429)}), refused with 429: {result['refused']}"
          + (f" (Retry-After {result['retry_after']} s)" if result["retry_after"] is not None else ""))
    p = STORED / space
    if allowed_per_day is None:
        allowed_per_day = result["answered_rate"] * DAY
        basis = f"measured {result['answered_rate']:.0f} answered guesses/s sustained all day"
    else:
        basis = "the miss budget (nearly every guess is a miss)"
    one = allowed_per_day * p
    print(f"    allowed guesses a day, one client: {allowed_per_day:,.0f} ({basis})")
    print(f"    expected hits a day at {STORED:,} stored: one client {figure(one)}; ", end="")
    if capacity_bound:
        print(f"{ADDRESSES:,} addresses {figure(one)} (bounded by what one server answers, not by the addresses)")
    else:
        print(f"{ADDRESSES:,} addresses {figure(one * ADDRESSES)} (each address has its own budget)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose `portal serve` is measured")
    parser.add_argument("--seconds", type=float, default=10.0, help="guessing time per phase")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight from the one client")
    args = parser.parse_args()
    repo = args.repo.resolve()
    ref = reference_module(repo)
    space = len(ref.ALPHABET) ** ref._RANDOM_LENGTH
    limits = default_limits(repo)
    load = os.getloadavg()
    print(f"checkout {repo}; {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"Python {platform.python_version()}; SQLite; one client on loopback, {args.concurrency} in flight, "
          f"{args.seconds:.0f} s per phase")
    print(f"reference space: {len(ref.ALPHABET)}^{ref._RANDOM_LENGTH} = {space:,} (the check character is computed by the "
          f"guesser); hit probability per guess at {STORED:,} stored: {STORED / space:.3g}")
    work = Path(tempfile.mkdtemp(prefix="guichet-lookup-"))
    try:
        unthrottled = {"PORTAL_LOOKUP_LIMIT": UNTHROTTLED, "PORTAL_LOOKUP_MISS_LIMIT": UNTHROTTLED}
        first = Server(repo, work, unthrottled)
        first.prepare()
        with first as server:
            free = asyncio.run(guess_for(server.url, ref, args.seconds, args.concurrency))
        print("without a lookup throttle:" if limits else "this checkout has no lookup throttle:")
        report("unthrottled", free, space, None, capacity_bound=True)
        with Server(repo, work, {}) as server:
            throttled = asyncio.run(guess_for(server.url, ref, args.seconds, args.concurrency))
        if limits:
            print(f"with the default limits (lookups {limits['PORTAL_LOOKUP_LIMIT']}, misses "
                  f"{limits['PORTAL_LOOKUP_MISS_LIMIT']} per client, COUNT/SECONDS):")
            allowed = min(budget_per_day(limits["PORTAL_LOOKUP_LIMIT"]), budget_per_day(limits["PORTAL_LOOKUP_MISS_LIMIT"]))
            report("throttled", throttled, space, allowed, capacity_bound=False)
        else:
            print("default settings (no lookup throttle):")
            report("defaults", throttled, space, None, capacity_bound=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
