"""Read-heavy pages on a read replica (a second real database, copied from the primary then made to differ), and the fallback."""

from __future__ import annotations

import asyncio
import datetime as dt
import contextlib
import dataclasses
import logging
import subprocess
import uuid

import asyncpg
import httpx
import pytest

from portal.public.open_data import export
from portal.settings import Settings
from portal.store.core.tables import Feedback
from portal.store.engine import (
    bind_engine,
    bound_engine,
    build_engine,
    close_engine,
    open_engine,
)
from portal.store.commitments import add_commitment, commitments_of, published_commitments
from portal.store.replica import STATEMENT_TIMEOUT, PrimaryWithReplica
from portal.store.results import published_for_open_data, weekly_ratings
from tests.conftest import PG_ADMIN_URL, _pg_admin, free_port
from tests.factories import create_feedback, create_publication, create_service
from tests.review.staff import create_staff, signed_in

PRIMARY_TEXT, REPLICA_TEXT = "Texte tel que le primaire le garde.", "Texte tel que le réplica le garde."


def url_of(name: str) -> str:
    return f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"


async def on(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def copy_to_replica(settings):
    """Copy the primary, schema and rows, into a new database with pg_dump; the copy's address."""
    made: list[str] = []

    async def copy() -> str:
        name = f"guichet_replica_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        made.append(name)
        dump = subprocess.run(["pg_dump", "--no-owner", "-d", settings.database_url], check=True, capture_output=True)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url_of(name)], input=dump.stdout, check=True,
                       capture_output=True)
        return url_of(name)

    yield copy
    for name in made:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def read_only(replica_url: str) -> None:
    """Refuse writes on the copy from now on, as a hot standby does (a marked function that wrote would fail there)."""
    name = replica_url.rpartition("/")[2]
    await _pg_admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')


