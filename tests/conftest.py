"""Test fixtures: the app on a real SQLite file or a real PostgreSQL database, a live server."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from portal.settings import Settings
from tests.citizen.store import Store

# Shared fixtures: the real SMTP server and the real model.
pytest_plugins = ["tests.fixtures.smtp", "tests.fixtures.model"]

TEST_DB = os.environ.get("GUICHET_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("GUICHET_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# In CI every part is mandatory: what would be skipped fails instead.
REQUIRE_ALL = os.environ.get("GUICHET_REQUIRE_ALL", "") == "1"
CHROMIUM = os.environ.get("GUICHET_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"required by GUICHET_REQUIRE_ALL=1 but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config) -> str:
    return f"guichet: database={TEST_DB} require_all={REQUIRE_ALL} chromium={CHROMIUM}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if TEST_DB == "sqlite" and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-only test; runs with GUICHET_TEST_DB=postgres"))
        if TEST_DB == "postgres" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite-only test; runs with GUICHET_TEST_DB=sqlite"))
    # Playwright's sync API leaves an event loop running in the main thread for the rest of the
    # session, after which async tests cannot start: browser tests go last, whichever folders run.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A fresh, migrated database for this test session."""
    from portal.store.migrate import apply_migrations

    if TEST_DB == "postgres":
        name = f"guichet_test_{uuid.uuid4().hex[:10]}"
        try:
            asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001
            skip_or_fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
        base, _, _ = PG_ADMIN_URL.rpartition("/")
        url = f"{base}/{name}"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
    settings = Settings.from_env(environ={}, data_dir=str(tmp_path_factory.mktemp("data")), database_url=url)
    asyncio.run(apply_migrations(settings))
    yield url
    if TEST_DB == "postgres":
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def base_settings(database_url, tmp_path_factory) -> Settings:
    return Settings.from_env(
        environ={},
        data_dir=str(tmp_path_factory.mktemp("portal-data")),
        database_url=database_url,
        secret_key="test-secret-key-for-the-suite-only",
        run_worker="false",
        run_scheduler="false",
        rate_limit="1000/60",
        lookup_limit="1000/60",
        lookup_miss_limit="1000/60",
    )


@pytest.fixture
def settings(base_settings) -> Settings:
    return base_settings


async def clean_tables() -> None:
    from piccolo.table import sort_table_classes

    from portal.feedback.intake import forget_cached_services
    from portal.store.schema import ALL_TABLES

    forget_cached_services()
    for table in reversed(sort_table_classes(list(ALL_TABLES))):
        await table.delete(force=True)


@pytest.fixture
async def db(settings):
    """The store, bound and open on the test database; emptied after the test."""
    from portal.store.engine import bind_engine, build_engine, close_engine, open_engine

    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=4)
    try:
        yield settings
    finally:
        bind_engine(engine)  # an app built during the test bound its own; empty the tables through this one
        await clean_tables()
        await close_engine(engine)


@pytest.fixture
async def make_app(settings):
    """Builds apps on the test settings (with overrides); afterwards closes every engine they bound, so that
    one used outside its app's lifespan (a query from the test itself) leaves no connection thread behind."""
    from portal.app import create_app
    from portal.store.engine import bound_engine, close_engine

    engines = []

    def factory(**overrides):
        app = create_app(dataclasses.replace(settings, **overrides) if overrides else settings)
        engines.append(bound_engine())
        return app

    yield factory
    for engine in engines:
        await close_engine(engine)


@contextlib.asynccontextmanager
async def app_client(make_app, settings: Settings, **overrides):
    """An HTTP client talking to an app built with `overrides`, its lifespan entered in this task; the client
    carries the app and its settings; the tables are emptied on the way out."""
    app = make_app(**overrides)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as c:
            c.app = app  # type: ignore[attr-defined]
            c.settings = dataclasses.replace(settings, **overrides) if overrides else settings  # type: ignore[attr-defined]
            yield c
        await clean_tables()


@pytest.fixture
async def client(make_app, settings):
    """An HTTP client talking to the app in this event loop (lifespan entered here)."""
    async with app_client(make_app, settings) as c:
        yield c


@pytest.fixture
async def mail_client(make_app, settings, smtp_server):
    """Like `client`, with the app's e-mail going to the real SMTP test server (`smtp_server`)."""
    async with app_client(make_app, settings, smtp_url=smtp_server.url) as c:
        yield c


class LiveServer:
    """A real `portal serve` process on a free port."""

    def __init__(self, env: dict[str, str], port: int):
        self.env, self.port = env, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal", "serve", "--port", str(self.port), "--no-migrate"],
            env=self.env,
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"portal serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("portal serve did not become healthy in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(settings.data_dir),
        PORTAL_DATABASE_URL=settings.database_url,
        PORTAL_SECRET_KEY=settings.secret_key,
        PORTAL_RUN_WORKER="false",
        PORTAL_RUN_SCHEDULER="false",
        PORTAL_RATE_LIMIT="1000/60",
        PORTAL_LOOKUP_LIMIT="1000/60",
        PORTAL_LOOKUP_MISS_LIMIT="1000/60",
        PORTAL_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def live_server(base_settings):
    port = free_port()
    server = LiveServer(server_env(base_settings, PORTAL_BASE_URL=f"http://127.0.0.1:{port}"), port)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Per module: Playwright's sync API keeps an event loop running in the main thread while it is
    open, and the async tests of the next modules could not run their own loop.
    """
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def store(base_settings, live_server):
    """Factories on the live server's database for sync code (Playwright, schemathesis); emptied before and after."""
    helper = Store(base_settings)
    helper.empty()
    yield helper
    helper.empty()
