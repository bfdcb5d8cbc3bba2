"""Helpers for the counter tests: set up offices and kiosks in the test database, run the CLIs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, server_env


def run_in_store(settings, work):
    """Run `await work()` with the store bound, from a synchronous (browser) test."""
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    async def main():
        engine = bind_engine(build_engine(settings))
        await open_engine(engine, pool_size=2)
        try:
            return await work()
        finally:
            await close_engine(engine)

    # Playwright's sync API keeps an event loop running in this thread: use another thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def run_cli(settings, *args: str, program: str = "portal") -> str:
    env = server_env(settings)
    result = subprocess.run([sys.executable, "-m", program, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def enrolment_code(output: str) -> tuple[int, str]:
    first = output.splitlines()[0]  # "device 3: enrolment code ABCD-EFGH"
    return int(first.split()[1].rstrip(":")), first.split()[-1]


@pytest.fixture
def office_with_kiosk(settings):
    """A fresh service and office (unique codes), with a kiosk enrolled through `portal kiosk enrol`."""
    import uuid

    suffix = uuid.uuid4().hex[:8]

    def make(*extra: str) -> dict:
        from tests.factories import create_office, create_service

        async def work():
            service = await create_service(code=f"svc-{suffix}", name_fr="Accueil de la mairie")
            other = await create_service(code=f"other-{suffix}")
            office = await create_office(code=f"office-{suffix}", services=[service])
            return service, other, office

        service, other, office = run_in_store(settings, work)
        kiosk_id, code = enrolment_code(run_cli(settings, "kiosk", "enrol", office["code"], *extra))
        return {"service": service, "other_service": other, "office": office, "kiosk_id": kiosk_id, "code": code}

    return make


def count_rows(settings, source: str) -> tuple[int, int, int]:
    """(rows, distinct keys, flagged rows) stored for a device source."""
    from portal.store.core.tables import Feedback

    async def work():
        rows = await Feedback.select(Feedback.idempotency_key, Feedback.flagged).where(Feedback.source == source)
        return len(rows), len({r["idempotency_key"] for r in rows}), sum(1 for r in rows if r["flagged"])

    return run_in_store(settings, work)



@pytest.fixture(scope="session")
def axe():
    """A function returning axe-core's violations on a page (script injected by evaluate: the CSP blocks tags)."""
    import axe_playwright_python

    script = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()

    def run(page) -> list[dict]:
        page.evaluate(script)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]]

    return run


def wait_until(condition, timeout: float = 30.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