class Warnings(logging.Handler):
    """The replica's warnings, caught on its own logger (the app's logging setup replaces the root's handlers)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def replica_warnings():
    handler = Warnings()
    logger = logging.getLogger("portal.store.replica")
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


@contextlib.asynccontextmanager
async def bound(settings: Settings):
    """The store bound to an engine built from these settings; the previous engine bound again afterwards."""
    previous = bound_engine()
    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=2)
    try:
        yield engine
    finally:
        await close_engine(engine)
        if previous is not None:
            bind_engine(previous)


async def rated_and_published(code: str = "titres") -> dict:
    """Six ratings of 5 and one publication, on the primary."""
    service = await create_service(code=code, name_fr="Titres d'identité")
    items = [await create_feedback(service, text="Accueil parfait", rating=5) for _ in range(6)]
    await create_publication(items[0].feedback_id, text=PRIMARY_TEXT)
    return service


async def make_replica_differ(replica_url: str) -> None:
    await on(replica_url, f"UPDATE feedback SET rating = 1; UPDATE publication SET text = '{REPLICA_TEXT}'")
    await read_only(replica_url)


@pytest.mark.postgres_only
async def test_marked_reads_go_to_the_replica_and_the_rest_to_the_primary(db, copy_to_replica):
    service = await rated_and_published()
    replica_url = await copy_to_replica()
    await make_replica_differ(replica_url)
    async with bound(dataclasses.replace(db, database_replica_url=replica_url)) as engine:
        assert isinstance(engine, PrimaryWithReplica)
        [row] = await weekly_ratings(service["id"])
        assert (row["rated"], row["rating_sum"], row["satisfied"]) == (6, 6, 0)  # the replica's ratings of 1
        assert [p["text"] for p in await published_for_open_data()] == [REPLICA_TEXT]
        assert engine.replica_answers == 2 and engine.primary_fallbacks == 0
        # Unmarked reads, and marked ones inside a transaction, are the primary's.
        assert await Feedback.count().where(Feedback.rating == 5) == 6
        async with engine.transaction():
            [row] = await weekly_ratings(service["id"])
        assert row["rating_sum"] == 30
        assert engine.replica_answers == 2


@pytest.mark.postgres_only
async def test_staff_read_commitments_on_the_primary_and_public_pages_may_read_the_replica(db, copy_to_replica):
    """The staff list is shown right after a change (a replica's lag would hide it); public pages tolerate lag."""
    service = await create_service(code="titres", name_fr="Titres d'identité")
    staff = await create_staff(role="owner", services=[service])
    await add_commitment(service["id"], {"raised": "Attente", "action": "Un guichet de plus", "due_on": dt.date(2027, 3, 1)}, staff)
    replica_url = await copy_to_replica()
    await on(replica_url, "UPDATE commitment SET action = 'Sur le réplica'")
    await read_only(replica_url)
    async with bound(dataclasses.replace(db, database_replica_url=replica_url)) as engine:
        assert engine.replica.config["command_timeout"] == STATEMENT_TIMEOUT  # a stalled replica falls back too
        assert [c["action"] for c in await commitments_of(service["id"])] == ["Un guichet de plus"]
        assert [c["action"] for c in await published_commitments(service["id"])] == ["Sur le réplica"]


@pytest.mark.postgres_only
async def test_results_page_open_data_and_dashboard_read_the_replica(db, copy_to_replica, make_app, tmp_path):
    service = await rated_and_published()
    owner = await create_staff("owner", services=[service])
    replica_url = await copy_to_replica()
    await make_replica_differ(replica_url)
    app = make_app(database_replica_url=replica_url)
    async with app.lifespan():
        engine = bound_engine()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            page = await client.get(f"/s/{service['code']}/results")
            assert page.status_code == 200
            assert REPLICA_TEXT in page.text and PRIMARY_TEXT not in page.text
            before = engine.replica_answers
            await signed_in(client, owner)
            dashboard = await client.get(f"/staff/dashboards/services/{service['code']}")
            assert dashboard.status_code == 200
            assert engine.replica_answers >= before + 5  # the dashboard's counts came from the replica
        settings = app.state.settings
        await export(settings, tmp_path)
        feedback_csv = (tmp_path / "feedback.csv").read_text()
        assert REPLICA_TEXT in feedback_csv and PRIMARY_TEXT not in feedback_csv
    assert engine.primary_fallbacks == 0


@pytest.mark.postgres_only
async def test_an_unreachable_replica_falls_back_to_the_primary_with_one_warning(db, make_app, replica_warnings):
    service = await rated_and_published()
    away = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    app = make_app(database_replica_url=away)
    async with app.lifespan():  # a replica that is down does not stop the start
        engine = bound_engine()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            pages = [await client.get(f"/s/{service['code']}/results") for _ in range(3)]
        assert all(p.status_code == 200 and PRIMARY_TEXT in p.text for p in pages)
        [row] = await weekly_ratings(service["id"])
        assert row["rating_sum"] == 30
    assert len(replica_warnings) == 1 and "read replica unavailable (ConnectionRefusedError)" in replica_warnings[0]
    assert engine.replica_answers == 0 and engine.primary_fallbacks >= 4


@pytest.mark.postgres_only
async def test_a_replica_that_goes_away_is_left_then_used_again_when_back(db, copy_to_replica, replica_warnings):
    service = await rated_and_published()
    replica_url = await copy_to_replica()
    await make_replica_differ(replica_url)
    name = replica_url.rpartition("/")[2]
    async with bound(dataclasses.replace(db, database_replica_url=replica_url)) as engine:
        engine.rest_seconds = 0.5
        assert (await weekly_ratings(service["id"]))[0]["rating_sum"] == 6
        # The replica goes away: its connections are cut and new ones refused.
        await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        try:
            # Four reads at once, as a dashboard sends them: each answered by the primary, one warning.
            answers = await asyncio.gather(*(weekly_ratings(service["id"]) for _ in range(4)))
            assert [a[0]["rating_sum"] for a in answers] == [30] * 4
            assert (await weekly_ratings(service["id"]))[0]["rating_sum"] == 30  # resting: not even tried
            assert engine.primary_fallbacks == 5
        finally:
            await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await asyncio.sleep(0.6)
        assert (await weekly_ratings(service["id"]))[0]["rating_sum"] == 6  # back on the replica
    assert len(replica_warnings) == 1, replica_warnings


def test_a_replica_needs_postgresql_and_the_pooler_a_known_name(tmp_path):
    with pytest.raises(ValueError, match="PORTAL_DATABASE_REPLICA_URL"):
        Settings.from_env(environ={}, database_url="sqlite:///x.db", database_replica_url="postgresql://h/db")
    with pytest.raises(ValueError, match="PORTAL_DATABASE_POOLER"):
        Settings.from_env(environ={}, database_url="postgresql://h/db", database_pooler="pgpool")
    plain = build_engine(Settings.from_env(environ={}, data_dir=str(tmp_path), secret_key="s", database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/db"))
    assert not isinstance(plain, PrimaryWithReplica) and "statement_cache_size" not in plain.config
