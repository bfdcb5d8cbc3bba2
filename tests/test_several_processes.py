"""Several web processes, one truth: 3 real `portal serve` processes on one database.

Counted in Redis or in the database, a client's limit holds over the three together: exactly
LIMIT submissions accepted, the rest refused with 429. Counted in memory (the single-process
default), each process counts alone and the client gets 3 x LIMIT: why a deployment of several
processes needs PORTAL_REDIS_URL (or PORTAL_RATE_LIMIT_STORE=database). Staff sign-in throttling
counts in the database whatever the setting, and holds over the three as well.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from redis import Redis

from portal.review.throttle import MAX_CLIENT_FAILURES
from portal.serve import several_processes_warnings, settings_environ
from portal.settings import Settings
from tests.citizen.store import Store
from tests.conftest import ROOT, LiveServer, free_port, server_env, skip_or_fail

PROCESSES = 3
LIMIT = 10
SENT = 45  # more than 3 x LIMIT: even counted alone, each process refuses some
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_namespace() -> str:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {exc}")
    return f"test-{uuid.uuid4().hex}"


def _forget_namespace(namespace: str) -> None:
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{namespace}*"):
        client.delete(key)


def _store_env(store: str) -> dict[str, str]:
    env = {"PORTAL_RATE_LIMIT": f"{LIMIT}/60", "PORTAL_RATE_LIMIT_STORE": store}
    if store == "redis":
        env.update(PORTAL_REDIS_URL=REDIS_URL, PORTAL_REDIS_NAMESPACE=_redis_namespace())
    return env


@pytest.fixture(scope="module", params=["redis", "database", "memory"])
def three_servers(request, base_settings):
    """Three `portal serve` processes on their own ports, one database, rate limits counted where the param says."""
    extra = _store_env(request.param)
    servers = [LiveServer(server_env(base_settings, **extra), free_port()) for _ in range(PROCESSES)]
    with ThreadPoolExecutor(PROCESSES) as pool:
        list(pool.map(lambda server: server.start(), servers))
    helper = Store(base_settings)
    helper.empty()
    try:
        yield request.param, servers, helper
    finally:
        for server in servers:
            server.stop()
        helper.empty()
        if request.param == "redis":
            _forget_namespace(extra["PORTAL_REDIS_NAMESPACE"])


async def _submit_everywhere(urls: list[str], service: str, count: int) -> list[int]:
    """`count` API submissions from one client, sent together, spread round-robin over the processes."""
    async with httpx.AsyncClient(timeout=60) as client:
        responses = await asyncio.gather(*(
            client.post(f"{urls[n % len(urls)]}/api/v1/feedback",
                        json={"service": service, "text": f"Attente numéro {n}", "rating": 3})
            for n in range(count)
        ))
    return [r.status_code for r in responses]


def test_a_client_gets_the_limit_once_over_three_processes_only_when_counted_together(three_servers):
    store, servers, helper = three_servers
    service = helper.service()
    statuses = asyncio.run(_submit_everywhere([s.url for s in servers], service["code"], SENT))
    accepted, refused = statuses.count(201), statuses.count(429)
    assert accepted + refused == SENT, statuses
    expected = PROCESSES * LIMIT if store == "memory" else LIMIT
    assert accepted == expected, f"{store}: {accepted} accepted, {refused} refused"
    assert helper.count_feedback() == expected


async def _sign_in_everywhere(urls: list[str], count: int) -> list[int]:
    async with httpx.AsyncClient(timeout=120) as client:
        page = await client.get(f"{urls[0]}/staff/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        responses = await asyncio.gather(*(
            client.post(f"{urls[n % len(urls)]}/staff/login", data={
                "csrf_token": token, "email": f"nobody{n}@example.gouv.fr", "password": "a wrong guess", "next": "/staff"})
            for n in range(count)
        ))
    return [r.status_code for r in responses]


def test_staff_sign_in_throttling_holds_over_three_processes_on_any_setting(three_servers):
    _store, servers, _helper = three_servers
    statuses = asyncio.run(_sign_in_everywhere([s.url for s in servers], MAX_CLIENT_FAILURES + 10))
    checked = [s for s in statuses if s != 429]
    assert set(statuses) <= {400, 429}, statuses
    assert len(checked) == MAX_CLIENT_FAILURES, f"{len(checked)} passwords checked over {PROCESSES} processes"


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M):
            found.append(int(status.parent.name))
    return found


def test_serve_with_three_workers_shares_one_port_and_one_redis_count(base_settings):
    """`portal serve --workers 3`: three processes on one port, migrations applied once, the limit held by Redis."""
    extra = _store_env("redis")
    port = free_port()
    env = server_env(base_settings, **extra)
    process = subprocess.Popen([sys.executable, "-m", "portal", "serve", "--port", str(port), "--workers", str(PROCESSES)],
                               env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    helper = Store(base_settings)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while len(_children(process.pid)) < PROCESSES or not _healthy(url):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "portal serve --workers did not become healthy in time"
            time.sleep(0.3)
        # uvicorn's supervisor spawns the workers (beside, maybe, multiprocessing's resource tracker).
        assert len([pid for pid in _children(process.pid) if "spawn_main" in _cmdline(pid)]) == PROCESSES
        helper.empty()
        service = helper.service()
        statuses = asyncio.run(_submit_everywhere([url], service["code"], SENT))
        assert statuses.count(201) == LIMIT and statuses.count(429) == SENT - LIMIT, statuses
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        helper.empty()
        _forget_namespace(extra["PORTAL_REDIS_NAMESPACE"])


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_the_settings_reach_every_worker_unchanged(base_settings, tmp_path):
    """The parent's settings, derived defaults included, become the workers' environment and read back the same."""
    settings = Settings.from_env(environ={"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_TRUSTED_PROXIES": "10.0.0.1,10.0.0.2",
                                          "PORTAL_OIDC_SIGNUP_DOMAINS": "a.gouv.fr:agent"})
    environ = settings_environ(settings)
    assert Settings.from_env(environ=environ) == settings
    assert environ["PORTAL_SECRET_KEY"] == settings.secret_key and os.path.isabs(settings.sqlite_path)


def test_serve_warns_of_what_several_processes_get_wrong(base_settings):
    warnings = several_processes_warnings(dataclasses.replace(base_settings, rate_limit_store="memory", run_worker=True), 3)
    assert any("3 times each limit" in w for w in warnings) and any("portal worker" in w for w in warnings)
    assert several_processes_warnings(dataclasses.replace(base_settings, rate_limit_store="database", run_worker=False), 3) == []
