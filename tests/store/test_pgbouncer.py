"""The portal through a real PgBouncer in transaction mode: migrate, intake, sign-in, inbox, worker and digest claims."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import httpx
import pytest
from piccolo.apps.migrations.tables import Migration

from portal.classify.worker import run_once
from portal.digests.runs import run_due
from portal.settings import Settings
from portal.store.core.tables import Classification, Feedback
from portal.store.digests.tables import DigestRun
from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.store.labels import claim_pending
from portal.store.migrate import apply_migrations
from tests.classify.test_worker import TEXTS
from tests.conftest import (
    ROOT,
    LiveServer,
    _pg_admin,
    clean_tables,
    free_port,
    server_env,
)
from tests.digests.test_delivery import FAST, sending_time, weekly_subscription
from tests.factories import create_feedback, create_service
from tests.fixtures.pgbouncer import PgBouncer
from tests.review.staff import create_staff, csrf_of, signed_in

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def pgbouncer():
    bouncer = PgBouncer(server_connections=3).start()
    yield bouncer
    bouncer.stop()


@pytest.fixture(scope="module")
def pooled_settings(pgbouncer, tmp_path_factory):
    """A fresh database, migrated through PgBouncer, and settings that reach it only through PgBouncer."""
    name = f"guichet_pool_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    settings = Settings.from_env(
        environ={}, data_dir=str(tmp_path_factory.mktemp("pooled")), database_url=pgbouncer.url(name),
        database_pooler="pgbouncer", secret_key="test-secret-key-for-the-suite-only", run_worker="false",
        run_scheduler="false", rate_limit="1000/60", lookup_limit="1000/60", lookup_miss_limit="1000/60",
    )
    asyncio.run(apply_migrations(settings))
    yield settings
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(pooled_settings):
    # Every fixture of the suite (db, client, mail_settings) now goes through PgBouncer.
    return pooled_settings


def key_of(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


async def test_migrations_ran_through_pgbouncer_and_run_again_as_a_no_op(pooled_settings, pgbouncer):
    await apply_migrations(pooled_settings)  # everything applied already: skipped, through the pooler again
    engine = bind_engine(build_engine(pooled_settings))
    await open_engine(engine, pool_size=2)
    try:
        assert engine.config["statement_cache_size"] == 0 and f":{pgbouncer.port}/" in engine.config["dsn"]
        assert await Migration.count() >= 10
        assert await Feedback.count() == 0
    finally:
        await close_engine(engine)


async def test_without_the_pooler_setting_statements_collide_in_transaction_mode(pooled_settings):
    """The control: the same reads with asyncpg's statement cache fail through PgBouncer, so the setting matters."""
    engine = bind_engine(build_engine(dataclasses.replace(pooled_settings, database_pooler="")))
    await open_engine(engine, pool_size=8)

    async def reads(n: int) -> None:
        for i in range(25):
            await Feedback.count().where(Feedback.rating == (n + i) % 5)

    try:
        with pytest.raises((asyncpg.InvalidSQLStatementNameError, asyncpg.DuplicatePreparedStatementError)):
            await asyncio.gather(*(reads(n) for n in range(12)))
    finally:
        await close_engine(engine)


async def test_many_concurrent_reads_and_writes_through_pgbouncer(db):
    service = await create_service(code="pool")

    async def one(n: int) -> None:
        item = await create_feedback(service, text=f"avis {n}", rating=1 + n % 5)
        assert await Feedback.count().where(Feedback.id == item.feedback_id) == 1

    await asyncio.gather(*(one(n) for n in range(40)))
    assert await Feedback.count() == 40


async def test_web_form_and_api_submissions_through_pgbouncer(client):
    await create_service(code="mairie", name_fr="Accueil de la mairie")
    form = await client.get("/s/mairie")
    data = {"csrf_token": csrf_of(form.text), "idempotency_key": key_of(form.text), "rating": "4", "text": "Accueil sympa"}
    sent = await client.post("/s/mairie", data=data)
    assert sent.status_code == 303
    assert (await client.post("/s/mairie", data=data)).headers["location"] == sent.headers["location"]

    answers = await asyncio.gather(*(
        client.post("/api/v1/feedback", json={"service": "mairie", "text": f"Attente {n % 10}", "idempotency_key": f"k{n % 10}"})
        for n in range(30)
    ))
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers if a.status_code >= 300]
    assert sum(a.status_code == 201 for a in answers) == 10  # each key stored once, replays answer the same
    assert await Feedback.count() == 11
    reference = answers[0].json()["reference"]
    assert (await client.get(f"/api/v1/feedback/{reference}")).status_code == 200


async def test_staff_sign_in_and_inbox_through_pgbouncer(client):
    service = await create_service(code="titres")
    agent = await create_staff("agent", services=[service])
    item = await create_feedback(service, text="Dossier bloqué depuis un mois")
    await signed_in(client, agent)
    pages = await asyncio.gather(*(client.get("/staff/inbox") for _ in range(8)))
    assert all(p.status_code == 200 for p in pages)
    assert item.reference in pages[0].text or "Dossier bloqué" in pages[0].text


async def test_worker_claims_are_disjoint_and_labels_stored_through_pgbouncer(db, classifier):
    service = await create_service()
    for i in range(40):
        await create_feedback(service, text=f"avis {i}")
    claims = await asyncio.gather(*(claim_pending(batch_size=8) for _ in range(6)))
    ids = [i["id"] for c in claims for i in c.items]
    assert len(ids) == len(set(ids)) == 40
    await clean_tables()

    service = await create_service()
    for t in TEXTS:
        await create_feedback(service, text=t)
    done = await asyncio.gather(run_once(classifier), run_once(classifier))
    assert sum(done) == len(TEXTS)
    assert await Classification.count() == len(TEXTS)
    assert await Feedback.count().where(Feedback.classify_state == "done") == len(TEXTS)


async def test_three_digest_passes_at_once_send_one_email_through_pgbouncer(db, smtp_server):
    mail_settings = dataclasses.replace(db, smtp_url=smtp_server.url, base_url="https://guichet.example.fr")
    sub = await weekly_subscription()
    reports = await asyncio.gather(*(run_due(mail_settings, now=sending_time(sub), policy=FAST) for _ in range(3)))
    assert sum(len(r.sent) for r in reports) == 1
    assert len(smtp_server.messages) == 1
    [run] = await DigestRun.select()
    assert run["state"] == "sent" and run["attempts"] == 1


async def test_real_processes_through_pgbouncer_classify_every_item_exactly_once(db, model_cache_dir):
    """`portal serve` and two `portal worker` processes, all through PgBouncer's 3 server connections."""
    await create_service(code="caf")
    port = free_port()
    server = LiveServer(server_env(db, PORTAL_DATABASE_POOLER="pgbouncer", PORTAL_BASE_URL=f"http://127.0.0.1:{port}"), port)
    worker_env = {**os.environ, "PORTAL_DATA_DIR": str(model_cache_dir), "PORTAL_DATABASE_URL": db.database_url,
                  "PORTAL_DATABASE_POOLER": "pgbouncer", "PORTAL_LOG_LEVEL": "WARNING"}
    workers = [subprocess.Popen([sys.executable, "-m", "portal", "worker", "--batch-size", "4"], env=worker_env,
                                cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    server.start()
    try:
        def submit(n: int) -> int:
            body = {"service": "caf", "text": f"{TEXTS[n % len(TEXTS)]} (cas {n})", "idempotency_key": f"real-{n}"}
            return httpx.post(f"{server.url}/api/v1/feedback", json=body, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(submit, range(40)))
        assert codes == [201] * 40
        deadline = time.monotonic() + 180
        while await Feedback.count().where(Feedback.classify_state == "done") < 40 and time.monotonic() < deadline:
            for worker in workers:
                assert worker.poll() is None, worker.stderr.read()
            await asyncio.sleep(0.2)
    finally:
        server.stop()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert await Feedback.count() == 40
    assert await Feedback.count().where(Feedback.classify_state == "done") == 40
    assert await Classification.count() == 40  # each item labelled once, by one of the two workers
